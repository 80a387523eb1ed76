"""Keeping the monthly rollup (models.MonthlyRollup) with the figures: what
a set of locations adds to it is worked out from their figures and their
areas before a change and after it, and the difference added, in one
statement, in key order."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..models import NEVER

KEY = ("area_kind", "month", "area_code", "vacancy_type", "previous_month")
FIGURES = ("maximum_capacity", "occupied", "vacant", "locations")
# What the locations of `scope` (location, from month) add to the rollup
# from that month on: a row per area kind, month, area, vacancy type ('' for
# all) and previous month. (Their earlier months are read too: a month's
# previous month may be before `from`.)
SCOPE = ("scope AS (SELECT * FROM unnest(CAST(:scope_ids AS text[]), CAST(:scope_from AS date[])) "
         "AS k(location_id, from_month)), ")
CONTRIBUTIONS = """
typed AS (
  SELECT v.location_id, v.month, v.vacancy_type, v.maximum_capacity, v.occupied, v.vacant, k.from_month,
         COALESCE(lag(v.month) OVER (PARTITION BY v.location_id, v.vacancy_type ORDER BY v.month),
                  CAST(:never AS date)) AS previous_month
  FROM {source}),
every_type AS (
  SELECT location_id, month, '' AS vacancy_type, sum(maximum_capacity) AS maximum_capacity,
         sum(occupied) AS occupied, sum(vacant) AS vacant, from_month,
         COALESCE(lag(month) OVER (PARTITION BY location_id ORDER BY month), CAST(:never AS date)) AS previous_month
  FROM typed GROUP BY location_id, month, from_month),
figures AS (
  SELECT location_id, month, vacancy_type, maximum_capacity, occupied, vacant, previous_month
  FROM typed WHERE month >= from_month
  UNION ALL
  SELECT location_id, month, vacancy_type, maximum_capacity, occupied, vacant, previous_month
  FROM every_type WHERE month >= from_month),
places AS (
  SELECT l.location_id, a.area_kind, a.area_code FROM {places}
  CROSS JOIN LATERAL (VALUES ('england', ''), ('nhs_region', COALESCE(l.nhs_region_code, '')),
                             ('icb', COALESCE(l.icb_code, '')), ('sub_icb', COALESCE(l.sub_icb_code, '')),
                             ('local_authority', COALESCE(l.la_code, ''))) AS a(area_kind, area_code))
SELECT a.area_kind, f.month, a.area_code, f.vacancy_type, f.previous_month,
       CAST(sum(f.maximum_capacity) AS int) AS maximum_capacity, CAST(sum(f.occupied) AS int) AS occupied,
       CAST(sum(f.vacant) AS int) AS vacant, CAST(count(*) AS int) AS locations
FROM figures f JOIN places a ON a.location_id = f.location_id
GROUP BY a.area_kind, f.month, a.area_code, f.vacancy_type, f.previous_month"""
# (OFFSET 0 keeps the planner reading each location's figures by its key.)
SCOPED = CONTRIBUTIONS.format(source="scope k CROSS JOIN LATERAL (SELECT * FROM monthly_vacancies v "
                                     "WHERE v.location_id = k.location_id OFFSET 0) AS v",
                              places="scope k JOIN report_locations l ON l.location_id = k.location_id")
EVERYONE = CONTRIBUTIONS.format(source="monthly_vacancies v CROSS JOIN (SELECT CAST(:never AS date) AS from_month) k",
                                places="report_locations l")


def _no_jit(session: Session) -> None:
    """No JIT compiling for the upkeep's statements in this transaction: a
    few thousand rows read by key, where compiling (estimated from a
    table's size) took seconds."""
    session.execute(text("SET LOCAL jit = off"))


def _scope(scope: dict[str, date]) -> dict:
    ids = sorted(scope)
    return {"scope_ids": ids, "scope_from": [scope[i] for i in ids], "never": NEVER}


def rollup_contributions(session: Session, scope: dict[str, date]) -> list[tuple]:
    """What the locations of `scope` add to the rollup from the month given
    each: rows of (*KEY, *FIGURES)."""
    if not scope:
        return []
    _no_jit(session)
    return [tuple(row) for row in session.execute(text(f"WITH {SCOPE}{SCOPED}"), _scope(scope))]


def update_rollup(session: Session, scope: dict[str, date], before: list[tuple]) -> None:
    """The rollup changed by what the locations of `scope` add now less what
    they added `before` (from rollup_contributions before the change); rows
    left with no location go. The locations' rows must be held locked from
    before the change (repository.lock_locations)."""
    if not scope:
        return
    _no_jit(session)
    columns = list(zip(*before)) if before else [[] for _ in KEY + FIGURES]
    types = ("text", "date", "text", "text", "date", "int", "int", "int", "int")
    params = {**_scope(scope), **{f"b_{name}": list(values) for name, values in zip(KEY + FIGURES, columns)}}
    unnest = ", ".join(f"CAST(:b_{name} AS {kind}[])" for name, kind in zip(KEY + FIGURES, types))
    key, figures = ", ".join(KEY), ", ".join(FIGURES)
    changed = session.execute(text(
        f"WITH {SCOPE}added AS (WITH {SCOPED}), "
        f"was AS (SELECT * FROM unnest({unnest}) AS b({key}, {figures})), "
        f"difference AS (SELECT {key}, sum(maximum_capacity) AS maximum_capacity, sum(occupied) AS occupied, "
        "sum(vacant) AS vacant, sum(locations) AS locations FROM ("
        f"SELECT {key}, {figures} FROM added UNION ALL "
        f"SELECT {key}, -maximum_capacity, -occupied, -vacant, -locations FROM was) AS d "
        f"GROUP BY {key} HAVING sum(maximum_capacity) <> 0 OR sum(occupied) <> 0 OR sum(vacant) <> 0 "
        "OR sum(locations) <> 0) "
        f"INSERT INTO monthly_rollup AS r ({key}, {figures}) "
        f"SELECT {key}, {figures} FROM difference ORDER BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{name} = r.{name} + excluded.{name}" for name in FIGURES)
        + f" RETURNING {key}, locations"), params).all()
    emptied = [row[:len(KEY)] for row in changed if row[-1] == 0]
    if emptied:
        columns = list(zip(*emptied))
        session.execute(text(
            "DELETE FROM monthly_rollup r USING unnest("
            + ", ".join(f"CAST(:b_{name} AS {kind}[])" for name, kind in zip(KEY, types)) + ") "
            f"AS e({key}) WHERE " + " AND ".join(f"r.{name} = e.{name}" for name in KEY)),
            {f"b_{name}": list(values) for name, values in zip(KEY, columns)})


def recompute_rollup(session) -> None:
    """The rollup worked out again from every location's figures (the
    migration that brings it, and a check)."""
    session.execute(text("DELETE FROM monthly_rollup"))
    session.execute(text(
        f"INSERT INTO monthly_rollup ({', '.join(KEY + FIGURES)}) WITH {EVERYONE}"), {"never": NEVER})
