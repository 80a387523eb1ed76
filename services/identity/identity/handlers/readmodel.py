"""Organisations and locations as identity knows them: snapshots from the
providers service (`providers.organisation_updated`,
`providers.location_updated`), each applied only when newer than what is
held (by its version), so duplicate or out-of-order events never regress
them.

The rule for the idempotency helper, the same in every service:

- `db.apply_snapshot(event, apply)` for a versioned snapshot applied
  newer-wins (applying it again, or an older one, changes nothing): no
  record of processed events is needed. `apply(session, [data])` receives
  the event's data as loaded by its schema (typed), not dumped again.
- `db.apply_once(event, apply)` for everything whose effect is not
  idempotent by itself (an email to send, a job to queue, a counter): the
  event id is recorded in the same transaction.

Both snapshots here are versioned and applied newer-wins: apply_snapshot.
(`apply_organisation_snapshot` / `apply_location_snapshot` apply one within
a unit of work: the demo's seeding, and the operator's `seed-demo`.)"""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import repository as repo


def _organisation_row(snapshot: dict) -> dict:
    return {"id": snapshot["organisation_id"], "version": snapshot["version"], "name": snapshot["name"],
            "kind": snapshot["kind"], "email_domains": [d.lower() for d in snapshot["email_domains"]],
            "ons_code": snapshot.get("ons_code"), "la_code": snapshot.get("la_code"),
            "sub_icb_code": snapshot.get("sub_icb_code")}


def _location_row(snapshot: dict) -> dict:
    return {"id": snapshot["location_id"], "version": snapshot["version"],
            **{field: snapshot[field] for field in ("organisation_id", "name", "postcode", "la_code",
                                                    "sub_icb_code", "active")}}


def apply_organisation_snapshots(session: Session, snapshots: list[dict]) -> int:
    """Apply the organisations' snapshots that are newer than what is held;
    returns how many were."""
    return repo.upsert_organisations(session, [_organisation_row(s) for s in snapshots])


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> int:
    """Apply the locations' snapshots that are newer than what is held;
    returns how many were."""
    return repo.upsert_locations(session, [_location_row(s) for s in snapshots])


def apply_organisation_snapshot(uow, snapshot: dict) -> bool:
    """One organisation's snapshot, in a unit of work: True when applied."""
    return apply_organisation_snapshots(uow.session, [snapshot]) == 1


def apply_location_snapshot(uow, snapshot: dict) -> bool:
    """One location's snapshot, in a unit of work: True when applied."""
    return apply_location_snapshots(uow.session, [snapshot]) == 1
