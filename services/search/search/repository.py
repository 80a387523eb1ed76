"""Every query of the search service, named for what it does.

Finding vacancies is one SQL query over the read model per search. Nearest
first walks the GiST index on each home's point on the earth (a `cube`, KNN
with `<->`) and stops after a page, so its cost hardly grows with the number
of homes; a radius is also given to the index as a box. Everything a result
shows is kept ready in `card`; PostgreSQL adds the search's distance and
staleness and hands each result over as JSON text.

This is the hot path of the whole product, so the query is written as SQL
from fixed fragments with bound parameters: composing it with SQLAlchemy's
expression language cost more than running it."""
from __future__ import annotations

from datetime import datetime, timedelta

from psycopg2.extras import Json, execute_values
from sqlalchemy import JSON, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tracker_common.contracts.search import NOT_RATED, UPDATED_WITHIN
from tracker_common.db import to_json

from .models import DirectoryPart, SearchLocation, SearchOutcode, SearchPostcode
from .rules import EARTH_RADIUS, METRES_PER_MILE, STALE_AFTER, chord_of, earth_point

TIES = 50  # homes at the very same distance a page boundary can still tell apart
POINT = "cube(ARRAY[%(x)s, %(y)s, %(z)s]::float8[])"
CHORD = f"(earth <-> {POINT})"  # the straight line through the earth, metres
MILES = f"round((2 * {EARTH_RADIUS} * asin({{chord}} / (2 * {EARTH_RADIUS})) / {METRES_PER_MILE})::numeric, 1)"
RESULT = ("(card || jsonb_build_object('distance_miles', {miles}, "
          "'stale', coalesce(submitted_at < %(stale_before)s, true)))::text")
SORT_KEYS = {"name": ("lower(name)", "ASC"), "last_updated": ("submitted_at", "DESC NULLS LAST")}
DIRECTORY_LOCK = 74_201  # advisory lock: applying the postcode directory
table = SearchLocation.__table__


def _driver(connection: Connection, sql: str, params: dict | tuple):
    return connection.exec_driver_sql(sql, params)


# -- finding -------------------------------------------------------------------------------
def postcode_position(connection: Connection, postcode: str):
    """(latitude, longitude) of a postcode of the directory, or None."""
    return _driver(connection, "SELECT latitude, longitude FROM search_postcodes WHERE postcode = %s",
                   (postcode,)).first()


