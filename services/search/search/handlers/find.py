"""Finding vacancies: one SQL query over the read model per search.

Nearest first walks the GiST index on each home's point on the earth (a
`cube`, KNN with `<->`) and stops after a page, so its cost hardly grows
with the number of homes; a radius is also given to the index as a box.
Everything a result shows is kept ready in `card`; PostgreSQL adds the
search's distance and staleness and hands each result over as JSON text.

This is the hot path of the whole product, so the query is written as SQL
from fixed fragments with bound parameters: composing it with SQLAlchemy's
expression language cost more than running it."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlalchemy.engine import Connection

from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.search import NOT_RATED, UPDATED_WITHIN

from ..rules import STALE_AFTER

METRES_PER_MILE = 1609.344
EARTH_RADIUS = 6378168.0  # metres: earthdistance's earth(), which ll_to_earth uses
TIES = 50  # homes at the very same distance a page boundary can still tell apart
POINT = "cube(ARRAY[%(x)s, %(y)s, %(z)s]::float8[])"
CHORD = f"(earth <-> {POINT})"  # the straight line through the earth, metres
MILES = f"round((2 * {EARTH_RADIUS} * asin({{chord}} / (2 * {EARTH_RADIUS})) / {METRES_PER_MILE})::numeric, 1)"
RESULT = ("(card || jsonb_build_object('distance_miles', {miles}, "
          "'stale', coalesce(submitted_at < %(stale_before)s, true)))::text")
SORT_KEYS = {"name": ("lower(name)", "ASC"), "last_updated": ("submitted_at", "DESC NULLS LAST")}


def _driver(connection: Connection, sql: str, params: dict | tuple):
    return connection.exec_driver_sql(sql, params)


# Where postcodes are, kept a while: discharge teams search again and again
# from the same hospitals. The instance applying a new directory forgets
# them at once (`forget_places`); the others within PLACES_TTL.
PLACES_TTL = 600
_places: TTLCache = TTLCache(maxsize=50_000, ttl=PLACES_TTL)


def forget_places() -> None:
    _places.clear()


def locate(connection: Connection, place: str) -> dict:
    """Where a (normalised) postcode or district is, from the directory the
    providers service announced: the postcode itself, else its district."""
    if place not in _places:
        _places[place] = _locate(connection, place)
    return dict(_places[place])


def _locate(connection: Connection, place: str) -> dict:
    if " " in place:
        found = _driver(connection, "SELECT latitude, longitude FROM search_postcodes WHERE postcode = %s",
                        (place,)).first()
        if found:
            return {"postcode": place, "precision": "postcode", "latitude": found.latitude,
                    "longitude": found.longitude}
    found = _driver(connection, "SELECT latitude, longitude FROM search_outcodes WHERE outcode = %s",
                    (place.split(" ", 1)[0],)).first()
    if not found:
        raise InvalidInput(f"{place} is not in the postcode directory.",
                           fields={"postcode": ["Not a known postcode or postcode district."]})
    return {"postcode": place, "precision": "postcode_district", "latitude": found.latitude,
            "longitude": found.longitude}


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


def earth_point(latitude: float, longitude: float) -> dict:
    """A place as earthdistance's ll_to_earth places it (x, y, z), computed
    here so that it is a constant for the planner."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    return {"x": EARTH_RADIUS * math.cos(lat) * math.cos(lon), "y": EARTH_RADIUS * math.cos(lat) * math.sin(lon),
            "z": EARTH_RADIUS * math.sin(lat)}


def chord_of(metres: float) -> float:
    """The straight line through the earth between two places `metres` apart
    on its surface (what the cube distance `<->` measures)."""
    return 2 * EARTH_RADIUS * math.sin(min(metres / (2 * EARTH_RADIUS), math.pi / 2))


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


def _page(connection: Connection, query: dict, now: datetime, export_limit: int | None) -> tuple[list[str], dict]:
    origin = locate(connection, query["postcode"]) if query.get("postcode") else None
    page, per_page = (1, export_limit) if export_limit else (query["page"], query["per_page"])
    texts = _driver(connection, *search_statement(query, now, origin, limit=per_page + 1,
                                               offset=(page - 1) * per_page)).scalars().all()
    return texts[:per_page], {"page": page, "per_page": per_page, "has_more": len(texts) > per_page,
                              "origin": origin, "searched_at": now.isoformat()}


def find_vacancies(connection: Connection, query: dict, now: datetime, *, export_limit: int | None = None) -> dict:
    """A page of results (or, with `export_limit`, all of them up to it)."""
    texts, meta = _page(connection, query, now, export_limit)
    return {"results": [json.loads(t) for t in texts], **meta}


def find_vacancies_json(connection: Connection, query: dict, now: datetime) -> str:
    """The same page as `find_vacancies`, as the JSON text sent to the caller."""
    texts, meta = _page(connection, query, now, None)
    return '{"results": [' + ", ".join(texts) + "], " + json.dumps(meta)[1:]


def search_options(connection: Connection) -> dict:
    """What the filters can be set to, from the homes listed now (the
    languages spoken, the CQC activities, specialisms and service types)."""
    def distinct(key: str) -> list[str]:
        return sorted(_driver(connection, "SELECT DISTINCT jsonb_array_elements_text(card->'services'->%s) "
                                       "FROM search_locations WHERE eligible", (key,)).scalars().all())

    return {key: distinct(key) for key in ("languages", "regulated_activities", "specialisms", "service_types")}
