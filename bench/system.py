"""The whole system as separate processes for the benchmarks (the services under
`nameko run`, the gateway under gunicorn) on scratch databases, a vhost and a
Redis database of their own, and the synthetic England loaded into it through
the real importers."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tracker_common.migrations import drop_database
from tracker_common.testing import ProcessGroup, free_port, reset_vhost, wait_until

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ADMIN = ("admin@bench.example", "Kestrel-Bench-Lantern-42")
SEARCH_SERVICES = ("identity", "providers", "capacity", "search")
VACANCY_TYPES = ["general_residential", "general_nursing", "dementia_residential", "dementia_nursing"]


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class System:
    """`services`: the nameko services to run (the gateway always runs).
    `template`: the scratch databases ({service}); `vhost` and `redis_url`
    their own, so a benchmark never touches another's."""

    def __init__(self, work: Path, template: str, *, vhost: str = "capacity-tracker-bench",
                 redis_url: str = "redis://127.0.0.1:6379/13", services=SEARCH_SERVICES, **env: str):
        self.port, self.template, self.services, self.vhost = free_port(), template, tuple(services), vhost
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "AMQP_URI": reset_vhost(vhost), "DATABASE_URL_TEMPLATE": template,
                    "REDIS_URL": redis_url, "VAR_DIR": str(work), "GATEWAY_BIND": f"127.0.0.1:{self.port}",
                    "ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1], "PYTHONWARNINGS": "ignore",
                    "METRICS_PORT": "0", "HEALTH_SERVICES": ",".join(self.services), **env}
        self.processes = ProcessGroup(ROOT, self.env, work)

    def url(self, service: str) -> str:
        return self.template.format(service=service)

    def manage(self, module: str, *args: str) -> str:
        done = subprocess.run([PYTHON, "-m", module, *args], env=self.env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def prepare(self) -> None:
        """Fresh databases, keys, the bus's topology, the reference data and the administrator."""
        for service in self.services:
            drop_database(self.url(service))
        import redis
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self.manage("tracker_common.keys")
        self.manage("tracker_common.bus")
        for service in self.services:
            self.manage(f"{service}.manage", "migrate")
        self.manage("identity.manage", "seed-demo")
        self.manage("identity.manage", "create-admin")
        self.manage("providers.manage", "load-geography")

    def start(self, name: str, **env) -> None:
        """`name`: a service, "gateway", or another instance of a service
        ("search-2": the same service, sharing its queue)."""
        if name == "gateway":
            command = [PYTHON, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"]
        else:
            service = name.split("-", 1)[0]
            command = [PYTHON, "-m", "nameko", "run", "--config", "deploy/nameko.yaml", f"{service}.service"]
        self.processes.start(name, command, **env)

    def start_all(self, extra: tuple[str, ...] = ()) -> None:
        for name in (*self.services, *extra, "gateway"):
            self.start(name)

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.running.items()}

    def wait_healthy(self) -> None:
        def healthy():
            try:
                return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(healthy, timeout=120, interval=0.5, message="a healthy system")

    def queue_names(self) -> list[str]:
        """The running services' event queues."""
        from tracker_common.bus import subscription_queue_name
        from tracker_common.contracts.events import SUBSCRIPTIONS
        return [subscription_queue_name(service, event_type)
                for service in self.services for event_type in SUBSCRIPTIONS.get(service, ())]

    def backlog(self) -> int:
        """Events waiting in the running services' queues."""
        from kombu import Connection
        with Connection(self.env["AMQP_URI"]) as connection:
            channel = connection.channel()
            return sum(channel.queue_declare(name, passive=True).message_count for name in self.queue_names())

    def token(self) -> str:
        """The administrator's token: a fresh run's first login sets up the
        second factor (pyotp plays the authenticator app)."""
        import pyotp
        asked = requests.post(f"{self.base}/api/v1/auth/token", json={"email": ADMIN[0], "password": ADMIN[1]})
        assert asked.status_code == 403 and asked.json()["code"] == "mfa_enrolment_required", asked.text
        challenge = {"mfa_token": asked.json()["mfa_token"]}
        key = requests.post(f"{self.base}/api/v1/auth/mfa/enrolment", json=challenge).json()["secret"]
        response = requests.post(f"{self.base}/api/v1/auth/mfa/enrolment/confirmation",
                                 json={**challenge, "code": pyotp.TOTP(key).now()})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def stop_all(self) -> None:
        self.processes.stop_all()

    def drop(self) -> None:
        """The scratch databases and vhost, gone (after `stop_all`)."""
        for service in self.services:
            drop_database(self.url(service))
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], capture_output=True)


def england_files(size: str) -> Path:
    """The synthetic England's two files at `size` (generated once, seeded)."""
    data = ROOT / "var" / f"synthetic-{size}"
    if not (data / "HSCA_Active_Locations.csv").exists():
        subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(data), "--size", size], check=True)
    return data


def import_england(system: System, data: Path, reuse: bool = False) -> int:
    """The postcode directory and the CQC directory through the real
    importers (`reuse`: already there), then wait until search knows every
    location and every running service has read every event. Returns the
    number of locations."""
    started = time.perf_counter()
    if not reuse:
        system.manage("providers.manage", "import-postcodes", str(data / "ONSPD.csv"))
        system.manage("providers.manage", "import-cqc", str(data / "HSCA_Active_Locations.csv"))
    total = locations_known(system)
    say(f"imported {total:,} locations: {time.perf_counter() - started:.0f} s")
    search_db = create_engine(system.url("search"))

    def known():
        with search_db.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM search_locations WHERE profile IS NOT NULL "
                                           "AND location_version >= 1")).scalar() >= total
    wait_until(known, timeout=1800, interval=1, message="search to learn of every location")
    search_db.dispose()
    say(f"import → search knows all {total:,} locations: {time.perf_counter() - started:.0f} s")
    drained(system, started)
    return total


def drained(system: System, started: float, timeout: float = 3600) -> None:
    """Wait until no running service has an event left to read."""
    wait_until(lambda: system.backlog() == 0, timeout=timeout, interval=2, message="every queue drained")
    say(f"  → every service has read every event: {time.perf_counter() - started:.0f} s")


def locations_known(system: System) -> int:
    providers_db = create_engine(system.url("providers"))
    with providers_db.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM locations")).scalar()
    providers_db.dispose()
    return total


def query_mix(postcodes: list, la_codes: list[str], count: int, rng) -> list[dict]:
    """A seeded mix of what discharge teams search for (`postcodes`: rows
    whose first item is the postcode)."""
    mix = []
    for _ in range(count):
        roll = rng.random()
        query = {"postcode": rng.choice(postcodes)[0]}
        if roll < 0.15:
            query["vacancy_types"] = [rng.choice(VACANCY_TYPES)]
        elif roll < 0.25:
            query["max_weekly_price"] = str(rng.randint(800, 1200))
        elif roll < 0.35:
            query["radius_miles"] = 15
        elif roll < 0.40:
            query.update(stay="short_stay", vacancy_types=["respite_care"])
        elif roll < 0.45:
            query = {"la_code": rng.choice(la_codes)}
        elif roll < 0.50:
            query.update(ratings=["Good", "Outstanding"], funding_sources=["local_authority"])
        mix.append(query)
    return mix