def outcode_position(connection: Connection, outcode: str):
    """(latitude, longitude) of a postcode district's centroid, or None."""
    return _driver(connection, "SELECT latitude, longitude FROM search_outcodes WHERE outcode = %s",
                   (outcode,)).first()


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own % and _ taken literally."""
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _offer_condition(query: dict, params: dict) -> str:
    """The home offers what is searched for: the stay (long term vacancy type
    or short stay service), within the price, with a vacancy today."""
    conditions = ["o.stay = %(stay)s"]
    params["stay"] = query["stay"]
    if query.get("vacancy_types"):
        conditions.append("o.type = ANY(%(offer_types)s)")
        params["offer_types"] = list(query["vacancy_types"])
    if query.get("max_weekly_price") is not None:
        conditions.append("o.price <= %(max_price)s")
        params["max_price"] = query["max_weekly_price"]
    if query.get("accepting_today", True):
        conditions.append("o.available")
    return ("EXISTS (SELECT 1 FROM jsonb_to_recordset(offers) "
            "AS o(stay text, type text, price numeric, available boolean) WHERE " + " AND ".join(conditions) + ")")


def conditions(query: dict, now: datetime, params: dict) -> list[str]:
    """The WHERE of a search (without its radius): every filter given, its
    values added to `params`."""
    where = ["eligible", _offer_condition(query, params)]
    for column in ("la_code", "sub_icb_code"):
        if query.get(column):
            where.append(f"{column} = %({column})s")
            params[column] = query[column]
    for column in ("regulated_activities", "specialisms"):  # all of them
        if query.get(column):
            where.append(f"{column} @> %({column})s::varchar[]")
            params[column] = list(query[column])
    if query.get("languages"):  # all of them
        where.append("languages @> %(languages)s::varchar[]")
        params["languages"] = sorted({language.lower() for language in query["languages"]})
    for column in ("service_types", "funding_sources", "contract_las", "contract_sub_icbs"):  # any of them
        if query.get(column):
            where.append(f"{column} && %({column})s::varchar[]")
            params[column] = list(query[column])
    if query.get("ratings"):
        where.append("(overall_rating = ANY(%(ratings)s)" +
                     (" OR overall_rating IS NULL)" if NOT_RATED in query["ratings"] else ")"))
        params["ratings"] = [r for r in query["ratings"] if r != NOT_RATED]
    for column, key in (("brand_text", "brand"), ("notes_text", "notes_contain")):
        if query.get(key):
            where.append(f"{column} LIKE %({key})s")
            params[key] = _like(query[key])
    hours = UPDATED_WITHIN[query.get("updated_within", "any")]
    if hours:
        where.append("submitted_at >= %(updated_since)s")
        params["updated_since"] = now - timedelta(hours=hours)
    if query.get("out_of_hours_admissions"):
        where.append("out_of_hours")
    return where


def search_statement(query: dict, now: datetime, origin: dict | None, *, limit: int,
                     offset: int) -> tuple[str, dict]:
    """The one SELECT of a search, and its parameters: each result as JSON
    text, in order. The homes of the page are found first (ids and sort
    keys only), then only their results are made."""
    params = {"limit": limit, "offset": offset, "stale_before": now - STALE_AFTER}
    where = conditions(query, now, params)
    sort = query.get("sort") or ("distance" if origin is not None else "name")
    chord = "NULL::float8"
    if origin is not None:
        params.update(earth_point(origin["latitude"], origin["longitude"]))
        chord = CHORD
        if query.get("radius_miles") is not None:
            where.append(f"cube_enlarge({POINT}, %(radius)s, 3) @> earth AND {CHORD} <= %(radius)s")
            params["radius"] = chord_of(query["radius_miles"] * METRES_PER_MILE)
    if sort == "distance":
        # The GiST index walks homes nearest first (KNN) only when the
        # distance is the only sort key: take the nearest that way, then
        # order them by (distance, id) so that a page is the same each time.
        params["nearest"] = offset + limit + TIES
        found = (f"SELECT location_id, {chord} AS chord, {chord} AS sort_key FROM search_locations "
                 f"WHERE {' AND '.join(where)} ORDER BY {chord} LIMIT %(nearest)s")
        page = "ORDER BY found.sort_key, location_id LIMIT %(limit)s OFFSET %(offset)s"
    else:
        key, direction = SORT_KEYS[sort]
        found = (f"SELECT location_id, {chord} AS chord, {key} AS sort_key FROM search_locations "
                 f"WHERE {' AND '.join(where)} ORDER BY {key} {direction}, location_id "
                 "LIMIT %(limit)s OFFSET %(offset)s")
        page = f"ORDER BY found.sort_key {direction}, location_id"
    miles = "NULL::numeric" if origin is None else MILES.format(chord="found.chord")
    return (f"SELECT {RESULT.format(miles=miles)} FROM ({found}) AS found "
            f"JOIN search_locations USING (location_id) {page}", params)


def result_texts(connection: Connection, query: dict, now: datetime, origin: dict | None, *, limit: int,
                 offset: int) -> list[str]:
    """The results of a search, each as JSON text, in order."""
    return _driver(connection, *search_statement(query, now, origin, limit=limit, offset=offset)).scalars().all()


def listed_values(connection: Connection, key: str) -> list[str]:
    """Every value the listed homes' cards hold under services.`key`, in order."""
    return sorted(_driver(connection, "SELECT DISTINCT jsonb_array_elements_text(card->'services'->%s) "
                                      "FROM search_locations WHERE eligible", (key,)).scalars().all())


