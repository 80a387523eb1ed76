"""Benchmark: Find Care Home Vacancies through the gateway (issue #5).

    .venv/bin/python bench/vacancy_search.py [--clients 4] [--requests 1500]

Runs the whole system as separate processes (identity, providers, capacity, search under
`nameko run`, the gateway under gunicorn) on scratch databases (capacity_tracker_bench_*) and a vhost, then:

1. imports the synthetic England at full scale through the real importers:
   30,200 locations reach the search service as providers' events;
2. gives every care home the setup a home does itself (services, care and funding types, notes...)
   and a current return, applied to the read model as the owning services' snapshots (the rebuild
   path); a few dozen homes instead do it all through the gateway, for the freshness measure;
3. measures, interleaved, with the same concurrent clients and the same seeded mix of searches: an
   empty RPC round trip through the gateway (the transport floor), the searches through the gateway,
   and the same searches as one direct SQL query each (the database floor);
4. freshness: a capacity return accepted by the gateway → visible in search;
5. the same searches over read models of 1k, 10k and 100k locations (search restarted on each).

Figures go to stderr; the last line on stdout is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from search.handlers.find import locate
from search.repository import search_statement
from search_read_models import TEMPLATE, VACANCY_TYPES, apply_in_batches, read_model_rows, set_up, sized_read_model
from tracker_common.contracts.search import SearchQuery
from tracker_common.migrations import drop_database
from tracker_common.testing import ProcessGroup, free_port, reset_vhost, wait_until

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ADMIN = ("admin@bench.example", "Kestrel-Bench-Lantern-42")
FRESHNESS_HOMES = 30


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# -- the system -----------------------------------------------------------------------------
class Bench:
    def __init__(self, work: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "AMQP_URI": reset_vhost("capacity-tracker-bench"),
                    "DATABASE_URL_TEMPLATE": TEMPLATE, "REDIS_URL": "redis://127.0.0.1:6379/13",
                    "VAR_DIR": str(work), "GATEWAY_BIND": f"127.0.0.1:{self.port}", "OUTBOX_INTERVAL": "0.1",
                    "ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1], "PYTHONWARNINGS": "ignore",
                    "METRICS_PORT": "0",
                    # only what search needs runs here (no notifications)
                    "HEALTH_SERVICES": "identity,providers,capacity,search"}
        self.processes = ProcessGroup(ROOT, self.env, work)

    def manage(self, module: str, *args: str) -> None:
        done = subprocess.run([PYTHON, "-m", module, *args], env=self.env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    def prepare(self, data: Path) -> None:
        for service in ("identity", "providers", "capacity", "search"):
            drop_database(TEMPLATE.format(service=service))
        import redis
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self.manage("tracker_common.keys")
        self.manage("tracker_common.bus")
        for service in ("identity", "providers", "capacity", "search"):
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

    def wait_healthy(self) -> None:
        def healthy():
            try:
                return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(healthy, timeout=120, interval=0.5, message="a healthy system")

    def backlog(self) -> int:
        """Events waiting in the running services' queues."""
        from kombu import Connection

        from tracker_common.bus import subscription_queue_name
        from tracker_common.contracts.events import SUBSCRIPTIONS
        waiting = 0
        with Connection(self.env["AMQP_URI"]) as connection:
            channel = connection.channel()
            for service in ("identity", "providers", "capacity", "search"):
                for event_type in SUBSCRIPTIONS.get(service, ()):
                    waiting += channel.queue_declare(subscription_queue_name(service, event_type),
                                                     passive=True).message_count
        return waiting

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


# -- the searches ---------------------------------------------------------------------------------
def query_mix(postcodes: list, la_codes: list[str], count: int, rng: random.Random) -> list[dict]:
    """A seeded mix of what discharge teams search for."""
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


def run_clients(clients: int, work: list, call) -> tuple[list[float], float]:
    """Run `call(item)` for every item with `clients` threads: latencies (ms)
    and the wall time."""
    latencies, lock, items = [], threading.Lock(), iter(work)

    def client():
        state = {}
        while True:
            with lock:
                item = next(items, None)
            if item is None:
                return
            started = time.perf_counter()
            call(state, item)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def http_call(base: str, token: str, path: str):
    def call(state, params):
        session = state.setdefault("session", requests.Session())
        response = session.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
    return call


def sql_statements(url: str, mix: list[dict], now: datetime) -> list[tuple[str, dict]]:
    """Each search as the one SQL query the search service runs (the
    postcode already geocoded: a primary key lookup, not part of the floor)."""
    engine = create_engine(url)
    statements = []
    with Session(engine) as session:
        for params in mix:
            query = SearchQuery().load({k: v for k, v in params.items()})
            origin = locate(session.connection(), query["postcode"]) if query.get("postcode") else None
            statements.append(search_statement(query, now, origin, limit=query["per_page"] + 1, offset=0))
    engine.dispose()
    return statements


