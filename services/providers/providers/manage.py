"""The providers service's operator commands:

    python -m providers.manage migrate
    python -m providers.manage load-geography            # regions, ICBs, Sub-ICBs, LAs (repository file)
    python -m providers.manage import-postcodes FILE     # ONSPD / NSPL CSV as published by ONS
    python -m providers.manage import-cqc FILE           # CQC HSCA_Active_Locations CSV
    python -m providers.manage seed-demo                 # the demo's care homes set up, announced (idempotent)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tracker_common.clock import clock_from_environment
from tracker_common.config import load_settings
from tracker_common.db import Database
from tracker_common.migrations import upgrade

from .cqc_directory import DirectoryEncodingError as CqcEncodingError
from .cqc_directory import MissingColumns as CqcMissingColumns
from .handlers.cqc_import import CqcImportRefused, import_cqc_directory
from .handlers.geography import OGL_ATTRIBUTION, load_geography, read_geography
from .handlers.postcode_import import DirectoryRefused, import_postcode_directory, record_refusal
from .models import outbox, processed_events

CQC_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence: source Care Quality Commission."
from .postcode_directory import DirectoryEncodingError, MissingColumns

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def database() -> Database:
    return Database(load_settings().database_url("providers"), (outbox, processed_events),
                    clock_from_environment(), pool_size=2)


def _progress(label: str):
    started = time.monotonic()

    def report(count: int) -> None:
        rate = count / max(time.monotonic() - started, 1e-6)
        print(f"\r{label}: {count:,} rows read ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    return report


def _print_summary(summary: dict) -> None:
    print(file=sys.stderr)
    shown = {k: v for k, v in summary.items() if k != "rejections"}
    print(json.dumps(shown, indent=2, default=str))
    for rejection in summary.get("rejections", [])[:20]:
        print(f"  rejected line {rejection['line']}: {rejection['reason']}")
    if len(summary.get("rejections", [])) > 20:
        print(f"  … and {summary['rejected'] - 20} more")


def migrate() -> int:
    upgrade(MIGRATIONS_DIR, load_settings().database_url("providers"))
    print("providers: database is up to date")
    return 0


def geography_command() -> int:
    db = database()
    with db.unit_of_work() as uow:
        counts = load_geography(uow, read_geography())
        uow.commit()
    db.dispose()
    print("providers: geography loaded:", ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    return 0


def _import(kind: str, label: str, path: str, run, refusals: tuple) -> int:
    """Run an import; a refused file is recorded (with why) and changes nothing."""
    db = database()
    try:
        summary = run(db)
    except refusals as exc:
        reason = getattr(exc, "reason", str(exc))
        with db.unit_of_work() as uow:
            record_refusal(uow.session, kind=kind, source=path, reason=reason,
                           summary=getattr(exc, "summary", {}), clock=db.clock)
            uow.commit()
        print(f"\nproviders: the {label} was refused, nothing changed: {reason}", file=sys.stderr)
        _print_summary(getattr(exc, "summary", {}))
        return 1
    finally:
        db.dispose()
    _print_summary(summary)
    print(OGL_ATTRIBUTION if kind == "postcodes" else CQC_ATTRIBUTION)
    return 0


def postcodes_command(path: str) -> int:
    return _import("postcodes", "postcode directory", path, lambda db: import_postcode_directory(
        db.engine, path, clock=db.clock, progress=_progress("postcodes")),
        (DirectoryRefused, MissingColumns, DirectoryEncodingError, FileNotFoundError))


def cqc_command(path: str) -> int:
    def run(db):
        with db.unit_of_work() as uow:
            summary = import_cqc_directory(uow, path, progress=_progress("CQC directory"))
            uow.commit()
            return summary
    return _import("cqc", "CQC directory", path, run,
                   (CqcImportRefused, CqcMissingColumns, CqcEncodingError, FileNotFoundError))


def seed_demo_command() -> int:
    """The demo's care homes set up as their staff would, and everything
    providers announced published by its relay (identity and capacity take
    the homes from their queues before the services start)."""
    from tracker_common.demo import publish_outbox

    from .demo import seed_homes
    started = time.monotonic()
    db = database()
    try:
        counts = seed_homes(db)
        published = publish_outbox("providers", db)
    finally:
        db.dispose()
    print(f"providers: demo homes: {counts['set_up']} set up now, {counts['already_set_up']} already, "
          f"{counts['left_not_set_up']} left as CQC registered them; {published:,} events published "
          f"({time.monotonic() - started:.1f} s)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m providers.manage")
    parser.add_argument("command", choices=["migrate", "load-geography", "import-postcodes", "import-cqc",
                                            "seed-demo"])
    parser.add_argument("file", nargs="?")
    args = parser.parse_args(argv)
    if args.command in ("import-postcodes", "import-cqc") and not args.file:
        parser.error(f"{args.command} needs the FILE to import")
    return {"migrate": migrate, "load-geography": geography_command,
            "import-postcodes": lambda: postcodes_command(args.file),
            "import-cqc": lambda: cqc_command(args.file), "seed-demo": seed_demo_command}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
