"""The rules of the workforce and home care returns (plain functions, no
database), and how stale a location's latest return is."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from capacity.rules import ReturnRefused, check_home_care_return, check_workforce_return
from tracker_common.contracts.capacity import HomeCareReturnRequest, WorkforceReturnRequest, staleness

from .rules_helpers import ALDER, HOME_CARE, group


# -- workforce -------------------------------------------------------------------------
def workforce(licence=True, agency=26, **groups) -> dict:
    payload = {"registered_nurses": group(8, 1), "care_staff": group(95, 0, 3, 4), "non_care_staff": group(12),
               "agency_bank_headcount": agency, "holds_sponsorship_licence": licence}
    payload.update(groups)
    return WorkforceReturnRequest().load(payload)


def workforce_refusal(cmd: dict) -> dict:
    with pytest.raises(ReturnRefused) as refused:
        check_workforce_return(cmd)
    return refused.value.errors


def test_a_workforce_return_is_totalled_over_the_three_groups():
    result = check_workforce_return(workforce())
    assert result["totals"] == {"total_employed": 115, "visa_holders_own_sponsor": 1, "absent_covid": 3,
                                "absent_other": 4}
    assert result["registered_nurses"] == group(8, 1)
    assert (result["agency_bank_headcount"], result["holds_sponsorship_licence"]) == (26, True)


def test_visa_holders_need_a_sponsorship_licence():
    errors = workforce_refusal(workforce(licence=False, care_staff=group(95, 2)))
    assert set(errors) == {"registered_nurses", "care_staff"}
    assert errors["care_staff"]["visa_holders_own_sponsor"][0].startswith(
        "Only organisations holding a sponsorship licence")


def test_no_licence_and_no_visa_holders_is_fine():
    result = check_workforce_return(workforce(licence=False, registered_nurses=group(8, 0)))
    assert result["totals"]["visa_holders_own_sponsor"] == 0


@pytest.mark.parametrize("field, figures", [("visa_holders_own_sponsor", {"visa": 11}),
                                            ("absent_covid", {"covid": 11}), ("absent_other", {"other": 11})])
def test_no_figure_above_the_total_employed(field, figures):
    assert check_workforce_return(workforce(non_care_staff=group(10, **{k: 10 for k in figures})))
    errors = workforce_refusal(workforce(non_care_staff=group(10, **figures)))
    assert list(errors) == ["non_care_staff"] and list(errors["non_care_staff"]) == [field]


def test_absences_together_no_more_than_the_total_employed():
    assert check_workforce_return(workforce(non_care_staff=group(10, covid=4, other=6)))
    errors = workforce_refusal(workforce(non_care_staff=group(10, covid=5, other=6)))
    assert errors == {"non_care_staff": {"absent_other": [
        "Absent COVID-related and absent for other reasons add up to 11, more than the 10 employed."]}}


def test_every_workforce_problem_is_named_at_once():
    errors = workforce_refusal(workforce(licence=False, registered_nurses=group(8, 9, 9),
                                         care_staff=group(5, 0, 3, 3)))
    assert set(errors["registered_nurses"]) == {"visa_holders_own_sponsor", "absent_covid"}
    assert len(errors["registered_nurses"]["visa_holders_own_sponsor"]) == 2  # no licence, and too many
    assert set(errors["care_staff"]) == {"absent_other"}


# -- home care -------------------------------------------------------------------------
def home_care(**changes) -> dict:
    payload = {"people_using_service": 40, "staff_delivering_care": 25,
               "extra_care_hours_available_per_week": "12.5", "issues": "  Short of drivers.  "}
    payload.update(changes)
    return HomeCareReturnRequest().load(payload)


def test_a_home_care_return_is_normalised():
    assert check_home_care_return(HOME_CARE, home_care()) == {
        "people_using_service": 40, "staff_delivering_care": 25,
        "extra_care_hours_available_per_week": Decimal("12.5"), "issues": "Short of drivers."}
    assert check_home_care_return(HOME_CARE, home_care(issues="   "))["issues"] is None


def test_only_home_care_services_send_the_home_care_return():
    with pytest.raises(ReturnRefused) as refused:
        check_home_care_return(ALDER, home_care())
    assert list(refused.value.errors) == ["_schema"]


def test_people_using_the_service_need_staff_delivering_care():
    with pytest.raises(ReturnRefused) as refused:
        check_home_care_return(HOME_CARE, home_care(staff_delivering_care=0))
    assert list(refused.value.errors) == ["staff_delivering_care"]
    assert check_home_care_return(HOME_CARE, home_care(staff_delivering_care=1))
    assert check_home_care_return(HOME_CARE, home_care(people_using_service=0, staff_delivering_care=0))


# -- staleness -------------------------------------------------------------------------
NOW = datetime(2024, 6, 5, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("age, expected", [
    (timedelta(0), "fresh"), (timedelta(hours=24), "fresh"), (timedelta(hours=24, seconds=1), "stale_24h"),
    (timedelta(hours=48), "stale_24h"), (timedelta(hours=48, seconds=1), "stale_48h"),
    (timedelta(days=30), "stale_48h"), (timedelta(hours=-1), "fresh"),
])
def test_staleness_thresholds(age, expected):
    assert staleness(NOW - age, NOW) == expected


def test_a_location_that_never_sent_a_return():
    assert staleness(None, NOW) == "never"


def test_staleness_thresholds_can_be_chosen():
    assert staleness(NOW - timedelta(hours=7), NOW, thresholds_hours=(6, 12)) == "stale_6h"
    assert staleness(NOW - timedelta(hours=13), NOW, thresholds_hours=(12, 6)) == "stale_12h"
