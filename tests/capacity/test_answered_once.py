"""A capacity return sent twice with the same request id -- redelivered by
the broker to a service that died after committing it, or sent again by a
gateway that never heard the answer -- is stored once, and both deliveries
get the first answer."""
from __future__ import annotations

import json
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import text

from capacity.models import CapacityReturn
from capacity.service import CapacityService
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.rpc import RpcPool
from tracker_common.testing import empty_subscriptions

from .test_returns import ALDER, a_return

CARER = Principal("u-1", "1-100000001", frozenset({Role.CARE_HOME_USER}), location_ids=frozenset({ALDER}))


@pytest.fixture(autouse=True)
def capacity_queues_empty(amqp_uri):
    empty_subscriptions(amqp_uri, "capacity")


def a_payload(**changes) -> dict:
    from tracker_common.contracts.capacity import CapacityReturnRequest
    return CapacityReturnRequest().dump(a_return(**changes))


def stored_returns(capacity_db) -> int:
    with capacity_db.unit_of_work() as uow:
        return uow.session.query(CapacityReturn).count()


def deliver_twice(amqp_uri: str, request_id: str | None, kwargs: dict) -> list[dict]:
    """Put the same RPC request message on capacity's queue twice (what the
    broker does when it redelivers an unacknowledged request), and collect
    both replies."""
    replies = Queue(f"test-replies-{uuid.uuid4()}", exchange=Exchange("nameko-rpc", type="topic", durable=True),
                    routing_key=f"test-replies-{uuid.uuid4()}", auto_delete=True)
    headers = {"nameko.correlation_id": "test"}
    if request_id:
        headers["nameko.request_id"] = request_id
    got = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        replies = replies(channel)
        replies.declare()
        producer = Producer(channel, exchange=Exchange("nameko-rpc", type="topic", durable=True))
        for delivery in range(2):
            producer.publish({"args": [], "kwargs": kwargs}, routing_key="capacity.submit_capacity_return",
                             reply_to=replies.routing_key, correlation_id=f"delivery-{delivery}",
                             headers=headers, serializer="json")

        def on_reply(body, message):
            got.append(body)
            message.ack()

        with connection.Consumer(replies, callbacks=[on_reply], accept=["json"]):
            while len(got) < 2:
                connection.drain_events(timeout=20)
    return got


def test_the_same_request_delivered_twice_is_stored_once_and_answered_alike(capacity_db, known_location,
                                                                              amqp_uri, run_container):
    known_location(ALDER)
    kwargs = {"actor": CARER.to_claims(), "location_id": ALDER, "payload": a_payload()}
    with run_container(CapacityService):
        first, second = deliver_twice(amqp_uri, "req-" + str(uuid.uuid4()), kwargs)
    assert first["error"] is None and second["error"] is None
    assert first["result"] == second["result"] and first["result"]["sequence"] == 1
    assert stored_returns(capacity_db) == 1
    with capacity_db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outbox WHERE event_type = "
                                       "'capacity.return_submitted'")).scalar() == 1  # announced once
        assert connection.execute(text("SELECT method FROM processed_requests")).scalars().all() == [
            "submit_capacity_return"]


def test_without_a_request_id_each_delivery_is_applied(capacity_db, known_location, amqp_uri, run_container):
    """What happened before request ids (and what the test above guards against)."""
    known_location(ALDER)
    kwargs = {"actor": CARER.to_claims(), "location_id": ALDER, "payload": a_payload()}
    with run_container(CapacityService):
        first, second = deliver_twice(amqp_uri, None, kwargs)
    assert {first["result"]["sequence"], second["result"]["sequence"]} == {1, 2}
    assert stored_returns(capacity_db) == 2


