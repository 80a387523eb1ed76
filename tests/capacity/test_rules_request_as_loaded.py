"""A request our own code built (the bulk spreadsheet's reader) is taken
without the schema when it plainly conforms, exactly as the schema would
load it; anything else is left to the schema (None)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from capacity.rules import request_as_loaded
from tracker_common.contracts.capacity import CapacityReturnRequest

SCHEMA = CapacityReturnRequest()


def vacancy(vacancy_type="dementia_nursing", **overrides) -> dict:
    entry = {"vacancy_type": vacancy_type, "weekly_price_from": "950.00", "maximum_capacity": 20, "occupied": 15,
             "vacant_reserved": 1, "vacant_accepting": 2, "vacant_not_available": 2,
             "not_available_reason": "covid_outbreak", "flexible": False}
    entry.update(overrides)
    return entry


CONFORMING = [
    {"vacancies": [vacancy(), vacancy("general_residential", weekly_price_from="820.5", not_available_reason=None,
                                      vacant_not_available=0, flexible=True)],
     "short_stay_prices": {"respite_care": "700.00", "discharge_to_assess": "1250.75"},
     "confirm_over_registered_capacity": True},
    {"vacancies": [vacancy(weekly_price_from="10000", maximum_capacity=2000)], "short_stay_prices": {},
     "confirm_over_registered_capacity": False},
    {"vacancies": [vacancy(weekly_price_from="0", occupied=0)]},  # a price the rules refuse, the schema takes
    {"vacancies": []},
    {"vacancies": [{k: v for k, v in vacancy().items() if k not in ("not_available_reason", "flexible")}]},
]


@pytest.mark.parametrize("command", CONFORMING)
def test_a_plainly_conforming_request_is_what_the_schema_loads(command):
    loaded = request_as_loaded(command)
    assert loaded == SCHEMA.load(command)
    assert all(type(v["weekly_price_from"]) is Decimal for v in loaded["vacancies"])
    assert [str(v["weekly_price_from"]) for v in loaded["vacancies"]] == \
        [str(v["weekly_price_from"]) for v in SCHEMA.load(command)["vacancies"]]


NOT_PLAIN = [
    {"vacancies": [vacancy(weekly_price_from="950.001")]},           # too many places
    {"vacancies": [vacancy(weekly_price_from="10000.01")]},          # above the range
    {"vacancies": [vacancy(weekly_price_from="-5")]},
    {"vacancies": [vacancy(weekly_price_from="NaN")]},
    {"vacancies": [vacancy(maximum_capacity=2001)]},
    {"vacancies": [vacancy(occupied="3")]},                          # a count as text
    {"vacancies": [vacancy(occupied=True)]},
    {"vacancies": [vacancy("castle")]},
    {"vacancies": [vacancy(not_available_reason="weather")]},
    {"vacancies": [vacancy(flexible="Y")]},
    {"vacancies": [dict(vacancy(), colour="blue")]},                 # an unknown field
    {"vacancies": [{k: v for k, v in vacancy().items() if k != "occupied"}]},
    {"vacancies": [vacancy()] * 11},                                 # more entries than there are types
    {"vacancies": [vacancy()], "short_stay_prices": {"spa_days": "100.00"}},
    {"vacancies": [vacancy()], "short_stay_prices": {"respite_care": None}},
    {"vacancies": [vacancy()], "confirm_over_registered_capacity": "yes"},
    {"vacancies": [vacancy()], "declaration": True},
    {"short_stay_prices": {}},                                        # no vacancies at all
]


@pytest.mark.parametrize("command", NOT_PLAIN)
def test_anything_else_is_left_to_the_schema(command):
    assert request_as_loaded(command) is None
