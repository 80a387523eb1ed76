"""Identity's operator commands:

    python -m identity.manage migrate          # create / upgrade its database
    python -m identity.manage seed-demo        # fictional organisations and locations
    python -m identity.manage create-admin     # from ADMIN_EMAIL / ADMIN_PASSWORD (idempotent)
    python -m identity.manage seed-demo-people # the demo's people (DEMO_PASSWORD) and Terms of Use (idempotent)
    python -m identity.manage permission-breaches  # granted permissions the organisation may not hold
    python -m identity.manage reset-mfa EMAIL  # remove a second factor (the last administrator's lost phone)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tracker_common.clock import clock_from_environment
from tracker_common.config import load_settings
from tracker_common.contracts.errors import Conflict, InvalidInput, NotFound
from tracker_common.db import Database
from tracker_common.migrations import upgrade

from . import handlers
from . import repository as repo
from .dependencies import identity_deps_from_environment
from .models import outbox, processed_events

HERE = Path(__file__).parent


def database() -> Database:
    return Database(load_settings().database_url("identity"), (outbox, processed_events),
                    clock_from_environment(), pool_size=2)


def migrate() -> None:
    upgrade(HERE / "migrations", load_settings().database_url("identity"))
    print("identity: database is up to date")


def seed_demo(path: Path = HERE / "demo_reference.json") -> None:
    reference = json.loads(path.read_text())
    db = database()
    with db.unit_of_work() as uow:
        handlers.apply_organisation_snapshots(uow.session, reference["organisations"])
        repo.flush(uow.session)
        handlers.apply_location_snapshots(uow.session, reference["locations"])
        uow.commit()
    db.dispose()
    print(f"identity: {len(reference['organisations'])} organisations and "
          f"{len(reference['locations'])} locations (fictional demo data)")


def create_admin() -> int:
    email = os.environ.get("ADMIN_EMAIL")
    password = os.environ.get("ADMIN_PASSWORD")
    if not email or not password:
        print("identity: set ADMIN_EMAIL and ADMIN_PASSWORD to create the first administrator", file=sys.stderr)
        return 2
    db = database()
    try:
        with db.unit_of_work() as uow:
            user_id, created = handlers.ensure_administrator(
                uow, identity_deps_from_environment(), email=email,
                name=os.environ.get("ADMIN_NAME", "Administrator"), password=password,
                organisation_id=os.environ.get("ADMIN_ORGANISATION_ID", "ct-national"))
            uow.commit()
    except InvalidInput as exc:
        print(f"identity: {exc.detail} {exc.fields}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"identity: administrator {email} {'created' if created else 'already exists'}")
    return 0


def seed_demo_people() -> int:
    """The demo's people, each applying, approved by the administrator
    (ADMIN_EMAIL), with DEMO_PASSWORD as their password; and the Terms of
    Use (see identity.demo)."""
    from .demo import seed_people
    admin_email, password = os.environ.get("ADMIN_EMAIL"), os.environ.get("DEMO_PASSWORD")
    if not admin_email or not password:
        print("identity: set ADMIN_EMAIL and DEMO_PASSWORD to make the demo's people", file=sys.stderr)
        return 2
    db = database()
    try:
        people = seed_people(db, identity_deps_from_environment(), admin_email.strip().lower(), password)
    except (InvalidInput, NotFound) as exc:
        print(f"identity: {exc.detail} {getattr(exc, 'fields', '') or ''}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"identity: the demo's people (password from DEMO_PASSWORD; {sum(made for _, made in people)} made now):")
    for person, made in people:
        print(f"  {person.email:<48} {person.job}")
    return 0


def permission_breaches() -> int:
    """Lists, one line each, the granted permissions that break the permission
    holders rule; exits 1 when there are any, so a deploy check can fail on it.
    An administrator removes them on the people page or through the API."""
    db = database()
    try:
        with db.unit_of_work() as uow:
            breaches = handlers.permission_breaches(uow)
    finally:
        db.dispose()
    for breach in breaches:
        print(f"{breach['email']} ({breach['name']}, {breach['status']}, user {breach['user_id']}) of "
              f"{breach['organisation_name'] or 'an unknown organisation'} ({breach['organisation_id']}, "
              f"{breach['organisation_kind'] or 'unknown kind'}) holds {breach['permission']}: {breach['problem']}")
    if breaches:
        print(f"identity: {len(breaches)} granted permission(s) break the permission holders rule "
              "(not in effect: left out of access tokens)", file=sys.stderr)
        return 1
    print("identity: every granted permission is held by an organisation that may hold it")
    return 0


def reset_mfa(email: str | None) -> int:
    """Remove a person's second factor (audited, their sessions ended, the
    person emailed): they set up a new app at their next login."""
    if not email:
        print("identity: reset-mfa needs the person's email address", file=sys.stderr)
        return 2
    db = database()
    try:
        with db.unit_of_work() as uow:
            handlers.reset_mfa_by_operator(uow, identity_deps_from_environment(), email.strip().lower())
            uow.commit()
    except (NotFound, Conflict) as exc:
        print(f"identity: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"identity: the second factor of {email} is removed; they set up a new one at their next login")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity.manage")
    parser.add_argument("command", choices=["migrate", "seed-demo", "create-admin", "permission-breaches",
                                            "reset-mfa", "seed-demo-people"])
    parser.add_argument("email", nargs="?", help="reset-mfa: whose second factor")
    args = parser.parse_args(argv)
    if args.command == "reset-mfa":
        return reset_mfa(args.email)
    if args.command == "migrate":
        migrate()
    elif args.command == "seed-demo":
        seed_demo()
    elif args.command == "seed-demo-people":
        return seed_demo_people()
    elif args.command == "permission-breaches":
        return permission_breaches()
    else:
        return create_admin()
    return 0


if __name__ == "__main__":
    sys.exit(main())
