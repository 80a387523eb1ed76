"""Utilisation reports over a full-scale England: how long each shape of
report takes against the floor of reading the same month's positions.

Loads a synthetic read model (30,000 locations over 152 Local Authorities,
106 Sub-ICBs, 42 ICBs and 7 NHS regions; a return in about nine months of
ten for a year) through the read model's own apply functions, as events
would, then times each report shape in the same run as the floor
(`count(*)` of the month's figures, the rows a one-month report reads). Prints the figures, and as its last
line one JSON object.

    python bench/reporting_utilisation.py [--locations 30000] [--months 12] [--repeat 20]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, datetime, timezone

from sqlalchemy import text

from reporting.handlers.readmodel import apply_geography, apply_location_snapshots, apply_return_snapshots
from reporting.handlers.reports import utilisation
from reporting.manage import MIGRATIONS_DIR
from reporting.models import Base, outbox, processed_events
from reporting.rules import add_months
from tracker_common.clock import SystemClock
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.contracts.reporting import UtilisationQuery
from tracker_common.db import Database
from tracker_common.migrations import drop_database, upgrade

URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_reporting"
TYPES = ["general_residential", "general_nursing", "dementia_residential", "dementia_nursing",
         "mental_health_residential"]
ANALYST = Principal("bench", "bench", frozenset({Role.NON_CARE_HOME_USER}))


def geography() -> dict:
    regions = [(f"E400000{n:02}", f"Region {n}") for n in range(7)]
    icbs = [(f"E540000{n:02}", f"ICB {n}", regions[n % 7][0]) for n in range(42)]
    subs = [(f"E380{n:05}", f"Sub-ICB {n}", icbs[n % 42][0]) for n in range(106)]
    las = [(f"E0800{n:04}", f"Local Authority {n}") for n in range(152)]
    return {"version": 1, "nhs_regions": regions, "icbs": icbs, "sub_icbs": subs, "local_authorities": las}


def load(database: Database, locations: int, months: int, first: date, rng: random.Random) -> float:
    places = geography()
    with database.unit_of_work() as uow:
        apply_geography(uow.session, places)
        uow.commit()
    started, returns = time.perf_counter(), 0
    for start in range(0, locations, 1000):
        profiles, history = [], []
        for n in range(start, min(start + 1000, locations)):
            sub = places["sub_icbs"][n % 106]
            icb = next(i for i in places["icbs"] if i[0] == sub[2])
            location_id = f"1-{n:09}"
            profiles.append({"location_id": location_id, "version": 1, "organisation_id": f"1-{n // 4:08}",
                             "provider_name": f"Provider {n // 4}", "name": f"Home {n}", "postcode": "S70 1AA",
                             "la_code": places["local_authorities"][n % 152][0], "sub_icb_code": sub[0],
                             "icb_code": icb[0], "nhs_region_code": icb[2], "active": True, "kind": "care_home"})
            offered = rng.sample(TYPES, k=rng.randint(1, 3))
            for month in range(months):
                if rng.random() < 0.1:
                    continue
                day = add_months(first, month).replace(day=rng.randint(1, 28))
                vacancies = []
                for vacancy_type in offered:
                    maximum = rng.randint(5, 40)
                    occupied = maximum - rng.choice([0, 0, 1, 2, 3])
                    vacancies.append({"vacancy_type": vacancy_type, "maximum_capacity": maximum, "occupied": occupied,
                                      "vacant_reserved": 0, "vacant_accepting": maximum - occupied,
                                      "vacant_not_available": 0, "flexible": False})
                history.append({"location_id": location_id, "sequence": month + 1, "vacancies": vacancies,
                                "submitted_at": datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc),
                                "admission_status": "accepting", "provider_id": f"1-{n // 4:08}",
                                "la_code": profiles[-1]["la_code"], "sub_icb_code": sub[0]})
        with database.unit_of_work() as uow:
            apply_location_snapshots(uow.session, profiles)
            apply_return_snapshots(uow.session, history)
            uow.commit()
        returns += len(history)
    with database.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    return returns / (time.perf_counter() - started)


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
    args = parser.parse_args()
    drop_database(URL)
    upgrade(MIGRATIONS_DIR, URL)
    database = Database(URL, (outbox, processed_events), SystemClock(), pool_size=2)
    first = date(2026, 1, 1)
    last = add_months(first, args.months - 1)
    rate = load(database, args.locations, args.months, first, random.Random(7))
    print(f"loaded {args.locations} locations, {args.months} months: {rate:,.0f} returns applied a second")
    shapes = {
        "vacancy_type_by_local_authority": {"rows": "local_authority", "columns": "vacancy_type",
                                            "from_month": f"{last:%Y-%m}"},
        "months_by_vacancy_type": {"rows": "month", "columns": "vacancy_type", "from_month": f"{first:%Y-%m}",
                                   "to_month": f"{last:%Y-%m}"},
        "location_by_vacancy_type_page": {"rows": "location", "columns": "vacancy_type",
                                          "from_month": f"{last:%Y-%m}"},
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
    print(f"floor (count of one month's figures): p50 {floor['p50_ms']} ms, p95 {floor['p95_ms']} ms")
    for name, measured in figures.items():
        print(f"{name}: p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, {measured['vs_floor_p50']}x floor")
    database.dispose()
    print(json.dumps({"locations": args.locations, "months": args.months, "returns_applied_per_s": round(rate),
                      "floor": floor, **figures}))


if __name__ == "__main__":
    main()
