"""The outbox relay keeps every event through a broker outage and publishes
it, confirmed, once the broker is back."""
from __future__ import annotations

import threading

import eventlet
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from tracker_common.bus import subscription_queue_name
from tracker_common.testing import TcpProxy, drain, wait_until

from .conftest import EVENT, PROBE, location_snapshot, outbox
from .test_events import relay_for, write_event

PROBE_QUEUE = subscription_queue_name(PROBE, EVENT)


@pytest.fixture
def proxy():
    proxy = TcpProxy().start()
    yield proxy
    proxy.cut()


def test_events_written_while_the_broker_is_unreachable_are_kept_then_published(
        probe_db, amqp_uri, proxy, unpublished):
    relay = relay_for(probe_db, proxy.uri(amqp_uri))
    relay.publish_pending()  # connected, topology declared
    proxy.cut()

    first = write_event(probe_db, "1-100")
    with pytest.raises(Exception):
        relay.publish_pending()
    assert unpublished() == 1, "a failed publish must leave the event in the outbox"

    relay.close()
    proxy.restore()
    second = write_event(probe_db, "1-101")
    assert relay.publish_pending() == 2
    assert unpublished() == 0
    assert [body["id"] for body, _ in drain(amqp_uri, PROBE_QUEUE)] == [first, second]
    relay.close()


def test_the_running_relay_recovers_by_itself_after_a_broker_outage(probe_db, amqp_uri, proxy, unpublished):
    relay = relay_for(probe_db, proxy.uri(amqp_uri))
    wake, stopping = threading.Event(), []
    runner = eventlet.spawn(relay.run, wake, lambda: bool(stopping), 0.05, 0.2)
    try:
        delivered = write_event(probe_db, "1-100")
        wake.set()
        wait_until(lambda: unpublished() == 0, message="the first event to be published")

        proxy.cut()
        kept = write_event(probe_db, "1-101")
        wake.set()
        eventlet.sleep(0.5)  # the relay keeps failing meanwhile
        assert unpublished() == 1
        lag = REGISTRY.get_sample_value("tracker_outbox_pending_events", {"service": PROBE})
        assert lag == 1

        proxy.restore()
        wait_until(lambda: unpublished() == 0, timeout=10, message="the kept event to be published")
    finally:
        stopping.append(True)
        wake.set()
        runner.wait()
        relay.close()
    assert [body["id"] for body, _ in drain(amqp_uri, PROBE_QUEUE)] == [delivered, kept]


def test_published_events_are_forgotten_after_the_retention_period(probe_db, amqp_uri):
    from datetime import timedelta

    from tracker_common.clock import FrozenClock

    write_event(probe_db, "1-100")
    relay = relay_for(probe_db, amqp_uri)
    relay.publish_pending()
    relay.clock = FrozenClock(relay.clock.now() + relay.retention + timedelta(minutes=1))
    assert relay.purge_published() == 1
    relay.close()


def test_a_batch_holds_at_most_its_bytes_so_large_events_go_a_few_at_a_time(probe_db, amqp_uri, unpublished):
    ids = [write_event(probe_db, f"1-{200 + n}") for n in range(5)]
    relay = relay_for(probe_db, amqp_uri)
    with probe_db.engine.connect() as connection:
        size = connection.execute(text("SELECT max(octet_length(message::text)) FROM outbox")).scalar()
    relay.batch_bytes = 2 * size + 1  # room for two events a batch
    assert [relay.publish_pending() for _ in range(4)] == [2, 2, 1, 0]
    relay.batch_bytes = 1  # an event larger than the limit still goes, alone
    write_event(probe_db, "1-300")
    assert relay.publish_pending() == 1 and unpublished() == 0
    assert [body["id"] for body, _ in drain(amqp_uri, PROBE_QUEUE)][:5] == ids
    relay.close()


def test_an_event_our_own_code_builds_wrong_is_a_server_error_and_nothing_is_kept(probe_db):
    """A producer's bad event is a bug: not a refusal of the caller's input
    (which would answer 4xx), and the change it came with is rolled back."""
    from sqlalchemy import func, select

    from tracker_common.contracts.errors import TrackerError
    from tracker_common.contracts.events import ContractBroken

    for event_type, data in (("providers.location_updated", {**location_snapshot("1-1"), "version": "first"}),
                             ("providers.no_such_event", location_snapshot("1-1"))):
        with pytest.raises(ContractBroken) as raised:
            with probe_db.unit_of_work() as uow:
                uow.record_event(event_type, data)
                uow.commit()
        assert not isinstance(raised.value, TrackerError)
    with probe_db.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox)).scalar() == 0
