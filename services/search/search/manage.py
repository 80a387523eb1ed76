"""The search service's operator commands:

    python -m search.manage migrate
    python -m search.manage rebuild [--reset]   # refill the read model from the owning services' snapshots
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tracker_common.clock import clock_from_environment
from tracker_common.config import env_float, load_settings
from tracker_common.contracts.errors import TrackerError
from tracker_common.db import Database
from tracker_common.migrations import upgrade
from tracker_common.rpc import RpcPool

from .handlers.rebuild import rebuild
from .models import outbox, processed_events

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def rebuild_command(reset: bool) -> int:
    settings = load_settings()
    pool = RpcPool(settings.amqp_uri, env_float("REBUILD_RPC_TIMEOUT", 60.0))
    database = Database(settings.database_url("search"), (outbox, processed_events), clock_from_environment(),
                        pool_size=1)
    try:
        with database.unit_of_work() as uow:
            counts = rebuild(uow, lambda service, method, after: pool.call(service, method, after=after),
                             reset=reset)
    except TrackerError as exc:
        print(f"search: rebuild failed, nothing changed: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        pool.close()
        database.dispose()
    print(f"search: read model rebuilt {json.dumps(counts)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the search database")
    rebuild_parser = commands.add_parser("rebuild", help="refill the read model from providers and capacity")
    rebuild_parser.add_argument("--reset", action="store_true", help="forget the current read model first")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        upgrade(MIGRATIONS_DIR, load_settings().database_url("search"))
        print("search: database is up to date")
        return 0
    return rebuild_command(args.reset)


if __name__ == "__main__":
    sys.exit(main())
