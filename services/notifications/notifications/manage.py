"""The notifications service's operator commands:

    python -m notifications.manage migrate      # the database, and the shipped templates
    python -m notifications.manage retry-jobs   # events whose recipients could not be looked up
    python -m notifications.manage rebuild      # locations, from the providers service's snapshots
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker_common.clock import SystemClock
from tracker_common.config import env_float, load_settings
from tracker_common.db import Database
from tracker_common.migrations import upgrade
from tracker_common.rpc import RpcPool

from .handlers.events import retry_failed_jobs
from .handlers.rebuild import rebuild_locations
from .handlers.sending import install_templates
from .models import outbox, processed_events

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications.manage")
    parser.add_argument("command", choices=["migrate", "retry-jobs", "rebuild"])
    args = parser.parse_args(argv)
    settings = load_settings()
    url = settings.database_url("notifications")
    if args.command == "migrate":
        upgrade(MIGRATIONS_DIR, url)
    database = Database(url, (outbox, processed_events), SystemClock(), pool_size=1)
    try:
        with database.unit_of_work() as uow:
            if args.command == "migrate":
                added = install_templates(uow)
                message = f"notifications: database is up to date; {len(added)} template(s) added"
            elif args.command == "rebuild":
                pool = RpcPool(settings.amqp_uri, env_float("REBUILD_RPC_TIMEOUT", 60.0))
                try:
                    counts = rebuild_locations(uow, lambda service, method, after: pool.call(
                        service, method, after=after))
                finally:
                    pool.close()
                message = f"notifications: {counts['locations']} location(s) rebuilt, {counts['refused']} refused"
            else:
                message = f"notifications: {retry_failed_jobs(uow)} failed job(s) will be tried again"
            uow.commit()
    finally:
        database.dispose()
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
