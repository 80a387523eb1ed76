"""The snapshot pages read-model rebuilds go through: every return ever
accepted, each exactly once across the pages, and each as
`capacity.return_submitted` carried it (what the event's schema dumps of the
return as kept), ready for the wire."""
from __future__ import annotations

import json

from sqlalchemy import select

from capacity.handlers import returns
from capacity.models import CapacityReturn, KnownLocation
from capacity.service import SNAPSHOT_PAGE
from tracker_common.contracts.capacity import CapacityReturnRequest
from tracker_common.contracts.events import load_event, schema_of
from tracker_common.contracts.permissions import Principal, Role

GROUP = "1-100000001"
ADMIN = Principal("u-9", None, frozenset({Role.ADMIN}))
HOMES = [f"1-20000000{n}" for n in range(5)]


def a_return(n: int) -> dict:
    return CapacityReturnRequest().load({
        "vacancies": [
            {"vacancy_type": "dementia_residential", "weekly_price_from": f"{800 + n}.5", "maximum_capacity": 12,
             "occupied": 9, "vacant_reserved": 1, "vacant_accepting": n % 2, "vacant_not_available": 1,
             "not_available_reason": "refurbishment", "flexible": n % 3 == 0},
            {"vacancy_type": "general_residential", "weekly_price_from": "1250.00", "maximum_capacity": 30 + n,
             "occupied": 30, "vacant_reserved": 0, "vacant_accepting": 0, "vacant_not_available": 0}],
        "short_stay_prices": {"respite_care": "975.25"}, "confirm_over_registered_capacity": True})


def history(db, known_location, clock) -> None:
    """Five homes (one with no area), three to five returns each, some the same figures again."""
    for index, location_id in enumerate(HOMES):
        known_location(location_id, name=f"The Willows Residential and Nursing Home {index}",
                       **({"la_code": None, "sub_icb_code": None} if index == 4 else {}))
        for n in range(3 + index % 3):
            clock.advance(minutes=47)
            with db.unit_of_work() as uow:
                returns.submit_capacity_return(uow, ADMIN, location_id, a_return(n if n < 2 else 1))
                uow.commit()


def every_page(db, page, limit: int) -> list[dict]:
    pages, after = [], ""
    while True:
        with db.unit_of_work() as uow:
            found = page(uow, after, limit)
        pages.append(found)
        after = found["next"]
        if not after:
            return pages


def as_before(db) -> dict[str, dict]:
    """Each return as the snapshot pages gave it before: the ORM's row and
    location, dumped by the event's schema."""
    schema = schema_of("capacity.return_submitted")
    with db.unit_of_work() as uow:
        return {row.id: schema.dump({
            **row.figures, "return_id": row.id, "location_id": row.location_id, "sequence": row.sequence,
            "submitted_at": row.submitted_at, "still_true": row.still_true, "source": row.source,
            "provider_id": facts.provider_id, "la_code": facts.la_code, "sub_icb_code": facts.sub_icb_code})
            for row, facts in uow.session.execute(select(CapacityReturn, KnownLocation).join(
                KnownLocation, KnownLocation.location_id == CapacityReturn.location_id))}


def test_paging_history_gives_every_return_exactly_once(capacity_db, known_location, clock):
    history(capacity_db, known_location, clock)
    expected = as_before(capacity_db)
    assert len(expected) == 3 + 4 + 5 + 3 + 4
    for limit in (1, 3, 7, len(expected), len(expected) + 1, SNAPSHOT_PAGE):
        pages = every_page(capacity_db, returns.history_snapshot_page, limit)
        seen = [s["return_id"] for page in pages for s in page["snapshots"]]
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)), limit
        assert seen == sorted(seen)  # keyset: in return id order, each page after the last
        assert all(len(page["snapshots"]) == limit for page in pages[:-1])
        assert pages[-1]["next"] is None


def test_a_return_accepted_during_a_rebuild_is_on_a_later_page_or_announced(capacity_db, known_location, clock):
    history(capacity_db, known_location, clock)
    with capacity_db.unit_of_work() as uow:
        first = returns.history_snapshot_page(uow, "", 4)
    with capacity_db.unit_of_work() as uow:
        returns.submit_capacity_return(uow, ADMIN, HOMES[0], a_return(7))
        uow.commit()
    rest = every_page(capacity_db, lambda uow, after, limit: returns.history_snapshot_page(
        uow, after or first["next"], limit), 4)
    seen = [s["return_id"] for page in [first, *rest] for s in page["snapshots"]]
    assert len(seen) == len(set(seen))  # never twice; one with an id before the cursor comes by its event


def test_each_snapshot_is_what_the_events_schema_dumps_and_loads_as_the_event(capacity_db, known_location, clock,
                                                                              recorded_events):
    history(capacity_db, known_location, clock)
    expected = as_before(capacity_db)
    snapshots = [s for page in every_page(capacity_db, returns.history_snapshot_page, 6) for s in page["snapshots"]]
    assert {s["return_id"]: s for s in snapshots} == expected
    assert json.loads(json.dumps(snapshots)) == snapshots  # plain JSON values, ready for the wire
    schema = schema_of("capacity.return_submitted")
    events = {m["data"]["return_id"]: m for m in recorded_events("capacity.return_submitted")}
    for snapshot in snapshots:  # a consumer loads it exactly as it loaded the event
        assert schema.load(snapshot) == load_event(events[snapshot["return_id"]]).data
    assert any(s["la_code"] is None for s in snapshots) and any(s["still_true"] for s in snapshots)


def test_the_current_returns_page_through_every_location_once_as_before(capacity_db, known_location, clock):
    history(capacity_db, known_location, clock)
    expected = as_before(capacity_db)
    for limit in (1, 2, 5, SNAPSHOT_PAGE):
        pages = every_page(capacity_db, returns.snapshot_page, limit)
        snapshots = [s for page in pages for s in page["snapshots"]]
        assert [s["location_id"] for s in snapshots] == HOMES
        assert all(s == expected[s["return_id"]] for s in snapshots)
        assert [s["sequence"] for s in snapshots] == [3, 4, 5, 3, 4]
