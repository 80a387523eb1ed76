"""Finding vacancies: one SQL query over the read model per search.

Nearest first walks the GiST index on the earth cube (KNN, `<->`) and
stops after a page, so its cost hardly grows with the number of homes; a
radius is also given to the index as a bounding box. Everything a result
shows is kept ready in `card`, so a search reads rows and sends them on."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, false, func, literal_column, or_, select, text, true
from sqlalchemy.orm import Session

from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.search import NOT_RATED, UPDATED_WITHIN

from ..models import SearchLocation, SearchOutcode, SearchPostcode
from ..rules import finish_card

table = SearchLocation.__table__
EARTH = func.ll_to_earth(table.c.latitude, table.c.longitude)
METRES_PER_MILE = 1609.344


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
    ).bindparams(*(bindparam(k, v) for k, v in params.items()))


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


def search_statement(query: dict, now: datetime, origin: dict | None, *, limit: int, offset: int):
    """The one SELECT of a search: (card, submitted_at, distance in metres)."""
    where = conditions(query, now)
    if origin is not None:
        point = func.ll_to_earth(origin["latitude"], origin["longitude"])
        distance = func.earth_distance(EARTH, point)
        if query.get("radius_miles") is not None:
            radius = query["radius_miles"] * METRES_PER_MILE
            where += [func.earth_box(point, radius).op("@>")(EARTH), distance <= radius]
    else:
        point, distance = None, literal_column("NULL::float8")
    sort = query.get("sort") or ("distance" if origin is not None else "name")
    order = {"distance": lambda: [EARTH.op("<->")(point), table.c.location_id],
             "name": lambda: [table.c.name, table.c.location_id],
             "last_updated": lambda: [table.c.submitted_at.desc(), table.c.location_id]}[sort]()
    return (select(table.c.card, table.c.submitted_at, distance.label("distance"))
            .where(and_(*where)).order_by(*order).limit(limit).offset(offset))


def find_vacancies(session: Session, query: dict, now: datetime, *, export_limit: int | None = None) -> dict:
    """A page of results (or, with `export_limit`, all of them up to it)."""
    origin = locate(session, query["postcode"]) if query.get("postcode") else None
    page, per_page = (1, export_limit) if export_limit else (query["page"], query["per_page"])
    rows = session.execute(search_statement(query, now, origin, limit=per_page + 1,
                                            offset=(page - 1) * per_page)).all()
    results = [finish_card(row.card, distance_metres=row.distance, submitted_at=row.submitted_at, now=now)
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
