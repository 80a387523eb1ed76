"""Every query of the capacity service, named for what it does. Handlers,
the demo and the operator commands call these; none of them builds or runs
SQL itself."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from tracker_common.contracts.permissions import Principal
from tracker_common.db import apply_newer

from .models import BulkUpload, CapacityReturn, KnownLocation, LatestReturn, OtherReturn

NOT_SENDING_CAPACITY = "home_care"  # home care services send the home care return instead


# -- locations (from providers' snapshots) ---------------------------------------------
def upsert_locations(session: Session, rows: list[dict]) -> int:
    """Keep each location's snapshot that is newer than the one held (by
    its version), in one statement; how many were."""
    return apply_newer(session, KnownLocation, rows, key="location_id")


def known_location(session: Session, location_id: str, *, lock: bool = False) -> KnownLocation | None:
    return session.get(KnownLocation, location_id, with_for_update=lock)


def updatable_locations(session: Session, *, provider_id: str | None = None, la_code: str | None = None,
                        reachable_by: Principal | None = None) -> list[KnownLocation]:
    """Active locations that send capacity returns, optionally of a provider
    or local authority; with `reachable_by`, narrowed to the organisation,
    locations and aligned areas of that person (the caller still decides
    each one with `may`). In location id order."""
    query = select(KnownLocation).where(KnownLocation.active.is_(True),
                                        KnownLocation.kind != NOT_SENDING_CAPACITY)
    if provider_id:
        query = query.where(KnownLocation.provider_id == provider_id)
    if la_code:
        query = query.where(KnownLocation.la_code == la_code)
    if reachable_by is not None:
        reach = [KnownLocation.provider_id == reachable_by.organisation_id,
                 KnownLocation.location_id.in_(sorted(reachable_by.location_ids))]
        if reachable_by.aligned_codes:
            reach += [KnownLocation.la_code.in_(sorted(reachable_by.aligned_codes)),
                      KnownLocation.sub_icb_code.in_(sorted(reachable_by.aligned_codes))]
        query = query.where(or_(*reach))
    return list(session.scalars(query.order_by(KnownLocation.location_id)))


def own_locations_with_a_return(session: Session, *, organisation_id: str | None, location_ids,
                                limit: int) -> list[KnownLocation]:
    """Active locations that send capacity returns and have one, of the
    organisation or among `location_ids`, at most `limit`, in id order."""
    reach = [KnownLocation.location_id.in_(sorted(location_ids))]
    if organisation_id:
        reach.append(KnownLocation.provider_id == organisation_id)
    return list(session.scalars(
        select(KnownLocation).join(LatestReturn, LatestReturn.location_id == KnownLocation.location_id)
        .where(KnownLocation.active.is_(True), KnownLocation.kind != NOT_SENDING_CAPACITY, or_(*reach))
        .order_by(KnownLocation.location_id).limit(limit)))


def care_homes_with_latest_time(session: Session) -> list[tuple[KnownLocation, datetime | None]]:
    """Every active care home with the time of its latest return (None: never), in id order."""
    return list(session.execute(
        select(KnownLocation, LatestReturn.submitted_at)
        .outerjoin(LatestReturn, LatestReturn.location_id == KnownLocation.location_id)
        .where(KnownLocation.active.is_(True), KnownLocation.kind == "care_home")
        .order_by(KnownLocation.location_id)).all())


# -- capacity returns --------------------------------------------------------------------
def latest_return(session: Session, location_id: str) -> CapacityReturn | None:
    latest = session.get(LatestReturn, location_id)
    return session.get(CapacityReturn, latest.return_id) if latest else None


def add_return(session: Session, row: CapacityReturn) -> None:
    """Keep a new return and make it its location's latest."""
    session.add(row)
    latest = session.get(LatestReturn, row.location_id)
    if latest is None:
        session.add(LatestReturn(location_id=row.location_id, sequence=row.sequence, return_id=row.id,
                                 submitted_at=row.submitted_at))
    else:
        latest.sequence, latest.return_id, latest.submitted_at = row.sequence, row.id, row.submitted_at


def lock_locations(session: Session, location_ids) -> None:
    """Lock the locations' rows (as a form's submission locks its one), in
    id order so that two writers of many never deadlock: no other return of
    theirs is numbered until the transaction ends."""
    session.execute(select(KnownLocation.location_id).where(KnownLocation.location_id.in_(sorted(location_ids)))
                    .order_by(KnownLocation.location_id).with_for_update())


def latest_sequences_and_figures(session: Session, location_ids) -> dict[str, tuple[int, dict]]:
    """location id -> (sequence, figures as kept) of its current return, in one query (those with one)."""
    return {row.location_id: (row.sequence, row.figures) for row in session.execute(
        select(CapacityReturn.location_id, CapacityReturn.sequence, CapacityReturn.figures)
        .join(LatestReturn, LatestReturn.return_id == CapacityReturn.id)
        .where(LatestReturn.location_id.in_(sorted(location_ids))))}


