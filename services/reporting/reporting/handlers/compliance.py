"""The ASC collection's compliance, read from the read model: for each
location of an area and each month, whether it sent its capacity within the
collection window (the 8th to the 14th, UK time), and who the formal
notice's rule flags (3 months missed in a row, or 4 of the last 12).

Seen by administrators (anywhere) and by commissioners of the area (their
organisation's own Local Authority, Sub-ICB, ICB or region, or an area
within it)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection

from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.permissions import Action, Principal, Scope, scopes
from tracker_common.contracts.reporting import COLLECTION_LAST_DAY, NOTICE_LOOKBACK, sees_compliance

from .. import repository
from ..repository import GEOGRAPHY
from ..rules import formal_notice, month_status, months_up_to, required_from
from .reports import _area_filters

REFUSAL = "Only administrators and the commissioners of an area see its collection compliance."


def _areas_within(connection: Connection, code: str) -> set[str]:
    """`code` and its ancestors (a Sub-ICB's ICB and region): a commissioner
    of any of them sees the area."""
    found, seen = set(), code
    while seen and seen not in found:
        found.add(seen)
        seen = repository.parent_of(connection, seen)
    return found


def _check_scope(connection: Connection, actor: Principal, query: dict) -> set[str] | None:
    """The codes the actor's locations must be within (None: anywhere).
    Refuses anyone else, and an area that is not the actor's."""
    if not sees_compliance(actor):
        raise Forbidden(REFUSAL)
    if Scope.ANY in scopes(actor, Action.VIEW_COMPLIANCE):
        return None
    for key in GEOGRAPHY:
        if query.get(key) and not _areas_within(connection, query[key]) & actor.aligned_codes:
            raise Forbidden("You see the collection compliance of your own area only.")
    return set(actor.aligned_codes)


def compliance(connection: Connection, actor: Principal, query: dict, today: date) -> dict:
    """A row per active location in the area (by name), each month shown with
    its status, the months missed in the last 12 and the formal notice's flag;
    counts of the whole area above it."""
    within = _check_scope(connection, actor, query)
    current = today.replace(day=1)
    last = query.get("to_month") or current
    if last > current:
        raise InvalidInput(fields={"to_month": ["Choose this month or an earlier one."]})
    shown = months_up_to(last, query["months"])
    looked_at = months_up_to(last, NOTICE_LOOKBACK)
    first = min(shown[0], looked_at[0])
    rows = repository.collection_history(connection, within, query, first, last)
    locations = [_location(row, shown, looked_at, today) for row in rows]
    latest = _latest_decided(shown, today)
    summary = {"locations": len(locations),
               "flagged": sum(1 for loc in locations if loc["formal_notice"]),
               "latest_month": f"{latest:%Y-%m}" if latest else None,
               "submitted_in_latest": sum(1 for loc in locations if latest and loc["statuses"][latest] == "submitted"),
               "missed_in_latest": sum(1 for loc in locations if latest and loc["statuses"][latest] == "missed")}
    if query.get("flagged_only"):
        locations = [loc for loc in locations if loc["formal_notice"]]
    page, per_page = query["page"], query["per_page"]
    chosen = locations[(page - 1) * per_page: page * per_page]
    areas = _names(connection, {code for loc in chosen for code in (loc["la_code"], loc["sub_icb_code"]) if code})
    for loc in chosen:
        loc["la_name"], loc["sub_icb_name"] = areas.get(loc["la_code"]), areas.get(loc["sub_icb_code"])
        loc["months"] = [{"month": f"{m:%Y-%m}", "status": loc["statuses"][m],
                          "submitted_at": loc["sent"].get(m)} for m in shown]
        del loc["statuses"], loc["sent"]
    return {"months": [f"{m:%Y-%m}" for m in shown], "to_month": f"{last:%Y-%m}", "summary": summary,
            "areas": _area_filters(connection, query), "locations": chosen, "page": page, "per_page": per_page,
            "total": len(locations), "has_more": page * per_page < len(locations),
            "flagged_only": bool(query.get("flagged_only"))}


def _location(row, shown: list[date], looked_at: list[date], today: date) -> dict:
    sent = dict(zip(row.months, row.sent))
    required = required_from(row.appeared_at) if row.appeared_at else None
    statuses = {m: month_status(m, m in sent, required, today) for m in set(shown) | set(looked_at)}
    in_year = [statuses[m] for m in looked_at]
    return {"location_id": row.location_id, "name": row.name, "provider_name": row.provider_name,
            "la_code": row.la_code, "sub_icb_code": row.sub_icb_code,
            "required_from": f"{required:%Y-%m}" if required else None,
            "missed_in_last_12": in_year.count("missed"), "formal_notice": formal_notice(in_year),
            "statuses": statuses, "sent": {m: _iso(at) for m, at in sent.items()}}


def _iso(at: datetime) -> str:
    return at.isoformat()


def _latest_decided(shown: list[date], today: date) -> date | None:
    """The newest month shown whose window has closed."""
    decided = [m for m in shown if m < today.replace(day=1) or (m == today.replace(day=1) and today.day > COLLECTION_LAST_DAY)]
    return decided[-1] if decided else None


def _names(connection: Connection, codes: set[str]) -> dict[str, str]:
    return repository.area_names(connection, codes)