def sql_call(url: str):
    import psycopg2
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")

    def call(state, statement):
        connection = state.get("connection") or state.setdefault("connection", psycopg2.connect(
            dsn, options="-c jit=off -c enable_bitmapscan=off"))  # as the search service's connections
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            cursor.fetchall()
        connection.rollback()
    return call


def measure_rounds(bench: Bench, token: str, url: str, mix: list[dict], clients: int, rounds: int,
                   now: datetime) -> dict:
    """The floors and the searches, interleaved round by round (the machine
    is noisy: each round sees the same noise)."""
    statements = sql_statements(url, mix, now)
    figures = {"rpc": [], "search": [], "sql": [], "search_wall": 0.0}
    ping = http_call(bench.base, token, "/api/v1/search/ping")
    find = http_call(bench.base, token, "/api/v1/search/vacancies")
    run_clients(clients, mix[:200], find)  # warm up
    for _ in range(rounds):
        figures["rpc"] += run_clients(clients, [{}] * len(mix), ping)[0]
        latencies, wall = run_clients(clients, mix, find)
        figures["search"] += latencies
        figures["search_wall"] += wall
        figures["sql"] += run_clients(clients, statements, sql_call(url))[0]
    return figures


def freshness(bench: Bench, token: str, homes: list[dict]) -> list[float]:
    """Return accepted by the gateway → the new figure visible in search (ms)."""
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    for round_number, home in enumerate(homes * 2):
        accepting = 1 + round_number % 2 + (round_number // len(homes)) * 2
        body = {"vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "900.00",
                               "maximum_capacity": 10, "occupied": 10 - accepting, "vacant_reserved": 0,
                               "vacant_accepting": accepting, "vacant_not_available": 0}],
                "confirm_over_registered_capacity": True}
        response = requests.post(f"{bench.base}/api/v1/locations/{home['id']}/capacity-returns", json=body,
                                 headers=headers)
        assert response.status_code == 201, response.text
        accepted = time.perf_counter()
        while True:
            page = requests.get(f"{bench.base}/api/v1/search/vacancies", headers=headers, params={
                "postcode": home["postcode"], "per_page": 10}).json()
            if any(r["location_id"] == home["id"] and r["total_accepting"] == accepting for r in page["results"]):
                break
            if time.perf_counter() - accepted > 30:
                raise AssertionError(f"{home['id']} not fresh after 30 s")
            time.sleep(0.005)
        samples.append((time.perf_counter() - accepted) * 1000)
    return samples


