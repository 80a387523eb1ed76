"""Keeping what notifications knows of locations (names, managers, reminder
switches), from the providers service's `providers.location_updated`
snapshots: by event, and by the rebuild (`handlers.rebuild`).

Each snapshot is applied only when its version is newer than the one held,
so a redelivered, reordered or replayed event, or a rebuild interleaved with
events, never takes a location back. The rule for the idempotency helper:

* `self.db.apply_snapshot(event, apply)` for a versioned snapshot applied
  newer-wins, as here (applying it again, or an older one, changes nothing):
  no record of processed events is needed. `apply(session, [data])` gets the
  event's data as loaded by its schema.
* `self.db.apply_once(event, apply)` for everything whose effect is not
  idempotent by itself (an email to send, a job to queue, a counter): the
  event id is recorded in the same transaction (see `handlers.events`).

Only plain values are read from a snapshot (text, numbers, true/false), so it
may come loaded or as on the wire."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import repository


def location_row(snapshot: dict) -> dict:
    """The row notifications keeps of a location's snapshot."""
    manager = snapshot.get("manager") or {}
    return {
        "location_id": snapshot["location_id"], "version": snapshot["version"],
        "provider_id": snapshot["organisation_id"], "name": snapshot["name"], "kind": snapshot.get("kind"),
        "la_code": snapshot["la_code"], "sub_icb_code": snapshot["sub_icb_code"], "active": snapshot["active"],
        "reminders_enabled": snapshot.get("reminders_enabled", True),
        "manager_name": manager.get("name"), "manager_email": (manager.get("email") or None),
    }


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> int:
    """Apply each snapshot newer than the location's row (in order); returns
    how many were applied."""
    return repository.save_locations_if_newer(session, [location_row(snapshot) for snapshot in snapshots])
