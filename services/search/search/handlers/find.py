"""Finding vacancies: one SQL query over the read model per search.

Nearest first walks the GiST index on each home's point on the earth (a
`cube`, KNN with `<->`) and stops after a page, so its cost hardly grows
with the number of homes; a radius is also given to the index as a box. Everything a result
shows is kept ready in `card`, so a search reads rows and sends them on."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import (Numeric, String, and_, bindparam, false, func, literal_column, or_, select, text,
                        true)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.search import NOT_RATED, UPDATED_WITHIN

from ..models import SearchLocation, SearchOutcode, SearchPostcode
from ..rules import finish_card

table = SearchLocation.__table__
METRES_PER_MILE = 1609.344
EARTH_RADIUS = 6378168.0  # metres: earthdistance's earth(), which ll_to_earth uses
TIES = 50  # homes at the very same distance a page boundary can still tell apart
OFFER_TYPES = {"stay": String(), "offer_types": ARRAY(String()), "max_price": Numeric(10, 2)}


def locate(session: Session, place: str) -> dict:
    """Where a (normalised) postcode or district is, from the directory the
    providers service announced: the postcode itself, else its district."""
    if " " in place:
        found = session.execute(select(SearchPostcode.latitude, SearchPostcode.longitude)
                                .where(SearchPostcode.postcode == place)).first()
        if found:
            return {"postcode": place, "precision": "postcode", "latitude": found.latitude,
                    "longitude": found.longitude}
    outcode = place.split(" ", 1)[0]
    found = session.execute(select(SearchOutcode.latitude, SearchOutcode.longitude)
                            .where(SearchOutcode.outcode == outcode)).first()
    if not found:
        raise InvalidInput(f"{place} is not in the postcode directory.",
                           fields={"postcode": ["Not a known postcode or postcode district."]})
    return {"postcode": place, "precision": "postcode_district", "latitude": found.latitude,
            "longitude": found.longitude}


def _offer_condition(query: dict):
    """The home offers what is searched for: the stay (long term vacancy type
    or short stay service), within the price, with a vacancy today."""
    conditions, params = ["o.stay = :stay"], {"stay": query["stay"]}
    if query.get("vacancy_types"):
        conditions.append("o.type = ANY(:offer_types)")
        params["offer_types"] = list(query["vacancy_types"])
    if query.get("max_weekly_price") is not None:
        conditions.append("o.price <= :max_price")
        params["max_price"] = query["max_weekly_price"]
    if query.get("accepting_today", True):
        conditions.append("o.available")
    return text(
        "EXISTS (SELECT 1 FROM jsonb_to_recordset(search_locations.offers) "
        "AS o(stay text, type text, price numeric, available boolean) WHERE " + " AND ".join(conditions) + ")"
    ).bindparams(*(bindparam(k, v, type_=OFFER_TYPES[k]) for k, v in params.items()))


def conditions(query: dict, now: datetime) -> list:
    """The WHERE of a search (without its radius): every filter given."""
    where = [table.c.eligible, _offer_condition(query)]
    if query.get("la_code"):
        where.append(table.c.la_code == query["la_code"])
    if query.get("sub_icb_code"):
        where.append(table.c.sub_icb_code == query["sub_icb_code"])
    for column in ("regulated_activities", "specialisms"):  # all of them
        if query.get(column):
            where.append(table.c[column].contains(list(query[column])))
    if query.get("languages"):
        where.append(table.c.languages.contains(sorted({lang.lower() for lang in query["languages"]})))
    for column, key in (("service_types", "service_types"), ("funding_sources", "funding_sources"),
                        ("contract_las", "contract_las"), ("contract_sub_icbs", "contract_sub_icbs")):
        if query.get(key):  # any of them
            where.append(table.c[column].overlap(list(query[key])))
    if query.get("ratings"):
        rated = [r for r in query["ratings"] if r != NOT_RATED]
        where.append(or_(table.c.overall_rating.in_(rated),
                         table.c.overall_rating.is_(None) if NOT_RATED in query["ratings"] else false()))
    if query.get("brand"):
        where.append(table.c.brand_text.contains(query["brand"].lower(), autoescape=True))
    if query.get("notes_contain"):
        where.append(table.c.notes_text.contains(query["notes_contain"].lower(), autoescape=True))
    hours = UPDATED_WITHIN[query.get("updated_within", "any")]
    if hours:
        where.append(table.c.submitted_at >= now - timedelta(hours=hours))
    if query.get("out_of_hours_admissions"):
        where.append(table.c.out_of_hours.is_(True))
    return where


def earth_point(latitude: float, longitude: float):
    """A place as earthdistance's ll_to_earth places it, computed here (a
    constant for the planner)."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    return func.cube(array([EARTH_RADIUS * math.cos(lat) * math.cos(lon),
                            EARTH_RADIUS * math.cos(lat) * math.sin(lon), EARTH_RADIUS * math.sin(lat)]))


