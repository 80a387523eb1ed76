"""What capacity keeps of each location, from providers' snapshots
(`providers.location_updated`, and the demo's seeding from the same queue).

The rule for which idempotency helper a consumer uses: a versioned
snapshot applied newer-wins goes through `db.apply_snapshot(event, apply)`,
which records nothing about processed events: applying a snapshot again,
or an older one, changes nothing by itself. Everything whose effect is not
idempotent on its own (an email to send, a job to queue, a counter) goes
through `db.apply_once(event, apply)`, which records the event id in the
same transaction. A location snapshot here is kept only when its version
is newer than the one held, so this module is applied with apply_snapshot.

`apply_location_snapshots(session, snapshots)` takes the snapshots as
their schema loads them (or as on the wire: the fields used are the same)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import repository


def location_row(snapshot: dict) -> dict:
    """What capacity keeps of a location's snapshot."""
    return {
        "location_id": snapshot["location_id"], "version": snapshot["version"],
        "provider_id": snapshot["organisation_id"], "name": snapshot["name"], "kind": snapshot.get("kind"),
        "postcode": snapshot["postcode"], "la_code": snapshot["la_code"], "sub_icb_code": snapshot["sub_icb_code"],
        "active": snapshot["active"], "registered_beds": snapshot.get("registered_beds"),
        "long_term_vacancy_types": list(snapshot.get("long_term_vacancy_types") or []),
        "short_stay_services": list(snapshot.get("short_stay_services") or []),
        "out_of_hours_admissions": snapshot.get("out_of_hours_admissions"),
        "reminders_enabled": snapshot.get("reminders_enabled", True),
    }


def apply_location_snapshot(session: Session, snapshot: dict) -> bool:
    """Keep the location's snapshot if newer than the one held; False when it is not."""
    return apply_location_snapshots(session, [snapshot]) == 1


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> int:
    """Apply each snapshot newer-wins; how many were newer."""
    return repository.upsert_locations(session, [location_row(snapshot) for snapshot in snapshots])