# -- keeping the read model ----------------------------------------------------------------
def locations_for_update(session: Session, ids: list[str]) -> list:
    """The rows of `ids` (made when first heard of), locked in key order so
    that concurrent consumers neither fail nor deadlock: their versions and
    snapshots."""
    session.execute(insert(table).values([{"location_id": i} for i in ids]).on_conflict_do_nothing())
    return session.execute(
        select(table.c.location_id, table.c.location_version, table.c.return_sequence, table.c.profile,
               table.c.capacity_return)
        .where(table.c.location_id.in_(ids)).order_by(table.c.location_id).with_for_update()).all()


def update_locations(session: Session, changes: list[dict]) -> None:
    """Each change (`key`: the location id) written to its row, the point on
    the earth made from its latitude and longitude: one UPDATE for them all
    from a VALUES list, built by the driver (an UPDATE a row costs a round
    trip each; SQLAlchemy's own VALUES costs more to compile than to run)."""
    if not changes:
        return
    names = [name for name in changes[0] if name != "key"]
    dialect = session.get_bind().dialect
    types = {name: table.c[name].type for name in names}
    json_columns = {name for name, kind in types.items() if isinstance(kind, (JSON, JSONB))}
    template = "(%s, " + ", ".join(f"%s::{types[name].compile(dialect=dialect)}" for name in names) + ")"
    statement = (f"UPDATE {table.name} SET " + ", ".join(f"{name} = change.{name}" for name in names)
                 + ", earth = ll_to_earth(change.latitude, change.longitude)"
                 + f" FROM (VALUES %s) AS change(key, {', '.join(names)})"
                 + f" WHERE {table.name}.location_id = change.key")
    rows = [(change["key"], *(Json(change[name], dumps=to_json) if name in json_columns else change[name]
                              for name in names)) for change in changes]
    with session.connection().connection.cursor() as cursor:
        execute_values(cursor, statement, rows, template=template, page_size=len(rows))


def upsert_directory(session: Session, version: int, postcodes: list, outcodes: list) -> None:
    """Upsert directory rows, keeping a row from a newer directory: the rows
    sent by the driver in pages of one statement each (a multi-row VALUES
    compiled by SQLAlchemy costs far more than PostgreSQL takes to run it)."""
    for model, columns, rows in (
            (SearchPostcode, ("postcode", "latitude", "longitude", "la_code", "sub_icb_code"), postcodes),
            (SearchOutcode, ("outcode", "latitude", "longitude"), outcodes)):
        if not rows:
            continue
        name, key = model.__tablename__, columns[0]
        statement = (f"INSERT INTO {name} ({', '.join(columns)}, directory_version) VALUES %s "
                     f"ON CONFLICT ({key}) DO UPDATE SET "
                     + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*columns[1:], "directory_version"))
                     + f" WHERE {name}.directory_version <= EXCLUDED.directory_version")
        with session.connection().connection.cursor() as cursor:
            execute_values(cursor, statement, [(*row, version) for row in rows], page_size=2_000)


def drop_directories_before(session: Session, version: int) -> None:
    """Postcodes, districts and parts of directories older than `version` go."""
    session.execute(delete(SearchPostcode).where(SearchPostcode.directory_version < version))
    session.execute(delete(SearchOutcode).where(SearchOutcode.directory_version < version))
    session.execute(delete(DirectoryPart).where(DirectoryPart.directory_version < version))


def lock_directory(session: Session) -> None:
    """One directory part applied at a time (until the transaction ends)."""
    session.execute(select(func.pg_advisory_xact_lock(DIRECTORY_LOCK)))


def newest_directory_version(session: Session) -> int | None:
    return session.scalar(select(func.max(DirectoryPart.directory_version)))


def add_directory_part(session: Session, version: int, part: int, parts: int) -> None:
    session.execute(insert(DirectoryPart).values(directory_version=version, part=part, parts=parts)
                    .on_conflict_do_nothing())


def directory_parts_received(session: Session, version: int) -> int:
    return session.scalar(select(func.count()).where(DirectoryPart.directory_version == version))
