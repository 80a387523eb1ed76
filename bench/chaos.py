"""Benchmark: capacity returns keep flowing while processes die and the
broker restarts; nothing is lost or stored twice, and nobody restarts a
process by hand.

    .venv/bin/python bench/chaos.py [--duration 300] [--rate 4] [--homes 8]

The whole system runs as processes under supervisord (`tracker_common.
supervise`, as `make run` does) on scratch databases (capacity_tracker_chaos_*)
and a private RabbitMQ node. Care homes send capacity returns through the
gateway at a steady rate, each with an Idempotency-Key; a return refused
(5xx, no answer, or 409 while its first attempt is still being answered)
is sent again up to twice with the same key, after Retry-After (at most
5 s) or 1 s, then 3 s. Meanwhile,
spread over the first 80% of the run: capacity, search and reporting are
each killed (-9) three times, a gateway worker twice, and the broker is
restarted twice. Supervisord (and gunicorn's master, for its workers)
starts again what died; the script never does.

Counted:
- accepted: returns answered 2xx;
- lost: accepted returns missing from capacity's history, or a home whose
  search or reporting read model is behind capacity's latest return;
- duplicated: an accepted return (its unique price) stored more than once;
- refused_share: returns not accepted even after the retries, of all sent;
- services_restarted_by_hand: programs supervisord did not bring back
  (each would need a hand restart);
- converged_s_after_last_fault: from the end of the last fault (the kill;
  for the broker, its return) until every service answers its health RPC
  and capacity, search and reporting hold every return accepted up to then.
Progress goes to stderr; the last line on stdout is one JSON object.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tracker_common.rabbitmq_node import RabbitMQNode, unavailable_reason
from tracker_common.rpc import RpcPool
from tracker_common.supervise import GROUP
from tracker_common.testing import wait_until

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SERVICES = ("identity", "providers", "capacity", "search", "notifications", "reporting")
WARM_UP_PRICE = "999.00"  # each home's first return, before the run


def say(*args) -> None:
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def load_system_class(amqp_uri: str):
    """The system tests' System (processes, sign-in with MFA, SQL), on the
    broker at `amqp_uri` (it would otherwise make a vhost on the machine's)."""
    spec = importlib.util.spec_from_file_location("system_conftest", ROOT / "tests" / "system" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.reset_vhost = lambda name: amqp_uri
    return module.System


class Supervised:
    """The system's processes under supervisord, over a Procfile of them."""

    def __init__(self, system, tmp: Path):
        self.system, self.tmp = system, tmp
        self.conf = Path(system.env["VAR_DIR"]) / "supervisord.conf"
        commands = {service: f"{PYTHON} -m nameko run --config deploy/nameko.yaml {service}.service"
                    for service in SERVICES}
        commands["mail"] = (f"{PYTHON} -m notifications.mailcatcher --smtp-port {system.smtp_port} "
                            f"--http-port {system.mail_port}")
        commands["gateway"] = f"{PYTHON} -m gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app"
        (tmp / "Procfile").write_text("".join(f"{name}: {command}\n" for name, command in commands.items()))
        self.log = open(tmp / "supervised.log", "ab")
        self.process = subprocess.Popen([PYTHON, "-m", "tracker_common.supervise", str(tmp / "Procfile")],
                                        cwd=ROOT, env=system.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def ctl(self, *args: str) -> str:
        return subprocess.run([str(Path(PYTHON).with_name("supervisorctl")), "-c", str(self.conf), *args],
                              capture_output=True, text=True).stdout

    def pid(self, name: str) -> int:
        return int(self.ctl("pid", f"{GROUP}:{name}").strip() or 0)

    def not_running(self) -> list[str]:
        return [line.split()[0] for line in self.ctl("status").splitlines()
                if line.strip() and "RUNNING" not in line]

    def spawned(self) -> int:
        """How many times supervisord has started a process."""
        log = self.conf.with_name("supervisord.log")
        return log.read_text().count("spawned:") if log.exists() else 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Homes:
    """Care homes sending returns, each from its own client at a steady pace."""

    def __init__(self, system, token: str, homes: list[dict], rate: float):
        self.system, self.token, self.homes = system, token, homes
        self.period = len(homes) / rate
        self.sent = self.refused = self.refused_first = self.retried = 0
        self.accepted: list[dict] = []  # {id, location_id, sequence, price, at}
        self.counter = iter(range(1, 10**9))
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @staticmethod
    def body(price: str) -> dict:
        return {"vacancies": [{"vacancy_type": "general_nursing", "weekly_price_from": price,
                               "maximum_capacity": 8, "occupied": 6, "vacant_reserved": 0,
                               "vacant_accepting": 2, "vacant_not_available": 0}],
                "confirm_over_registered_capacity": True}

    def send(self, session: requests.Session, home: dict) -> None:
        with self.lock:
            n = next(self.counter)
            self.sent += 1
        price = f"{1000 + n / 100:.2f}"  # unique: how a stored return is told apart
        key = str(uuid.uuid4())
        for attempt in range(3):
            try:
                answer = session.post(f"{self.system.base}/api/v1/locations/{home['id']}/capacity-returns",
                                      json=self.body(price), timeout=20,
                                      headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key})
                status = answer.status_code
            except requests.RequestException:
                status = None
            if status is not None and 200 <= status < 300:
                row = answer.json()
                with self.lock:
                    self.accepted.append({"id": row["id"], "location_id": home["id"], "sequence": row["sequence"],
                                          "price": price, "at": time.monotonic()})
                return
            # 409 idempotency_key_in_use: the first attempt is still being answered
            in_use = status == 409 and answer.json().get("code") == "idempotency_key_in_use"
            if status is not None and status < 500 and not in_use:
                say(f"refused for good: {status} {answer.text[:200]}")
                break
            with self.lock:
                self.refused_first += attempt == 0
                self.retried += attempt < 2
            retry_after = answer.headers.get("Retry-After", "") if status is not None else ""
            time.sleep(min(float(retry_after), 5.0) if retry_after.isdigit() else 1.0 + 2 * attempt)
        with self.lock:
            self.refused += 1

    def client(self, home: dict, offset: float) -> None:
        session = requests.Session()
        time.sleep(offset)
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self.send(session, home)
            next_at += self.period
            time.sleep(max(0.0, next_at - time.monotonic()))

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(home, i * self.period / len(self.homes)),
                                    daemon=True) for i, home in enumerate(self.homes)]
        for thread in threads:
            thread.start()
        return threads


