"""Keeping the read model: profiles from providers, returns from capacity,
the postcode directory from providers. Each snapshot is applied only when
newer than what is held (by the location's version, the return's
sequence, the directory's version), so redelivered, reordered or replayed
events and rebuilds interleaved with events never make it go back.

Snapshots arrive as loaded by their events' schemas (typed) and are kept
in JSONB as their schemas would dump them (the engine's JSON serialiser)."""
from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import DirectoryPart, SearchLocation, SearchOutcode, SearchPostcode
from ..rules import derive
from .find import forget_places

table = SearchLocation.__table__
DIRECTORY_LOCK = 74_201  # advisory lock: applying the postcode directory


def _apply(session: Session, snapshots: list[dict], *, snapshot_column: str, version_column: str,
           version_of) -> int:
    """Apply the newer of `snapshots` to their locations' rows, re-deriving
    what search filters on and shows. Rows are created when first heard of
    and locked in key order, so concurrent consumers neither fail nor
    deadlock. Returns how many were applied."""
    newest: dict[str, dict] = {}
    for snapshot in snapshots:  # a page may hold one location twice: keep its newest
        held = newest.get(snapshot["location_id"])
        if held is None or version_of(snapshot) > version_of(held):
            newest[snapshot["location_id"]] = snapshot
    if not newest:
        return 0
    ids = sorted(newest)
    session.execute(insert(table).values([{"location_id": i} for i in ids]).on_conflict_do_nothing())
    rows = session.execute(
        select(table.c.location_id, table.c.location_version, table.c.return_sequence, table.c.profile,
               table.c.capacity_return)
        .where(table.c.location_id.in_(ids)).order_by(table.c.location_id).with_for_update()).all()
    changes = []
    for row in rows:
        snapshot = newest[row.location_id]
        if version_of(snapshot) <= getattr(row, version_column):
            continue
        held = {"profile": row.profile, "capacity_return": row.capacity_return, snapshot_column: snapshot}
        changes.append({"key": row.location_id, version_column: version_of(snapshot), snapshot_column: snapshot,
                        **derive(held["profile"], held["capacity_return"])})
    if changes:
        columns = {column: bindparam(column) for column in changes[0] if column != "key"}
        columns["earth"] = func.ll_to_earth(bindparam("latitude"), bindparam("longitude"))
        session.execute(update(table).where(table.c.location_id == bindparam("key")).values(columns),
                        changes)
    return len(changes)


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> int:
    return _apply(session, snapshots, snapshot_column="profile", version_column="location_version",
                  version_of=lambda s: s["version"])


def apply_return_snapshots(session: Session, snapshots: list[dict]) -> int:
    return _apply(session, snapshots, snapshot_column="capacity_return", version_column="return_sequence",
                  version_of=lambda s: s["sequence"])


def apply_postcodes(session: Session, version: int, postcodes: list, outcodes: list) -> None:
    """Upsert directory rows, keeping a row from a newer directory."""
    for model, key, rows in ((SearchPostcode, "postcode", [
            {"postcode": p, "latitude": lat, "longitude": lon, "la_code": la, "sub_icb_code": sub,
             "directory_version": version} for p, lat, lon, la, sub in postcodes]),
            (SearchOutcode, "outcode", [{"outcode": o, "latitude": lat, "longitude": lon,
                                         "directory_version": version} for o, lat, lon in outcodes])):
        for start in range(0, len(rows), 2_000):
            statement = insert(model).values(rows[start:start + 2_000])
            session.execute(statement.on_conflict_do_update(
                index_elements=[key],
                set_={c: statement.excluded[c] for c in rows[0] if c != key},
                where=model.directory_version <= statement.excluded.directory_version))


def drop_older_directories(session: Session, version: int) -> None:
    """A complete directory replaces older ones: postcodes it no longer
    holds (terminated) go."""
    session.execute(delete(SearchPostcode).where(SearchPostcode.directory_version < version))
    session.execute(delete(SearchOutcode).where(SearchOutcode.directory_version < version))
    session.execute(delete(DirectoryPart).where(DirectoryPart.directory_version < version))


def apply_directory_part(session: Session, part: dict) -> None:
    """One part of an announced postcode directory; when its last part is in,
    the directory replaces the older ones."""
    version = part["directory_version"]
    # One part at a time, so that the last one to arrive sees all the others.
    session.execute(select(func.pg_advisory_xact_lock(DIRECTORY_LOCK)))
    newer = session.scalar(select(func.max(DirectoryPart.directory_version)))
    if newer is not None and newer > version:
        return  # a newer directory has arrived (or is arriving): this one is obsolete
    apply_postcodes(session, version, part["postcodes"], part["outcodes"])
    session.execute(insert(DirectoryPart).values(directory_version=version, part=part["part"], parts=part["parts"])
                    .on_conflict_do_nothing())
    received = session.scalar(select(func.count()).where(DirectoryPart.directory_version == version))
    if received == part["parts"]:
        drop_older_directories(session, version)
    forget_places()
