"""The gateway's pooled RPC client: one long-lived client per thread, a
timeout on every call, and clear errors (503 / 504) that leave the pool
usable for the next request."""
from __future__ import annotations

import threading

import eventlet
import pytest
from nameko.rpc import rpc

from tracker_common.rpc import RpcPool, ServiceTimeout, ServiceUnavailable
from tracker_common.testing import TcpProxy


class SlowService:
    name = "plumbing_slow"

    @rpc
    def echo(self, value, delay=0.0):
        eventlet.sleep(delay)
        return value


def test_a_missing_service_is_reported_unavailable(amqp_uri):
    pool = RpcPool(amqp_uri, timeout=2)
    with pytest.raises(ServiceUnavailable) as raised:
        pool.call("no_such_service", "anything")
    assert raised.value.body["service"] == "no_such_service"
    pool.close()


def test_a_slow_service_times_out_and_the_next_call_works(amqp_uri, run_container):
    pool = RpcPool(amqp_uri, timeout=0.5)
    with run_container(SlowService):
        with pytest.raises(ServiceTimeout):
            pool.call("plumbing_slow", "echo", value=1, delay=2)
        assert pool.call("plumbing_slow", "echo", value=2) == 2
    pool.close()


def test_each_thread_keeps_its_own_client(amqp_uri, run_container):
    pool = RpcPool(amqp_uri, timeout=5)
    clients = {}

    def worker(n):
        assert pool.call("plumbing_slow", "echo", value=n) == n
        first = pool._local.proxy
        assert pool.call("plumbing_slow", "echo", value=n) == n
        clients[n] = (first, pool._local.proxy)

    with run_container(SlowService):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    pool.close()
    assert all(first is again for first, again in clients.values()), "the client is reused"
    assert len({id(first) for first, _ in clients.values()}) == 4, "no client is shared by threads"


def test_a_broken_broker_connection_is_dropped_and_replaced(amqp_uri, run_container):
    proxy = TcpProxy().start()
    pool = RpcPool(proxy.uri(amqp_uri), timeout=2)
    with run_container(SlowService):
        assert pool.call("plumbing_slow", "echo", value="before") == "before"
        proxy.cut()
        with pytest.raises((ServiceUnavailable, ServiceTimeout)):
            pool.call("plumbing_slow", "echo", value="during")
        proxy.restore()
        assert pool.call("plumbing_slow", "echo", value="after") == "after"
    pool.close()
    proxy.cut()


class CountingService:
    name = "plumbing_counting"
    calls: list[int] = []

    @rpc
    def count(self, value):
        CountingService.calls.append(value)
        return value


def test_a_request_nobody_took_in_time_is_not_run_later(amqp_uri, run_container):
    pool = RpcPool(amqp_uri, timeout=0.5)
    CountingService.calls.clear()
    with run_container(CountingService):
        assert pool.call("plumbing_counting", "count", value=1) == 1  # its queue now exists
    with pytest.raises(ServiceUnavailable):  # stopped: the queue outlives it, nobody consumes it
        pool.call("plumbing_counting", "count", value=2)
    eventlet.sleep(1)
    with run_container(CountingService):
        assert pool.call("plumbing_counting", "count", value=3) == 3
    pool.close()
    assert CountingService.calls == [1, 3]  # the expired request was dropped, never run


def test_a_stopped_service_is_refused_at_once_until_it_is_back(amqp_uri, run_container):
    import time

    pool = RpcPool(amqp_uri, timeout=1)
    with run_container(CountingService):
        assert pool.call("plumbing_counting", "count", value=1) == 1
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as first:
        pool.call("plumbing_counting", "count", value=2)
    assert time.monotonic() - started >= 1  # found out by the timeout...
    assert "not running" in first.value.detail and first.value.body["service"] == "plumbing_counting"
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        pool.call("plumbing_counting", "count", value=3)
    assert time.monotonic() - started < 0.5  # ...then refused without waiting
    with run_container(CountingService):
        assert pool.call("plumbing_counting", "count", value=4) == 4  # back: called again
    pool.close()


class RequestIdService:
    name = "plumbing_request_ids"
    seen: list = []

    @rpc
    def record(self, value):
        return value


def _cut_during_the_call(amqp_uri, **call):
    """Call the slow service through a proxy to the broker that cuts the
    connection while the call waits for its answer, for 3 s (as when the
    broker restarts; nameko's own reconnection rides out shorter cuts):
    the answer, or the error."""
    proxy = TcpProxy().start()
    pool = RpcPool(proxy.uri(amqp_uri), timeout=5, retry_window=5)

    def restart():
        proxy.cut()
        eventlet.sleep(3)
        proxy.restore()

    try:
        assert pool.call("plumbing_slow", "echo", value="warm") == "warm"
        eventlet.spawn_after(0.4, restart)
        try:
            outcome = pool.call("plumbing_slow", "echo", value="during", delay=1.0, **call)
        except ServiceUnavailable as refused:
            outcome = refused
    finally:
        pool.close()
        proxy.cut()
    return outcome


def test_a_call_that_lost_its_connection_is_sent_again_once_on_a_fresh_one_when_safe(amqp_uri, run_container):
    with run_container(SlowService):
        assert _cut_during_the_call(amqp_uri, retry=True) == "during"


def test_a_call_that_lost_its_connection_is_not_sent_again_unless_safe(amqp_uri, run_container):
    with run_container(SlowService):
        refused = _cut_during_the_call(amqp_uri)
    assert isinstance(refused, ServiceUnavailable)
    assert "lost the connection to the broker" in refused.detail


def test_every_call_carries_a_request_id_kept_when_sent_again(amqp_uri, run_container):
    from nameko.extensions import DependencyProvider

    class Seen(DependencyProvider):
        def get_dependency(self, worker_ctx):
            RequestIdService.seen.append(worker_ctx.data.get("request_id"))

    RequestIdService.seen = []
    RequestIdService.ids = Seen()
    pool = RpcPool(amqp_uri, timeout=3)
    try:
        with run_container(RequestIdService):
            pool.call("plumbing_request_ids", "record", value=1, request_id="given")
            pool.call("plumbing_request_ids", "record", value=2)
            pool.call("plumbing_request_ids", "record", value=3)
    finally:
        pool.close()
        del RequestIdService.ids
    given, made, made_again = RequestIdService.seen
    assert given == "given" and made and made_again and made != made_again


def test_a_call_made_while_the_broker_is_down_waits_for_it_when_safe(amqp_uri, run_container):
    """Nothing was sent: a read or keyed write waits (up to the retry window)
    for the broker to be back; any other call is refused at once."""
    import time

    proxy = TcpProxy().start()
    pool = RpcPool(proxy.uri(amqp_uri), timeout=5, retry_window=5)
    try:
        with run_container(SlowService):
            assert pool.call("plumbing_slow", "echo", value="warm") == "warm"
            proxy.cut()
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable):
                pool.call("plumbing_slow", "echo", value="refused")
            assert time.monotonic() - started < 4.5  # refused without waiting the retry window
            eventlet.spawn_after(1.5, proxy.restore)
            assert pool.call("plumbing_slow", "echo", value="waited", retry=True) == "waited"
    finally:
        pool.close()
        proxy.cut()
