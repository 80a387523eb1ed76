""""Nothing has changed": a location's current return saved again as it is,
in one tap: the same rules, re-stamped by whoever confirmed it, marked
still true and announced; each location all or nothing."""
from __future__ import annotations

import pytest

from capacity.handlers import returns
from capacity.models import CapacityReturn
from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Principal, Role

from .test_returns import ADMIN, ALDER, BROKER, CARER, NURSE, OTHER_CARER, a_return, count_returns, submit

BIRCH, CEDAR, ELSEWHERE = "1-1000000002", "1-1000000003", "1-2000000001"


def still_true(db, actor, location_id=ALDER):
    with db.unit_of_work() as uow:
        result = returns.confirm_still_true(uow, actor, location_id)
        uow.commit()
        return result


def still_true_many(db, actor, location_ids=None):
    with db.unit_of_work() as uow:
        result = returns.confirm_still_true_many(uow, actor, location_ids)
        uow.commit()
        return result


def test_nothing_has_changed_re_stamps_the_current_figures(capacity_db, known_location, clock, recorded_events):
    known_location(ALDER)
    first = submit(capacity_db, CARER, a_return())
    clock.advance(hours=23)
    refreshed = still_true(capacity_db, CARER)
    assert (refreshed["sequence"], refreshed["still_true"], refreshed["source"]) == (2, True, "form")
    assert refreshed["submitted_at"] == clock.now().isoformat() != first["submitted_at"]
    assert refreshed["submitted_by"] == CARER.user_id
    for same in ("vacancies", "short_stay_prices", "totals", "admission_status", "residents"):
        assert refreshed[same] == first[same]
    event = recorded_events("capacity.return_submitted")[-1]["data"]
    assert (event["sequence"], event["still_true"], event["location_id"]) == (2, True, ALDER)
    with capacity_db.unit_of_work() as uow:
        assert returns.current_return(uow, NURSE, ALDER)["submitted_at"] == clock.now().isoformat()


def test_capacity_confirmed_above_the_registered_beds_stays_confirmed(capacity_db, known_location):
    known_location(ALDER, registered_beds=30)  # the return holds 35 beds, confirmed
    submit(capacity_db, CARER, a_return(confirm_over_registered_capacity=True))
    refreshed = still_true(capacity_db, CARER)
    assert refreshed["still_true"] and refreshed["over_registered_capacity"]


def test_a_location_without_a_return_is_sent_to_the_form(capacity_db, known_location, recorded_events):
    known_location(ALDER)
    with pytest.raises(InvalidInput) as refused:
        still_true(capacity_db, CARER)
    assert "update its capacity first" in refused.value.fields["location_id"][0]
    assert count_returns(capacity_db) == 0 and recorded_events() == []


def test_figures_that_no_longer_fit_the_location_are_refused_naming_why(capacity_db, known_location):
    known_location(ALDER)
    submit(capacity_db, CARER, a_return())
    known_location(ALDER, version=2, long_term_vacancy_types=["dementia_residential", "general_nursing",
                                                              "general_residential"])
    with pytest.raises(InvalidInput) as refused:
        still_true(capacity_db, CARER)
    assert "general nursing" in str(refused.value.fields["vacancies"])
    assert count_returns(capacity_db) == 1


@pytest.mark.parametrize("actor, error", [(OTHER_CARER, NotFound), (NURSE, Forbidden)])
def test_no_one_else_confirms_and_nothing_changes(capacity_db, known_location, recorded_events, actor, error):
    known_location(ALDER)
    submit(capacity_db, CARER, a_return())
    with pytest.raises(error):
        still_true(capacity_db, actor)
    assert count_returns(capacity_db) == 1 and len(recorded_events("capacity.return_submitted")) == 1


@pytest.mark.parametrize("actor", [BROKER, ADMIN])
def test_brokers_of_the_area_and_administrators_confirm_too(capacity_db, known_location, actor):
    known_location(ALDER)
    submit(capacity_db, CARER, a_return())
    assert still_true(capacity_db, actor)["submitted_by"] == actor.user_id


def test_all_of_my_locations_at_once_each_all_or_nothing(capacity_db, known_location, clock):
    for location_id in (ALDER, BIRCH, CEDAR):
        known_location(location_id)
    known_location(ELSEWHERE, provider="1-100000002")
    submit(capacity_db, CARER, a_return())
    submit(capacity_db, CARER, a_return(), location_id=BIRCH)
    submit(capacity_db, OTHER_CARER, a_return(), location_id=ELSEWHERE)
    known_location(BIRCH, version=2, short_stay_services=["respite_care", "reablement_support"])  # needs a price now
    clock.advance(hours=30)
    answer = still_true_many(capacity_db, CARER)  # CEDAR has no return: not one of those refreshed
    assert [r["location_id"] for r in answer["refreshed"]] == [ALDER]
    assert list(answer["refused"]) == [BIRCH] and "reablement support" in answer["refused"][BIRCH][0]
    with capacity_db.unit_of_work() as uow:
        latest = {r.location_id: r.sequence for r in uow.session.query(CapacityReturn)
                  .order_by(CapacityReturn.sequence)}
    assert latest == {ALDER: 2, BIRCH: 1, ELSEWHERE: 1}  # nothing of BIRCH's kept, no one else's touched


def test_named_locations_another_organisations_among_them(capacity_db, known_location):
    known_location(ALDER)
    known_location(ELSEWHERE, provider="1-100000002")
    submit(capacity_db, CARER, a_return())
    submit(capacity_db, OTHER_CARER, a_return(), location_id=ELSEWHERE)
    answer = still_true_many(capacity_db, CARER, [ELSEWHERE, ALDER, ALDER])
    assert [r["location_id"] for r in answer["refreshed"]] == [ALDER]
    assert answer["refused"] == {ELSEWHERE: ["No such location."]}


def test_all_at_once_is_never_a_whole_area_for_a_broker_or_an_administrator(capacity_db, known_location):
    known_location(ALDER)
    submit(capacity_db, CARER, a_return())
    assert still_true_many(capacity_db, BROKER) == {"refreshed": [], "refused": {}}
    assert still_true_many(capacity_db, ADMIN) == {"refreshed": [], "refused": {}}
    given = Principal("u-7", "1-100000009", frozenset({Role.CARE_HOME_USER}), location_ids=frozenset({ALDER}))
    assert still_true_many(capacity_db, given)["refreshed"][0]["location_id"] == ALDER
