"""Rebuilding a read model from the owning services' snapshot RPCs, page by
page: the pieces every read model's rebuild shares."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from marshmallow import ValidationError

from .contracts.events import schema_of
from .logs import get_logger

log = get_logger(__name__)
# fetch(service, method, after) -> one page: {"snapshots" (or other rows)..., "next"}
Fetch = Callable[[str, str, str], dict]


def pages(fetch: Fetch, service: str, method: str) -> Iterator[dict]:
    """Every page of a snapshot RPC, following `next` until it is empty."""
    after = ""
    while True:
        page = fetch(service, method, after)
        yield page
        after = page.get("next")
        if not after:
            return


def valid_snapshots(snapshots: list[dict], event_type: str) -> list[dict]:
    """The snapshots that match their event's contract, as loaded by its
    schema (typed, as a consumer receives an event's data); the others are
    logged and skipped: one bad snapshot must not stop a rebuild."""
    schema, valid = schema_of(event_type), []
    for snapshot in snapshots:
        try:
            valid.append(schema.load(snapshot))
        except ValidationError as exc:
            log.error("snapshot refused", event_type=event_type, errors=exc.messages,
                      key=snapshot.get("location_id") if isinstance(snapshot, dict) else None)
    return valid


def newest_per_key(snapshots: Iterable[dict], key: Callable[[dict], Any],
                   version: Callable[[dict], Any]) -> list[dict]:
    """One snapshot a key, its newest (an upsert may touch a row only once),
    in key order (so that concurrent writers lock rows in the same order and
    never deadlock)."""
    newest: dict = {}
    for snapshot in snapshots:
        held = newest.get(key(snapshot))
        if held is None or version(snapshot) > version(held):
            newest[key(snapshot)] = snapshot
    return [newest[k] for k in sorted(newest)]


def start_rebuild(session, lock: int, kept: tuple, *, reset: bool, only_if_empty: bool) -> bool:
    """The start every rebuild shares, in its transaction: take the rebuild
    lock (one rebuild at a time, whatever the number of instances); say no
    (False) when only an empty model was to be rebuilt and one of the `kept`
    models holds rows; forget every `kept` model first when `reset`."""
    from sqlalchemy import delete, exists, func, select

    session.execute(select(func.pg_advisory_xact_lock(lock)))
    if only_if_empty and any(session.scalar(select(exists().select_from(model))) for model in kept):
        return False
    if reset:
        for model in kept:
            session.execute(delete(model))
    return True


def read_model_commands(service: str, migrations_dir: Path, rebuild: Callable[..., dict], tables: tuple,
                        argv=None) -> int:
    """The operator commands of a service that keeps a read model:
    `migrate`, and `rebuild [--reset]` (refill it from the owning services'
    snapshots, in one transaction: a failed rebuild changes nothing)."""
    from .clock import clock_from_environment
    from .config import env_float, load_settings
    from .contracts.errors import TrackerError
    from .db import Database
    from .migrations import upgrade
    from .rpc import RpcPool

    parser = argparse.ArgumentParser(prog=f"python -m {service}.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help=f"create or upgrade the {service} database")
    rebuild_parser = commands.add_parser("rebuild", help="refill the read model from the owning services")
    rebuild_parser.add_argument("--reset", action="store_true", help="forget the current read model first")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "migrate":
        upgrade(migrations_dir, settings.database_url(service))
        print(f"{service}: database is up to date")
        return 0
    pool = RpcPool(settings.amqp_uri, env_float("REBUILD_RPC_TIMEOUT", 60.0))
    database = Database(settings.database_url(service), tables, clock_from_environment(), pool_size=1)
    try:
        with database.unit_of_work() as uow:
            counts = rebuild(uow, lambda source, method, after: pool.call(source, method, after=after),
                             reset=args.reset)
    except TrackerError as exc:
        print(f"{service}: rebuild failed, nothing changed: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        pool.close()
        database.dispose()
    print(f"{service}: read model rebuilt {json.dumps(counts)}")
    return 0
