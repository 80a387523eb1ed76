"""Benchmark: the snapshot RPCs capacity serves for read-model rebuilds
(issue #15): every return ever accepted (`return_history_snapshots`, what
reporting's rebuild pages through) and every current return
(`return_snapshots`, search's).

    .venv/bin/python bench/capacity_snapshots.py [--locations 30000] [--returns-per-location 10]

Fills a scratch database (DATABASE_URL_TEMPLATE chooses it) with a year of
returns of realistic size (three vacancy types, a short stay price), then
pages through them at several page sizes, timing each layer: the SQL floor
(the page's query through the bare driver, rows fetched and nothing more),
the repository, the handler, and the RPC's body as the service runs it
with the JSON encoding that carries it over the bus. Last line: JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

os.environ.setdefault("DATABASE_URL_TEMPLATE",
                      "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_{service}")

from sqlalchemy import insert, text  # noqa: E402

from capacity import repository  # noqa: E402
from capacity.handlers import readmodel, returns  # noqa: E402
from capacity.manage import MIGRATIONS_DIR  # noqa: E402
from capacity.models import Base, CapacityReturn, LatestReturn, outbox, processed_events  # noqa: E402
from capacity.service import CapacityService  # noqa: E402
from tracker_common.clock import SystemClock  # noqa: E402
from tracker_common.config import load_settings  # noqa: E402
from tracker_common.db import Database  # noqa: E402
from tracker_common.testing import empty_database, migrated_database_url  # noqa: E402

TYPES = ["dementia_residential", "general_nursing", "general_residential"]
YEAR_START = datetime(2025, 12, 1, 7, 30, tzinfo=timezone.utc)
PAGE_SIZES = (500, 2000, 5000)
FLOOR_SQL = text("SELECT r.id, r.location_id, r.sequence, r.submitted_at, r.still_true, r.source, r.figures, "
                 "f.provider_id, f.la_code, f.sub_icb_code FROM capacity_returns r "
                 "JOIN location_facts f ON f.location_id = r.location_id WHERE r.id > :after ORDER BY r.id LIMIT :n")


def location(n: int) -> dict:
    return {"location_id": f"1-{3_000_000_000 + n}", "version": 1, "organisation_id": f"1-{100_000_000 + n // 7}",
            "name": f"The Bench Residential and Nursing Home number {n}", "postcode": "S70 1AA",
            "la_code": f"E0800{n % 300:04d}", "sub_icb_code": f"E3800{n % 100:04d}", "active": True,
            "kind": "care_home", "registered_beds": 60, "long_term_vacancy_types": TYPES,
            "short_stay_services": ["respite_care"], "reminders_enabled": True}


def figures(rng: random.Random) -> dict:
    vacancies = []
    for vacancy_type in TYPES:
        maximum = rng.randint(10, 20)
        occupied = rng.randint(5, maximum - 3)
        not_available = rng.choice((0, 0, 1))
        vacancies.append({"vacancy_type": vacancy_type, "weekly_price_from": f"{rng.randint(700, 1400)}.50",
                          "maximum_capacity": maximum, "occupied": occupied, "vacant_reserved": 1,
                          "vacant_accepting": 2, "vacant_not_available": not_available,
                          "not_available_reason": "refurbishment" if not_available else None,
                          "flexible": rng.random() < 0.2})
    totals = {k: sum(v[k] for v in vacancies) for k in ("maximum_capacity", "occupied", "vacant_reserved",
                                                         "vacant_accepting", "vacant_not_available")}
    totals["vacant"] = totals["vacant_reserved"] + totals["vacant_accepting"] + totals["vacant_not_available"]
    return {"vacancies": vacancies, "short_stay_prices": {"respite_care": "950.00"}, "totals": totals,
            "admission_status": "accepting", "residents": totals["occupied"], "over_registered_capacity": False}


def fill(db, locations: int, per_location: int) -> None:
    rng = random.Random(15)
    with db.unit_of_work() as uow:
        for n in range(locations):
            readmodel.apply_location_snapshot(uow.session, location(n))
        uow.commit()
    step = timedelta(days=365 / per_location)
    with db.engine.begin() as connection:
        batch, latest = [], []
        for n in range(locations):
            location_id = location(n)["location_id"]
            for sequence in range(1, per_location + 1):
                row = {"id": str(uuid.uuid4()), "location_id": location_id, "sequence": sequence,
                       "submitted_at": YEAR_START + step * (sequence - 1) + timedelta(minutes=n % 600),
                       "submitted_by": str(uuid.UUID(int=n)), "submitted_by_generic": False,
                       "source": "bulk" if n % 3 else "form", "still_true": sequence > 1 and rng.random() < 0.3,
                       "figures": figures(rng)}
                batch.append(row)
            latest.append({"location_id": location_id, "sequence": per_location, "return_id": row["id"],
                           "submitted_at": row["submitted_at"]})
            if len(batch) >= 10_000:
                connection.execute(insert(CapacityReturn.__table__), batch)
                batch = []
        if batch:
            connection.execute(insert(CapacityReturn.__table__), batch)
        connection.execute(insert(LatestReturn.__table__), latest)
        connection.execute(text("ANALYZE"))


def timed_pass(page, limit: int, pages_wanted: int | None = None) -> tuple[float, int, int, set | None]:
    """Page through from the start (all of it, or `pages_wanted` pages):
    seconds, returns, pages, and the ids seen when the pass was whole."""
    after, count, pages, seen = "", 0, 0, set() if pages_wanted is None else None
    started = time.perf_counter()
    while True:
        rows, after = page(after, limit)
        count, pages = count + len(rows), pages + 1
        if seen is not None:
            seen.update(rows)
        if not after or (pages_wanted is not None and pages >= pages_wanted):
            return time.perf_counter() - started, count, pages, seen


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=30_000)
    parser.add_argument("--returns-per-location", type=int, default=10)
    parser.add_argument("--pages", type=int, default=20, help="pages timed at each size, per layer")
    parser.add_argument("--reuse", action="store_true", help="the scratch database a run of the same sizes filled")
    args = parser.parse_args()
    total = args.locations * args.returns_per_location
    if args.reuse:
        db = Database(load_settings().database_url("capacity"), (outbox, processed_events), SystemClock())
    else:
        url = migrated_database_url("capacity", MIGRATIONS_DIR)
        db = empty_database(url, Base.metadata, (outbox, processed_events), SystemClock())
        started = time.perf_counter()
        fill(db, args.locations, args.returns_per_location)
        print(f"filled {args.locations:,} locations, {total:,} returns in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    service = CapacityService.__new__(CapacityService)  # the entrypoints' bodies, without a broker
    service.db = db

    def floor(after, limit):
        with db.engine.connect() as connection:
            raw = connection.connection.dbapi_connection.cursor()
            compiled = FLOOR_SQL.bindparams(after=after, n=limit).compile(dialect=db.engine.dialect)
            raw.execute(str(compiled), compiled.params)
            rows = raw.fetchall()
        return [r[0] for r in rows], rows[-1][0] if len(rows) == limit else None

    def in_repository(after, limit):
        with db.unit_of_work() as uow:
            rows = repository.returns_page(uow.session, after, limit)
            ids = [getattr(r, "id", None) or r[0].id for r in rows]  # rows of columns, or of ORM objects
        return ids, ids[-1] if len(ids) == limit else None

    def in_handler(after, limit):
        with db.unit_of_work() as uow:
            page = returns.history_snapshot_page(uow, after, limit)
        return [s["return_id"] for s in page["snapshots"]], page["next"]

    def through_rpc(after, limit):
        body = json.dumps(CapacityService.return_history_snapshots(service, after=after, limit=limit))
        page = json.loads(body)
        return [s["return_id"] for s in page["snapshots"]], page["next"]

    figures_out = {"locations": args.locations, "returns": total,
                   "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for limit in PAGE_SIZES:
        for name, page in (("sql_floor", floor), ("repository", in_repository), ("handler", in_handler),
                           ("rpc_body", through_rpc)):
            seconds, count, pages, _ = timed_pass(page, limit, args.pages)
            per_s = count / seconds
            figures_out[f"{name}_{limit}_ms_per_page"] = round(1000 * seconds / pages, 1)
            figures_out[f"{name}_{limit}_returns_per_s"] = round(per_s)
            print(f"page of {limit:>5}: {name:<10} {1000 * seconds / pages:8.1f} ms a page, "
                  f"{per_s:9,.0f} returns/s  (load {open('/proc/loadavg').read().split()[0]})", file=sys.stderr)
        floor_rate = figures_out[f"sql_floor_{limit}_returns_per_s"]
        figures_out[f"rpc_body_{limit}_over_sql_floor"] = round(floor_rate / figures_out[f"rpc_body_{limit}_returns_per_s"], 2)

    default_limit = CapacityService.return_history_snapshots.__defaults__[-1]
    seconds, count, pages, seen = timed_pass(through_rpc, default_limit)
    assert count == total == len(seen), (count, total, len(seen))  # every return once
    figures_out.update({"history_pass_page_size": default_limit, "history_pass_s": round(seconds, 1),
                        "history_pass_returns_per_s": round(count / seconds), "history_pass_pages": pages})
    print(f"every return, pages of {default_limit}: {seconds:.1f} s, {count / seconds:,.0f} returns/s "
          f"(load {open('/proc/loadavg').read().split()[0]})", file=sys.stderr)

    def current(after, limit):
        body = json.dumps(CapacityService.return_snapshots(service, after=after, limit=limit))
        page = json.loads(body)
        return [s["return_id"] for s in page["snapshots"]], page["next"]

    current_limit = CapacityService.return_snapshots.__defaults__[-1]
    seconds, count, pages, seen = timed_pass(current, current_limit)
    assert count == args.locations == len(seen), (count, args.locations)
    figures_out.update({"current_pass_page_size": current_limit, "current_pass_s": round(seconds, 1),
                        "current_pass_returns_per_s": round(count / seconds)})
    print(f"every current return, pages of {current_limit}: {seconds:.1f} s", file=sys.stderr)
    figures_out["loadavg"] = open("/proc/loadavg").read().split()[0]
    db.dispose()
    print(json.dumps(figures_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