def chord_of(metres: float) -> float:
    """The straight line through the earth between two places `metres` apart
    on its surface (what the cube distance `<->` measures)."""
    return 2 * EARTH_RADIUS * math.sin(min(metres / (2 * EARTH_RADIUS), math.pi / 2))


def metres_of(chord: float | None) -> float | None:
    return None if chord is None else 2 * EARTH_RADIUS * math.asin(min(1.0, chord / (2 * EARTH_RADIUS)))


def search_statement(query: dict, now: datetime, origin: dict | None, *, limit: int, offset: int):
    """The one SELECT of a search: (card, submitted_at, chord), the chord
    being the straight-line distance through the earth (None without a
    postcode)."""
    where = conditions(query, now)
    sort = query.get("sort") or ("distance" if origin is not None else "name")
    order = {"name": [func.lower(table.c.name), table.c.location_id],
             "last_updated": [table.c.submitted_at.desc(), table.c.location_id]}
    if origin is None:
        return (select(table.c.card, table.c.submitted_at, literal_column("NULL::float8").label("chord"))
                .where(and_(*where)).order_by(*order[sort]).limit(limit).offset(offset))
    point = earth_point(origin["latitude"], origin["longitude"])
    chord = table.c.earth.op("<->")(point)
    if query.get("radius_miles") is not None:
        radius = chord_of(query["radius_miles"] * METRES_PER_MILE)
        where += [func.cube_enlarge(point, radius, 3).op("@>")(table.c.earth), chord <= radius]
    if sort != "distance":
        return (select(table.c.card, table.c.submitted_at, chord.label("chord"))
                .where(and_(*where)).order_by(*order[sort]).limit(limit).offset(offset))
    # The GiST index walks homes nearest first (KNN) only when the distance
    # is the only sort key: take the nearest that way, then order them by
    # (distance, id) so that a page is the same each time.
    nearest = (select(table.c.location_id, chord.label("chord")).where(and_(*where)).order_by(chord)
               .limit(offset + limit + TIES).subquery())
    return (select(table.c.card, table.c.submitted_at, nearest.c.chord)
            .join_from(nearest, table, nearest.c.location_id == table.c.location_id)
            .order_by(nearest.c.chord, nearest.c.location_id).limit(limit).offset(offset))


def find_vacancies(session: Session, query: dict, now: datetime, *, export_limit: int | None = None) -> dict:
    """A page of results (or, with `export_limit`, all of them up to it)."""
    origin = locate(session, query["postcode"]) if query.get("postcode") else None
    page, per_page = (1, export_limit) if export_limit else (query["page"], query["per_page"])
    rows = session.execute(search_statement(query, now, origin, limit=per_page + 1,
                                            offset=(page - 1) * per_page)).all()
    results = [finish_card(row.card, distance_metres=metres_of(row.chord), submitted_at=row.submitted_at, now=now)
               for row in rows[:per_page]]
    return {"results": results, "page": page, "per_page": per_page, "has_more": len(rows) > per_page,
            "origin": origin, "searched_at": now.isoformat()}


def search_options(session: Session) -> dict:
    """What the filters can be set to, from the homes listed now (the
    languages spoken, the CQC activities, specialisms and service types)."""
    listed = select(table.c.card).where(table.c.eligible).subquery()

    def distinct(*path: str) -> list[str]:
        values = func.jsonb_array_elements_text(listed.c.card[path[0]][path[1]]).table_valued("value")
        return sorted(session.scalars(select(values.c.value).select_from(listed).join(values, true())
                                      .distinct()).all())

    return {"languages": distinct("services", "languages"),
            "regulated_activities": distinct("services", "regulated_activities"),
            "specialisms": distinct("services", "specialisms"),
            "service_types": distinct("services", "service_types")}
