"""Queries on locations, their providers, notes, contacts, audit trail and
contracts."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import String, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..models import Contract, LocalAuthority, Location, LocationChange, LocationContact, LocationNote, Provider, \
    SubIcb


def flush(session: Session) -> None:
    """Write what the unit of work holds now (ids, constraints, one multi-row
    INSERT for a batch) rather than before its next query."""
    session.flush()


# -- locations and providers ----------------------------------------------------------
def location(session: Session, location_id: str, *, lock: bool = False) -> Location | None:
    query = select(Location).where(Location.id == location_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def locations_after(session: Session, after: str, limit: int) -> list[Location]:
    """Locations in id order, `limit` of them after the id `after`."""
    return session.scalars(select(Location).where(Location.id > after).order_by(Location.id).limit(limit)).all()


def locations_page(session: Session, *, active: bool, visible_to: tuple[bool, str | None, list[str]] | None,
                   equal: dict, brand_id: str | None, by_name: bool, page: int,
                   per_page: int) -> tuple[int, list[tuple[Location, Provider]]]:
    """(how many match, the page's (location, provider) rows). `visible_to`:
    None for every location, else (all the organisation's locations?, the
    organisation, the location ids granted); `equal`: column -> value."""
    statement = select(Location, Provider).join(Provider, Provider.id == Location.provider_id) \
        .where(Location.active.is_(active))
    if visible_to is not None:
        all_locations_of_organisation, organisation_id, location_ids = visible_to
        granted = Location.id.in_(location_ids)
        statement = statement.where(
            ((Location.provider_id == organisation_id) | granted) if all_locations_of_organisation else granted)
    for field, value in equal.items():
        statement = statement.where(getattr(Location, field) == value)
    if brand_id:
        statement = statement.where(Provider.brand_id == brand_id)
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    order = (Location.name, Location.id) if by_name else (Location.id,)
    rows = session.execute(statement.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    return total, [(location, provider) for location, provider in rows]


def location_names(session: Session, location_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Location.id, Location.name).where(Location.id.in_(ids))).all())


def active_care_homes(session: Session) -> list[tuple[str, str]]:
    """(location id, provider id) of every active care home, in id order."""
    return [(row.id, row.provider_id) for row in session.execute(
        select(Location.id, Location.provider_id).where(
            Location.kind == "care_home", Location.active.is_(True)).order_by(Location.id))]


def mark_cqc_refreshed(session: Session, location_ids: Iterable[str], at) -> None:
    """When CQC last vouched for these locations: one statement, not one per
    row, the ids in one array parameter."""
    ids = sorted(location_ids)
    session.execute(update(Location).where(Location.id == any_(bindparam("ids", ids, type_=ARRAY(String))))
                    .values(cqc_refreshed_at=at).execution_options(synchronize_session=False))


def provider(session: Session, provider_id: str) -> Provider | None:
    return session.get(Provider, provider_id)


def providers_by_id(session: Session, provider_ids: Iterable[str]) -> dict[str, Provider]:
    return {p.id: p for p in session.scalars(select(Provider).where(Provider.id.in_(set(provider_ids))))}


# -- the audit trail -------------------------------------------------------------------
def add_change(session: Session, change: LocationChange) -> None:
    session.add(change)


def location_changes(session: Session, location_id: str, limit: int = 200) -> list[LocationChange]:
    """The newest first."""
    return list(session.scalars(select(LocationChange).where(LocationChange.location_id == location_id)
                                .order_by(LocationChange.id.desc()).limit(limit)))


# -- notes and contacts ------------------------------------------------------------------
def note(session: Session, note_id: str) -> LocationNote | None:
    return session.get(LocationNote, note_id)


def add_note(session: Session, note: LocationNote) -> None:
    session.add(note)


def live_notes(session: Session, location_id: str) -> list[LocationNote]:
    """The notes not deleted, oldest first."""
    return session.scalars(select(LocationNote).where(
        LocationNote.location_id == location_id, LocationNote.deleted_at.is_(None))
        .order_by(LocationNote.created_at)).all()


def contact(session: Session, contact_id: str) -> LocationContact | None:
    return session.get(LocationContact, contact_id)


def add_contact(session: Session, contact: LocationContact) -> None:
    session.add(contact)


def delete_contact(session: Session, contact: LocationContact) -> None:
    session.delete(contact)


def contacts_of(session: Session, location_id: str) -> list[LocationContact]:
    return list(session.scalars(select(LocationContact).where(LocationContact.location_id == location_id)
                                .order_by(LocationContact.role, LocationContact.name)))


# -- contracts ------------------------------------------------------------------------------
def contract(session: Session, contract_id: str, *, lock: bool = False) -> Contract | None:
    return session.get(Contract, contract_id, with_for_update=True) if lock else session.get(Contract, contract_id)


def add_contract(session: Session, contract: Contract) -> None:
    session.add(contract)


def contracts_of(session: Session, location_id: str) -> list[Contract]:
    """Every contract of a location, in the order they were asked for."""
    return session.scalars(select(Contract).where(Contract.location_id == location_id)
                           .order_by(Contract.requested_at)).all()


def approved_contracts(session: Session, location_id: str) -> list[Contract]:
    return session.scalars(select(Contract).where(
        Contract.location_id == location_id, Contract.status == "approved")
        .order_by(Contract.commissioner_kind, Contract.commissioner_code)).all()


def open_contract(session: Session, location_id: str, commissioner_code: str) -> Contract | None:
    """The location's contract with that commissioner still requested or approved."""
    return session.scalars(select(Contract).where(
        Contract.location_id == location_id, Contract.commissioner_code == commissioner_code,
        Contract.status.in_(["requested", "approved"]))).first()


def requested_contracts(session: Session, commissioner_codes: list[str] | None = None) -> list[Contract]:
    """Contracts waiting for a decision, oldest first; only those of
    `commissioner_codes` unless None."""
    query = select(Contract).where(Contract.status == "requested")
    if commissioner_codes is not None:
        query = query.where(Contract.commissioner_code.in_(commissioner_codes))
    return list(session.scalars(query.order_by(Contract.requested_at)))


def commissioner_name(session: Session, kind: str, code: str) -> str | None:
    """The name of a Local Authority (kind local_authority) or Sub-ICB."""
    found = session.get(LocalAuthority if kind == "local_authority" else SubIcb, code)
    return found.name if found else None


def commissioner_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The names of Local Authorities and Sub-ICBs, by code."""
    codes = set(codes)
    if not codes:
        return {}
    names = dict(session.execute(select(LocalAuthority.code, LocalAuthority.name)
                                 .where(LocalAuthority.code.in_(codes))).all())
    names.update(session.execute(select(SubIcb.code, SubIcb.name).where(SubIcb.code.in_(codes))).all())
    return names
