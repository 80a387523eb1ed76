"""Batched subscribers (tracker_common.batches) on a real broker and
PostgreSQL: many events a transaction, acknowledged together after the
commit, nothing lost or applied twice when the service stops or dies, and
a bad event retried and dead-lettered alone."""
from __future__ import annotations

import pytest
from kombu import Connection
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

from tracker_common.bus import DEAD_LETTER_QUEUE, MAX_ATTEMPTS, subscription_queue
from tracker_common.clock import SystemClock
from tracker_common.dependencies import DatabaseWithOutbox, Telemetry
from tracker_common.entrypoints import subscribe
from tracker_common.outbox import OutboxRelay
from tracker_common.testing import drain, wait_until

from .conftest import EVENT, PROBE, applied, location_snapshot, outbox, processed
from .test_events import publish_raw


class Batches:
    """What the batched probe saw and how it should misbehave."""
    seen: list[list[str]] = []  # event ids, a list per worker
    failures_left: dict[str, int] = {}


@pytest.fixture(autouse=True)
def clean_slate():
    Batches.seen.clear()
    Batches.failures_left.clear()


class BatchProbeService:
    name = PROBE
    db = DatabaseWithOutbox((outbox, processed))
    telemetry = Telemetry()

    @subscribe(EVENT, batch=True, batch_size=50)
    def on_locations_updated(self, events):
        Batches.seen.append([event.id for event in events])
        with self.db.unit_of_work() as uow:
            fresh = [event for event in events if uow.first_delivery(event)]
            if fresh:
                uow.session.execute(insert(applied), [
                    {"event_id": e.id, "location_id": e.data["location_id"]} for e in fresh])
            for event in events:
                if Batches.failures_left.get(event.data["location_id"], 0) > 0:
                    Batches.failures_left[event.data["location_id"]] -= 1
                    raise RuntimeError("simulated handler failure")
            uow.commit()


def publish_events(probe_db, amqp_uri, count: int, prefix: str = "1-") -> list[str]:
    """`count` events written to the outbox in one transaction, then
    published by the relay; their ids in order."""
    with probe_db.unit_of_work() as uow:
        ids = [uow.record_event(EVENT, location_snapshot(f"{prefix}{n}")).id for n in range(count)]
        uow.commit()
    relay = OutboxRelay(PROBE, probe_db.engine, outbox, amqp_uri, SystemClock())
    while relay.publish_pending():
        pass
    relay.close()
    return ids


def applied_ids(probe_db) -> list[str]:
    with probe_db.engine.connect() as connection:
        return [row.event_id for row in connection.execute(select(applied.c.event_id))]


def queue_depth(amqp_uri) -> int:
    with Connection(amqp_uri) as connection:
        return subscription_queue(PROBE, EVENT)(connection.default_channel).queue_declare(passive=True).message_count


def test_events_waiting_are_applied_many_a_transaction_each_once_and_all_acknowledged(
        probe_db, run_container, amqp_uri):
    ids = publish_events(probe_db, amqp_uri, 400)
    with run_container(BatchProbeService):
        wait_until(lambda: len(applied_ids(probe_db)) == 400, timeout=30, message="all 400 applied")
        wait_until(lambda: queue_depth(amqp_uri) == 0, message="every event acknowledged")
    assert sorted(applied_ids(probe_db)) == sorted(ids)
    sizes = [len(batch) for batch in Batches.seen]
    assert sum(sizes) == 400, "each event handed to a worker once"
    assert max(sizes) == 50 and len(sizes) < 40, sizes  # bounded by batch_size, and batched
    assert [event_id for batch in Batches.seen for event_id in batch] == ids, "in the order published"
    batches_observed = REGISTRY.get_sample_value("tracker_event_batch_size_count",
                                                 {"service": PROBE, "event_type": EVENT})
    assert batches_observed and batches_observed >= len(sizes)


def test_a_lone_event_is_applied_at_once(probe_db, run_container, amqp_uri):
    with run_container(BatchProbeService):
        [event_id] = publish_events(probe_db, amqp_uri, 1)
        wait_until(lambda: applied_ids(probe_db) == [event_id], timeout=5, message="the event applied")
    assert Batches.seen == [[event_id]]


def test_one_bad_event_in_a_batch_is_retried_and_dead_lettered_alone(probe_db, run_container, amqp_uri):
    Batches.failures_left["1-7"] = 1000  # always fails
    ids = publish_events(probe_db, amqp_uri, 30)
    with run_container(BatchProbeService):
        dead = wait_until(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE.name), timeout=30,
                          message="the bad event dead-lettered")
        wait_until(lambda: len(applied_ids(probe_db)) == 29, message="the 29 others applied")
        wait_until(lambda: queue_depth(amqp_uri) == 0, message="nothing left in the queue")
    assert [body["id"] for body, _ in dead] == [ids[7]]
    assert sorted(applied_ids(probe_db)) == sorted(ids[:7] + ids[8:])
    alone = [batch for batch in Batches.seen if batch == [ids[7]]]
    assert len(alone) == MAX_ATTEMPTS, "retried alone a bounded number of times"


def test_a_failing_event_that_recovers_is_applied_once_with_its_batch(probe_db, run_container, amqp_uri):
    Batches.failures_left["1-3"] = 2  # the batch fails, then the event alone fails once more
    ids = publish_events(probe_db, amqp_uri, 10)
    with run_container(BatchProbeService):
        wait_until(lambda: len(applied_ids(probe_db)) == 10, timeout=20, message="all ten applied")
    assert sorted(applied_ids(probe_db)) == sorted(ids)
    assert drain(amqp_uri, DEAD_LETTER_QUEUE.name) == []


def test_a_message_breaking_its_contract_is_dead_lettered_and_its_neighbours_applied(
        probe_db, run_container, amqp_uri):
    ids = publish_events(probe_db, amqp_uri, 5)
    publish_raw(amqp_uri, {"id": "not-a-uuid", "type": EVENT, "data": {"location_id": 7}})
    ids += publish_events(probe_db, amqp_uri, 5, prefix="2-")
    with run_container(BatchProbeService):
        dead = wait_until(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE.name), message="a dead letter")
        wait_until(lambda: len(applied_ids(probe_db)) == 10, message="the ten good ones applied")
    assert [body["id"] for body, _ in dead] == ["not-a-uuid"]
    assert sorted(applied_ids(probe_db)) == sorted(ids)


def test_a_service_stopped_or_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
        probe_db, run_container, amqp_uri):
    ids = publish_events(probe_db, amqp_uri, 1500)
    # stopped gracefully while consuming: what it held is finished and acknowledged
    container = run_container.start(BatchProbeService)
    wait_until(lambda: len(applied_ids(probe_db)) >= 200, timeout=30, message="some applied")
    container.stop()
    after_stop = len(applied_ids(probe_db))
    assert after_stop < 1500 or queue_depth(amqp_uri) == 0
    # killed (no grace: acknowledgements of committed batches may be lost)
    container = run_container.start(BatchProbeService)
    wait_until(lambda: len(applied_ids(probe_db)) >= min(after_stop + 200, 1500), timeout=30,
               message="more applied")
    container.kill()
    with run_container(BatchProbeService):
        wait_until(lambda: len(applied_ids(probe_db)) == 1500, timeout=60, message="all applied in the end")
        wait_until(lambda: queue_depth(amqp_uri) == 0, message="every event acknowledged")
    held = applied_ids(probe_db)
    assert sorted(held) == sorted(ids), "each event applied exactly once"
    with probe_db.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(processed)).scalar() == 1500
