"""Organisations and locations as identity knows them (snapshots from the
providers service), and the places a person may apply to."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker_common.db import apply_newer

from ..models import Location, Organisation


def upsert_organisations(session: Session, rows: list[dict]) -> int:
    """Keep each organisation's row (its columns) that is newer than what is
    held (by version), in one statement; how many were."""
    return apply_newer(session, Organisation, rows, key="id")


def upsert_locations(session: Session, rows: list[dict]) -> int:
    """As `upsert_organisations`, for locations."""
    return apply_newer(session, Location, rows, key="id")


def get_organisation(session: Session, organisation_id: str) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def organisations_with_ons_code(session: Session, ons_code: str) -> list[Organisation]:
    return list(session.scalars(
        select(Organisation).where(Organisation.ons_code == ons_code).order_by(Organisation.id)))


def organisations_of_kind(session: Session, organisation_ids, kind: str) -> list[Organisation]:
    """Those of these organisations that are of this kind."""
    return list(session.scalars(select(Organisation).where(
        Organisation.id.in_(organisation_ids), Organisation.kind == kind)))


def get_location(session: Session, location_id: str) -> Location | None:
    return session.get(Location, location_id)


def get_locations(session: Session, location_ids) -> list[Location]:
    return list(session.scalars(select(Location).where(Location.id.in_(list(location_ids)))))


def active_locations_with_organisation_kind(session: Session) -> list[tuple[Location, str]]:
    """Every active location, with the kind of its organisation."""
    return list(session.execute(select(Location, Organisation.kind).join(
        Organisation, Organisation.id == Location.organisation_id).where(Location.active.is_(True))).all())


def active_homes_matching(session: Session, words: str, postcode_start: str,
                              limit: int) -> list[tuple[Location, str]]:
    """Active locations whose name holds `words` or whose postcode (spaces
    squeezed out) starts with `postcode_start`, by name, with their
    organisation's name."""
    return list(session.execute(
        select(Location, Organisation.name).join(Organisation, Organisation.id == Location.organisation_id)
        .where(Location.active.is_(True))
        .where(Location.name.icontains(words, autoescape=True)
               | func.replace(Location.postcode, " ", "").startswith(postcode_start, autoescape=True))
        .order_by(Location.name, Location.id).limit(limit)).all())


def organisations_named_like(session: Session, words: str, limit: int) -> list[Organisation]:
    """Organisations (the national one aside) whose name holds `words`, by name."""
    return list(session.scalars(
        select(Organisation).where(Organisation.kind != "national")
        .where(Organisation.name.icontains(words, autoescape=True))
        .order_by(Organisation.name, Organisation.id).limit(limit)).all())
