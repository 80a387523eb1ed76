"""The search read model: kept from providers' and capacity's events on a
real broker (redelivered, reordered, spread over several instances, or
waiting while none runs), from the postcode directory's parts in any order,
and rebuilt from the owning services' snapshots without ever going back.

Broker tests run SearchService in-process. Its `RebuildWhenEmpty` dependency
rebuilds only an *empty* read model, so every broker test starts from the
`directory` (or `homes`) fixture: a non-empty model makes the rebuild skip
at once, without calling providers/capacity (which are not running here)."""
from __future__ import annotations

import json

from datetime import datetime, timezone

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from sqlalchemy import select

from search.handlers.find import find_vacancies, locate
from search.handlers.readmodel import apply_directory_part
from search.handlers.rebuild import rebuild
from search.models import DirectoryPart, SearchLocation, SearchPostcode
from search.service import SearchService
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.events import new_event, schema_of
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.contracts.search import SearchQuery
from tracker_common.rpc import ServiceUnavailable
from tracker_common.testing import empty_subscriptions, publish_messages, wait_until

from .conftest import BARNSLEY, NOW, OUTCODES, POSTCODES, capacity_return, profile, vacancy

COMMISSIONER = Principal(user_id="u1", organisation_id=BARNSLEY,
                         roles=frozenset({Role.NON_CARE_HOME_USER})).to_claims()
CARE_HOME = Principal(user_id="u2", organisation_id="1-100000001",
                      roles=frozenset({Role.CARE_HOME_USER})).to_claims()
IN_BARNSLEY = {"la_code": BARNSLEY}
ALDER, BIRCH = "1-1000000001", "1-1000000002"


# -- helpers ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def search_queues_empty(request):
    """Broker tests start from empty search queues: other services' tests
    publish events to the same vhost, and every subscriber's queue exists
    from the first publish on, so search's would hold theirs."""
    if "run_container" not in request.fixturenames:
        return
    empty_subscriptions(request.getfixturevalue("amqp_uri"), "search")


def event(event_type: str, snapshot: dict) -> dict:
    """The message of an event carrying a JSON-ready conftest snapshot
    (new_event takes the data as loaded: dates, not strings)."""
    data = schema_of(event_type).load(snapshot)
    return new_event(event_type, data, occurred_at=datetime.now(timezone.utc)).to_message()


def location_event(snapshot: dict) -> dict:
    return event("providers.location_updated", snapshot)


def return_event(snapshot: dict) -> dict:
    return event("capacity.return_submitted", snapshot)


def consumed(event_type: str) -> float:
    return REGISTRY.get_sample_value("tracker_events_consumed_total", {
        "service": "search", "event_type": event_type, "outcome": "ok"}) or 0.0


def wait_consumed(event_type: str, before: float, count: int) -> None:
    wait_until(lambda: consumed(event_type) - before >= count, timeout=20,
               message=f"{count} deliveries of {event_type} handled")


def search(container, actor: dict = COMMISSIONER, query: dict = IN_BARNSLEY) -> list[dict]:
    """The results of find_vacancies called on this instance (JSON text, as sent)."""
    with entrypoint_hook(container, "find_vacancies") as find:
        return json.loads(find(actor, query))["results"]


def found_ids(container) -> list[str]:
    return [home["location_id"] for home in search(container)]


def row(search_db, location_id: str) -> SearchLocation | None:
    with search_db.unit_of_work() as uow:
        found = uow.session.get(SearchLocation, location_id)
        if found is not None:
            uow.session.expunge(found)
        return found


def located(search_db, place: str) -> str:
    """How precisely `place` is located ("postcode", "postcode_district"),
    or "unknown"."""
    with search_db.unit_of_work() as uow:
        try:
            return locate(uow.session.connection(), place)["precision"]
        except InvalidInput:
            return "unknown"


# -- 1. consuming on a real broker -----------------------------------------------------