def set_up_homes(system, token: str, count: int) -> list[dict]:
    homes = []
    listed = system.api("GET", "/api/v1/locations", token=token, params={"kind": "care_home", "per_page": 200})
    for home in listed.json()["locations"][:count]:
        answer = system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=token, json={
            "short_stay_services": [], "long_term_vacancy_types": ["general_nursing"]})
        assert answer.status_code == 200, answer.text
        homes.append(home)
    for home in homes:  # capacity learns the services through the bus
        wait_until(lambda: system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=token,
                                      json=Homes.body(WARM_UP_PRICE)).status_code == 201,
                   timeout=60, interval=0.5, message="capacity to take a first return")
    return homes


def faults(duration: float) -> list[tuple[float, str]]:
    """(seconds from the start, what), spread over 10%..80% of the run."""
    kinds = ["capacity", "search", "reporting", "gateway-worker", "broker"] * 3
    kinds.remove("gateway-worker")
    kinds.remove("broker")
    step = 0.7 * duration / len(kinds)
    return [(0.1 * duration + i * step, kind) for i, kind in enumerate(kinds)]


def inject(kind: str, supervised: Supervised, node: RabbitMQNode) -> None:
    if kind == "broker":
        node.restart(down_for=2)
    elif kind == "gateway-worker":
        master = supervised.pid("gateway")
        workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        os.kill(int(workers[0]), signal.SIGKILL)
    else:
        os.kill(supervised.pid(kind), signal.SIGKILL)


def stored(system) -> dict:
    """What capacity, search and reporting hold now."""
    def query(service, sql):
        engine = create_engine(system.database_template.format(service=service))
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).all()
        finally:
            engine.dispose()
    returns = query("capacity", "SELECT id, location_id, sequence, "
                                "figures::jsonb -> 'vacancies' -> 0 ->> 'weekly_price_from' FROM capacity_returns")
    return {"returns": returns,
            "search": dict(query("search", "SELECT location_id, return_sequence FROM search_locations")),
            "reporting": dict(query("reporting", "SELECT location_id, return_sequence FROM report_locations"))}


def caught_up(state: dict, accepted: list[dict]) -> bool:
    ids = {row[0] for row in state["returns"]}
    latest: dict[str, int] = {}
    for a in accepted:
        latest[a["location_id"]] = max(latest.get(a["location_id"], 0), a["sequence"])
    return all(a["id"] in ids for a in accepted) and all(
        state["search"].get(home, 0) >= seq and state["reporting"].get(home, 0) >= seq for home, seq in latest.items())