def test_the_gateway_pool_sending_again_with_its_request_id_gets_the_first_answer(capacity_db, known_location,
                                                                                   amqp_uri, run_container):
    known_location(ALDER)
    pool = RpcPool(amqp_uri, timeout=10)
    kwargs = {"actor": CARER.to_claims(), "location_id": ALDER, "payload": a_payload()}
    try:
        with run_container(CapacityService):
            first = pool.call("capacity", "submit_capacity_return", request_id="same", **kwargs)
            again = pool.call("capacity", "submit_capacity_return", request_id="same", **kwargs)
            other = pool.call("capacity", "submit_capacity_return", **kwargs)  # a new request id each call
    finally:
        pool.close()
    assert again == first  # datetimes and all, as the first caller got them
    assert json.dumps(first, default=str) == json.dumps(again, default=str)
    assert other["sequence"] == 2 and other["still_true"]
    assert stored_returns(capacity_db) == 2


def test_a_refused_request_records_nothing_and_may_be_sent_again(capacity_db, known_location, amqp_uri,
                                                                  run_container):
    from tracker_common.contracts.errors import InvalidInput

    known_location(ALDER)
    pool = RpcPool(amqp_uri, timeout=10)
    stranger = Principal("u-9", "1-100000009", frozenset({Role.CARE_HOME_USER})).to_claims()
    try:
        with run_container(CapacityService):
            bad = a_payload()
            bad["vacancies"][0]["occupied"] = 99
            with pytest.raises(InvalidInput):
                pool.call("capacity", "submit_capacity_return", request_id="r1", actor=CARER.to_claims(),
                          location_id=ALDER, payload=bad)
            saved = pool.call("capacity", "submit_capacity_return", request_id="r2", actor=CARER.to_claims(),
                              location_id=ALDER, payload=a_payload())
            assert saved["sequence"] == 1
            with pytest.raises(Exception):
                pool.call("capacity", "submit_capacity_return", request_id="r3", actor=stranger,
                          location_id=ALDER, payload=a_payload())
    finally:
        pool.close()
    with capacity_db.engine.connect() as connection:
        assert connection.execute(text("SELECT request_id FROM processed_requests")).scalars().all() == ["r2"]


def test_two_deliveries_committing_at_once_store_one_return(capacity_db, known_location):
    """The second insert of a request id waits for the first delivery's
    transaction, then finds it: the second's transaction is rolled back (no
    second return) and the first outcome is the answer."""
    import threading

    from capacity.handlers import returns
    from tracker_common.once import AlreadyAnswered, encode, recorder, stored_answer

    known_location(ALDER)
    table = capacity_db.processed_requests
    outcome = {}

    def second_delivery():
        with capacity_db.unit_of_work(record_request=recorder(table, "same", "submit", capacity_db.clock.now)) as uow:
            returns.submit_capacity_return(uow, CARER, ALDER, a_return())
            try:
                uow.commit(answer={"the": "second"})
                outcome["second"] = "committed"
            except AlreadyAnswered:
                outcome["second"] = "already answered"

    with capacity_db.engine.connect() as first:  # the first delivery, between its insert and its commit
        held = first.begin()
        first.execute(table.insert().values(request_id="same", method="submit", answer=encode({"the": "first"}),
                                            processed_at=capacity_db.clock.now()))
        racer = threading.Thread(target=second_delivery)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive(), "the second waits for the first"
        held.commit()
    racer.join(timeout=10)
    assert outcome == {"second": "already answered"}
    assert stored_returns(capacity_db) == 0  # the second's return was rolled back with it
    with capacity_db.read() as connection:
        assert stored_answer(connection, table, "same") == {"the": "first"}


def test_answered_requests_are_forgotten_after_their_retention(capacity_db):
    from datetime import timedelta

    from tracker_common.once import forget_before

    table, now = capacity_db.processed_requests, capacity_db.clock.now()
    with capacity_db.engine.begin() as connection:
        connection.execute(table.insert(), [
            {"request_id": "old", "method": "m", "answer": "null", "processed_at": now - timedelta(hours=49)},
            {"request_id": "recent", "method": "m", "answer": "null", "processed_at": now - timedelta(hours=47)}])
        assert forget_before(connection, table, now - timedelta(hours=48)) == 1
        assert connection.execute(text("SELECT request_id FROM processed_requests")).scalars().all() == ["recent"]
