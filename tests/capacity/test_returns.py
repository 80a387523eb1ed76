"""Capacity returns through the use cases, on the real database: who may
submit, what is kept (every return, for ever), what is announced."""
from __future__ import annotations

from datetime import timedelta

import pytest

from capacity.handlers import readmodel, returns
from capacity.models import CapacityReturn
from tracker_common.contracts.capacity import CapacityReturnRequest
from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Principal, Role

from .conftest import BARNSLEY, location_snapshot

ALDER = "1-1000000001"
CARER = Principal("u-1", "1-100000001", frozenset({Role.CARE_HOME_USER}))
OTHER_CARER = Principal("u-2", "1-100000002", frozenset({Role.CARE_HOME_USER}))
BROKER = Principal("u-3", "la", frozenset({Role.NON_CARE_HOME_USER, Role.BROKER}), aligned_codes=frozenset({BARNSLEY}))
ELSEWHERE_BROKER = Principal("u-4", "la2", frozenset({Role.NON_CARE_HOME_USER, Role.BROKER}),
                             aligned_codes=frozenset({"E09000001"}))
NURSE = Principal("u-5", "trust", frozenset({Role.NON_CARE_HOME_USER}))
ADMIN = Principal("u-6", "ct-national", frozenset({Role.ADMIN}))


def a_return(**changes) -> dict:
    body = {
        "vacancies": [
            {"vacancy_type": "dementia_residential", "weekly_price_from": "850.00", "maximum_capacity": 20,
             "occupied": 17, "vacant_reserved": 1, "vacant_accepting": 2, "vacant_not_available": 0},
            {"vacancy_type": "general_residential", "weekly_price_from": "720.50", "maximum_capacity": 15,
             "occupied": 14, "vacant_reserved": 0, "vacant_accepting": 0, "vacant_not_available": 1,
             "not_available_reason": "refurbishment"},
        ],
        "short_stay_prices": {"respite_care": "900.00"},
    }
    body.update(changes)
    return CapacityReturnRequest().load(body)


def submit(db, actor, command, location_id=ALDER):
    with db.unit_of_work() as uow:
        result = returns.submit_capacity_return(uow, actor, location_id, command)
        uow.commit()
        return result