def add_returns(session: Session, rows: list[dict]) -> None:
    """Keep many new returns (one per location, each a dict of the
    capacity_returns columns) and make each its location's latest: one
    multi-row insert, one multi-row upsert."""
    if not rows:
        return
    # executemany: SQLAlchemy sends them as multi-row INSERTs (insertmanyvalues), compiled once
    session.execute(insert(CapacityReturn.__table__), rows)
    latest = pg_insert(LatestReturn.__table__)
    session.execute(latest.on_conflict_do_update(index_elements=["location_id"], set_={
        "sequence": latest.excluded.sequence, "return_id": latest.excluded.return_id,
        "submitted_at": latest.excluded.submitted_at}),
        [{"location_id": r["location_id"], "sequence": r["sequence"], "return_id": r["id"],
          "submitted_at": r["submitted_at"]} for r in rows])


def returns_of(session: Session, location_id: str, *, since: datetime | None, until: datetime | None,
               offset: int, limit: int) -> list[CapacityReturn]:
    """A location's returns submitted in [since, until), newest first, a page."""
    statement = select(CapacityReturn).where(CapacityReturn.location_id == location_id)
    if since:
        statement = statement.where(CapacityReturn.submitted_at >= since)
    if until:
        statement = statement.where(CapacityReturn.submitted_at < until)
    return list(session.scalars(statement.order_by(CapacityReturn.sequence.desc()).offset(offset).limit(limit)))


def current_figures(session: Session, location_ids: list[str]) -> dict[str, dict]:
    """location id -> the figures of its current return (those with one)."""
    return {row.location_id: row.figures for row in session.scalars(
        select(CapacityReturn).join(LatestReturn, LatestReturn.return_id == CapacityReturn.id)
        .where(CapacityReturn.location_id.in_(location_ids)))}


def locations_with_latest_return(session: Session, location_ids: list[str]
                                 ) -> list[tuple[KnownLocation, CapacityReturn | None]]:
    """Each of the known locations among `location_ids` with its latest return (or None), in id order."""
    return list(session.execute(
        select(KnownLocation, CapacityReturn)
        .outerjoin(LatestReturn, LatestReturn.location_id == KnownLocation.location_id)
        .outerjoin(CapacityReturn, CapacityReturn.id == LatestReturn.return_id)
        .where(KnownLocation.location_id.in_(sorted(set(location_ids))))
        .order_by(KnownLocation.location_id)).all())


def locations_stale_since(session: Session, cutoff: datetime) -> list[tuple[KnownLocation, datetime | None]]:
    """Active locations that send capacity returns whose latest return is
    older than `cutoff` or that never sent one, with its time, in id order."""
    return list(session.execute(
        select(KnownLocation, LatestReturn.submitted_at)
        .outerjoin(LatestReturn, LatestReturn.location_id == KnownLocation.location_id)
        .where(KnownLocation.active.is_(True), KnownLocation.kind != NOT_SENDING_CAPACITY)
        .where((LatestReturn.submitted_at.is_(None)) | (LatestReturn.submitted_at < cutoff))
        .order_by(KnownLocation.location_id)).all())


# A return with what its snapshot names of its location, as plain columns:
# a page of thousands is read without building an ORM object for each.
_SNAPSHOT_COLUMNS = (CapacityReturn.id, CapacityReturn.location_id, CapacityReturn.sequence,
                     CapacityReturn.submitted_at, CapacityReturn.still_true, CapacityReturn.source,
                     CapacityReturn.figures, KnownLocation.provider_id, KnownLocation.la_code,
                     KnownLocation.sub_icb_code)


def current_returns_page(session: Session, after: str, limit: int) -> list[Row]:
    """The current return of every location, with what its snapshot names of
    the location, `limit` at a time after the location id `after` (keyset:
    the primary key of latest_returns, whatever the page)."""
    return list(session.execute(
        select(*_SNAPSHOT_COLUMNS).select_from(LatestReturn)
        .join(CapacityReturn, CapacityReturn.id == LatestReturn.return_id)
        .join(KnownLocation, KnownLocation.location_id == LatestReturn.location_id)
        .where(LatestReturn.location_id > after).order_by(LatestReturn.location_id).limit(limit)).all())


def returns_page(session: Session, after: str, limit: int) -> list[Row]:
    """Every return ever accepted, with what its snapshot names of its
    location, `limit` at a time after the return id `after` (keyset: the
    primary key, whatever the page)."""
    return list(session.execute(
        select(*_SNAPSHOT_COLUMNS)
        .join(KnownLocation, KnownLocation.location_id == CapacityReturn.location_id)
        .where(CapacityReturn.id > after).order_by(CapacityReturn.id).limit(limit)).all())


# -- workforce, visiting, home care ------------------------------------------------------
def add_other_return(session: Session, row: OtherReturn) -> None:
    session.add(row)


# -- bulk uploads --------------------------------------------------------------------------
def add_upload(session: Session, upload: BulkUpload) -> None:
    session.add(upload)


def bulk_upload(session: Session, upload_id: str, *, lock: bool = False) -> BulkUpload | None:
    return session.get(BulkUpload, upload_id, with_for_update=lock)
