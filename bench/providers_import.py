"""Benchmark: load a full-scale synthetic England through the real importers.

    .venv/bin/python bench/providers_import.py [--size full] [--out var/bench]

Prints what it measured; the last line is one JSON object. Baselines measured
in the same run: reading the files alone (the parsers' floor), so the
database share of each import is visible as a ratio (on a shared machine,
compare the ratios; the load average is printed at the start and the end).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DATABASE_URL_TEMPLATE",
                      "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_bench_{service}")

from providers.cqc_directory import read_cqc_directory  # noqa: E402
from providers.handlers.cqc_import import import_cqc_directory  # noqa: E402
from providers.handlers.geography import load_geography, read_geography  # noqa: E402
from providers.handlers.postcode_import import import_postcode_directory  # noqa: E402
from providers.manage import MIGRATIONS_DIR, database  # noqa: E402
from providers.postcode_directory import read_directory  # noqa: E402
from synthetic_england import generate  # noqa: E402
from tracker_common.config import load_settings  # noqa: E402
from tracker_common.testing import fresh_database  # noqa: E402


def timed(label: str, function):
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.1f} s", file=sys.stderr)
    return result, elapsed


def load_average() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="full")
    parser.add_argument("--out", default="var/bench")
    args = parser.parse_args()
    load_before = load_average()
    print(f"load average: {load_before}", file=sys.stderr)
    data = Path(args.out) / f"synthetic-{args.size}"
    if not (data / "HSCA_Active_Locations.csv").exists():
        timed("generate", lambda: generate(data, size=args.size))
    cqc_file, onspd_file = data / "HSCA_Active_Locations.csv", data / "ONSPD.csv"

    _, read_postcodes = timed("read ONSPD (parser only)", lambda: sum(1 for _ in read_directory(onspd_file)))
    locations, read_cqc = timed("read CQC (parser only)", lambda: sum(1 for _ in read_cqc_directory(cqc_file)))

    fresh_database(load_settings().database_url("providers"), MIGRATIONS_DIR)
    db = database()
    with db.unit_of_work() as uow:
        load_geography(uow, read_geography())
        uow.commit()
    postcodes, import_postcodes = timed("import postcodes", lambda: import_postcode_directory(
        db.engine, onspd_file, clock=db.clock))

    commits = []

    def cqc_import():
        with db.unit_of_work() as uow:
            summary = import_cqc_directory(uow, cqc_file)
            started = time.perf_counter()
            uow.commit()  # the outbox's events in one multi-row INSERT, then COMMIT
            commits.append(time.perf_counter() - started)
            print(f"  of which the commit (outbox and transaction): {commits[-1]:.1f} s", file=sys.stderr)
            return summary
    first, first_s = timed("import CQC (first: creates every location)", cqc_import)
    again, again_s = timed("import CQC (again: nothing changed)", cqc_import)
    db.dispose()
    load_after = load_average()
    print(f"load average: {load_after}", file=sys.stderr)
    print(json.dumps({
        "locations": locations, "postcodes": postcodes["loaded"],
        "postcode_import_s": round(import_postcodes, 2), "postcode_parse_s": round(read_postcodes, 2),
        "postcode_import_vs_parse": round(import_postcodes / read_postcodes, 2),
        "cqc_first_import_s": round(first_s, 2), "cqc_reimport_s": round(again_s, 2),
        "cqc_parse_s": round(read_cqc, 2), "cqc_first_vs_parse": round(first_s / read_cqc, 2),
        "cqc_reimport_vs_parse": round(again_s / read_cqc, 2), "cqc_first_commit_s": round(commits[0], 2),
        "cqc_locations_per_s": round(first["created"] / first_s),
        "created": first["created"], "unchanged_on_reimport": again["unchanged"],
        "load_average_before": load_before, "load_average_after": load_after,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
