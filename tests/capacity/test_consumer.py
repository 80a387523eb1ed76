"""The capacity service consuming providers' snapshots on a real broker:
redelivered and reordered events leave what it knows right."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from capacity.models import KnownLocation
from capacity.service import CapacityService
from tracker_common.contracts.events import new_event
from tracker_common.testing import empty_subscriptions, publish_messages, wait_until

from .conftest import location_snapshot


@pytest.fixture(autouse=True)
def capacity_queues_empty(amqp_uri):
    """Start from empty queues: other tests leave events in this vhost (a
    stale bulk upload would hold a worker while it waits for providers)."""
    empty_subscriptions(amqp_uri, "capacity")


def snapshot_event(version: int, **fields) -> dict:
    return new_event("providers.location_updated", location_snapshot(version=version, **fields),
                     occurred_at=datetime.now(timezone.utc)).to_message()


def handled() -> float:
    return REGISTRY.get_sample_value("tracker_events_consumed_total", {
        "service": "capacity", "event_type": "providers.location_updated", "outcome": "ok"}) or 0.0


def test_duplicates_and_older_snapshots_never_regress_the_location(capacity_db, amqp_uri, run_container):
    newest = snapshot_event(3, name="Alder House (renamed)", long_term_vacancy_types=["general_nursing"])
    older = snapshot_event(2, name="Alder House", long_term_vacancy_types=["dementia_residential"])
    before = handled()
    with run_container(CapacityService):
        publish_messages(amqp_uri, [newest, older, newest, older])  # out of order, and each twice
        wait_until(lambda: handled() - before >= 4, timeout=60, message="all four deliveries handled")
    with capacity_db.unit_of_work() as uow:
        facts = uow.session.get(KnownLocation, "1-1000000001")
        assert (facts.version, facts.name, facts.long_term_vacancy_types) == (
            3, "Alder House (renamed)", ["general_nursing"])
    with capacity_db.engine.connect() as connection:  # the versions told the duplicates: nothing to record
        assert connection.execute(text("SELECT count(*) FROM processed_events")).scalar() == 0