def test_redelivered_and_reordered_events_keep_the_newest_snapshots(search_db, directory, amqp_uri,
                                                                     run_container):
    newest_profile = profile(ALDER, version=3, name="Alder House (renamed)", specialisms=["Dementia", "Sensory"])
    older_profile = profile(ALDER, version=2, name="Alder House", specialisms=["Dementia"])
    newest_return = capacity_return(ALDER, vacancy(accepting=3, price="950.00"), sequence=2, hours_ago=1)
    older_return = capacity_return(ALDER, vacancy(accepting=0), sequence=1, hours_ago=30)
    locations, returns = consumed("providers.location_updated"), consumed("capacity.return_submitted")

    with run_container(SearchService) as container:
        publish_messages(amqp_uri, [location_event(s) for s in (newest_profile, older_profile) * 2]
                + [return_event(s) for s in (newest_return, older_return) * 2])
        wait_consumed("providers.location_updated", locations, 4)
        wait_consumed("capacity.return_submitted", returns, 4)

        home = row(search_db, ALDER)
        assert (home.location_version, home.return_sequence) == (3, 2)
        assert (home.profile, home.capacity_return) == (newest_profile, newest_return)
        assert (home.eligible, home.ineligible_reasons, home.name, home.la_code) == (
            True, [], "Alder House (renamed)", BARNSLEY)
        assert home.specialisms == ["Dementia", "Sensory"]
        assert home.submitted_at == datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
        assert home.offers == [{"stay": "long_term", "type": "general_residential", "price": 950.0,
                                "available": True}]

        [result] = search(container)
        assert (result["location_id"], result["name"], result["total_accepting"], result["admission_status"]) == (
            ALDER, "Alder House (renamed)", 3, "accepting")
        assert result["vacancies"] == [{"vacancy_type": "general_residential", "weekly_price_from": "950.00",
                                        "vacant_accepting": 3, "flexible": False}]


def test_a_care_home_user_cannot_search(search_db, homes, run_container):
    homes((profile(ALDER), capacity_return(ALDER)))
    with run_container(SearchService) as container:
        assert found_ids(container) == [ALDER]
        with pytest.raises(Forbidden):
            search(container, actor=CARE_HOME)


# -- 2. several instances --------------------------------------------------------------

def test_instances_side_by_side_answer_alike_and_share_the_events(search_db, homes, amqp_uri, run_container):
    homes((profile(ALDER), capacity_return(ALDER, vacancy(accepting=2))),
          (profile(BIRCH), capacity_return(BIRCH, vacancy(accepting=1))))
    first, second = run_container.start(SearchService), run_container.start(SearchService)
    assert found_ids(first) == found_ids(second) == [ALDER, BIRCH]
    assert search(first) == search(second)

    first.stop()
    before = consumed("capacity.return_submitted")
    publish_messages(amqp_uri, [return_event(capacity_return(ALDER, vacancy(accepting=0), sequence=2))])
    wait_consumed("capacity.return_submitted", before, 1)  # only `second` can have taken it
    assert row(search_db, ALDER).return_sequence == 2
    assert found_ids(second) == [BIRCH]  # no vacancy today: not found when accepting_today

    late = run_container.start(SearchService)
    assert search(late) == search(second)
    assert found_ids(late) == [BIRCH]


def test_events_published_while_no_instance_runs_are_consumed_when_one_starts(search_db, homes, amqp_uri,
                                                                            run_container):
    homes((profile(ALDER), capacity_return(ALDER)), (profile(BIRCH), capacity_return(BIRCH)))
    with run_container(SearchService) as container:
        assert found_ids(container) == [ALDER, BIRCH]
    before = consumed("capacity.return_submitted")

    publish_messages(amqp_uri, [return_event(capacity_return(BIRCH, vacancy(accepting=0), sequence=2))])
    assert row(search_db, BIRCH).return_sequence == 1  # nobody is consuming: it waits in the queue

    with run_container(SearchService) as container:
        wait_consumed("capacity.return_submitted", before, 1)
        assert row(search_db, BIRCH).return_sequence == 2
        assert found_ids(container) == [ALDER]


# -- 3. the postcode directory in parts ------------------------------------------------

def part(version: int, number: int, parts: int, postcodes: list, outcodes: list = ()) -> dict:
    return {"directory_version": version, "part": number, "parts": parts, "postcodes": list(postcodes),
            "outcodes": list(outcodes)}


def apply(search_db, *parts: dict) -> None:
    for each in parts:
        with search_db.unit_of_work() as uow:
            apply_directory_part(uow.session, each)
            uow.commit()


VERSION_1 = part(1, 1, 1, POSTCODES, OUTCODES)
# Version 2 terminates S71 1CC (and its district), and adds S70 9ZZ in its part 2.
WITHOUT_S71 = [p for p in POSTCODES if not p[0].startswith("S71")]
V2_PART_1 = part(2, 1, 2, WITHOUT_S71, [o for o in OUTCODES if o[0] != "S71"])
V2_PART_2 = part(2, 2, 2, [["S70 9ZZ", 53.5400, -1.4700, BARNSLEY, "E38000006"]])


def test_a_directory_in_parts_replaces_the_older_one_once_all_its_parts_arrived(search_db):
    apply(search_db, VERSION_1, V2_PART_2)
    assert located(search_db, "S70 9ZZ") == "postcode"
    assert located(search_db, "S71 1CC") == "postcode"  # version 2 is not complete yet: kept

    apply(search_db, V2_PART_1)
    assert located(search_db, "S70 9ZZ") == located(search_db, "S70 1AA") == "postcode"
    assert located(search_db, "S71 1CC") == "unknown"
    with search_db.unit_of_work() as uow:
        assert set(uow.session.scalars(select(SearchPostcode.directory_version))) == {2}


