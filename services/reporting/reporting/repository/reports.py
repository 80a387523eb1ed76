"""The reports' queries: areas and their names, utilisation (from the
figures, or from the monthly rollup where it can answer), the locations an
actor sees, the ASC collection's compliance."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, and_, func, or_, select, text

from tracker_common.contracts.permissions import Principal, Scope

from ..models import Area, ReportLocation

# Each dimension as SQL over monthly_vacancies v and report_locations l
# (fixed text: never built from input).
DIMENSIONS = {
    "month": "to_char(v.month, 'YYYY-MM')", "vacancy_type": "v.vacancy_type", "location": "l.location_id",
    "provider": "l.provider_id", "kind": "l.kind", "local_authority": "l.la_code", "sub_icb": "l.sub_icb_code",
    "icb": "l.icb_code", "nhs_region": "l.nhs_region_code",
}
# ... and over the monthly rollup r, for the dimensions it holds.
ROLLUP_DIMENSIONS = {
    "month": "to_char(r.month, 'YYYY-MM')", "vacancy_type": "r.vacancy_type",
    **{area: "NULLIF(r.area_code, '')" for area in ("local_authority", "sub_icb", "icb", "nhs_region")},
}
# Locations in the order reports show them, as rules.ordered sorts them in
# Python: the name in lower case (the code where there is no name), code
# point by code point, then the code.
LOCATION_ORDER = ("lower(COALESCE(NULLIF(l.name, ''), l.location_id)) COLLATE \"C\", "
                  "l.location_id COLLATE \"C\"")
# The area a query is limited to: its key -> the column of report_locations
GEOGRAPHY = {"nhs_region_code": "nhs_region_code", "icb_code": "icb_code", "sub_icb_code": "sub_icb_code",
             "la_code": "la_code"}
AREA_COLUMNS = ("la_code", "sub_icb_code", "icb_code", "nhs_region_code")


# -- areas ---------------------------------------------------------------------------------
def area_names(connection: Connection, codes) -> dict[str, str]:
    """code -> name of the areas of `codes` known."""
    codes = list(codes)
    return dict(connection.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all()) if codes else {}


def parent_of(connection: Connection, code: str) -> str | None:
    return connection.scalar(select(Area.parent_code).where(Area.code == code))


def area_named(connection: Connection, code: str):
    """(name, kind) of an area, or None."""
    return connection.execute(select(Area.name, Area.kind).where(Area.code == code)).first()


def every_area(connection: Connection):
    """(kind, code, name, parent code) of every area, in name order."""
    return connection.execute(select(Area.kind, Area.code, Area.name, Area.parent_code)
                              .order_by(Area.name, Area.code))


# -- utilisation ---------------------------------------------------------------------------
def _sets(rows_by: str, columns_by: str | None, sets) -> list[tuple]:
    """The grouping sets asked (default: the cells and every total)."""
    if sets is not None:
        return list(sets)
    return [(rows_by, columns_by), (rows_by,), (columns_by,), ()] if columns_by else [(rows_by,), ()]


def utilisation_groups(connection: Connection, rows_by: str, columns_by: str | None, first: date, last: date,
                       query: dict, *, sets=None, locations: list[str] | None = None) -> list[tuple]:
    """Capacity, used and spare beds and locations of the months' positions,
    grouped by `rows_by` (and `columns_by`), with every subtotal (or the
    grouping `sets` asked), from the figures (of `locations` only, when
    given): rows of (row key, column key, row total?, column total?,
    capacity, occupied, vacant, locations)."""
    sets = _sets(rows_by, columns_by, sets)
    grouped = {d for s in sets for d in s}
    keys, totals = [], []
    for name, dimension in (("row", rows_by), ("column", columns_by)):
        if dimension in grouped:
            keys.append(f"{DIMENSIONS[dimension]} AS {name}_key")
            totals.append(f"GROUPING({DIMENSIONS[dimension]}) = 1 AS {name}_total")
        else:
            keys.append(f"NULL AS {name}_key")
            totals.append(f"true AS {name}_total")
    grouping = ", ".join("(" + ", ".join(DIMENSIONS[d] for d in s) + ")" for s in sets)
    clauses, params = [], {}
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            clauses.append(f"AND l.{column} = :{key}")
            params[key] = query[key]
    if locations is not None:
        clauses.append("AND l.location_id = ANY(CAST(:locations AS text[]))")
        params["locations"] = list(locations)
    statement = text(
        f"SELECT {', '.join(keys + totals)}, COALESCE(sum(v.maximum_capacity), 0) AS maximum_capacity, "
        "COALESCE(sum(v.occupied), 0) AS occupied, COALESCE(sum(v.vacant), 0) AS vacant, "
        "count(DISTINCT l.location_id) AS locations "
        "FROM monthly_vacancies v JOIN report_locations l ON l.location_id = v.location_id "
        f"WHERE v.month BETWEEN :first AND :last {' '.join(clauses)} GROUP BY GROUPING SETS ({grouping})")
    return list(connection.execute(statement, {"first": first, "last": last, **params}))


def rollup_groups(connection: Connection, rows_by: str, columns_by: str | None, first: date, last: date,
                  level: tuple[str, str | None], *, sets=None) -> list[tuple]:
    """As utilisation_groups, from the monthly rollup of the areas of kind
    `level[0]` (only `level[1]` when given): month, vacancy type and that
    kind of area the only dimensions. A location counts once in a total
    over months: in its first month of the range (the row whose previous
    month is before the first)."""
    selects = []
    for grouped in _sets(rows_by, columns_by, sets):
        keys, totals = [], []
        for name, dimension in (("row", rows_by), ("column", columns_by)):
            shown = dimension in grouped
            keys.append(f"{ROLLUP_DIMENSIONS.get(dimension, '') if shown else 'CAST(NULL AS text)'} AS {name}_key")
            totals.append(f"{'false' if shown else 'true'} AS {name}_total")
        locations = "sum(r.locations)" if "month" in grouped else \
            "COALESCE(sum(r.locations) FILTER (WHERE r.previous_month < :first), 0)"
        by = [ROLLUP_DIMENSIONS[d] for d in grouped]
        selects.append(
            f"SELECT {', '.join(keys + totals)}, CAST(COALESCE(sum(r.maximum_capacity), 0) AS bigint), "
            "CAST(COALESCE(sum(r.occupied), 0) AS bigint), CAST(COALESCE(sum(r.vacant), 0) AS bigint), "
            f"CAST({locations} AS bigint) FROM monthly_rollup r "
            "WHERE r.area_kind = :kind AND r.month BETWEEN :first AND :last "
            f"{'AND r.area_code = :code ' if level[1] is not None else ''}"
            f"AND r.vacancy_type {'<>' if 'vacancy_type' in grouped else '='} '' "
            + (f"GROUP BY {', '.join(by)}" if by else ""))
    return list(connection.execute(text(" UNION ALL ".join(selects)),
                                   {"first": first, "last": last, "kind": level[0], "code": level[1]}))


def location_page(connection: Connection, first: date, last: date, query: dict, offset: int,
                  limit: int) -> list[str]:
    """The locations with figures in the months (of the query's areas), in
    the order reports show them (by name, lower case, as Python compares
    strings; by code where the name is the same or missing): those from
    `offset`, at most `limit`."""
    clauses, params = [], {"first": first, "last": last, "offset": offset, "limit": limit}
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            clauses.append(f"AND l.{column} = :{key}")
            params[key] = query[key]
    return list(connection.scalars(text(
        "SELECT l.location_id FROM report_locations l WHERE EXISTS (SELECT FROM monthly_vacancies v "
        "WHERE v.location_id = l.location_id AND v.month BETWEEN :first AND :last) "
        f"{' '.join(clauses)} ORDER BY {LOCATION_ORDER} OFFSET :offset LIMIT :limit"), params))


def location_names(connection: Connection, ids: set) -> dict:
    return dict(connection.execute(
        select(ReportLocation.location_id, ReportLocation.name).where(ReportLocation.location_id.in_(ids))).all())


def provider_names(connection: Connection, ids: set) -> dict:
    return dict(connection.execute(
        select(ReportLocation.provider_id, func.max(ReportLocation.provider_name))
        .where(ReportLocation.provider_id.in_(ids)).group_by(ReportLocation.provider_id)).all())


# -- the locations an actor sees -----------------------------------------------------------
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


def least_recently_updated(connection: Connection, actor: Principal, held: set[Scope], query: dict,
                           not_updated_since: datetime | None, page: int, per_page: int) -> tuple[int, list]:
    """The locations the actor sees (of the query's area, not updated since
    the time given), never updated first, then the oldest: how many, and
    the page's."""
    conditions = _location_filters(actor, held, query)
    if not_updated_since is not None:
        conditions.append(or_(ReportLocation.last_updated_at.is_(None),
                              ReportLocation.last_updated_at < not_updated_since))
    total = connection.scalar(select(func.count()).select_from(ReportLocation).where(and_(*conditions)))
    rows = connection.execute(
        select(ReportLocation).where(and_(*conditions))
        .order_by(ReportLocation.last_updated_at.asc().nulls_first(), ReportLocation.name, ReportLocation.location_id)
        .offset((page - 1) * per_page).limit(per_page)).all()
    return total, rows


def locations_to_export(connection: Connection, actor: Principal, held: set[Scope], query: dict,
                        limit: int) -> list:
    """The locations the actor sees (of the query's area), in name order, at most `limit`."""
    return connection.execute(
        select(ReportLocation).where(and_(*_location_filters(actor, held, query)))
        .order_by(ReportLocation.name, ReportLocation.location_id).limit(limit)).all()


def care_homes_in(connection: Connection, column: str, code: str) -> list:
    """The active care homes of an area (`column`: la_code or sub_icb_code), by name."""
    return connection.execute(
        select(ReportLocation).where(ReportLocation.active, getattr(ReportLocation, column) == code,
                                     ReportLocation.location_version > 0,
                                     or_(ReportLocation.kind == "care_home", ReportLocation.kind.is_(None)))
        .order_by(ReportLocation.name, ReportLocation.location_id)).all()


# -- collection compliance -----------------------------------------------------------------
def collection_history(connection: Connection, within: set[str] | None, query: dict, first: date,
                       last: date) -> list:
    """Each active location of the query's area (within the areas `within`,
    None: anywhere), by name, with when it appeared and the months from
    `first` to `last` it sent a return within the window (and when first)."""
    clauses, params = ["l.active", "l.location_version > 0"], {"first": first, "last": last}
    if within is not None:
        params["within"] = sorted(within)
        clauses.append("(" + " OR ".join(f"l.{c} = ANY(:within)" for c in AREA_COLUMNS) + ")")
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            clauses.append(f"l.{column} = :{key}")
            params[key] = query[key]
    return connection.execute(text(
        "SELECT l.location_id, l.name, l.provider_name, l.la_code, l.sub_icb_code, "
        "LEAST(l.first_seen_at, l.first_return_at) AS appeared_at, "
        "COALESCE(array_agg(c.month ORDER BY c.month) FILTER (WHERE c.month IS NOT NULL), '{}') AS months, "
        "COALESCE(array_agg(c.first_at ORDER BY c.month) FILTER (WHERE c.month IS NOT NULL), '{}') AS sent "
        "FROM report_locations l LEFT JOIN collection_returns c "
        "ON c.location_id = l.location_id AND c.month BETWEEN :first AND :last "
        f"WHERE {' AND '.join(clauses)} GROUP BY l.location_id ORDER BY l.name, l.location_id"), params).all()
