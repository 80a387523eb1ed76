"""The capacity service killed (-9) right after committing a return, before
it could acknowledge the request: the broker delivers the request again to
the restarted service, which answers it from its first outcome instead of
storing the return twice. The service runs as a real process (`nameko run`)
whose broker connection goes through a proxy the test can cut."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import text

from capacity.models import CapacityReturn
from tracker_common.rpc import RpcPool
from tracker_common.testing import ProcessGroup, TcpProxy, empty_subscriptions, wait_until

from .test_answered_once import CARER, a_payload
from .test_returns import ALDER

pytestmark = pytest.mark.system  # runs the service as a process

ROOT = Path(__file__).resolve().parents[2]
RPC = Exchange("nameko-rpc", type="topic", durable=True)


@pytest.fixture
def capacity_process(amqp_uri, tmp_path):
    """start() runs the capacity service as a process, connected to the broker through `proxy`."""
    proxy = TcpProxy().start()
    group = ProcessGroup(ROOT, {**os.environ, "AMQP_URI": proxy.uri(amqp_uri), "METRICS_PORT": "0"}, tmp_path)

    def start():
        group.start("capacity", [sys.executable, "-m", "nameko", "run", "--config", "deploy/nameko.yaml",
                                 "capacity.service"])
        pool = RpcPool(amqp_uri, timeout=2)
        try:
            wait_until(lambda: _answers(pool), timeout=60, interval=0.5, message="the capacity service to start")
        finally:
            pool.close()
    start.proxy, start.group = proxy, group
    empty_subscriptions(amqp_uri, "capacity")
    yield start
    group.stop_all()
    proxy.cut()


def _answers(pool) -> bool:
    try:
        return bool(pool.call("capacity", "health"))
    except Exception:
        return False


def _waiting_on_the_outbox(capacity_db) -> bool:
    with capacity_db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE 'INSERT INTO outbox%'")).scalar() > 0


def _stored(capacity_db) -> int:
    with capacity_db.unit_of_work() as uow:
        return uow.session.query(CapacityReturn).count()


@pytest.mark.parametrize("request_id, stored", [("with-id", 1), (None, 2)], ids=["with a request id", "without"])
def test_a_return_committed_just_before_a_crash_is_stored_once(capacity_db, known_location, amqp_uri,
                                                               capacity_process, request_id, stored):
    known_location(ALDER)
    capacity_process()
    replies = Queue(f"test-replies-{uuid.uuid4()}", exchange=RPC, routing_key=f"test-replies-{uuid.uuid4()}")
    headers = {"nameko.correlation_id": "crash-test"}
    if request_id:
        headers["nameko.request_id"] = f"{request_id}-{uuid.uuid4()}"
    with capacity_db.engine.connect() as blocker, Connection(amqp_uri) as connection:
        replies = replies(connection.channel())
        replies.declare()
        held = blocker.begin()
        blocker.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))  # the worker's commit waits here
        Producer(connection.channel(), exchange=RPC).publish(
            {"args": [], "kwargs": {"actor": CARER.to_claims(), "location_id": ALDER, "payload": a_payload()}},
            routing_key="capacity.submit_capacity_return", reply_to=replies.routing_key,
            correlation_id="first", headers=headers, serializer="json")
        wait_until(lambda: _waiting_on_the_outbox(capacity_db), timeout=20, message="the worker to be committing")
        capacity_process.proxy.cut()  # its request goes back to the queue, unacknowledged
        held.rollback()  # ...and the worker commits
        wait_until(lambda: _stored(capacity_db) == 1, timeout=20, message="the return to be committed")
        capacity_process.group.kill("capacity")  # kill -9, before anything else
        assert replies.get() is None  # nobody heard an answer

        capacity_process.proxy.restore()
        capacity_process()  # restarted: the broker delivers the request again
        reply = wait_until(lambda: replies.get(), timeout=30, message="the answer to the redelivered request")
    answer = reply.payload
    assert answer["error"] is None
    assert _stored(capacity_db) == stored
    assert answer["result"]["sequence"] == stored  # with an id: the first outcome, sequence 1
