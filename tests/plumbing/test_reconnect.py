"""A service keeps running through a broker outage: a reply the broker
cannot take ends only that worker, and every queue is consumed again a few
seconds after the broker is back."""
from __future__ import annotations

import importlib
import inspect
import time

import eventlet
import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcProxy as NamekoRpcProxy
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from tracker_common.entrypoints import Rpc, RpcProxy, rpc
from tracker_common.testing import TcpProxy, wait_until

SERVICES = ["identity", "providers", "capacity", "search", "notifications", "reporting"]


class Slow:
    started: list[float] = []


class SlowService:
    name = "reconnect_probe"

    @rpc
    def slow(self, seconds):
        Slow.started.append(time.monotonic())
        eventlet.sleep(seconds)
        return "done"

    @rpc
    def ping(self):
        return "pong"



@pytest.fixture
def proxy():
    proxy = TcpProxy().start()
    yield proxy
    proxy.cut()


def replies_lost() -> float:
    return REGISTRY.get_sample_value("tracker_rpc_replies_lost_total", {"service": SlowService.name}) or 0.0


def test_a_reply_lost_in_a_broker_outage_leaves_the_service_running_and_it_answers_once_the_broker_is_back(
        run_container, amqp_uri, proxy):
    Slow.started.clear()
    lost_before = replies_lost()
    with run_container(SlowService, AMQP_URI=proxy.uri(amqp_uri)) as container:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as client:  # not through the proxy
            assert client.reconnect_probe.ping() == "pong"
            client.reconnect_probe.slow.call_async(1.0)
            wait_until(lambda: Slow.started, message="the slow call to start")
            proxy.cut()  # the broker "restarts" while the worker runs: its reply cannot be sent
            wait_until(lambda: replies_lost() > lost_before, timeout=20, message="the reply to be given up")
            assert not container._died.ready(), "the service container died with its reply"

            proxy.restore()
            back = time.monotonic()
            answer = wait_until(lambda: _ping(client), timeout=20, interval=0.2, message="an answer after the outage")
            assert answer == "pong"
            assert time.monotonic() - back < 10


def _ping(client):
    try:
        return client.reconnect_probe.ping.call_async().result()
    except Exception:
        return None


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_answers_rpc_with_the_entrypoint_that_survives_a_broker_outage(service):
    module = importlib.import_module(f"{service}.service")
    service_cls = next(cls for _, cls in inspect.getmembers(module, inspect.isclass)
                       if getattr(cls, "name", None) == service and cls.__module__ == module.__name__)
    rpcs = [entrypoint for _, method in inspect.getmembers(service_cls)
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
            if isinstance(entrypoint, NamekoRpc)]
    assert rpcs, f"{service} has no RPC entrypoints"
    assert all(type(entrypoint) is Rpc for entrypoint in rpcs), \
        f"{service} uses nameko's own rpc, which dies with a reply lost in a broker outage"
    clients = [value for _, value in inspect.getmembers(service_cls) if isinstance(value, NamekoRpcProxy)]
    assert all(type(client) is RpcProxy for client in clients), \
        f"{service} uses nameko's own RpcProxy, whose replies come on a connection reconnecting up to 30 s late"
