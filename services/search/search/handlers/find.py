"""Finding vacancies: where the search is from, then one query over the read
model per search (see repository.py, the hot path of the whole product)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.engine import Connection

from tracker_common.contracts.errors import InvalidInput

from .. import repository
from ..places import remembered


def locate(connection: Connection, place: str) -> dict:
    """Where a (normalised) postcode or district is, from the directory the
    providers service announced: the postcode itself, else its district."""
    return remembered(place, lambda _: _locate(connection, place))


def _locate(connection: Connection, place: str) -> dict:
    if " " in place:
        found = repository.postcode_position(connection, place)
        if found:
            return {"postcode": place, "precision": "postcode", "latitude": found.latitude,
                    "longitude": found.longitude}
    found = repository.outcode_position(connection, place.split(" ", 1)[0])
    if not found:
        raise InvalidInput(f"{place} is not in the postcode directory.",
                           fields={"postcode": ["Not a known postcode or postcode district."]})
    return {"postcode": place, "precision": "postcode_district", "latitude": found.latitude,
            "longitude": found.longitude}


def _page(connection: Connection, query: dict, now: datetime, export_limit: int | None) -> tuple[list[str], dict]:
    origin = locate(connection, query["postcode"]) if query.get("postcode") else None
    page, per_page = (1, export_limit) if export_limit else (query["page"], query["per_page"])
    texts = repository.result_texts(connection, query, now, origin, limit=per_page + 1,
                                    offset=(page - 1) * per_page)
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
    return {key: repository.listed_values(connection, key)
            for key in ("languages", "regulated_activities", "specialisms", "service_types")}
