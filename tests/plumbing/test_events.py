"""DESIGN rule 3 on a real broker: each of nameko's default loss paths closed."""
from __future__ import annotations

import pytest
from kombu import Connection, Producer
from prometheus_client import REGISTRY

from tracker_common.bus import DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, MAX_ATTEMPTS, subscription_queue_name
from tracker_common.clock import SystemClock
from tracker_common.entrypoints import SubscriptionNotRegistered, subscribe
from tracker_common.outbox import OutboxRelay
from tracker_common.testing import drain, wait_until

from .conftest import EVENT, PROBE, Probe, ProbeService, location_snapshot, outbox


def write_event(probe_db, location_id: str) -> str:
    with probe_db.unit_of_work() as uow:
        event = uow.record_event(EVENT, location_snapshot(location_id))
        uow.commit()
    return event.id


def relay_for(probe_db, amqp_uri) -> OutboxRelay:
    return OutboxRelay(PROBE, probe_db.engine, outbox, amqp_uri, SystemClock())


def publish_raw(amqp_uri: str, body: dict) -> None:
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:  # never lost on close
        Producer(connection.channel(), exchange=EVENTS_EXCHANGE).publish(
            body, routing_key=EVENT, serializer="json", delivery_mode=2)


def dead_letter_count(event_type: str, reason: str) -> float:
    return REGISTRY.get_sample_value("tracker_dead_letters_total",
                                     {"service": PROBE, "event_type": event_type, "reason": reason}) or 0.0


def test_an_event_published_before_its_consumer_ever_ran_is_delivered(probe_db, amqp_uri, run_container,
                                                                      applied_rows):
    event_id = write_event(probe_db, "1-100")
    relay = relay_for(probe_db, amqp_uri)
    assert relay.publish_pending() == 1  # declares every subscriber's queue first
    relay.close()

    with run_container(ProbeService):
        assert wait_until(applied_rows, message="the probe to apply the event") == [(event_id, "1-100")]


def test_a_rolled_back_change_publishes_nothing(probe_db, amqp_uri, unpublished):
    with probe_db.unit_of_work() as uow:
        uow.record_event(EVENT, location_snapshot("1-100"))  # no commit: rolled back
    assert unpublished() == 0
    assert relay_for(probe_db, amqp_uri).publish_pending() == 0


def test_a_redelivered_event_changes_nothing(probe_db, amqp_uri, run_container, applied_rows):
    with run_container(ProbeService):
        event_id = write_event(probe_db, "1-100")
        wait_until(applied_rows, message="first delivery")
        with probe_db.engine.connect() as connection:
            message = connection.execute(outbox.select()).one().message
        publish_raw(amqp_uri, message)  # the same event again, as after a crash
        wait_until(lambda: len(Probe.calls) == 2, message="the redelivery to reach the handler")
    assert applied_rows() == [(event_id, "1-100")]


def test_a_failing_handler_is_retried_and_its_work_applied_once(probe_db, run_container, applied_rows, amqp_uri):
    Probe.failures_left["1-100"] = MAX_ATTEMPTS - 1
    with run_container(ProbeService):
        event_id = write_event(probe_db, "1-100")
        wait_until(applied_rows, timeout=20, message="the event to succeed on its last attempt")
    assert applied_rows() == [(event_id, "1-100")]
    assert len(Probe.calls) == MAX_ATTEMPTS
    assert drain(amqp_uri, DEAD_LETTER_QUEUE.name) == []


def test_a_handler_that_keeps_failing_is_dead_lettered_logged_and_counted(
        probe_db, run_container, applied_rows, amqp_uri, capsys):
    Probe.failures_left["1-100"] = 1000
    before = dead_letter_count(EVENT, "handler_failed")
    with run_container(ProbeService):
        event_id = write_event(probe_db, "1-100")
        dead = wait_until(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE.name), timeout=20,
                          message="the event to reach the dead-letter queue")
    body, headers = dead[0]
    assert body["id"] == event_id
    assert headers["x-first-death-queue"] == subscription_queue_name(PROBE, EVENT)
    assert len(Probe.calls) == MAX_ATTEMPTS  # bounded, then dead-lettered
    assert applied_rows() == []
    assert dead_letter_count(EVENT, "handler_failed") == before + 1
    assert '"message": "event dead-lettered"' in capsys.readouterr().out


def test_a_message_breaking_its_contract_is_dead_lettered_without_running_the_handler(
        probe_db, run_container, amqp_uri):
    before = dead_letter_count(EVENT, "invalid_contract")
    with run_container(ProbeService):
        publish_raw(amqp_uri, {"id": "not-a-uuid", "type": EVENT, "data": {"location_id": 7}})
        dead = wait_until(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE.name), message="a dead letter")
    assert dead[0][0]["id"] == "not-a-uuid"
    assert Probe.calls == []
    assert dead_letter_count(EVENT, "invalid_contract") == before + 1


def test_a_subscription_missing_from_the_contracts_is_refused_at_start(probe_db, run_container):
    class Stray:
        name = PROBE

        @subscribe("identity.user_approved")  # not listed for the probe in SUBSCRIPTIONS
        def on_user_approved(self, event):
            pass

    with pytest.raises(SubscriptionNotRegistered):
        run_container.start(Stray)


def test_dead_letters_can_be_listed_and_replayed_once_the_cause_is_fixed(probe_db, run_container, applied_rows,
                                                                          amqp_uri):
    from tracker_common.bus import dead_letters, replay_dead_letters

    Probe.failures_left["1-100"] = MAX_ATTEMPTS  # fails every attempt it gets
    with run_container(ProbeService):
        event_id = write_event(probe_db, "1-100")
        with Connection(amqp_uri) as connection:
            listed = wait_until(lambda: dead_letters(connection), timeout=20, message="a dead letter")
            assert listed == [{"queue": subscription_queue_name(PROBE, EVENT), "reason": "rejected",
                               "deaths": 1, "event_id": event_id, "event_type": EVENT}]
            assert dead_letters(connection) == listed, "listing takes nothing out"
            assert applied_rows() == []

            # the cause is fixed (no failures left): replay
            assert replay_dead_letters(connection, queue="some-other-queue") == 0
            assert replay_dead_letters(connection) == 1
        wait_until(applied_rows, message="the replayed event to be applied")
        with Connection(amqp_uri) as connection:
            assert dead_letters(connection) == []
    assert applied_rows() == [(event_id, "1-100")]
