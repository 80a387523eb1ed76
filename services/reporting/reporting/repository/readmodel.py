"""Keeping the read model: profiles, latest returns, each month's position
and figures, the collection windows, the geography. Rows of a batch are
written in one statement a table, in key order."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import Area

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


def _unnest(rows: list[dict], columns: dict[str, str]) -> tuple[str, dict]:
    """`rows` as arrays, a column each ({column: its SQL type}): the SQL that
    unnests them into rows (in the order given) and its parameters. One
    statement however many rows, compiled once."""
    sql = ", ".join(f"CAST(:{c} AS {kind}[])" for c, kind in columns.items())
    return f"unnest({sql}) AS n({', '.join(columns)})", {c: [row[c] for row in rows] for c in columns}


PROFILE_TYPES = {"location_id": "text", "location_version": "int", "name": "text", "provider_id": "text",
                 "provider_name": "text", "kind": "text", "postcode": "text", "la_code": "text",
                 "sub_icb_code": "text", "icb_code": "text", "nhs_region_code": "text", "active": "boolean",
                 "reminders_enabled": "boolean"}
RETURN_TYPES = {"location_id": "text", "return_sequence": "int", "last_updated_at": "timestamptz",
                "vacancies": "jsonb", "admission_status": "text", "provider_id": "text", "la_code": "text",
                "sub_icb_code": "text"}


def upsert_profiles(session: Session, rows: list[dict]) -> int:
    """Each location's profile, where newer than the one held: how many were."""
    rows_sql, params = _unnest(rows, PROFILE_TYPES)
    columns = ", ".join(PROFILE_TYPES)
    return len(session.execute(text(
        f"INSERT INTO report_locations AS l ({columns}) SELECT {columns} FROM {rows_sql} "
        "ON CONFLICT (location_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in ("location_version", *PROFILE))
        + " WHERE l.location_version < excluded.location_version RETURNING l.location_id"), params).all())


def upsert_latest_returns(session: Session, rows: list[dict]) -> list[tuple]:
    """Each location's latest return, where newer than the one held; until
    the profile arrives, the return's own alignment stands in. The (location,
    sequence) of those taken."""
    rows_sql, params = _unnest([{**row, "vacancies": json.dumps(row["vacancies"])} for row in rows], RETURN_TYPES)
    columns = ", ".join(RETURN_TYPES)
    return [tuple(taken) for taken in session.execute(text(
        f"INSERT INTO report_locations AS l ({columns}) SELECT {columns} FROM {rows_sql} "
        "ON CONFLICT (location_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in ("return_sequence", "last_updated_at", "vacancies",
                                                    "admission_status"))
        + ", " + ", ".join(f"{c} = CASE WHEN l.location_version = 0 THEN excluded.{c} ELSE l.{c} END"
                           for c in ("provider_id", "la_code", "sub_icb_code"))
        + " WHERE l.return_sequence < excluded.return_sequence RETURNING l.location_id, l.return_sequence"),
        params)]


def take_monthly_positions(session: Session, rows: list[dict]) -> list[tuple]:
    """Each (location, month)'s position where newer than the one held; the
    keys of those taken (their rows locked)."""
    rows_sql, params = _unnest(rows, {"location_id": "text", "month": "date", "sequence": "int",
                                      "submitted_at": "timestamptz"})
    return [tuple(key) for key in session.execute(text(
        "INSERT INTO monthly_positions AS p (location_id, month, sequence, submitted_at) "
        f"SELECT location_id, month, sequence, submitted_at FROM {rows_sql} "
        "ON CONFLICT (location_id, month) DO UPDATE SET sequence = excluded.sequence, "
        "submitted_at = excluded.submitted_at WHERE p.sequence < excluded.sequence "
        "RETURNING p.location_id, p.month"), params)]


def replace_monthly_vacancies(session: Session, keys: list[tuple], figures: list[dict]) -> None:
    """The figures of the (location, month) `keys` replaced by `figures`.
    (Two arrays unnested: a list of pairs as large as a rebuild's page would
    exceed PostgreSQL's stack as an IN list.)"""
    session.execute(text(
        "DELETE FROM monthly_vacancies v USING unnest(CAST(:ids AS text[]), CAST(:months AS date[])) AS k(id, month) "
        "WHERE v.location_id = k.id AND v.month = k.month"),
        {"ids": [key[0] for key in keys], "months": [key[1] for key in keys]})
    if figures:
        rows_sql, params = _unnest(figures, {"location_id": "text", "month": "date", "vacancy_type": "text",
                                             "maximum_capacity": "int", "occupied": "int", "vacant": "int"})
        session.execute(text(
            "INSERT INTO monthly_vacancies (location_id, month, vacancy_type, maximum_capacity, occupied, vacant) "
            f"SELECT location_id, month, vacancy_type, maximum_capacity, occupied, vacant FROM {rows_sql}"), params)


def keep_earliest_returns(session: Session, earliest: dict[str, datetime]) -> None:
    """Each location's first return: the earliest of the one held and this."""
    session.execute(text(
        "UPDATE report_locations l SET first_return_at = LEAST(l.first_return_at, k.at) "
        "FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS k(id, at) WHERE l.location_id = k.id"),
        {"ids": sorted(earliest), "ats": [earliest[k] for k in sorted(earliest)]})


def widen_collection_windows(session: Session, windows: dict[tuple, list[datetime]]) -> None:
    """The first and last return of each (location, month) within its
    collection window: the least and the greatest of those held and these."""
    rows_sql, params = _unnest([{"location_id": key[0], "month": key[1], "first_at": at[0], "last_at": at[1]}
                                for key, at in sorted(windows.items())],
                               {"location_id": "text", "month": "date", "first_at": "timestamptz",
                                "last_at": "timestamptz"})
    session.execute(text(
        "INSERT INTO collection_returns AS c (location_id, month, first_at, last_at) "
        f"SELECT location_id, month, first_at, last_at FROM {rows_sql} "
        "ON CONFLICT (location_id, month) DO UPDATE SET first_at = LEAST(c.first_at, excluded.first_at), "
        "last_at = GREATEST(c.last_at, excluded.last_at)"),
        params)


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