def test_a_part_of_an_older_directory_arriving_late_changes_nothing(search_db):
    apply(search_db, V2_PART_1, V2_PART_2, VERSION_1)
    assert located(search_db, "S71 1CC") == "unknown"
    with search_db.unit_of_work() as uow:
        assert set(uow.session.scalars(select(SearchPostcode.directory_version))) == {2}
        assert uow.session.scalars(select(DirectoryPart.directory_version)).all() == [2, 2]


def test_the_same_part_twice_counts_once(search_db):
    apply(search_db, VERSION_1, V2_PART_1, V2_PART_1)
    assert located(search_db, "S71 1CC") == "postcode"  # part 2 of 2 still missing: version 1 kept
    apply(search_db, V2_PART_2, V2_PART_2)
    assert located(search_db, "S71 1CC") == "unknown"
    assert located(search_db, "S70 9ZZ") == "postcode"


# -- 4. rebuilding from snapshots ------------------------------------------------------

CEDAR = "1-1000000003"


class Snapshots:
    """A fake fetch(service, method, after): pages keyed by their cursor."""

    def __init__(self, locations: list[dict], returns: list[dict], directory_version: int = 1,
                 fail_on: str | None = None):
        half = len(POSTCODES) // 2
        self.pages = {
            ("providers", "location_snapshots"): {"": {"snapshots": locations[:2], "next": "l2"},
                                                  "l2": {"snapshots": locations[2:], "next": None}},
            ("capacity", "return_snapshots"): {"": {"snapshots": returns, "next": None}},
            ("providers", "postcode_snapshots"): {
                "": {"directory_version": directory_version, "postcodes": POSTCODES[:half], "outcodes": OUTCODES,
                     "next": "p2"},
                "p2": {"directory_version": directory_version, "postcodes": POSTCODES[half:], "outcodes": [],
                       "next": None}},
        }
        self.fail_on = fail_on
        self.calls = []

    def __call__(self, service: str, method: str, after: str) -> dict:
        self.calls.append((service, method, after))
        if method == self.fail_on:
            raise ServiceUnavailable(f"the {service} service is not running", service=service)
        return self.pages[(service, method)][after]


def three_homes() -> Snapshots:
    """Alder (a vacancy), Birch (none today), Cedar (no return yet)."""
    return Snapshots([profile(ALDER), profile(BIRCH), profile(CEDAR)],
                     [capacity_return(ALDER), capacity_return(BIRCH, vacancy(accepting=0))])


def run_rebuild(search_db, fetch, **options) -> dict:
    with search_db.unit_of_work() as uow:
        return rebuild(uow, fetch, **options)


def held(search_db) -> dict[str, tuple]:
    """location id -> (location version, return sequence, name, eligible)."""
    with search_db.unit_of_work() as uow:
        return {r.location_id: (r.location_version, r.return_sequence, r.name, r.eligible)
                for r in uow.session.scalars(select(SearchLocation))}


def found_in_barnsley(search_db) -> list[str]:
    with search_db.unit_of_work() as uow:
        found = find_vacancies(uow.session.connection(), SearchQuery().load(IN_BARNSLEY), NOW)
    return [home["location_id"] for home in found["results"]]


def test_a_rebuild_fills_an_empty_read_model_page_by_page(search_db):
    fetch = three_homes()
    counts = run_rebuild(search_db, fetch, only_if_empty=True)

    assert counts == {"locations": 3, "returns": 2, "postcodes": 5, "refused": 0}
    assert fetch.calls == [("providers", "location_snapshots", ""), ("providers", "location_snapshots", "l2"),
                           ("capacity", "return_snapshots", ""), ("providers", "postcode_snapshots", ""),
                           ("providers", "postcode_snapshots", "p2")]
    assert held(search_db) == {ALDER: (1, 1, f"Home {ALDER}", True), BIRCH: (1, 1, f"Home {BIRCH}", True),
                               CEDAR: (1, 0, f"Home {CEDAR}", False)}  # Cedar: no return yet
    assert found_in_barnsley(search_db) == [ALDER]  # Birch has no vacancy today
    assert located(search_db, "S10 3EE") == "postcode"


def test_only_if_empty_skips_a_read_model_that_is_not(search_db, homes):
    homes((profile(ALDER, version=4, name="Alder House"), capacity_return(ALDER)))
    fetch = Snapshots([profile(BIRCH)], [])

    assert run_rebuild(search_db, fetch, only_if_empty=True) == {"skipped": True}
    assert fetch.calls == []
    assert held(search_db) == {ALDER: (4, 1, "Alder House", True)}


