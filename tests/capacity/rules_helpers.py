"""What the tests of the returns' rules share: a care home and a home care
service as the rules see them, and a valid capacity return body to vary."""
from __future__ import annotations

import pytest

from capacity.rules import LocationFacts, ReturnRefused, check_capacity_return
from tracker_common.contracts.capacity import CapacityReturnRequest

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


def group(total=10, visa=0, covid=0, other=0) -> dict:
    return {"total_employed": total, "visa_holders_own_sponsor": visa, "absent_covid": covid, "absent_other": other}
