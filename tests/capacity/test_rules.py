"""The rules of the capacity, workforce and home care returns (plain
functions, no database) and the request schemas that come before them."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from capacity.rules import (MINIMUM_WEEKLY_PRICE, LocationFacts, ReturnRefused, check_capacity_return,
                            check_home_care_return, check_workforce_return, same_figures)
from tracker_common.contracts.capacity import (CapacityReturnRequest, HomeCareReturnRequest, VacancyFigures,
                                               VisitingReturnRequest, WorkforceReturnRequest, staleness)

ALDER = LocationFacts(location_id="1-1000000001", kind="care_home",
                      long_term_vacancy_types=("dementia_residential", "general_residential"),
                      short_stay_services=("respite_care",), registered_beds=40)
HOME_CARE = LocationFacts(location_id="1-2000000001", kind="home_care", long_term_vacancy_types=(),
                          short_stay_services=(), registered_beds=None)


def body(**changes) -> dict:
    """A valid capacity return body for ALDER (35 beds of 40 registered)."""
    payload = {
        "vacancies": [
            {"vacancy_type": "general_residential", "weekly_price_from": "720.50", "maximum_capacity": 15,
             "occupied": 14, "vacant_reserved": 0, "vacant_accepting": 0, "vacant_not_available": 1,
             "not_available_reason": "refurbishment"},
            {"vacancy_type": "dementia_residential", "weekly_price_from": "850.00", "maximum_capacity": 20,
             "occupied": 17, "vacant_reserved": 1, "vacant_accepting": 2, "vacant_not_available": 0},
        ],
        "short_stay_prices": {"respite_care": "900.00"},
    }
    payload.update(changes)
    return payload


def command(**changes) -> dict:
    return CapacityReturnRequest().load(body(**changes))


def with_vacancy(index: int, **figures) -> dict:
    payload = body()
    payload["vacancies"][index].update(figures)
    return CapacityReturnRequest().load(payload)


def refusal(facts: LocationFacts, cmd: dict) -> dict:
    with pytest.raises(ReturnRefused) as refused:
        check_capacity_return(facts, cmd)
    return refused.value.errors


def facts(**changes) -> LocationFacts:
    values = {"location_id": ALDER.location_id, "kind": ALDER.kind,
              "long_term_vacancy_types": ALDER.long_term_vacancy_types,
              "short_stay_services": ALDER.short_stay_services, "registered_beds": ALDER.registered_beds}
    values.update(changes)
    return LocationFacts(**values)


# -- the capacity return: a good one, normalised -----------------------------------------
def test_a_good_return_is_normalised_with_totals_and_status():
    result = check_capacity_return(ALDER, command())
    assert set(result) == {"vacancies", "short_stay_prices", "totals", "admission_status", "residents",
                           "over_registered_capacity"}
    assert [v["vacancy_type"] for v in result["vacancies"]] == ["dementia_residential", "general_residential"]
    assert result["vacancies"][0] == {
        "vacancy_type": "dementia_residential", "weekly_price_from": Decimal("850.00"), "maximum_capacity": 20,
        "occupied": 17, "vacant_reserved": 1, "vacant_accepting": 2, "vacant_not_available": 0,
        "not_available_reason": None, "flexible": False}
    assert result["vacancies"][1]["not_available_reason"] == "refurbishment"
    assert result["short_stay_prices"] == {"respite_care": Decimal("900.00")}
    assert result["totals"] == {"maximum_capacity": 35, "occupied": 31, "vacant_reserved": 1,
                                "vacant_accepting": 2, "vacant_not_available": 1, "vacant": 4}
    assert result["residents"] == 31
    assert result["admission_status"] == "accepting"
    assert result["over_registered_capacity"] is False


def test_a_reason_is_dropped_when_nothing_is_not_available():
    result = check_capacity_return(ALDER, with_vacancy(1, not_available_reason="covid_outbreak"))
    dementia = next(v for v in result["vacancies"] if v["vacancy_type"] == "dementia_residential")
    assert dementia["vacant_not_available"] == 0 and dementia["not_available_reason"] is None


def test_not_accepting_when_no_type_has_a_vacancy_accepting_admissions():
    result = check_capacity_return(ALDER, with_vacancy(1, vacant_accepting=0))
    assert result["admission_status"] == "not_accepting"
    assert result["totals"]["vacant"] == 2  # reserved and not available are still vacant


def test_accepting_when_any_one_type_accepts():
    result = check_capacity_return(ALDER, with_vacancy(1, vacant_accepting=1))
    assert result["admission_status"] == "accepting"


def test_flexible_vacancy_is_entered_once_kept_per_type_and_counted_once():
    result = check_capacity_return(ALDER, with_vacancy(1, flexible=True))
    flags = {v["vacancy_type"]: v["flexible"] for v in result["vacancies"]}
    assert flags == {"dementia_residential": True, "general_residential": False}
    # plain sums: the flexible vacancy was entered on one type only, so it counts once
    assert result["totals"]["vacant_accepting"] == 2 and result["totals"]["vacant"] == 4


# -- prices ----------------------------------------------------------------------------
def test_the_minimum_weekly_price_is_100_pounds():
    assert MINIMUM_WEEKLY_PRICE == Decimal("100")


@pytest.mark.parametrize("price, refused", [("100", True), ("100.00", True), ("99.99", True), ("0", True),
                                            ("100.01", False), ("850", False)])
def test_a_long_term_price_must_be_above_100_pounds(price, refused):
    cmd = with_vacancy(0, weekly_price_from=price)
    if refused:
        assert "weekly_price_from" in refusal(ALDER, cmd)["vacancies"][0]
    else:
        result = check_capacity_return(ALDER, cmd)
        general = next(v for v in result["vacancies"] if v["vacancy_type"] == "general_residential")
        assert general["weekly_price_from"] == Decimal(price).quantize(Decimal("0.01"))


@pytest.mark.parametrize("price, refused", [("100", True), ("100.01", False)])
def test_a_short_stay_price_must_be_above_100_pounds(price, refused):
    cmd = command(short_stay_prices={"respite_care": price})
    if refused:
        assert refusal(ALDER, cmd) == {"short_stay_prices": {"respite_care": [
            "The weekly price must be above £100.00."]}}
    else:
        assert check_capacity_return(ALDER, cmd)["short_stay_prices"] == {"respite_care": Decimal(price)}


def test_a_short_stay_service_provided_needs_a_price():
    errors = refusal(ALDER, command(short_stay_prices={}))
    assert list(errors) == ["short_stay_prices"] and list(errors["short_stay_prices"]) == ["respite_care"]


def test_no_price_for_a_short_stay_service_not_provided():
    errors = refusal(ALDER, command(short_stay_prices={"respite_care": "900", "rehabilitation": "950"}))
    assert list(errors["short_stay_prices"]) == ["rehabilitation"]


def test_a_location_providing_no_short_stay_service_sends_no_prices():
    not_provided = facts(short_stay_services=())
    assert check_capacity_return(not_provided, command(short_stay_prices={}))["short_stay_prices"] == {}
    assert "respite_care" in refusal(not_provided, command())["short_stay_prices"]


# -- figures ---------------------------------------------------------------------------
def test_figures_may_add_up_to_the_maximum_capacity():
    # 14 + 0 + 0 + 1 = 15 = maximum
    result = check_capacity_return(ALDER, with_vacancy(0, occupied=14, vacant_not_available=1))
    assert result["totals"]["maximum_capacity"] == 35


def test_figures_may_not_add_up_to_more_than_the_maximum_capacity():
    errors = refusal(ALDER, with_vacancy(0, occupied=15))  # 15 + 1 = 16 > 15
    assert errors == {"vacancies": {0: {"maximum_capacity": [
        "Occupied, reserved, accepting and not available add up to 16, more than the maximum capacity of 15."]}}}


@pytest.mark.parametrize("figure", ["occupied", "vacant_reserved", "vacant_accepting", "vacant_not_available"])
def test_every_figure_counts_towards_the_maximum(figure):
    payload = body()
    payload["vacancies"][0][figure] += 1
    errors = refusal(ALDER, CapacityReturnRequest().load(payload))
    assert "maximum_capacity" in errors["vacancies"][0]


def test_vacancies_not_available_need_a_reason():
    errors = refusal(ALDER, with_vacancy(0, not_available_reason=None))
    assert errors == {"vacancies": {0: {"not_available_reason": [
        "Give the reason the vacancies are not available."]}}}


# -- vacancy types ---------------------------------------------------------------------
def test_a_type_the_location_does_not_offer_is_refused():
    errors = refusal(ALDER, with_vacancy(0, vacancy_type="general_nursing"))
    assert "vacancy_type" in errors["vacancies"][0]
    # general residential is then missing too: named on the list as a whole
    assert any("general residential" in m for m in errors["vacancies"]["_schema"])


def test_a_type_listed_twice_is_refused():
    payload = body()
    payload["vacancies"].append(copy.deepcopy(payload["vacancies"][1]))
    errors = refusal(facts(registered_beds=None), CapacityReturnRequest().load(payload))
    assert errors == {"vacancies": {2: {"vacancy_type": [
        "Dementia residential is listed more than once: enter each vacancy type once (a vacancy that can flex "
        "across types is entered once and ticked flexible)."]}}}


def test_every_type_the_location_offers_is_required():
    payload = body()
    del payload["vacancies"][1]
    errors = refusal(ALDER, CapacityReturnRequest().load(payload))
    assert errors == {"vacancies": [
        "Enter the figures of every vacancy type the location offers; missing: dementia residential."]}


def test_services_must_be_set_up_first():
    errors = refusal(facts(long_term_vacancy_types=()), command())
    assert errors == {"vacancies": ["Set up the services you offer first."]}


def test_home_care_services_send_the_home_care_return():
    errors = refusal(HOME_CARE, command())
    assert list(errors) == ["_schema"] and "Home care services send the home care return" in errors["_schema"][0]


# -- registered beds -------------------------------------------------------------------
def test_total_capacity_up_to_the_registered_beds_needs_no_confirmation():
    result = check_capacity_return(facts(registered_beds=35), command())
    assert result["over_registered_capacity"] is False


def test_total_capacity_above_the_registered_beds_needs_confirmation():
    errors = refusal(facts(registered_beds=34), command())
    assert list(errors) == ["confirm_over_registered_capacity"]
    message = errors["confirm_over_registered_capacity"][0]
    assert "35" in message and "34" in message


def test_confirmed_capacity_above_the_registered_beds_is_flagged():
    result = check_capacity_return(facts(registered_beds=34), command(confirm_over_registered_capacity=True))
    assert result["over_registered_capacity"] is True


def test_confirming_without_being_over_raises_no_flag():
    result = check_capacity_return(ALDER, command(confirm_over_registered_capacity=True))
    assert result["over_registered_capacity"] is False


def test_unknown_registered_beds_need_no_confirmation():
    assert check_capacity_return(facts(registered_beds=None), command())["over_registered_capacity"] is False


# -- every problem at once -------------------------------------------------------------
def test_every_problem_is_named_in_one_refusal():
    payload = body(short_stay_prices={"respite_care": "100", "reablement_support": "800"})
    payload["vacancies"][0].update(weekly_price_from="100", occupied=15, not_available_reason=None)
    payload["vacancies"][1].update(vacancy_type="general_nursing", maximum_capacity=30, occupied=27)
    errors = refusal(facts(registered_beds=40), CapacityReturnRequest().load(payload))  # 45 > 40
    assert set(errors["vacancies"][0]) == {"weekly_price_from", "maximum_capacity", "not_available_reason"}
    assert set(errors["vacancies"][1]) == {"vacancy_type"}
    assert "dementia residential" in errors["vacancies"]["_schema"][0]
    assert set(errors["short_stay_prices"]) == {"respite_care", "reablement_support"}
    assert "45" in errors["confirm_over_registered_capacity"][0]


def test_a_refusal_is_an_exception_carrying_its_errors():
    refused = ReturnRefused({"vacancies": ["x"]})
    assert isinstance(refused, Exception) and refused.errors == {"vacancies": ["x"]}


# -- still true ------------------------------------------------------------------------
def _stored(figures: dict) -> dict:
    """As the service keeps a return: Decimals as strings."""
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return str(value) if isinstance(value, Decimal) else value
    return plain(figures)


def test_the_same_figures_are_a_still_true_refresh():
    first = check_capacity_return(ALDER, command())
    payload = body()
    payload["vacancies"].reverse()  # order does not matter
    payload["vacancies"][0]["weekly_price_from"] = "850"  # nor how a price is written
    again = check_capacity_return(ALDER, CapacityReturnRequest().load(payload))
    assert same_figures(first, again)
    assert same_figures(_stored(first), again)


@pytest.mark.parametrize("change", [
    {"index": 1, "occupied": 16}, {"index": 0, "weekly_price_from": "720.51"}, {"index": 1, "flexible": True},
    {"index": 0, "not_available_reason": "management_decision"},
])
def test_different_figures_are_not_still_true(change):
    index = change.pop("index")
    first = check_capacity_return(ALDER, command())
    assert not same_figures(_stored(first), check_capacity_return(ALDER, with_vacancy(index, **change)))


def test_a_different_short_stay_price_is_not_still_true():
    first = check_capacity_return(ALDER, command())
    other = check_capacity_return(ALDER, command(short_stay_prices={"respite_care": "901.00"}))
    assert not same_figures(_stored(first), other)


def test_the_first_return_is_not_still_true():
    assert not same_figures(None, check_capacity_return(ALDER, command()))


# -- workforce -------------------------------------------------------------------------
def group(total=10, visa=0, covid=0, other=0) -> dict:
    return {"total_employed": total, "visa_holders_own_sponsor": visa, "absent_covid": covid, "absent_other": other}


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


# -- the request schemas ---------------------------------------------------------------
def errors_of(schema, payload) -> dict:
    with pytest.raises(ValidationError) as invalid:
        schema.load(payload)
    return invalid.value.normalized_messages()


@pytest.mark.parametrize("field", ["maximum_capacity", "occupied", "vacant_reserved", "vacant_accepting",
                                   "vacant_not_available"])
def test_counts_are_json_numbers_not_strings(field):
    payload = body()
    payload["vacancies"][0][field] = "3"
    assert list(errors_of(CapacityReturnRequest(), payload)["vacancies"][0]) == [field]


@pytest.mark.parametrize("value", [-1, 2001, 1.5, True])
def test_counts_are_whole_numbers_from_0_to_2000(value):
    payload = body()
    payload["vacancies"][0]["occupied"] = value
    assert list(errors_of(CapacityReturnRequest(), payload)["vacancies"][0]) == ["occupied"]


def test_counts_at_their_bounds_are_accepted():
    payload = body()
    payload["vacancies"][0].update(maximum_capacity=2000, occupied=0)
    assert CapacityReturnRequest().load(payload)["vacancies"][0]["maximum_capacity"] == 2000


@pytest.mark.parametrize("price", ["850.999", "100.001", 850.555])
def test_prices_have_at_most_two_decimal_places(price):
    payload = body(short_stay_prices={"respite_care": price})
    payload["vacancies"][0]["weekly_price_from"] = price
    errors = errors_of(CapacityReturnRequest(), payload)
    assert errors["vacancies"][0]["weekly_price_from"] == ["Use at most 2 decimal places."]
    assert errors["short_stay_prices"]["respite_care"]["value"] == ["Use at most 2 decimal places."]


@pytest.mark.parametrize("price, loaded", [("850.1", "850.10"), ("850.100", "850.10"), (850, "850.00"),
                                           ("1E+3", "1000.00"), ("10000", "10000.00")])
def test_prices_load_as_decimals_to_the_penny_and_dump_as_strings(price, loaded):
    schema = CapacityReturnRequest()
    payload = body()
    payload["vacancies"][0]["weekly_price_from"] = price
    data = schema.load(payload)
    assert data["vacancies"][0]["weekly_price_from"] == Decimal(loaded)
    assert schema.dump(data)["vacancies"][0]["weekly_price_from"] == loaded
    assert schema.load(schema.dump(data)) == data  # the gateway loads, dumps; the service loads again


@pytest.mark.parametrize("price", ["-0.01", "10000.01", "NaN", "Infinity", "abc", "1e40", True])
def test_prices_are_numbers_from_0_to_10000(price):
    payload = body()
    payload["vacancies"][0]["weekly_price_from"] = price
    assert list(errors_of(CapacityReturnRequest(), payload)["vacancies"][0]) == ["weekly_price_from"]


def test_unknown_fields_are_refused_everywhere():
    payload = body(comment="hi")
    payload["vacancies"][0]["colour"] = "red"
    errors = errors_of(CapacityReturnRequest(), payload)
    assert errors["comment"] == ["Unknown field."] and errors["vacancies"][0]["colour"] == ["Unknown field."]
    assert "sneaky" in errors_of(VisitingReturnRequest(), {"visits_in": True, "visits_out": False, "sneaky": 1})


def test_missing_required_fields_are_named():
    assert set(errors_of(CapacityReturnRequest(), {})) == {"vacancies"}
    assert set(errors_of(VacancyFigures(), {})) == {
        "vacancy_type", "weekly_price_from", "maximum_capacity", "occupied", "vacant_reserved",
        "vacant_accepting", "vacant_not_available"}
    assert set(errors_of(WorkforceReturnRequest(), {})) == {
        "registered_nurses", "care_staff", "non_care_staff", "agency_bank_headcount", "holds_sponsorship_licence"}
    assert set(errors_of(WorkforceReturnRequest(), {
        "registered_nurses": {}, "care_staff": group(), "non_care_staff": group(), "agency_bank_headcount": 0,
        "holds_sponsorship_licence": False})["registered_nurses"]) == {
        "total_employed", "visa_holders_own_sponsor", "absent_covid", "absent_other"}
    assert set(errors_of(VisitingReturnRequest(), {})) == {"visits_in", "visits_out"}
    assert set(errors_of(HomeCareReturnRequest(), {})) == {
        "people_using_service", "staff_delivering_care", "extra_care_hours_available_per_week"}


def test_defaults_of_a_capacity_return():
    data = CapacityReturnRequest().load({"vacancies": [{
        "vacancy_type": "general_nursing", "weekly_price_from": "900", "maximum_capacity": 1, "occupied": 1,
        "vacant_reserved": 0, "vacant_accepting": 0, "vacant_not_available": 0}]})
    assert data["short_stay_prices"] == {} and data["confirm_over_registered_capacity"] is False
    assert data["vacancies"][0]["flexible"] is False and data["vacancies"][0]["not_available_reason"] is None


def test_vocabulary_is_checked():
    payload = body(short_stay_prices={"spa_weekend": "900"})
    payload["vacancies"][0].update(vacancy_type="luxury_suite", not_available_reason="holiday")
    errors = errors_of(CapacityReturnRequest(), payload)
    assert set(errors["vacancies"][0]) == {"vacancy_type", "not_available_reason"}
    assert "key" in errors["short_stay_prices"]["spa_weekend"]


def test_at_most_ten_vacancy_entries():
    payload = body()
    payload["vacancies"] = payload["vacancies"] * 6
    assert "vacancies" in errors_of(CapacityReturnRequest(), payload)


@pytest.mark.parametrize("value", ["3", -1, 100_001])
def test_workforce_counts_are_strict_and_bounded(value):
    payload = {"registered_nurses": group(total=value), "care_staff": group(), "non_care_staff": group(),
               "agency_bank_headcount": value, "holds_sponsorship_licence": True}
    errors = errors_of(WorkforceReturnRequest(), payload)
    assert set(errors) == {"registered_nurses", "agency_bank_headcount"}
    assert list(errors["registered_nurses"]) == ["total_employed"]


@pytest.mark.parametrize("field, value", [
    ("people_using_service", "3"), ("people_using_service", -1), ("staff_delivering_care", 1_000_001),
    ("extra_care_hours_available_per_week", "12.55"), ("extra_care_hours_available_per_week", "-0.5"),
    ("extra_care_hours_available_per_week", "100000.1"), ("issues", "x" * 2001),
])
def test_home_care_fields_are_checked(field, value):
    payload = {"people_using_service": 1, "staff_delivering_care": 1,
               "extra_care_hours_available_per_week": "0", field: value}
    assert list(errors_of(HomeCareReturnRequest(), payload)) == [field]


def test_home_care_hours_load_as_a_decimal_to_one_place():
    schema = HomeCareReturnRequest()
    data = schema.load({"people_using_service": 0, "staff_delivering_care": 0,
                        "extra_care_hours_available_per_week": 7})
    assert data["extra_care_hours_available_per_week"] == Decimal("7.0") and data["issues"] is None
    assert schema.dump(data)["extra_care_hours_available_per_week"] == "7.0"


def test_amounts_are_documented_as_decimal_strings_with_a_numeric_range():
    price = VacancyFigures().fields["weekly_price_from"]
    assert {k: price.metadata[k] for k in ("type", "format", "minimum", "maximum")} == {
        "type": "string", "format": "decimal", "minimum": 0, "maximum": 10_000}
    assert "above £100" in price.metadata["description"]
