"""The rules of the capacity return (plain functions, no database): a good
return normalised, prices, figures, vacancy types, registered beds, every
problem at once, "still true"."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from capacity.rules import MINIMUM_WEEKLY_PRICE, ReturnRefused, check_capacity_return, same_figures
from tracker_common.contracts.capacity import CapacityReturnRequest

from .rules_helpers import ALDER, HOME_CARE, body, command, facts, refusal, with_vacancy


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