def set_up_through_the_gateway(bench: Bench, token: str, homes: list[dict]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for home in homes:
        assert requests.put(f"{bench.base}/api/v1/locations/{home['id']}/services", headers=headers, json={
            "short_stay_services": [], "long_term_vacancy_types": ["general_residential"]}).status_code == 200
        assert requests.patch(f"{bench.base}/api/v1/locations/{home['id']}/profile", headers=headers, json={
            "care_types": ["residential"], "funding_sources": ["local_authority"]}).status_code == 200
    body = {"vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "900.00",
                           "maximum_capacity": 10, "occupied": 10, "vacant_reserved": 0, "vacant_accepting": 0,
                           "vacant_not_available": 0}], "confirm_over_registered_capacity": True}
    for home in homes:  # capacity learns each home's services from providers' events
        wait_until(lambda: requests.post(f"{bench.base}/api/v1/locations/{home['id']}/capacity-returns",
                                         headers=headers, json=body).status_code == 201, timeout=60,
                   message="capacity to know the home's services")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--search-instances", type=int, default=1,
                        help="search processes side by side (they share its queue)")
    parser.add_argument("--requests", type=int, default=500, help="searches per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="full", help="synthetic England size (full: 30,200 locations)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again over the databases a previous run filled (skips the import)")
    args = parser.parse_args()
    rng, now = random.Random(5), datetime.now(timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    data = ROOT / "var" / f"synthetic-{args.size}"
    if not (data / "HSCA_Active_Locations.csv").exists():
        subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(data), "--size", args.size], check=True)
    bench = Bench(work)
    if args.reuse:
        bench.manage("tracker_common.keys")
    else:
        bench.prepare(data)
    searches = ["search"] + [f"search-{n}" for n in range(2, args.search_instances + 1)]
    for name in ("identity", "providers", "capacity", *searches, "gateway"):
        bench.start(name)
    try:
        bench.wait_healthy()
        started = time.perf_counter()
        if not args.reuse:
            bench.manage("providers.manage", "import-postcodes", str(data / "ONSPD.csv"))
            bench.manage("providers.manage", "import-cqc", str(data / "HSCA_Active_Locations.csv"))
        providers_db = create_engine(TEMPLATE.format(service="providers"))
        with providers_db.connect() as connection:
            total = connection.execute(text("SELECT count(*) FROM locations")).scalar()
        providers_db.dispose()
        search_url = TEMPLATE.format(service="search")
        search_db = create_engine(search_url)

        def known():
            with search_db.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM search_locations WHERE profile IS NOT NULL "
                                               "AND location_version >= 1")).scalar() >= total
        wait_until(known, timeout=900, interval=1, message="search to learn of every location")
        say(f"import → search knows all {total:,} locations: {time.perf_counter() - started:.0f} s")
        # Identity and capacity read the same events: measure only once no
        # service is still working through them.
        wait_until(lambda: bench.backlog() == 0, timeout=1800, interval=2, message="every queue drained")
        say(f"import → every service has read every event: {time.perf_counter() - started:.0f} s")

        token = bench.token()
        listed = requests.get(f"{bench.base}/api/v1/locations", headers={"Authorization": f"Bearer {token}"},
                              params={"kind": "care_home", "per_page": FRESHNESS_HOMES}).json()["locations"]
        fresh_ids = {home["id"] for home in listed}
        profiles, postcodes, outcodes = read_model_rows(search_url)
        if not args.reuse:
            pairs = [set_up(p, rng, now) if (p.get("kind") or "care_home") == "care_home" else (p, None)
                     for p in profiles if p["location_id"] not in fresh_ids]
            apply_in_batches(search_url, pairs)
        set_up_through_the_gateway(bench, token, listed)
        with search_db.connect() as connection:
            eligible = connection.execute(text("SELECT count(*) FROM search_locations WHERE eligible")).scalar()
            la_codes = [r[0] for r in connection.execute(text(
                "SELECT DISTINCT la_code FROM search_locations WHERE eligible AND la_code IS NOT NULL"))]
        search_db.dispose()
        say(f"read model: {total:,} locations, {eligible:,} listed care homes")

        mix = query_mix(postcodes, la_codes, args.requests, rng)
        figures = measure_rounds(bench, token, search_url, mix, args.clients, args.rounds, now)
        fresh = freshness(bench, token, listed)

        by_size = {}
        directory = (postcodes, outcodes)
        for size in (1_000, 10_000, 100_000):
            url = sized_read_model(size, profiles, directory, rng, now)
            for name in searches:
                bench.processes.stop(name)
            for name in searches:
                bench.start(name, DATABASE_URL_TEMPLATE=url.replace("search_", "{service}_"))
            bench.wait_healthy()
            run_clients(args.clients, mix[:200], http_call(bench.base, token, "/api/v1/search/vacancies"))
            latencies = []
            for _ in range(args.rounds):
                latencies += run_clients(args.clients, mix, http_call(
                    bench.base, token, "/api/v1/search/vacancies"))[0]
            by_size[f"{size // 1000}k"] = round(percentile(latencies, 95), 2)
            say(f"  {size:>7,} locations: search p95 {by_size[f'{size // 1000}k']} ms")
    finally:
        bench.processes.stop_all()

    result = {
        "locations": total, "listed_care_homes": eligible, "clients": args.clients,
        "search_instances": args.search_instances,
        "searches": len(figures["search"]),
        "search_p50_ms": round(percentile(figures["search"], 50), 2),
        "search_p95_ms": round(percentile(figures["search"], 95), 2),
        "search_rps": round(len(figures["search"]) / figures["search_wall"], 1),
        "rpc_floor_p50_ms": round(percentile(figures["rpc"], 50), 2),
        "rpc_floor_p95_ms": round(percentile(figures["rpc"], 95), 2),
        "sql_floor_p50_ms": round(percentile(figures["sql"], 50), 2),
        "sql_floor_p95_ms": round(percentile(figures["sql"], 95), 2),
        "freshness_p50_ms": round(statistics.median(fresh), 1),
        "freshness_p95_ms": round(percentile(fresh, 95), 1),
        "p95_ms_by_size": by_size,
    }
    search, rpc, sql = result["search_p95_ms"], result["rpc_floor_p95_ms"], result["sql_floor_p95_ms"]
    result.update(search_p95_over_rpc_floor=round(search / rpc, 2), search_p95_over_sql_floor=round(search / sql, 2),
                  search_p95_over_transport_plus_sql=round(search / (rpc + sql), 2),  # target ≤ 1.2
                  p95_100k_over_1k=round(by_size["100k"] / by_size["1k"], 2),
                  measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    say(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
