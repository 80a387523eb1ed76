"""Every query of the reporting service, named for what it does: keeping the
read model (profiles, returns, their months and collection windows, the
geography) and reading it for the reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, and_, case, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tracker_common.contracts.permissions import Principal, Scope

from .models import Area, CollectionReturn, MonthlyPosition, MonthlyVacancy, ReportLocation

GEOGRAPHY_LOCK = 74_301  # advisory lock: applying a geography
PROFILE = ("name", "provider_id", "provider_name", "kind", "postcode", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code", "active", "reminders_enabled")
# Each dimension as SQL over monthly_vacancies v and report_locations l
# (fixed text: never built from input).
DIMENSIONS = {
    "month": "to_char(v.month, 'YYYY-MM')", "vacancy_type": "v.vacancy_type", "location": "l.location_id",
    "provider": "l.provider_id", "kind": "l.kind", "local_authority": "l.la_code", "sub_icb": "l.sub_icb_code",
    "icb": "l.icb_code", "nhs_region": "l.nhs_region_code",
}
# The area a query is limited to: its key -> the column of report_locations
GEOGRAPHY = {"nhs_region_code": "nhs_region_code", "icb_code": "icb_code", "sub_icb_code": "sub_icb_code",
             "la_code": "la_code"}
AREA_COLUMNS = ("la_code", "sub_icb_code", "icb_code", "nhs_region_code")


# -- keeping the read model ----------------------------------------------------------------
def upsert_profiles(session: Session, rows: list[dict]) -> None:
    """Each location's profile, where newer than the one held."""
    statement = insert(ReportLocation).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={c: statement.excluded[c] for c in ("location_version", *PROFILE)},
        where=ReportLocation.location_version < statement.excluded.location_version))


def upsert_latest_returns(session: Session, rows: list[dict]) -> None:
    """Each location's latest return, where newer than the one held; until
    the profile arrives, the return's own alignment stands in."""
    statement = insert(ReportLocation).values(rows)
    no_profile_yet = ReportLocation.location_version == 0
    session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={**{c: statement.excluded[c] for c in ("return_sequence", "last_updated_at", "vacancies",
                                                    "admission_status")},
              **{c: case((no_profile_yet, statement.excluded[c]), else_=getattr(ReportLocation, c))
                 for c in ("provider_id", "la_code", "sub_icb_code")}},
        where=ReportLocation.return_sequence < statement.excluded.return_sequence))


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
def utilisation_groups(connection: Connection, rows_by: str, columns_by: str | None, first: date, last: date,
                       query: dict) -> list[tuple]:
    """Capacity, used and spare beds and locations of the months' positions,
    grouped by `rows_by` (and `columns_by`), with every subtotal: rows of
    (row key, column key, row total?, column total?, capacity, occupied,
    vacant, locations)."""
    r = DIMENSIONS[rows_by]
    if columns_by:
        c = DIMENSIONS[columns_by]
        keys = f"{r} AS row_key, {c} AS column_key, GROUPING({r}) = 1 AS row_total, GROUPING({c}) = 1 AS column_total"
        grouping = f"GROUPING SETS (({r}, {c}), ({r}), ({c}), ())"
    else:
        keys = f"{r} AS row_key, NULL AS column_key, GROUPING({r}) = 1 AS row_total, true AS column_total"
        grouping = f"GROUPING SETS (({r}), ())"
    clauses, params = [], {}
    for key, column in GEOGRAPHY.items():
        if query.get(key):
            clauses.append(f"AND l.{column} = :{key}")
            params[key] = query[key]
    statement = text(
        f"SELECT {keys}, COALESCE(sum(v.maximum_capacity), 0) AS maximum_capacity, "
        "COALESCE(sum(v.occupied), 0) AS occupied, COALESCE(sum(v.vacant), 0) AS vacant, "
        "count(DISTINCT l.location_id) AS locations "
        "FROM monthly_vacancies v JOIN report_locations l ON l.location_id = v.location_id "
        f"WHERE v.month BETWEEN :first AND :last {' '.join(clauses)} GROUP BY {grouping}")
    return list(connection.execute(statement, {"first": first, "last": last, **params}))


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
