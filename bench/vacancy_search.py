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
import random
import statistics
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
from search_read_models import TEMPLATE, apply_in_batches, read_model_rows, set_up, sized_read_model
from system import System, england_files, import_england, percentile, query_mix, say
from tracker_common.contracts.search import SearchQuery
from tracker_common.testing import wait_until

FRESHNESS_HOMES = 30


# -- the searches ---------------------------------------------------------------------------------
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


def measure_rounds(bench: System, token: str, url: str, mix: list[dict], clients: int, rounds: int,
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


def freshness(bench: System, token: str, homes: list[dict]) -> list[float]:
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


def set_up_through_the_gateway(bench: System, token: str, homes: list[dict]) -> None:
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
    data = england_files(args.size)
    bench = System(work, TEMPLATE, OUTBOX_INTERVAL="0.1")
    if args.reuse:
        bench.manage("tracker_common.keys")
    else:
        bench.prepare()
    searches = ["search"] + [f"search-{n}" for n in range(2, args.search_instances + 1)]
    bench.start_all(extra=tuple(searches[1:]))
    try:
        bench.wait_healthy()
        total = import_england(bench, data, reuse=args.reuse)
        search_url = TEMPLATE.format(service="search")
        search_db = create_engine(search_url)

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