def healthy(node: RabbitMQNode) -> bool:
    pool = RpcPool(node.amqp_uri, 3)
    try:
        for service in SERVICES:
            pool.call(service, "health")
        return True
    except Exception:
        return False
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    parser.add_argument("--rate", type=float, default=4.0, help="returns a second, all homes together")
    parser.add_argument("--homes", type=int, default=8)
    parser.add_argument("--name", default="capacity_tracker_chaos", help="scratch databases' and vhost's name")
    parser.add_argument("--redis-url", default=os.environ.get("CHAOS_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    if unavailable_reason():
        sys.exit(f"chaos: {unavailable_reason()} (a private broker node is restarted)")

    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    say(f"logs in {tmp}")
    node = RabbitMQNode(tmp / "rabbitmq").start()
    os.environ.update({"TEST_SYSTEM_NAME": args.name, "TEST_SYSTEM_REDIS_URL": args.redis_url})
    system = load_system_class(node.amqp_uri)(tmp)
    system.env.update({"VAR_DIR": str(tmp / "var"), "METRICS_PORT": "0",
                       "PYTHONWARNINGS": "ignore::DeprecationWarning"})
    subprocess.run([PYTHON, "-m", "tracker_common.keys"], env=system.env, cwd=ROOT, check=True, capture_output=True)
    demo = tmp / "synthetic"
    subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(demo), "--size", "tiny"],
                   cwd=ROOT, check=True, capture_output=True)
    system.prepare(demo)
    supervised = Supervised(system, tmp)
    try:
        system.wait_healthy(timeout=120)
        token = system.admin_token()
        homes = set_up_homes(system, token, args.homes)
        spawned_before = supervised.spawned()
        say(f"{len(homes)} homes ready; {args.rate}/s for {args.duration:.0f} s")
        load = Homes(system, token, homes, args.rate)
        started = time.monotonic()
        threads = load.start()
        last_fault = started
        for at, kind in faults(args.duration):
            time.sleep(max(0.0, started + at - time.monotonic()))
            say(f"fault: {kind} (sent {load.sent}, accepted {len(load.accepted)}, refused {load.refused})")
            inject(kind, supervised, node)
            last_fault = time.monotonic()
        # convergence: measured while the load goes on
        accepted_then = None
        converged_s = None
        while time.monotonic() - last_fault < 180:
            if accepted_then is None:
                with load.lock:
                    accepted_then = [a for a in load.accepted if a["at"] <= last_fault]
            if healthy(node) and caught_up(stored(system), accepted_then):
                converged_s = round(time.monotonic() - last_fault, 1)
                break
            time.sleep(1)
        say(f"converged {converged_s} s after the last fault")
        time.sleep(max(0.0, started + args.duration - time.monotonic()))
        load.stopping.set()
        for thread in threads:
            thread.join(timeout=60)
        # every accepted return must end up everywhere
        wait_until(lambda: caught_up(stored(system), load.accepted), timeout=120, interval=1,
                   message="capacity, search and reporting to hold every accepted return")
    except AssertionError as failed:
        say(f"not converged: {failed}")
    finally:
        state = stored(system)
        hand = supervised.not_running()
        restarts = supervised.spawned() - spawned_before if "spawned_before" in locals() else None
        supervised.stop()
        node.stop()
    ids = {row[0] for row in state["returns"]}
    prices: dict[str, int] = {}
    for _, _, _, price in state["returns"]:
        prices[price] = prices.get(price, 0) + 1
    latest: dict[str, int] = {}
    for a in load.accepted:
        latest[a["location_id"]] = max(latest.get(a["location_id"], 0), a["sequence"])
    lost = sum(a["id"] not in ids for a in load.accepted) + sum(
        state["search"].get(h, 0) < s or state["reporting"].get(h, 0) < s for h, s in latest.items())
    result = {
        "duration_s": args.duration, "sent": load.sent, "accepted": len(load.accepted), "lost": lost,
        "duplicated": sum(count - 1 for price, count in prices.items() if count > 1 and price != WARM_UP_PRICE),
        "refused_share": round(load.refused / max(load.sent, 1), 4),
        "refused_first_try_share": round(load.refused_first / max(load.sent, 1), 4),
        "faults": len(faults(args.duration)), "restarted_by_supervisor": restarts,
        "services_restarted_by_hand": len(hand), "not_running": hand,
        "converged_s_after_last_fault": converged_s,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
