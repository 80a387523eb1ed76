"""The reports, read from the read model: utilisation (any two dimensions
against each other, over months), when each location last updated, the
public bed state of one area, and the data export."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from tracker_common.contracts.capacity import staleness
from tracker_common.contracts.errors import Forbidden, NotFound
from tracker_common.contracts.permissions import Action, Principal, Scope, scopes
from tracker_common.contracts.reporting import months_apart

from .. import repository
from ..repository import GEOGRAPHY
from ..rules import Group, add_months, fixed_names, rollup_level, table


def _require(actor: Principal, action: Action, refusal: str) -> set[Scope]:
    held = scopes(actor, action)
    if not held:
        raise Forbidden(refusal)
    return held


# -- utilisation -------------------------------------------------------------------------
def utilisation(connection: Connection, actor: Principal, query: dict, today: date) -> dict:
    """Capacity, beds used and spare, and utilisation, of the locations'
    positions in the months asked (this month by default), rows by one
    dimension against columns by another."""
    _require(actor, Action.VIEW_FULL_REPORTS, "Only commissioners, brokers, System Champions and "
                                              "administrators see utilisation reports.")
    first = query.get("from_month") or today.replace(day=1)
    last = query.get("to_month") or first
    rows_by, columns_by = query["rows"], query.get("columns")
    row_count = None
    if rows_by == "location":
        groups, row_count = _location_rows(connection, columns_by, first, last, query)
    elif level := rollup_level((rows_by, columns_by), query):
        groups = [Group(*row) for row in repository.rollup_groups(connection, rows_by, columns_by, first, last,
                                                                  level)]
    else:
        groups = [Group(*row) for row in repository.utilisation_groups(connection, rows_by, columns_by, first,
                                                                       last, query)]
    names = {dimension: _names(connection, dimension, {g.row if dimension == rows_by else g.column for g in groups})
             for dimension in filter(None, (rows_by, columns_by))}
    months = [f"{add_months(first, n):%Y-%m}" for n in range(months_apart(first, last))] \
        if "month" in (rows_by, columns_by) else []
    report = table(groups, names, rows_by, columns_by, query["page"], query["per_page"], months, row_count)
    return {**report, "from_month": f"{first:%Y-%m}", "to_month": f"{last:%Y-%m}",
            "areas": _area_filters(connection, query)}


def _location_rows(connection: Connection, columns_by: str | None, first: date, last: date,
                   query: dict) -> tuple[list[Group], int]:
    """Rows of locations, sorted and paged by the database: the page's
    cells and totals, the columns' totals and the grand total of every
    location (from the rollup where it can answer); and how many rows in all
    (every location counted in the grand total)."""
    totals = [(columns_by,), ()] if columns_by else [()]
    level = rollup_level((columns_by,), query)
    if level:
        found = repository.rollup_groups(connection, "location", columns_by, first, last, level, sets=totals)
    else:
        found = repository.utilisation_groups(connection, "location", columns_by, first, last, query, sets=totals)
    groups = [Group(*row) for row in found]
    row_count = next(g.locations for g in groups if g.row_total and g.column_total)
    page, per_page = query["page"], query["per_page"]
    shown = repository.location_page(connection, first, last, query, (page - 1) * per_page, per_page)
    if shown:
        cells = [("location", columns_by), ("location",)] if columns_by else [("location",)]
        groups += [Group(*row) for row in repository.utilisation_groups(
            connection, "location", columns_by, first, last, query, sets=cells, locations=shown)]
    return groups, row_count


def _names(connection: Connection, dimension: str, keys: set) -> dict[str, str]:
    keys = {k for k in keys if k is not None}
    if not keys:
        return {}
    if dimension in ("month", "vacancy_type", "kind"):
        return fixed_names(dimension, keys)
    if dimension == "location":
        found = repository.location_names(connection, keys)
    elif dimension == "provider":
        found = repository.provider_names(connection, keys)
    else:
        found = repository.area_names(connection, keys)
    return {key: name for key, name in found.items() if name}


def _area_filters(connection: Connection, query: dict) -> list[dict]:
    """The areas the report is limited to, named (to say so above the table)."""
    codes = [query[key] for key in GEOGRAPHY if query.get(key)]
    named = repository.area_names(connection, codes)
    return [{"filter": key, "code": query[key], "name": named.get(query[key])} for key in GEOGRAPHY if query.get(key)]


def areas(connection: Connection) -> dict:
    """Every area reports can be limited to, by kind, in name order (public:
    they are ONS names)."""
    found = {"nhs_regions": [], "icbs": [], "sub_icbs": [], "local_authorities": []}
    for kind, code, name, parent in repository.every_area(connection):
        found[f"{kind}s" if kind != "local_authority" else "local_authorities"].append(
            {"code": code, "name": name, "parent_code": parent})
    return found


# -- last modified capacity ---------------------------------------------------------------
def last_modified(connection: Connection, actor: Principal, query: dict, now: datetime) -> dict:
    """When each location last updated its capacity, those never updated
    first, then the oldest: where a reminder is most needed."""
    held = _require(actor, Action.VIEW_ACTIVITY_REPORTS, "You cannot see when locations last updated.")
    cutoff = now - timedelta(hours=query["not_updated_for_hours"]) if query.get("not_updated_for_hours") else None
    page, per_page = query["page"], query["per_page"]
    total, rows = repository.least_recently_updated(connection, actor, held, query, cutoff, page, per_page)
    areas = area_names(connection, rows)
    return {
        "locations": [{
            "location_id": row.location_id, "name": row.name, "provider_name": row.provider_name,
            "la_code": row.la_code, "la_name": areas.get(row.la_code), "sub_icb_code": row.sub_icb_code,
            "sub_icb_name": areas.get(row.sub_icb_code),
            "last_updated_at": row.last_updated_at.isoformat() if row.last_updated_at else None,
            "staleness": staleness(row.last_updated_at, now), "reminders_enabled": row.reminders_enabled,
        } for row in rows],
        "page": page, "per_page": per_page, "total": total, "has_more": page * per_page < total,
        "generated_at": now.isoformat(),
    }


def area_names(connection: Connection, rows) -> dict[str, str]:
    """The names of the areas `rows` (report locations) are in."""
    codes = {code for row in rows for code in (row.la_code, row.sub_icb_code, row.icb_code, row.nhs_region_code)
             if code}
    return repository.area_names(connection, codes)


# -- the public bed state -----------------------------------------------------------------
def bed_state(connection: Connection, query: dict, now: datetime) -> dict:
    """The latest vacancies of every active care home of one Local
    Authority or Sub-ICB, for publishing: no personal data, only what homes
    declare and when."""
    key = "la_code" if query.get("la_code") else "sub_icb_code"
    code = query[key]
    area = repository.area_named(connection, code)
    rows = repository.care_homes_in(connection, key, code)
    if area is None and not rows:
        what = "Local Authority" if key == "la_code" else "Sub-ICB"
        raise NotFound(f"No {what} has the code {code}.")
    totals: dict[str, int] = {}
    homes = []
    for row in rows:
        vacancies = [{"vacancy_type": v["vacancy_type"], "vacant_accepting": v["vacant_accepting"],
                      "flexible": v["flexible"]} for v in row.vacancies]
        for v in vacancies:
            totals[v["vacancy_type"]] = totals.get(v["vacancy_type"], 0) + v["vacant_accepting"]
        homes.append({"location_id": row.location_id, "name": row.name, "postcode": row.postcode,
                      "last_updated_at": row.last_updated_at.isoformat() if row.last_updated_at else None,
                      "staleness": staleness(row.last_updated_at, now), "admission_status": row.admission_status,
                      "vacancies": vacancies, "total_accepting": sum(v["vacant_accepting"] for v in vacancies)})
    return {"area": {"code": code, "kind": "local_authority" if key == "la_code" else "sub_icb",
                     "name": area.name if area else None},
            "generated_at": now.isoformat(), "locations": homes,
            "totals": [{"vacancy_type": t, "vacant_accepting": n} for t, n in sorted(totals.items())],
            "total_accepting": sum(totals.values())}


# -- the data export ----------------------------------------------------------------------
def export_rows(connection: Connection, actor: Principal, query: dict, limit: int) -> tuple[list, bool]:
    """Every location the actor may export, in name order, with its latest
    return (at most `limit`; True when there were more)."""
    held = _require(actor, Action.EXPORT_DATA, "Only people with the extended reporting permission export data.")
    rows = repository.locations_to_export(connection, actor, held, query, limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    return rows, truncated
