"""Keeping the read model: profiles from providers, returns from capacity,
the postcode directory from providers. Each snapshot is applied only when
newer than what is held (by the location's version, the return's
sequence, the directory's version), so redelivered, reordered or replayed
events and rebuilds interleaved with events never make it go back.

Snapshots arrive as loaded by their events' schemas (typed) and are kept
in JSONB as their schemas would dump them (the engine's JSON serialiser).

Which idempotency helper a consumer uses: `db.apply_snapshot(event, apply)`
for a versioned snapshot applied newer-wins (applying it again, or an older
one, changes nothing: no record of processed events is needed), `apply`
receiving the event's data as loaded by its schema; `db.apply_once(event,
apply)` for everything whose effect is not idempotent by itself (an email,
a job, a counter): the event id is recorded in the same transaction. The
profiles and returns here are versioned snapshots: apply_snapshot."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tracker_common.snapshots import newest_per_key

from .. import repository
from ..places import forget_places
from ..rules import derive


def _apply(session: Session, snapshots: list[dict], *, snapshot_column: str, version_column: str,
           version_of) -> int:
    """Apply the newer of `snapshots` to their locations' rows, re-deriving
    what search filters on and shows. Returns how many were applied."""
    # a page may hold one location twice: keep its newest
    newest = {s["location_id"]: s for s in newest_per_key(snapshots, lambda s: s["location_id"], version_of)}
    if not newest:
        return 0
    changes = []
    for row in repository.locations_for_update(session, list(newest)):
        snapshot = newest[row.location_id]
        if version_of(snapshot) <= getattr(row, version_column):
            continue
        held = {"profile": row.profile, "capacity_return": row.capacity_return, snapshot_column: snapshot}
        changes.append({"key": row.location_id, version_column: version_of(snapshot), snapshot_column: snapshot,
                        **derive(held["profile"], held["capacity_return"])})
    repository.update_locations(session, changes)
    return len(changes)


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> int:
    return _apply(session, snapshots, snapshot_column="profile", version_column="location_version",
                  version_of=lambda s: s["version"])


def apply_return_snapshots(session: Session, snapshots: list[dict]) -> int:
    return _apply(session, snapshots, snapshot_column="capacity_return", version_column="return_sequence",
                  version_of=lambda s: s["sequence"])


def apply_postcodes(session: Session, version: int, postcodes: list, outcodes: list) -> None:
    """Upsert directory rows, keeping a row from a newer directory."""
    repository.upsert_directory(session, version, postcodes, outcodes)


def drop_older_directories(session: Session, version: int) -> None:
    """A complete directory replaces older ones: postcodes it no longer
    holds (terminated) go."""
    repository.drop_directories_before(session, version)


def apply_directory_part(session: Session, part: dict) -> None:
    """One part of an announced postcode directory; when its last part is in,
    the directory replaces the older ones."""
    version = part["directory_version"]
    # One part at a time, so that the last one to arrive sees all the others.
    repository.lock_directory(session)
    newer = repository.newest_directory_version(session)
    if newer is not None and newer > version:
        return  # a newer directory has arrived (or is arriving): this one is obsolete
    apply_postcodes(session, version, part["postcodes"], part["outcodes"])
    repository.add_directory_part(session, version, part["part"], part["parts"])
    if repository.directory_parts_received(session, version) == part["parts"]:
        drop_older_directories(session, version)
    forget_places()
