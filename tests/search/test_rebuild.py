"""The search read model rebuilt from the owning services' snapshots
without ever going back, by command or by itself when an instance starts
on an empty one."""
from __future__ import annotations

import pytest
from nameko.rpc import rpc
from sqlalchemy import select

from search.handlers.find import find_vacancies
from search.handlers.rebuild import rebuild
from search.models import SearchLocation
from search.service import SearchService
from tracker_common.contracts.search import SearchQuery
from tracker_common.rpc import ServiceUnavailable
from tracker_common.testing import wait_until

from .conftest import BARNSLEY, NOW, OUTCODES, POSTCODES, capacity_return, located, profile, vacancy
from .test_directory_parts import V2_PART_1, VERSION_1, WITHOUT_S71, apply

IN_BARNSLEY = {"la_code": BARNSLEY}
ALDER, BIRCH = "1-1000000001", "1-1000000002"


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
