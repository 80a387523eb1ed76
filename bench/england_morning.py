"""Benchmark: an England morning (issue #15).

    .venv/bin/python bench/england_morning.py [--size full] [--returns 30000] [--compress 10]

Runs the whole system as separate processes (identity, providers, capacity,
search and reporting under `nameko run`, the gateway under gunicorn) on
scratch databases (capacity_tracker_bench_morning_*) and a vhost of their
own, imports the synthetic England through the real importers and lets every
care home set itself up (`providers.manage seed-demo`), then:

1. idle: discharge teams search at 20 a second and analysts open a report
   every 10 seconds, for a minute (the floor the morning is compared with);
2. the morning: the same, while care homes send their capacity returns
   through the gateway as a real morning spreads them (6 a.m. to 2 p.m.,
   most between 8 and 11), compressed `--compress` times (10: about 40 a
   second at the peak, 48 minutes);
3. all along: each return from accepted to visible in search's and
   reporting's read models (their databases polled), the event queues'
   depth and lag, and each process's CPU and memory.

Everyone signs in through the gateway (the administrator, as an analyst or
a discharge team would). Figures go to stderr; the last line on stdout is
one JSON object, with the targets it checks (not asserts).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from morning import arrival_times, arrivals_per_minute, capacity_return, every, share_between
from morning_load import CLIENT, Freshness, OpenLoop, Sampler
from system import System, drained, england_files, import_england, load_average, percentile, query_mix, say

TEMPLATE = "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_morning_{service}"
SERVICES = ("identity", "providers", "capacity", "search", "reporting")
RETURNS_QUEUE = "capacity.return_submitted"


def homes_and_places(system: System) -> tuple[list[tuple], list, list[str]]:
    """The care homes set up to send returns (id, vacancy types, short stay
    services), and where discharge teams search from: as search's read
    model knows them."""
    engine = create_engine(system.url("search"))
    with engine.connect() as connection:
        homes = [tuple(r) for r in connection.execute(text(
            "SELECT location_id, profile->'long_term_vacancy_types', "
            "coalesce(profile->'short_stay_services', '[]'::jsonb) FROM search_locations "
            "WHERE jsonb_array_length(coalesce(profile->'long_term_vacancy_types', '[]'::jsonb)) > 0 "
            "ORDER BY location_id"))]
        postcodes = [tuple(r) for r in connection.execute(text("SELECT postcode FROM search_postcodes"))]
        la_codes = [r[0] for r in connection.execute(text(
            "SELECT DISTINCT la_code FROM search_locations WHERE la_code IS NOT NULL ORDER BY la_code"))]
    engine.dispose()
    return homes, postcodes, la_codes


def set_up_homes(system: System, started: float) -> tuple[list[tuple], list, list[str]]:
    """Once the homes' setup has reached every service (nothing left in the
    queues, and search's count of set-up homes the same twice 5 s apart):
    `homes_and_places`."""
    counted = None
    while True:
        drained(system, started)
        found = homes_and_places(system)
        if counted == len(found[0]):
            return found
        counted = len(found[0])
        time.sleep(5)


def report_shapes(today: date) -> list[tuple[str, dict]]:
    """What analysts open, in turn: this month by Local Authority and
    vacancy type, the 12-month chart, Sub-ICBs, and who has not updated."""
    year, month = (today.year, today.month - 11) if today.month == 12 else (today.year - 1, today.month + 1)
    first = date(year, month, 1)
    return [("/api/v1/reports/utilisation", {"rows": "local_authority", "columns": "vacancy_type"}),
            ("/api/v1/reports/utilisation", {"rows": "month", "columns": "vacancy_type",
                                             "from_month": f"{first:%Y-%m}", "to_month": f"{today:%Y-%m}"}),
            ("/api/v1/reports/utilisation", {"rows": "sub_icb", "columns": "vacancy_type"}),
            ("/api/v1/reports/last-modified", {"not_updated_for_hours": 24})]


class Morning:
    def __init__(self, system: System, token: str, homes: list[tuple], mix: list[dict], args):
        self.system, self.homes, self.mix, self.args = system, homes, mix, args
        self.headers = {"Authorization": f"Bearer {token}"}
        self.accepted, self.refused = 0, []
        self._lock = threading.Lock()
        self.fresh = [Freshness("search", system.url("search"), "search_locations"),
                      Freshness("reporting", system.url("reporting"), "report_locations")]
        self.shapes = report_shapes(datetime.now(timezone.utc).date())
        self.rng = random.Random(15)
        self.senders = [self.rng.randrange(len(homes)) for _ in range(args.returns)]

    def search(self, session, n: int) -> bool:
        response = session.get(f"{self.system.base}/api/v1/search/vacancies", headers=self.headers,
                               params=self.mix[n % len(self.mix)], timeout=30)
        return response.status_code == 200

    def report(self, session, n: int) -> bool:
        path, params = self.shapes[n % len(self.shapes)]
        return session.get(f"{self.system.base}{path}", headers=self.headers, params=params,
                           timeout=60).status_code == 200

    def send_return(self, session, n: int) -> bool:
        location_id, types, short_stay = self.homes[self.senders[n]]
        body = capacity_return(types, short_stay, random.Random(n))
        response = session.post(f"{self.system.base}/api/v1/locations/{location_id}/capacity-returns",
                                json=body, headers=self.headers, timeout=60)
        at = time.perf_counter()
        if response.status_code != 201:
            with self._lock:
                self.refused.append(f"{response.status_code} {response.text[:200]}")
            return False
        sequence = response.json()["sequence"]
        for fresh in self.fresh:
            fresh.accepted(location_id, sequence, at)
        with self._lock:
            self.accepted += 1
        return True

    def arrived(self, queue: str) -> int:
        return self.accepted if queue.endswith(RETURNS_QUEUE) else 0

    def run(self) -> dict:
        args = self.args
        # enough clients that requests leave on time even when answers take seconds
        searches, reports, returns = OpenLoop("search", 128), OpenLoop("report", 8), OpenLoop("return", 128)
        sampler = Sampler(self.system.env["AMQP_URI"], self.system.queue_names(),
                          {**self.system.pids(), CLIENT: os.getpid()}, self.arrived)
        sampler.thread.start()
        for fresh in self.fresh:
            fresh.thread.start()
        moments = arrival_times(args.returns, args.compress, hours=args.hours)
        length = moments[-1] + 1
        t0 = time.perf_counter()
        say(f"idle: {args.search_rate:g} searches a second and a report every {args.report_every:g} s "
            f"for {args.idle:g} s (load average {load_average()})")
        idle = args.idle
        search_moments = every(args.search_rate, idle + length)
        search_thread = searches.start(t0, search_moments, self.search)
        report_thread = reports.start(t0, every(1 / args.report_every, idle + length), self.report)
        time.sleep(idle)
        start = sampler.measure_processes()
        started = time.perf_counter()
        load_at_start = load_average()
        say(f"the morning: {len(moments):,} returns over {length:.0f} s (load average {load_at_start})")
        return_thread = returns.start(started, moments, self.send_return)
        settle_at = started + min(args.settle, length / 4)
        self.progress(t0, started, length, searches, sampler)
        return_thread.join()
        sent_all = time.perf_counter()
        deadline = sent_all + 300
        while any(f.waiting() for f in self.fresh) and time.perf_counter() < deadline:
            time.sleep(0.2)
        caught_up = time.perf_counter()
        search_thread.join()
        report_thread.join()
        for fresh in self.fresh:
            fresh.stop()
        sampler.stop()
        end = sampler.usage[-1][1]
        settled = sampler.at(settle_at)
        idle_p95 = percentile(searches.latencies(0, idle), 95)
        morning_p95 = percentile(searches.latencies(started - t0, sent_all - t0), 95)
        return_latencies = returns.latencies()
        counts = arrivals_per_minute(args.returns)
        mb = 1024 * 1024
        result = {
            "returns": len(moments), "hours": list(args.hours), "returns_accepted": self.accepted,
            "returns_refused": len(self.refused),
            "homes_returning": len(self.homes), "compress": args.compress,
            "morning_seconds": round(sent_all - started, 1), "catch_up_seconds": round(caught_up - sent_all, 1),
            "peak_returns_per_s": round(max(counts) * args.compress / 60, 1),
            "share_8_to_11": round(share_between(counts, 8, 11), 3),
            "return_p50_ms": round(percentile(return_latencies, 50), 1) if return_latencies else None,
            "return_p95_ms": round(percentile(return_latencies, 95), 1) if return_latencies else None,
            "freshness_p50_ms": {f.name: round(percentile(f.samples, 50), 1) if f.samples else None
                                 for f in self.fresh},
            "freshness_p95_ms": {f.name: round(percentile(f.samples, 95), 1) if f.samples else None
                                 for f in self.fresh},
            "never_visible": {f.name: f.waiting() for f in self.fresh},
            "searches": len(searches.results), "search_failures": searches.failures(),
            "search_p95_idle_ms": round(idle_p95, 1), "search_p95_morning_ms": round(morning_p95, 1),
            "search_p95_over_idle": round(morning_p95 / idle_p95, 2),
            "reports": len(reports.results), "report_failures": reports.failures(),
            "report_p95_idle_ms": round(percentile(reports.latencies(0, idle), 95), 1),
            "report_p95_ms": round(percentile(reports.latencies(started - t0, sent_all - t0), 95), 1),
            "client_late_p95_ms": round(percentile(searches.late + returns.late, 95), 1),
            "deepest_queue": {"queue": sampler.deepest[0], "depth": sampler.deepest[1]},
            "longest_queue_lag_s": {"queue": sampler.longest[0], "seconds": sampler.longest[1]},
            "cpu_seconds": {name: round(end[name][0] - start[name][0], 1) for name in end},
            "peak_rss_mb": {name: round(max(u[name][1] for _, u in sampler.usage) / mb, 1) for name in end},
            "rss_settle_seconds": round(min(args.settle, length / 4)),
            "rss_after_settle_mb": {name: round(settled[name][1] / mb, 1) for name in end},
            "rss_end_mb": {name: round(end[name][1] / mb, 1) for name in end},
            "load_average_start": load_at_start, "load_average_end": load_average(),
        }
        # the benchmark's own process keeps every figure it measures: not part of the system's memory
        growth = {name: end[name][1] / settled[name][1] for name in end if settled[name][1] and name != CLIENT}
        result["rss_end_over_settle_max"] = round(max(growth.values()), 3)
        if self.refused:
            say("refused, for example:\n  " + "\n  ".join(self.refused[:3]))
        return result

    def progress(self, t0: float, started: float, length: float, searches: OpenLoop, sampler: Sampler) -> None:
        """A line every 30 s while the returns are sent: how far, search p95 of the last 30 s, the queues."""
        while time.perf_counter() - started < length:
            time.sleep(min(30.0, max(0.0, length - (time.perf_counter() - started))))
            now = time.perf_counter() - t0
            recent = searches.latencies(now - 30, now)
            deepest = max(sampler.now_depth.items(), key=lambda kv: kv[1], default=("", 0))
            say(f"  {time.perf_counter() - started:6.0f} s: {self.accepted:,} returns accepted, search p95 "
                f"{percentile(recent, 95) if recent else 0:.0f} ms, deepest queue {deepest[0]} {deepest[1]}, "
                f"waiting to be seen {[f.waiting() for f in self.fresh]}, load {load_average()}")


def targets(result: dict) -> dict:
    fresh = result["freshness_p95_ms"]
    return {"freshness_p95_search_le_1s": fresh["search"] is not None and fresh["search"] <= 1000,
            "freshness_p95_reporting_le_1s": fresh["reporting"] is not None and fresh["reporting"] <= 1000,
            "search_p95_le_1_5x_idle": result["search_p95_over_idle"] <= 1.5,
            "queue_lag_le_5s": result["longest_queue_lag_s"]["seconds"] <= 5,
            "rss_end_within_10pct_of_settle": result["rss_end_over_settle_max"] <= 1.10}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="full", help="synthetic England size (full: 30,200 locations)")
    parser.add_argument("--returns", type=int, default=30_000)
    parser.add_argument("--compress", type=float, default=10.0, help="the morning's 8 hours, this many times faster")
    parser.add_argument("--search-rate", type=float, default=20.0, help="searches a second")
    parser.add_argument("--report-every", type=float, default=10.0, help="seconds between reports")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of searching before the morning")
    parser.add_argument("--settle", type=float, default=600.0,
                        help="memory is compared with this long into the morning (at most a quarter of it)")
    parser.add_argument("--hours", type=lambda v: tuple(float(h) for h in v.split("-")), default=(6.0, 14.0),
                        help="only this part of the morning, e.g. 8.5-10.5 (the peak, at its own rate)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases and vhost")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-morning-"))
    data = england_files(args.size)
    system = System(work, TEMPLATE, vhost="capacity-tracker-bench-morning", redis_url="redis://127.0.0.1:6379/10",
                    services=SERVICES, ACCESS_TOKEN_SECONDS=str(8 * 3600))
    system.prepare()
    system.start_all()
    try:
        system.wait_healthy()
        total = import_england(system, data)
        started = time.perf_counter()
        say(system.manage("providers.manage", "seed-demo").strip().splitlines()[-1])
        homes, postcodes, la_codes = set_up_homes(system, started)
        say(f"{total:,} locations, {len(homes):,} care homes set up to send returns; logs in {work}")
        token = system.token()
        mix = query_mix(postcodes, la_codes, 2000, random.Random(5))
        result = {"locations": total, **Morning(system, token, homes, mix, args).run()}
    finally:
        system.stop_all()
        if not args.keep:
            system.drop()
    result["targets"] = targets(result)
    result["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    say(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
