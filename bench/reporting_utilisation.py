"""Utilisation reports over a full-scale England: how long each shape of
report takes against the floor of reading the same month's positions, how
fast returns apply in batches, and how long a rebuild takes.

Makes a synthetic England (30,000 locations over 152 Local Authorities, 106
Sub-ICBs, 42 ICBs and 7 NHS regions; a return in about nine months of ten
for a year) as the owning services send it (snapshots as on the wire,
loaded by their events' schemas). Applies the profiles, then every return
in the order it was sent, in batches of 500 through the read model's own
apply functions (as a batched consumer would: one transaction a batch),
and checks the monthly rollup against a recomputation. Then times each
report shape in the same run as the floor (`count(*)` of the month's
figures, the rows a one-month report reads), and last a rebuild from
scratch from the same snapshots, paged as the owners page them (2,000 a
page, returns in return id order). Prints the figures, and as its last
line one JSON object.

    python bench/reporting_utilisation.py [--locations 30000] [--months 12] [--repeat 20] [--batch 500]
                                          [--no-rebuild]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date

from sqlalchemy import text

from reporting import repository
from reporting.handlers.readmodel import apply_geography, apply_location_snapshots, apply_return_snapshots
from reporting.handlers.rebuild import rebuild
from reporting.handlers.reports import utilisation
from reporting.manage import MIGRATIONS_DIR
from reporting.models import outbox, processed_events
from reporting.rules import add_months
from tracker_common.clock import SystemClock
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.contracts.reporting import UtilisationQuery
from tracker_common.db import Database
from tracker_common.migrations import drop_database, upgrade
from tracker_common.snapshots import valid_snapshots

URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_reporting"
TYPES = ["general_residential", "general_nursing", "dementia_residential", "dementia_nursing",
         "mental_health_residential"]
PAGE = 2000  # snapshots a page, as the owners serve a rebuild
ANALYST = Principal("bench", "bench", frozenset({Role.NON_CARE_HOME_USER}))


def geography() -> dict:
    regions = [(f"E400000{n:02}", f"Region {n}") for n in range(7)]
    icbs = [(f"E540000{n:02}", f"ICB {n}", regions[n % 7][0]) for n in range(42)]
    subs = [(f"E380{n:05}", f"Sub-ICB {n}", icbs[n % 42][0]) for n in range(106)]
    las = [(f"E0800{n:04}", f"Local Authority {n}") for n in range(152)]
    return {"version": 1, "nhs_regions": regions, "icbs": icbs, "sub_icbs": subs, "local_authorities": las}


def snapshots(locations: int, months: int, first: date, rng: random.Random) -> tuple[list, list]:
    """The owners' snapshots of England, JSON-ready: profiles, and every
    return of the year."""
    places = geography()
    icbs = {icb[0]: icb for icb in places["icbs"]}
    profiles, history = [], []
    for n in range(locations):
        sub = places["sub_icbs"][n % 106]
        location_id = f"1-{n:09}"
        profiles.append({"location_id": location_id, "version": 1, "organisation_id": f"1-{n // 4:08}",
                         "provider_name": f"Provider {n // 4}", "name": f"Home {n}", "postcode": "S70 1AA",
                         "la_code": places["local_authorities"][n % 152][0], "sub_icb_code": sub[0],
                         "icb_code": sub[2], "nhs_region_code": icbs[sub[2]][2], "active": True,
                         "kind": "care_home"})
        offered = rng.sample(TYPES, k=rng.randint(1, 3))
        for month in range(months):
            if rng.random() < 0.1:
                continue
            day = add_months(first, month).replace(day=rng.randint(1, 28))
            vacancies = []
            for vacancy_type in offered:
                maximum = rng.randint(5, 40)
                occupied = maximum - rng.choice([0, 0, 1, 2, 3])
                vacancies.append({"vacancy_type": vacancy_type, "weekly_price_from": "850.00",
                                  "maximum_capacity": maximum, "occupied": occupied, "vacant_reserved": 0,
                                  "vacant_accepting": maximum - occupied, "vacant_not_available": 0,
                                  "not_available_reason": None, "flexible": False})
            history.append({"return_id": f"{rng.getrandbits(64):016x}", "location_id": location_id,
                            "sequence": month + 1, "vacancies": vacancies,
                            "submitted_at": f"{day:%Y-%m-%d}T{rng.randint(7, 17):02}:{rng.randint(0, 59):02}:00+00:00",
                            "still_true": False, "source": "form", "short_stay_prices": {},
                            "totals": {}, "residents": sum(v["occupied"] for v in vacancies),
                            "over_registered_capacity": False, "admission_status": "accepting",
                            "provider_id": f"1-{n // 4:08}", "la_code": profiles[-1]["la_code"],
                            "sub_icb_code": sub[0]})
    return profiles, history


def load(database: Database, profiles: list, history: list, batch: int) -> float:
    """Every profile, then every return in the order sent, `batch` a
    transaction: returns applied a second."""
    with database.unit_of_work() as uow:
        apply_geography(uow.session, geography())
        uow.commit()
    for start in range(0, len(profiles), 1000):
        with database.unit_of_work() as uow:
            apply_location_snapshots(uow.session, valid_snapshots(profiles[start:start + 1000],
                                                                  "providers.location_updated"))
            uow.commit()
    loaded = valid_snapshots(sorted(history, key=lambda s: s["submitted_at"]), "capacity.return_submitted")
    started = time.perf_counter()
    for start in range(0, len(loaded), batch):
        with database.unit_of_work() as uow:
            apply_return_snapshots(uow.session, loaded[start:start + batch])
            uow.commit()
    rate = len(loaded) / (time.perf_counter() - started)
    with database.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()  # statistics are kept only when committed
    return rate


def rollup_checked(database: Database) -> bool | None:
    """The rollup kept batch by batch is the one worked out from every
    figure (None: this read model has no rollup)."""
    if not hasattr(repository, "recompute_rollup"):
        return None
    with database.unit_of_work() as uow:
        uow.session.execute(text("CREATE TEMP TABLE kept AS SELECT * FROM monthly_rollup"))
        repository.recompute_rollup(uow.session)
        different = uow.session.execute(text(
            "(SELECT * FROM kept EXCEPT ALL SELECT * FROM monthly_rollup) UNION ALL "
            "(SELECT * FROM monthly_rollup EXCEPT ALL SELECT * FROM kept) LIMIT 1")).first()
        uow.session.rollback()
    return different is None


def rebuilt(database: Database, profiles: list, history: list) -> float:
    """Seconds to rebuild the read model from scratch from the snapshots,
    paged as the owners page them."""
    served = {("providers", "location_snapshots"): profiles,
              ("capacity", "return_history_snapshots"): sorted(history, key=lambda s: s["return_id"]),
              ("providers", "geography_snapshots"): [geography()]}

    def fetch(service, method, after):
        rows, start = served[(service, method)], int(after or 0)
        return {"snapshots": rows[start:start + PAGE], "next": str(start + PAGE) if start + PAGE < len(rows) else None}

    started = time.perf_counter()
    with database.unit_of_work() as uow:
        rebuild(uow, fetch, reset=True)
    seconds = time.perf_counter() - started
    with database.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()  # statistics are kept only when committed
    return seconds


def timed(function, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--database", default=URL)
    args = parser.parse_args()
    drop_database(args.database)
    upgrade(MIGRATIONS_DIR, args.database)
    database = Database(args.database, (outbox, processed_events), SystemClock(), pool_size=2)
    first = date(2026, 1, 1)
    last = add_months(first, args.months - 1)
    profiles, history = snapshots(args.locations, args.months, first, random.Random(7))
    rate = load(database, profiles, history, args.batch)
    checked = rollup_checked(database)
    print(f"loaded {args.locations} locations, {len(history)} returns over {args.months} months: {rate:,.0f} returns "
          f"applied a second in batches of {args.batch}; the rollup checked against a recomputation: {checked}")
    shapes = {
        "vacancy_type_by_local_authority": {"rows": "local_authority", "columns": "vacancy_type",
                                            "from_month": f"{last:%Y-%m}"},
        "months_by_vacancy_type": {"rows": "month", "columns": "vacancy_type", "from_month": f"{first:%Y-%m}",
                                   "to_month": f"{last:%Y-%m}"},
        "location_by_vacancy_type_page": {"rows": "location", "columns": "vacancy_type",
                                          "from_month": f"{last:%Y-%m}"},
        "location_by_vacancy_type_last_page": {"rows": "location", "columns": "vacancy_type",
                                               "from_month": f"{last:%Y-%m}", "page": 270},
        "one_icb_by_sub_icb": {"rows": "sub_icb", "columns": "vacancy_type", "from_month": f"{last:%Y-%m}",
                               "icb_code": "E54000001"},
    }
    figures = {}
    with database.read() as connection:
        floor = timed(lambda: connection.execute(text("SELECT count(*) FROM monthly_vacancies WHERE month = :m"),
                                                 {"m": last}).scalar(), args.repeat)
        for name, asked in shapes.items():
            query = UtilisationQuery().load(asked)
            figures[name] = timed(lambda: utilisation(connection, ANALYST, query, last), args.repeat)
            figures[name]["vs_floor_p50"] = round(figures[name]["p50_ms"] / floor["p50_ms"], 1)
            figures[name]["vs_floor_p95"] = round(figures[name]["p95_ms"] / floor["p95_ms"], 1)
    print(f"floor (count of one month's figures): p50 {floor['p50_ms']} ms, p95 {floor['p95_ms']} ms")
    for name, measured in figures.items():
        print(f"{name}: p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, {measured['vs_floor_p50']}x floor "
              f"(p95 {measured['vs_floor_p95']}x)")
    rebuild_s = None if args.no_rebuild else round(rebuilt(database, profiles, history), 1)
    if rebuild_s is not None:
        print(f"rebuild from scratch ({args.locations} locations, {len(history)} returns): {rebuild_s} s; "
              f"the rollup checked: {rollup_checked(database)}")
    database.dispose()
    print(json.dumps({"locations": args.locations, "months": args.months, "returns": len(history),
                      "batch": args.batch, "returns_applied_per_s": round(rate), "rollup_checked": checked,
                      "rebuild_s": rebuild_s, "floor": floor, **figures}))


if __name__ == "__main__":
    main()
