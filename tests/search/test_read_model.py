"""The search read model kept from providers' and capacity's events on a
real broker: redelivered, reordered, spread over several instances, or
waiting while none runs. (The postcode directory's parts:
test_directory_parts.py; rebuilding from snapshots: test_rebuild.py.)

Broker tests run SearchService in-process. Its `RebuildWhenEmpty` dependency
rebuilds only an *empty* read model, so every broker test starts from the
`directory` (or `homes`) fixture: a non-empty model makes the rebuild skip
at once, without calling providers/capacity (which are not running here)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY

from search.models import SearchLocation
from search.service import SearchService
from tracker_common.contracts.errors import Forbidden
from tracker_common.contracts.events import new_event, schema_of
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.testing import publish_messages, wait_until

from .conftest import BARNSLEY, capacity_return, profile, vacancy

COMMISSIONER = Principal(user_id="u1", organisation_id=BARNSLEY,
                         roles=frozenset({Role.NON_CARE_HOME_USER})).to_claims()
CARE_HOME = Principal(user_id="u2", organisation_id="1-100000001",
                      roles=frozenset({Role.CARE_HOME_USER})).to_claims()
IN_BARNSLEY = {"la_code": BARNSLEY}
ALDER, BIRCH = "1-1000000001", "1-1000000002"



# -- helpers ---------------------------------------------------------------------------

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
