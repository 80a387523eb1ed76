"""The command line: python -m synthetic_england --out DIR [--size ...]."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .england import GEOGRAPHY_FILE, generate
from .mix import SIZES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic_england",
        description="Write a fictional England of care providers as a CQC care directory CSV and an ONSPD CSV.")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if need be)")
    parser.add_argument("--size", choices=tuple(SIZES), default=None,
                        help="full (30,200 locations), medium (3,000), small (300 over 10 LAs), tiny (30 over 3 "
                             "LAs); default small, or full with --locations")
    parser.add_argument("--locations", type=int, default=None, help="number of locations (overrides the size's)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--geography", type=Path, default=GEOGRAPHY_FILE, help="reference geography JSON")
    args = parser.parse_args(argv)
    if args.locations is not None and args.locations < 1:
        parser.error("--locations must be at least 1")
    size = args.size or ("full" if args.locations is not None else "small")
    try:
        geography = json.loads(args.geography.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"Cannot read the reference geography {args.geography}: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = generate(args.out, size=size, seed=args.seed, geography=geography, locations=args.locations)
    elapsed = time.perf_counter() - started
    for name, value in counts.items():
        print(f"{name:>30}: {value:,}")
    print(f"{'seconds':>30}: {elapsed:.1f}")
    for name in ("HSCA_Active_Locations.csv", "ONSPD.csv", "README.txt"):
        print(f"{name:>30}: {(args.out / name).stat().st_size:,} bytes")
    return 0
