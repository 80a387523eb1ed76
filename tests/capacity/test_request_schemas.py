"""The request schemas that come before the returns' rules: each field
checked on its own (types, ranges, vocabulary), prices as decimals."""
from __future__ import annotations

from decimal import Decimal

import pytest
from marshmallow import ValidationError

from tracker_common.contracts.capacity import (CapacityReturnRequest, HomeCareReturnRequest, VacancyFigures,
                                               VisitingReturnRequest, WorkforceReturnRequest)

from .rules_helpers import body, group


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
