"""The reports, read from the read model: utilisation (any two dimensions
against each other, over months), when each location last updated, the
public bed state of one area, and the data export."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, text

from tracker_common.contracts.capacity import staleness
from tracker_common.contracts.errors import Forbidden, NotFound
from tracker_common.contracts.permissions import Action, Principal, Scope, scopes
from tracker_common.contracts.reporting import months_apart

from ..models import Area, ReportLocation
from ..rules import Group, add_months, fixed_names, table

# Each dimension as SQL over monthly_vacancies v and report_locations l
# (fixed text: never built from input).
DIMENSIONS = {
    "month": "to_char(v.month, 'YYYY-MM')", "vacancy_type": "v.vacancy_type", "location": "l.location_id",
    "provider": "l.provider_id", "kind": "l.kind", "local_authority": "l.la_code", "sub_icb": "l.sub_icb_code",
    "icb": "l.icb_code", "nhs_region": "l.nhs_region_code",
}
GEOGRAPHY = {"nhs_region_code": "nhs_region_code", "icb_code": "icb_code", "sub_icb_code": "sub_icb_code",
             "la_code": "la_code"}


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
    r = DIMENSIONS[rows_by]
    if columns_by:
        c = DIMENSIONS[columns_by]
        keys = f"{r} AS row_key, {c} AS column_key, GROUPING({r}) = 1 AS row_total, GROUPING({c}) = 1 AS column_total"
        grouping = f"GROUPING SETS (({r}, {c}), ({r}), ({c}), ())"
    else:
        keys = f"{r} AS row_key, NULL AS column_key, GROUPING({r}) = 1 AS row_total, true AS column_total"
        grouping = f"GROUPING SETS (({r}), ())"
    where, params = _geography_filters(query)
    statement = text(
        f"SELECT {keys}, COALESCE(sum(v.maximum_capacity), 0) AS maximum_capacity, "
        "COALESCE(sum(v.occupied), 0) AS occupied, COALESCE(sum(v.vacant), 0) AS vacant, "
        "count(DISTINCT l.location_id) AS locations "
        "FROM monthly_vacancies v JOIN report_locations l ON l.location_id = v.location_id "
        f"WHERE v.month BETWEEN :first AND :last {where} GROUP BY {grouping}")
    groups = [Group(*row) for row in connection.execute(statement, {"first": first, "last": last, **params})]
    names = {dimension: _names(connection, dimension, {g.row if dimension == rows_by else g.column for g in groups})
             for dimension in filter(None, (rows_by, columns_by))}
    months = [f"{add_months(first, n):%Y-%m}" for n in range(months_apart(first, last))] \
        if "month" in (rows_by, columns_by) else []
    report = table(groups, names, rows_by, columns_by, query["page"], query["per_page"], months)
    return {**report, "from_month": f"{first:%Y-%m}", "to_month": f"{last:%Y-%m}",
            "areas": _area_filters(connection, query)}


def _geography_filters(query: dict, alias: str = "l") -> tuple[str, dict]:
    clauses, params = [], {}
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            clauses.append(f"AND {alias}.{column} = :{key}")
            params[key] = query[key]
    return " ".join(clauses), params


def _names(connection: Connection, dimension: str, keys: set) -> dict[str, str]:
    keys = {k for k in keys if k is not None}
    if not keys:
        return {}
    if dimension in ("month", "vacancy_type", "kind"):
        return fixed_names(dimension, keys)
    if dimension == "location":
        found = select(ReportLocation.location_id, ReportLocation.name).where(ReportLocation.location_id.in_(keys))
    elif dimension == "provider":
        found = (select(ReportLocation.provider_id, func.max(ReportLocation.provider_name))
                 .where(ReportLocation.provider_id.in_(keys)).group_by(ReportLocation.provider_id))
    else:
        found = select(Area.code, Area.name).where(Area.code.in_(keys))
    return {key: name for key, name in connection.execute(found) if name}


def _area_filters(connection: Connection, query: dict) -> list[dict]:
    """The areas the report is limited to, named (to say so above the table)."""
    codes = [query[key] for key in GEOGRAPHY if query.get(key)]
    named = dict(connection.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all()) if codes else {}
    return [{"filter": key, "code": query[key], "name": named.get(query[key])} for key in GEOGRAPHY if query.get(key)]


def areas(connection: Connection) -> dict:
    """Every area reports can be limited to, by kind, in name order (public:
    they are ONS names)."""
    found = {"nhs_regions": [], "icbs": [], "sub_icbs": [], "local_authorities": []}
    rows = connection.execute(select(Area.kind, Area.code, Area.name, Area.parent_code).order_by(Area.name, Area.code))
    for kind, code, name, parent in rows:
        found[f"{kind}s" if kind != "local_authority" else "local_authorities"].append(
            {"code": code, "name": name, "parent_code": parent})
    return found


# -- last modified capacity ---------------------------------------------------------------
def _scope_condition(actor: Principal, held: set[Scope]):
    """Which locations `actor` sees in a report, as a condition (None: all)."""
    if Scope.ANY in held:
        return None
    own = [ReportLocation.location_id.in_(sorted(actor.location_ids))]
    if actor.all_locations:
        own.append(ReportLocation.provider_id == actor.organisation_id)
    aligned = [ReportLocation.la_code.in_(sorted(actor.aligned_codes)),
               ReportLocation.sub_icb_code.in_(sorted(actor.aligned_codes))]
    conditions = []
    if held & {Scope.OWN, Scope.OWN_OR_ALIGNED}:
        conditions += own
    if held & {Scope.ALIGNED, Scope.OWN_OR_ALIGNED}:
        conditions += aligned
    return or_(*conditions)


def _location_filters(actor: Principal, held: set[Scope], query: dict) -> list:
    conditions = [ReportLocation.active, ReportLocation.location_version > 0]  # a known, active location
    scope = _scope_condition(actor, held)
    if scope is not None:
        conditions.append(scope)
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            conditions.append(getattr(ReportLocation, column) == query[key])
    return conditions


def last_modified(connection: Connection, actor: Principal, query: dict, now: datetime) -> dict:
    """When each location last updated its capacity, those never updated
    first, then the oldest: where a reminder is most needed."""
    held = _require(actor, Action.VIEW_ACTIVITY_REPORTS, "You cannot see when locations last updated.")
    conditions = _location_filters(actor, held, query)
    if query.get("not_updated_for_hours"):
        cutoff = now - timedelta(hours=query["not_updated_for_hours"])
        conditions.append(or_(ReportLocation.last_updated_at.is_(None), ReportLocation.last_updated_at < cutoff))
    total = connection.scalar(select(func.count()).select_from(ReportLocation).where(and_(*conditions)))
    page, per_page = query["page"], query["per_page"]
    rows = connection.execute(
        select(ReportLocation).where(and_(*conditions))
        .order_by(ReportLocation.last_updated_at.asc().nulls_first(), ReportLocation.name, ReportLocation.location_id)
        .offset((page - 1) * per_page).limit(per_page)).all()
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
    return dict(connection.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all()) if codes else {}


# -- the public bed state -----------------------------------------------------------------
def bed_state(connection: Connection, query: dict, now: datetime) -> dict:
    """The latest vacancies of every active care home of one Local
    Authority or Sub-ICB, for publishing: no personal data, only what homes
    declare and when."""
    key = "la_code" if query.get("la_code") else "sub_icb_code"
    code = query[key]
    area = connection.execute(select(Area.name, Area.kind).where(Area.code == code)).first()
    rows = connection.execute(
        select(ReportLocation).where(ReportLocation.active, getattr(ReportLocation, key) == code,
                                     ReportLocation.location_version > 0,
                                     or_(ReportLocation.kind == "care_home", ReportLocation.kind.is_(None)))
        .order_by(ReportLocation.name, ReportLocation.location_id)).all()
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
    conditions = _location_filters(actor, held, query)
    rows = connection.execute(
        select(ReportLocation).where(and_(*conditions))
        .order_by(ReportLocation.name, ReportLocation.location_id).limit(limit + 1)).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    return rows, truncated
