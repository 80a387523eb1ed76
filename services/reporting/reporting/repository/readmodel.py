"""Keeping the read model: profiles, latest returns, each month's position
and figures, the collection windows, the geography. Rows of a batch are
written in one statement a table, in key order."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import Area, CollectionReturn, MonthlyPosition, MonthlyVacancy, ReportLocation

GEOGRAPHY_LOCK = 74_301  # advisory lock: applying a geography
PROFILE = ("name", "provider_id", "provider_name", "kind", "postcode", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code", "active", "reminders_enabled")


def lock_locations(session: Session, ids: list[str]) -> dict[str, int]:
    """The rows of locations `ids` locked until the transaction ends, in key
    order (those not heard of yet first made, keyed only): whoever changes a
    location's months or areas holds its row, so the rollup's upkeep sees
    each change whole. Returns location -> the profile's version held (0:
    none yet)."""
    ids = sorted(set(ids))
    session.execute(text(
        "INSERT INTO report_locations (location_id) SELECT id FROM unnest(CAST(:ids AS text[])) AS k(id) "
        "ORDER BY id ON CONFLICT (location_id) DO NOTHING"), {"ids": ids})
    return dict(session.execute(text(
        "SELECT location_id, location_version FROM report_locations WHERE location_id = ANY(CAST(:ids AS text[])) "
        "ORDER BY location_id FOR UPDATE"), {"ids": ids}).all())


def moving_locations(session: Session, rows: list[dict]) -> list[str]:
    """Those of the profiles `rows` that are newer than the one held and
    put their location in other areas."""
    return list(session.scalars(text(
        "SELECT l.location_id FROM report_locations l JOIN unnest(CAST(:ids AS text[]), CAST(:versions AS int[]), "
        "CAST(:la AS text[]), CAST(:sub AS text[]), CAST(:icb AS text[]), CAST(:region AS text[])) "
        "AS n(id, version, la_code, sub_icb_code, icb_code, nhs_region_code) ON n.id = l.location_id "
        "WHERE l.location_version < n.version AND (l.la_code, l.sub_icb_code, l.icb_code, l.nhs_region_code) "
        "IS DISTINCT FROM (n.la_code, n.sub_icb_code, n.icb_code, n.nhs_region_code)"),
        {"ids": [r["location_id"] for r in rows], "versions": [r["location_version"] for r in rows],
         **{key: [r[column] for r in rows] for key, column in (("la", "la_code"), ("sub", "sub_icb_code"),
                                                                ("icb", "icb_code"), ("region", "nhs_region_code"))}}))


def upsert_profiles(session: Session, rows: list[dict]) -> int:
    """Each location's profile, where newer than the one held: how many were."""
    statement = insert(ReportLocation).values(rows)
    return len(session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={c: statement.excluded[c] for c in ("location_version", *PROFILE)},
        where=ReportLocation.location_version < statement.excluded.location_version)
        .returning(ReportLocation.location_id)).all())


def upsert_latest_returns(session: Session, rows: list[dict]) -> list[tuple]:
    """Each location's latest return, where newer than the one held; until
    the profile arrives, the return's own alignment stands in. The (location,
    sequence) of those taken."""
    statement = insert(ReportLocation).values(rows)
    no_profile_yet = ReportLocation.location_version == 0
    return [tuple(taken) for taken in session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={**{c: statement.excluded[c] for c in ("return_sequence", "last_updated_at", "vacancies",
                                                    "admission_status")},
              **{c: case((no_profile_yet, statement.excluded[c]), else_=getattr(ReportLocation, c))
                 for c in ("provider_id", "la_code", "sub_icb_code")}},
        where=ReportLocation.return_sequence < statement.excluded.return_sequence)
        .returning(ReportLocation.location_id, ReportLocation.return_sequence)).all()]


def take_monthly_positions(session: Session, rows: list[dict]) -> list[tuple]:
    """Each (location, month)'s position where newer than the one held; the
    keys of those taken (their rows locked)."""
    statement = insert(MonthlyPosition).values(rows)
    return [tuple(key) for key in session.execute(statement.on_conflict_do_update(
        index_elements=["location_id", "month"],
        set_={c: statement.excluded[c] for c in ("sequence", "submitted_at")},
        where=MonthlyPosition.sequence < statement.excluded.sequence)
        .returning(MonthlyPosition.location_id, MonthlyPosition.month)).all()]


def replace_monthly_vacancies(session: Session, keys: list[tuple], figures: list[dict]) -> None:
    """The figures of the (location, month) `keys` replaced by `figures`.
    (Two arrays unnested: a list of pairs as large as a rebuild's page would
    exceed PostgreSQL's stack as an IN list.)"""
    session.execute(text(
        "DELETE FROM monthly_vacancies v USING unnest(CAST(:ids AS text[]), CAST(:months AS date[])) AS k(id, month) "
        "WHERE v.location_id = k.id AND v.month = k.month"),
        {"ids": [key[0] for key in keys], "months": [key[1] for key in keys]})
    if figures:
        session.execute(insert(MonthlyVacancy).values(figures))


def keep_earliest_returns(session: Session, earliest: dict[str, datetime]) -> None:
    """Each location's first return: the earliest of the one held and this."""
    session.execute(text(
        "UPDATE report_locations l SET first_return_at = LEAST(l.first_return_at, k.at) "
        "FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS k(id, at) WHERE l.location_id = k.id"),
        {"ids": sorted(earliest), "ats": [earliest[k] for k in sorted(earliest)]})


def widen_collection_windows(session: Session, windows: dict[tuple, list[datetime]]) -> None:
    """The first and last return of each (location, month) within its
    collection window: the least and the greatest of those held and these."""
    statement = insert(CollectionReturn).values([
        {"location_id": key[0], "month": key[1], "first_at": at[0], "last_at": at[1]}
        for key, at in sorted(windows.items())])
    session.execute(statement.on_conflict_do_update(
        index_elements=["location_id", "month"],
        set_={"first_at": func.least(CollectionReturn.first_at, statement.excluded.first_at),
              "last_at": func.greatest(CollectionReturn.last_at, statement.excluded.last_at)}))


def lock_geography(session: Session) -> None:
    """One geography applied at a time (until the transaction ends)."""
    session.execute(select(func.pg_advisory_xact_lock(GEOGRAPHY_LOCK)))


def newest_geography_version(session: Session) -> int:
    return session.scalar(select(func.max(Area.version))) or 0


def upsert_areas(session: Session, rows: list[dict], version: int) -> None:
    """The areas of geography `version`, keeping those of a newer one; those
    of older geographies go."""
    for start in range(0, len(rows), 1_000):
        statement = insert(Area).values(rows[start:start + 1_000])
        session.execute(statement.on_conflict_do_update(
            index_elements=["code"], set_={c: statement.excluded[c] for c in ("kind", "name", "parent_code",
                                                                               "version")},
            where=Area.version <= statement.excluded.version))
    session.execute(delete(Area).where(Area.version < version))


def area_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area))
