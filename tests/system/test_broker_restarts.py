"""The broker restarted three times under load: every service answers its
health RPC within 30 s of the broker being back, without anyone touching
a process. The system runs on a private RabbitMQ node (the machine's broker
is shared and never restarted by tests)."""
from __future__ import annotations

import os
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from tracker_common.rabbitmq_node import RabbitMQNode, unavailable_reason
from tracker_common.rpc import RpcPool

from .conftest import PYTHON, ROOT, System

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")]
SERVICES = ("identity", "providers", "capacity", "search", "notifications", "reporting")
BACK_WITHIN_S = 30


@contextmanager
def _named(name: str):
    """System names its databases and vhost after TEST_SYSTEM_NAME: another
    name keeps this system apart from the session's."""
    before = os.environ.get("TEST_SYSTEM_NAME")
    os.environ["TEST_SYSTEM_NAME"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TEST_SYSTEM_NAME")
        else:
            os.environ["TEST_SYSTEM_NAME"] = before


def system_on_private_broker(tmp, node: RabbitMQNode, name: str) -> System:
    """The whole system (not started) talking to `node` instead of the
    machine's broker."""
    with _named(name), pytest.MonkeyPatch.context() as patch:
        # no vhost on the machine's broker: this system never uses it
        patch.setitem(System.__init__.__globals__, "reset_vhost", lambda vhost: node.amqp_uri)
        system = System(tmp)
    assert system.env["AMQP_URI"] == node.amqp_uri
    return system


@pytest.fixture(scope="module")
def restartable(tmp_path_factory):
    node = RabbitMQNode(tmp_path_factory.mktemp("rabbitmq")).start()
    base = os.environ.get("TEST_SYSTEM_NAME", "capacity_tracker_system")
    system = system_on_private_broker(tmp_path_factory.mktemp("restarts"), node, f"{base}_restarts")
    demo_data = tmp_path_factory.mktemp("synthetic-restarts")
    subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(demo_data), "--size", "tiny"],
                   cwd=ROOT, check=True, capture_output=True)
    try:
        system.prepare(demo_data)
        for name in (*SERVICES, "mail", "gateway"):
            system.start(name)
        system.wait_healthy(timeout=90)
        yield system, node
    finally:
        system.group.stop_all()
        node.stop()


class Load:
    """Clients reading through the gateway and calling services directly,
    all the time, counting answers."""

    def __init__(self, system: System, token: str):
        self.system, self.token = system, token
        self.answered = self.failed = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(3)]

    def _run(self):
        import requests
        pool = RpcPool(self.system.amqp_uri, 5)
        session = requests.Session()
        while not self.stopping.is_set():
            try:
                listed = session.get(f"{self.system.base}/api/v1/locations", params={"per_page": 5},
                                     headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
                pool.call("capacity", "health")
                self.answered += listed.status_code == 200
            except Exception:
                self.failed += 1
                time.sleep(0.1)
        pool.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _all_healthy(pool: RpcPool) -> list[str]:
    """The services not answering their health RPC yet."""
    missing = []
    for service in SERVICES:
        try:
            pool.call(service, "health")
        except Exception:
            missing.append(service)
    return missing


def test_every_service_answers_within_30_s_of_each_of_three_broker_restarts_untouched(restartable):
    system, node = restartable
    processes = {name: process.pid for name, process in system.processes.items()}
    with Load(system, system.admin_token()) as load:
        for restart in range(1, 4):
            time.sleep(3)
            answered_before = load.answered
            assert answered_before > 0, "no load before the restart"
            back = node.restart(down_for=2)
            pool = RpcPool(node.amqp_uri, 3)
            missing = list(SERVICES)
            while missing and time.monotonic() - back < BACK_WITHIN_S:
                missing = _all_healthy(pool)
                time.sleep(0.5) if missing else None
            pool.close()
            assert missing == [], (f"restart {restart}: {missing} not answering {BACK_WITHIN_S} s after the "
                                   f"broker was back (logs in {system.tmp})")
            system.wait_healthy(timeout=BACK_WITHIN_S - (time.monotonic() - back))
    assert load.answered > answered_before, "the load stopped being answered"
    still = {name: process.pid for name, process in system.processes.items() if process.poll() is None}
    assert still == processes, "a process died or was restarted"