def count_returns(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.query(CapacityReturn).count()


def test_a_care_home_user_submits_their_homes_return(capacity_db, known_location, recorded_events):
    known_location(ALDER)
    saved = submit(capacity_db, CARER, a_return())
    assert (saved["sequence"], saved["admission_status"], saved["still_true"]) == (1, "accepting", False)
    assert saved["totals"]["maximum_capacity"] == 35 and saved["residents"] == 31
    event = recorded_events("capacity.return_submitted")[-1]
    assert event["actor"]["user_id"] == CARER.user_id
    data = event["data"]
    assert (data["location_id"], data["sequence"], data["la_code"]) == (ALDER, 1, BARNSLEY)
    assert {v["vacancy_type"]: v["vacant_accepting"] for v in data["vacancies"]} == {
        "dementia_residential": 2, "general_residential": 0}
    assert data["short_stay_prices"] == {"respite_care": "900.00"}


def test_saving_unchanged_figures_is_a_still_true_refresh(capacity_db, known_location, clock):
    known_location(ALDER)
    submit(capacity_db, CARER, a_return())
    clock.advance(hours=20)
    refresh = submit(capacity_db, CARER, a_return())
    assert (refresh["sequence"], refresh["still_true"]) == (2, True)
    with capacity_db.unit_of_work() as uow:
        current = returns.current_return(uow, NURSE, ALDER)
    assert current["sequence"] == 2 and current["submitted_at"] == clock.now().isoformat()


@pytest.mark.parametrize("actor, error", [(OTHER_CARER, NotFound), (NURSE, Forbidden), (ELSEWHERE_BROKER, Forbidden)])
def test_no_one_else_submits_and_nothing_changes(capacity_db, known_location, recorded_events, actor, error):
    known_location(ALDER)
    with pytest.raises(error):
        submit(capacity_db, actor, a_return())
    assert count_returns(capacity_db) == 0 and recorded_events() == []


@pytest.mark.parametrize("actor", [BROKER, ADMIN])
def test_brokers_of_the_area_and_administrators_submit(capacity_db, known_location, actor):
    known_location(ALDER)
    assert submit(capacity_db, actor, a_return())["submitted_by"] == actor.user_id


def test_a_return_breaking_the_rules_names_each_field_and_saves_nothing(capacity_db, known_location, recorded_events):
    known_location(ALDER)
    bad = a_return()
    bad["vacancies"][0]["weekly_price_from"] = bad["vacancies"][0]["weekly_price_from"].__class__("100")
    bad["vacancies"][1]["occupied"] = 15
    with pytest.raises(InvalidInput) as refused:
        submit(capacity_db, CARER, bad)
    errors = refused.value.fields["vacancies"]
    assert "weekly_price_from" in errors[0] and "maximum_capacity" in errors[1]
    assert count_returns(capacity_db) == 0 and recorded_events() == []


def test_history_is_kept_for_ever_and_queryable_by_time(capacity_db, known_location, clock):
    known_location(ALDER)
    first_time = clock.now()
    for hours in range(3):
        submit(capacity_db, CARER, a_return())
        clock.advance(hours=12)
    with capacity_db.unit_of_work() as uow:
        everything = returns.return_history(uow, NURSE, ALDER, {"page": 1, "per_page": 50})
        later = returns.return_history(uow, NURSE, ALDER, {"since": first_time + timedelta(hours=1), "page": 1,
                                                          "per_page": 50})
    assert [r["sequence"] for r in everything["returns"]] == [3, 2, 1]
    assert [r["sequence"] for r in later["returns"]] == [3, 2]


def test_newer_location_facts_apply_and_older_ones_never_regress(capacity_db, known_location):
    known_location(ALDER, version=3, long_term_vacancy_types=["general_nursing"])
    with capacity_db.unit_of_work() as uow:
        assert not readmodel.apply_location_snapshot(uow.session, location_snapshot(ALDER, version=2))
        uow.commit()
    with pytest.raises(InvalidInput) as refused:  # the older types are not what it offers now
        submit(capacity_db, CARER, a_return())
    assert "vacancies" in refused.value.fields


def test_stale_locations_are_those_not_updated_within_the_threshold(capacity_db, known_location, clock):
    known_location(ALDER)
    known_location("1-1000000002")
    submit(capacity_db, CARER, a_return())
    clock.advance(hours=25)
    with capacity_db.unit_of_work() as uow:
        stale = returns.stale_locations(uow, clock.now(), older_than_hours=24)
        very = returns.stale_locations(uow, clock.now(), older_than_hours=48)
    assert {(s["location_id"], s["staleness"]) for s in stale} == {(ALDER, "stale_24h"), ("1-1000000002", "never")}
    assert [s["location_id"] for s in very] == ["1-1000000002"]


def test_summaries_say_when_each_location_last_updated_for_those_the_actor_may_see(
        capacity_db, known_location, clock):
    known_location(ALDER)
    known_location("1-1000000002")
    known_location("1-2000000001", provider="1-100000002")
    submit(capacity_db, CARER, a_return())
    clock.advance(hours=30)
    with capacity_db.unit_of_work() as uow:
        mine = returns.return_summaries(uow, CARER, clock.now(), [ALDER, "1-1000000002", "1-2000000001", "1-9"])
    assert mine == [
        {"location_id": ALDER, "last_submitted_at": (clock.now() - timedelta(hours=30)).isoformat(),
         "staleness": "stale_24h", "admission_status": "accepting", "vacant_accepting": 2,
         "vacancies": [{"vacancy_type": "dementia_residential", "vacant_accepting": 2, "flexible": False},
                       {"vacancy_type": "general_residential", "vacant_accepting": 0, "flexible": False}]},
        {"location_id": "1-1000000002", "last_submitted_at": None, "staleness": "never", "admission_status": None,
         "vacant_accepting": None, "vacancies": []}]  # another provider's home and an unknown id are left out


def test_snapshots_page_through_every_current_return(capacity_db, known_location):
    for n in range(3):
        location_id = known_location(f"1-100000000{n}")
        submit(capacity_db, ADMIN, a_return(), location_id)
        submit(capacity_db, ADMIN, a_return(), location_id)
    with capacity_db.unit_of_work() as uow:
        first = returns.snapshot_page(uow, "", 2)
        second = returns.snapshot_page(uow, first["next"], 2)
    assert [s["location_id"] for s in first["snapshots"] + second["snapshots"]] == [
        "1-1000000000", "1-1000000001", "1-1000000002"]
    assert all(s["sequence"] == 2 for s in first["snapshots"]) and second["next"] is None


WORKFORCE = {"registered_nurses": {"total_employed": 8, "visa_holders_own_sponsor": 2, "absent_covid": 0,
                                   "absent_other": 1},
             "care_staff": {"total_employed": 30, "visa_holders_own_sponsor": 0, "absent_covid": 1, "absent_other": 2},
             "non_care_staff": {"total_employed": 10, "visa_holders_own_sponsor": 0, "absent_covid": 0,
                                "absent_other": 0},
             "agency_bank_headcount": 3, "holds_sponsorship_licence": True}


def submit_other(db, actor, kind, command, location_id=ALDER):
    with db.unit_of_work() as uow:
        result = returns.submit_other_return(uow, actor, location_id, kind, command)
        uow.commit()
        return result


def test_the_workforce_return_is_kept_and_announced(capacity_db, known_location, recorded_events):
    from tracker_common.contracts.capacity import WorkforceReturnRequest
    known_location(ALDER)
    saved = submit_other(capacity_db, CARER, "workforce", WorkforceReturnRequest().load(WORKFORCE))
    assert saved["figures"]["totals"]["total_employed"] == 48
    event = recorded_events("capacity.other_return_submitted")[-1]["data"]
    assert (event["kind"], event["location_id"]) == ("workforce", ALDER)
    with pytest.raises(NotFound):
        submit_other(capacity_db, OTHER_CARER, "workforce", WorkforceReturnRequest().load(WORKFORCE))


def test_visa_holders_need_a_sponsorship_licence(capacity_db, known_location, recorded_events):
    from tracker_common.contracts.capacity import WorkforceReturnRequest
    known_location(ALDER)
    with pytest.raises(InvalidInput) as refused:
        submit_other(capacity_db, CARER, "workforce",
                     WorkforceReturnRequest().load(dict(WORKFORCE, holds_sponsorship_licence=False)))
    assert "registered_nurses" in refused.value.fields
    assert recorded_events("capacity.other_return_submitted") == []


def test_the_home_care_return_is_for_home_care_services(capacity_db, known_location):
    from tracker_common.contracts.capacity import HomeCareReturnRequest
    known_location("1-1000000009", kind="home_care", long_term_vacancy_types=[])
    known_location(ALDER)
    command = HomeCareReturnRequest().load({"people_using_service": 120, "staff_delivering_care": 45,
                                            "extra_care_hours_available_per_week": "60.5", "issues": "Rural rounds"})
    saved = submit_other(capacity_db, ADMIN, "home_care", command, location_id="1-1000000009")
    assert saved["figures"]["people_using_service"] == 120
    with pytest.raises(InvalidInput):
        submit_other(capacity_db, ADMIN, "home_care", command)