def test_a_snapshot_that_does_not_match_its_contract_is_skipped_and_counted(search_db):
    broken = {**profile(CEDAR), "version": "three"}
    unknown_field = {**capacity_return(BIRCH), "colour": "red"}
    fetch = Snapshots([profile(ALDER), broken, profile(BIRCH)], [capacity_return(ALDER), unknown_field])

    counts = run_rebuild(search_db, fetch)

    assert counts == {"locations": 2, "returns": 1, "postcodes": 5, "refused": 2}
    assert held(search_db) == {ALDER: (1, 1, f"Home {ALDER}", True), BIRCH: (1, 0, f"Home {BIRCH}", False)}


def test_an_older_snapshot_does_not_undo_a_newer_version_already_applied(search_db, homes):
    homes((profile(ALDER, version=5, name="Alder House (renamed)"),
           capacity_return(ALDER, vacancy(accepting=0), sequence=7)))
    fetch = Snapshots([profile(ALDER, version=3, name="Alder House"), profile(BIRCH)],
                      [capacity_return(ALDER, vacancy(accepting=4), sequence=6), capacity_return(BIRCH)])

    run_rebuild(search_db, fetch)

    assert held(search_db) == {ALDER: (5, 7, "Alder House (renamed)", True), BIRCH: (1, 1, f"Home {BIRCH}", True)}
    assert found_in_barnsley(search_db) == [BIRCH]  # Alder keeps its newer return: no vacancy


def test_a_reset_forgets_homes_the_snapshots_no_longer_hold(search_db, homes):
    gone = "1-1000000099"
    homes((profile(gone), capacity_return(gone)), (profile(ALDER, version=5), capacity_return(ALDER, sequence=3)))

    run_rebuild(search_db, three_homes(), reset=True)

    assert held(search_db) == {ALDER: (1, 1, f"Home {ALDER}", True), BIRCH: (1, 1, f"Home {BIRCH}", True),
                               CEDAR: (1, 0, f"Home {CEDAR}", False)}
    assert found_in_barnsley(search_db) == [ALDER]


def test_a_rebuild_that_fails_changes_nothing(search_db, homes):
    homes((profile(ALDER, version=5, name="Alder House"), capacity_return(ALDER, sequence=3)))
    before = held(search_db)
    fetch = Snapshots([profile(BIRCH), profile(CEDAR)], [capacity_return(BIRCH)], fail_on="return_snapshots")

    with pytest.raises(ServiceUnavailable):
        run_rebuild(search_db, fetch, reset=True)

    assert ("providers", "location_snapshots", "") in fetch.calls  # it had started applying
    assert held(search_db) == before == {ALDER: (5, 3, "Alder House", True)}
    assert located(search_db, "S70 1AA") == "postcode"


def test_a_directory_rebuilt_from_snapshots_is_not_undone_by_an_older_part_arriving_late(search_db):
    """After a rebuild to directory version 2, a part of version 1 still
    queued (published before version 2) must change nothing, as it would
    had version 2 come as events."""
    v2 = Snapshots([profile(ALDER)], [], directory_version=2)
    v2.pages[("providers", "postcode_snapshots")] = {"": {
        "directory_version": 2, "postcodes": WITHOUT_S71, "outcodes": V2_PART_1["outcodes"], "next": None}}
    run_rebuild(search_db, v2)
    assert located(search_db, "S71 1CC") == "unknown"

    apply(search_db, VERSION_1)

    assert located(search_db, "S71 1CC") == "unknown"


# -- 5. rebuilding by itself when it starts empty ----------------------------------------

SERVED = three_homes()


class FakeProviders:
    """Stands for the providers service: its two snapshot RPCs."""

    name = "providers"

    @rpc
    def location_snapshots(self, after="", limit=500):
        return SERVED("providers", "location_snapshots", after)

    @rpc
    def postcode_snapshots(self, after="", limit=5000):
        return SERVED("providers", "postcode_snapshots", after)


class FakeCapacity:
    name = "capacity"

    @rpc
    def return_snapshots(self, after="", limit=500):
        return SERVED("capacity", "return_snapshots", after)


def test_an_instance_starting_on_an_empty_read_model_rebuilds_it_once_the_owners_answer(search_db,
                                                                                        run_container):
    with run_container(SearchService):  # providers and capacity not running yet: it keeps trying
        with run_container(FakeProviders), run_container(FakeCapacity):
            wait_until(lambda: len(held(search_db)) == 3, timeout=30, message="the rebuild at start")
    assert held(search_db) == {ALDER: (1, 1, f"Home {ALDER}", True), BIRCH: (1, 1, f"Home {BIRCH}", True),
                               CEDAR: (1, 0, f"Home {CEDAR}", False)}
    assert located(search_db, "S70 1AA") == "postcode"
