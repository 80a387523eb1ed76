"""Queries on England's geography (NHS regions, ICBs, Sub-ICB locations,
Local Authorities) and the postcode directory."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import Icb, ImportRun, LocalAuthority, NhsRegion, Outcode, Postcode, SubIcb


def _upsert(session: Session, model, rows: list[dict], key: str) -> None:
    if not rows:
        return
    statement = insert(model).values(rows)
    columns = {c: statement.excluded[c] for c in rows[0] if c != key}
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=columns))


def upsert_geography(session: Session, *, nhs_regions: list[dict], icbs: list[dict], sub_icbs: list[dict],
                     local_authorities: list[dict]) -> None:
    """Insert or update each level by code, regions first."""
    _upsert(session, NhsRegion, nhs_regions, "code")
    _upsert(session, Icb, icbs, "code")
    _upsert(session, SubIcb, sub_icbs, "code")
    _upsert(session, LocalAuthority, local_authorities, "code")


def all_commissioner_names(session: Session) -> dict[str, str]:
    """Every Local Authority's and Sub-ICB's name, by code."""
    known = {code: name for code, name in session.execute(select(LocalAuthority.code, LocalAuthority.name))}
    known.update(session.execute(select(SubIcb.code, SubIcb.name)).all())
    return known


def local_authorities(session: Session) -> list[LocalAuthority]:
    return list(session.scalars(select(LocalAuthority)))


def sub_icb_codes(session: Session) -> set[str]:
    return set(session.scalars(select(SubIcb.code)))


def geography_names(session: Session) -> dict[str, list[tuple]]:
    """Each level's codes and names (ICBs with their region, Sub-ICBs with
    their ICB), in code order."""
    return {
        "nhs_regions": [tuple(r) for r in session.execute(select(NhsRegion.code, NhsRegion.name)
                                                          .order_by(NhsRegion.code))],
        "icbs": [tuple(r) for r in session.execute(select(Icb.code, Icb.name, Icb.nhs_region_code).order_by(Icb.code))],
        "sub_icbs": [tuple(r) for r in session.execute(select(SubIcb.code, SubIcb.name, SubIcb.icb_code)
                                                       .order_by(SubIcb.code))],
        "local_authorities": [tuple(r) for r in session.execute(select(LocalAuthority.code, LocalAuthority.name)
                                                                .order_by(LocalAuthority.code))],
    }


# -- the postcode directory ----------------------------------------------------------------
def postcode(session: Session, code: str) -> Postcode | None:
    return session.get(Postcode, code)


def postcodes_by_code(session: Session, codes: Iterable[str]) -> dict:
    """Rows (postcode, latitude, longitude and alignment codes, read as
    attributes) of these postcodes, by postcode; not ORM objects."""
    columns = (Postcode.postcode, Postcode.latitude, Postcode.longitude, Postcode.la_code, Postcode.sub_icb_code,
               Postcode.icb_code, Postcode.nhs_region_code)
    return {p.postcode: p for p in session.execute(select(*columns).where(Postcode.postcode.in_(sorted(codes))))}


def outcode(session: Session, code: str) -> Outcode | None:
    return session.get(Outcode, code)


def district_alignment(session: Session, outcode: str) -> tuple | None:
    """The district's most common (la, sub-ICB, ICB, NHS region) codes, or None."""
    columns = (Postcode.la_code, Postcode.sub_icb_code, Postcode.icb_code, Postcode.nhs_region_code)
    return session.execute(
        select(*columns).where(Postcode.outcode == outcode).group_by(*columns)
        .order_by(func.count().desc()).limit(1)).first()


def postcodes_page(session: Session, after: str, limit: int) -> list[list]:
    """[postcode, latitude, longitude, la, sub-ICB] of the postcodes with
    coordinates, in order, `limit` of them after `after`."""
    return [list(row) for row in session.execute(
        select(Postcode.postcode, Postcode.latitude, Postcode.longitude, Postcode.la_code, Postcode.sub_icb_code)
        .where(Postcode.postcode > after, Postcode.latitude.is_not(None)).order_by(Postcode.postcode).limit(limit))]


def all_outcodes(session: Session) -> list[list]:
    """[outcode, latitude, longitude] of every district, in order."""
    return [list(row) for row in session.execute(
        select(Outcode.outcode, Outcode.latitude, Outcode.longitude).order_by(Outcode.outcode))]


def latest_applied_import(session: Session, kind: str) -> ImportRun | None:
    return session.scalars(select(ImportRun).where(ImportRun.kind == kind, ImportRun.status == "applied")
                           .order_by(ImportRun.started_at.desc()).limit(1)).first()


def add_import_run(session: Session, run: ImportRun) -> None:
    session.add(run)
