"""The CQC import's reads and writes, set-based: what a batch of locations
needs is fetched in a few queries, and what it changes written in one
statement per table (multi-row INSERTs, UPDATEs by primary key)."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from tracker_common.db import to_json

from ..models import Contract, Location, LocationChange, LocationNote, Provider

PROVIDER_COLUMNS = ("id", "name", "brand_id", "brand_name", "ownership_type", "email_domains", "version")


def location_hashes(session: Session) -> dict[str, tuple[str | None, bool]]:
    """(CQC hash, active) of every location, by id: no row is loaded."""
    return {row.id: (row.cqc_hash, row.active)
            for row in session.execute(select(Location.id, Location.cqc_hash, Location.active))}


def active_location_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Location.id).where(Location.active.is_(True))))


def locations_by_id(session: Session, location_ids: Iterable[str]) -> dict[str, Location]:
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    return {l.id: l for l in session.scalars(select(Location).where(Location.id.in_(ids)))}


def approved_contracts_by_location(session: Session, location_ids: Iterable[str]) -> dict[str, list[Contract]]:
    """Each location's approved contracts, in the order of `approved_contracts`."""
    found: dict[str, list[Contract]] = defaultdict(list)
    ids = sorted(set(location_ids))
    if ids:
        for contract in session.scalars(select(Contract).where(
                Contract.location_id.in_(ids), Contract.status == "approved")
                .order_by(Contract.location_id, Contract.commissioner_kind, Contract.commissioner_code)):
            found[contract.location_id].append(contract)
    return found


def live_notes_by_location(session: Session, location_ids: Iterable[str]) -> dict[str, list[LocationNote]]:
    """Each location's notes not deleted, oldest first (as `live_notes`)."""
    found: dict[str, list[LocationNote]] = defaultdict(list)
    ids = sorted(set(location_ids))
    if ids:
        for note in session.scalars(select(LocationNote).where(
                LocationNote.location_id.in_(ids), LocationNote.deleted_at.is_(None))
                .order_by(LocationNote.location_id, LocationNote.created_at)):
            found[note.location_id].append(note)
    return found


def provider_rows(session: Session) -> list[dict]:
    """Every provider as a plain dict of PROVIDER_COLUMNS."""
    columns = [getattr(Provider, c) for c in PROVIDER_COLUMNS]
    return [dict(row._mapping) for row in session.execute(select(*columns))]


def _insert(session: Session, table, rows: list[dict]) -> None:
    """One INSERT of many rows, sent as one JSON array that PostgreSQL turns
    into rows of the table (`json_populate_recordset`): for wide rows about
    five times faster than a multi-row VALUES of bound parameters, which
    SQLAlchemy and psycopg2 process one value at a time. The rows keep their
    order (an identity column numbers them in it); a JSON null is SQL NULL
    (what a column never set holds); every row has the keys of the first."""
    if not rows:
        return
    names = ", ".join(f'"{name}"' for name in rows[0])
    session.execute(text(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM json_populate_recordset("
        f"NULL::{table.name}, CAST(:rows AS json)) WITH ORDINALITY AS r ORDER BY r.ordinality"),
        {"rows": to_json(rows)})


def insert_providers(session: Session, rows: list[dict]) -> None:
    _insert(session, Provider.__table__, rows)


def update_providers(session: Session, rows: list[dict]) -> None:
    """Rows of PROVIDER_COLUMNS: one UPDATE by key, executed for many."""
    if rows:
        table = Provider.__table__
        statement = update(table).where(table.c.id == bindparam("key")).values(
            {c: bindparam(f"new_{c}") for c in PROVIDER_COLUMNS if c != "id"})
        session.execute(statement, [{"key": row["id"], **{f"new_{c}": row[c] for c in PROVIDER_COLUMNS if c != "id"}}
                                    for row in rows])


def insert_locations(session: Session, rows: list[dict]) -> None:
    """New locations, every column given (same keys in every row)."""
    _insert(session, Location.__table__, rows)


def insert_changes(session: Session, rows: list[dict]) -> None:
    """Audit rows (LocationChange's columns but its id), in their order."""
    _insert(session, LocationChange.__table__, rows)
