"""The capacity service's operator commands:

    python -m capacity.manage migrate
    python -m capacity.manage seed-demo-history   # a year of the demo homes' returns (idempotent)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tracker_common.config import load_settings
from tracker_common.migrations import upgrade

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def seed_demo_history(seed: int) -> int:
    """The demo's care homes send a year of returns through capacity's own
    handler, the clock moved to each one's time (see capacity.demo)."""
    from tracker_common.db import Database
    from tracker_common.demo import MovingClock

    from .demo import seed_history
    from .models import outbox, processed_events
    started = time.monotonic()
    clock = MovingClock()
    db = Database(load_settings().database_url("capacity"), (outbox, processed_events), clock, pool_size=2)
    try:
        counts = seed_history(db, clock, clock.now(), seed)
    finally:
        db.dispose()
    print(f"capacity: {counts['returns_sent']:,} returns sent by {counts['homes_sent_to']} of the "
          f"{counts['set_up']} set-up care homes ({counts['care_homes']} known; {counts['events_applied']} "
          f"location events taken from the queue) in {time.monotonic() - started:.1f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m capacity.manage")
    parser.add_argument("command", choices=["migrate", "seed-demo-history"])
    parser.add_argument("--seed", type=int, default=2026, help="seed-demo-history: the demo's random seed")
    args = parser.parse_args(argv)
    if args.command == "seed-demo-history":
        return seed_demo_history(args.seed)
    upgrade(MIGRATIONS_DIR, load_settings().database_url("capacity"))
    print("capacity: database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
