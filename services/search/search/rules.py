"""The rules of search, in plain functions: when a home is listed at all
(eligibility), what it can be found for (offers), and what a result shows
(the card). They work on the snapshots the read model keeps: a location's
profile from providers and its latest return from capacity, either as loaded
by their events' schemas or as kept in JSONB (times as ISO 8601 text).

- A home is listed only when its setup is complete: services set, at least
  one long term cost, a cost for each short stay service offered, vacant
  capacity declared (a return), at least one funding source and one care
  type. It must be an active care home, not dormant.
- Offering a short stay service means being willing to fill any declared
  long term vacancy with it: a short stay search finds homes offering the
  service with any long term vacancy accepting admissions.
- A flexible vacancy is entered once, under one type, and can be used for any
  type the home offers: it makes the home available for each of them, and is
  counted once in the home's total.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

# A return older than this is flagged as stale in results: homes are asked
# to update at least every 24-48 hours.
STALE_AFTER = timedelta(hours=48)

METRES_PER_MILE = 1609.344
EARTH_RADIUS = 6378168.0  # metres: earthdistance's earth(), which ll_to_earth uses

REASONS = {
    "no_profile": "The location is not known to the providers directory yet.",
    "not_a_care_home": "Only care homes are listed.",
    "inactive": "The location is deactivated.",
    "dormant": "CQC lists the location as dormant.",
    "services_not_set": "Short stay services and long term vacancy types are not set.",
    "no_long_term_cost": "No long term vacancy type has a weekly price.",
    "short_stay_costs_missing": "A short stay service offered has no indicative weekly price.",
    "capacity_not_declared": "No capacity return has been submitted.",
    "no_funding_source": "No funding source accepted is set.",
    "no_care_type": "No care type (residential, nursing) is set.",
}


def _offered_vacancies(profile: dict, capacity_return: dict) -> list[dict]:
    """The return's vacancies of the types the home offers now (a type it
    stopped offering since its last return is not searchable)."""
    offered = set(profile.get("long_term_vacancy_types") or ())
    return [v for v in capacity_return.get("vacancies") or () if v["vacancy_type"] in offered]


def ineligibility(profile: dict | None, capacity_return: dict | None) -> list[str]:
    """Why a home is not listed (codes of REASONS); empty when it is."""
    if profile is None:
        return ["no_profile"]
    reasons = []
    if (profile.get("kind") or "care_home") != "care_home":
        reasons.append("not_a_care_home")
    if not profile.get("active", False):
        reasons.append("inactive")
    if profile.get("dormant"):
        reasons.append("dormant")
    short_stay = profile.get("short_stay_services")
    if short_stay is None or not profile.get("long_term_vacancy_types"):
        reasons.append("services_not_set")
    if capacity_return is None:
        reasons.append("capacity_not_declared")
    else:
        if not _offered_vacancies(profile, capacity_return):
            reasons.append("no_long_term_cost")
        prices = capacity_return.get("short_stay_prices") or {}
        if any(service not in prices for service in short_stay or ()):
            reasons.append("short_stay_costs_missing")
    if not profile.get("funding_sources"):
        reasons.append("no_funding_source")
    if not profile.get("care_types"):
        reasons.append("no_care_type")
    return reasons


def total_accepting(vacancies: list[dict]) -> int:
    """Vacancies that could be admitted today, each counted once (a flexible
    vacancy is entered under one type only)."""
    return sum(v["vacant_accepting"] for v in vacancies)


def offers(profile: dict, capacity_return: dict) -> list[dict]:
    """What the home can be searched for: one offer per long term vacancy
    type (available when it has a vacancy accepting admissions, or a
    flexible one under another type) and per short stay service (available
    when any long term vacancy is accepting admissions)."""
    vacancies = _offered_vacancies(profile, capacity_return)
    flexible_available = any(v["flexible"] and v["vacant_accepting"] > 0 for v in vacancies)
    any_available = total_accepting(vacancies) > 0
    found = [{"stay": "long_term", "type": v["vacancy_type"], "price": float(v["weekly_price_from"]),
              "available": v["vacant_accepting"] > 0 or flexible_available} for v in vacancies]
    prices = capacity_return.get("short_stay_prices") or {}
    found += [{"stay": "short_stay", "type": service, "price": float(prices[service]), "available": any_available}
              for service in profile.get("short_stay_services") or () if service in prices]
    return found


def card(profile: dict, capacity_return: dict | None) -> dict:
    """What a result shows, but its distance and staleness (which depend on
    the search and the time): built when the read model changes, not per
    search."""
    vacancies = _offered_vacancies(profile, capacity_return) if capacity_return else []
    services = {key: list(profile.get(key) or []) for key in (
        "short_stay_services", "long_term_vacancy_types", "languages", "regulated_activities", "specialisms",
        "service_types")}
    return {
        "location_id": profile["location_id"], "name": profile["name"],
        "provider_name": profile.get("provider_name") or "", "brand_name": profile.get("brand_name"),
        "address": {key: profile.get(key) for key in ("street_address", "address_line_2", "city", "county")}
        | {"postcode": profile["postcode"]},
        "telephone": profile.get("telephone"), "website": profile.get("website"),
        "manager": dict(profile.get("manager") or {}),
        "latitude": profile.get("latitude"), "longitude": profile.get("longitude"),
        "la_code": profile.get("la_code"), "sub_icb_code": profile.get("sub_icb_code"),
        "distance_miles": None,
        "cqc": {"overall_rating": profile.get("overall_rating"), "rating_published": profile.get("rating_published"),
                "registered_beds": profile.get("registered_beds")},
        "care_types": list(profile.get("care_types") or []),
        "funding_sources": list(profile.get("funding_sources") or []),
        "out_of_hours_admissions": profile.get("out_of_hours_admissions"),
        "rooms": dict(profile.get("rooms") or {}),
        "services": services,
        "approved_contracts": list(profile.get("approved_contracts") or []),
        "notes": [{"text": n["text"], "updated_at": n["updated_at"]} for n in profile.get("notes") or ()],
        "last_updated": capacity_return["submitted_at"] if capacity_return else None,
        "stale": False,
        "admission_status": capacity_return["admission_status"] if capacity_return else "not_accepting",
        "vacancies": [{"vacancy_type": v["vacancy_type"], "weekly_price_from": v["weekly_price_from"],
                       "vacant_accepting": v["vacant_accepting"], "flexible": v["flexible"]} for v in vacancies],
        "short_stay_prices": dict(capacity_return.get("short_stay_prices") or {}) if capacity_return else {},
        "total_accepting": total_accepting(vacancies),
    }


def _rooms_words(rooms: dict) -> list[str]:
    words = list(rooms.get("equipment") or []) + list(rooms.get("accessibility") or [])
    if rooms.get("en_suite"):
        words.append("en-suite")
    return [w.replace("_", " ") for w in words]


UNLISTED = {
    "eligible": False, "ineligible_reasons": [], "name": None, "latitude": None, "longitude": None,
    "la_code": None, "sub_icb_code": None, "submitted_at": None, "overall_rating": None, "out_of_hours": False,
    "regulated_activities": [], "specialisms": [], "service_types": [], "languages": [], "funding_sources": [],
    "contract_las": [], "contract_sub_icbs": [], "brand_text": "", "notes_text": "", "offers": [], "card": None,
}


def derive(profile: dict | None, capacity_return: dict | None) -> dict:
    """Every derived column of the read model's row from the two snapshots."""
    reasons = ineligibility(profile, capacity_return)
    if profile is None:  # a return heard of before its location: kept, not listed
        return {**UNLISTED, "ineligible_reasons": reasons,
                "submitted_at": _time(capacity_return["submitted_at"]) if capacity_return else None}
    contracts = profile.get("approved_contracts") or ()
    notes = [n["text"] for n in profile.get("notes") or ()] + _rooms_words(profile.get("rooms") or {})
    return {
        "eligible": not reasons, "ineligible_reasons": reasons, "name": profile["name"],
        "latitude": profile.get("latitude"), "longitude": profile.get("longitude"),
        "la_code": profile.get("la_code"), "sub_icb_code": profile.get("sub_icb_code"),
        "submitted_at": _time(capacity_return["submitted_at"]) if capacity_return else None,
        "overall_rating": profile.get("overall_rating"),
        "out_of_hours": bool(profile.get("out_of_hours_admissions")),
        "regulated_activities": list(profile.get("regulated_activities") or []),
        "specialisms": list(profile.get("specialisms") or []),
        "service_types": list(profile.get("service_types") or []),
        "languages": sorted({"english", *(language.lower() for language in profile.get("languages") or ())}),
        "funding_sources": list(profile.get("funding_sources") or []),
        "contract_las": [c["commissioner_code"] for c in contracts if c["commissioner_kind"] == "local_authority"],
        "contract_sub_icbs": [c["commissioner_code"] for c in contracts if c["commissioner_kind"] == "sub_icb"],
        "brand_text": " | ".join(filter(None, (profile.get("brand_name"), profile.get("provider_name")))).lower(),
        "notes_text": " | ".join(notes).lower(),
        "offers": offers(profile, capacity_return) if capacity_return else [],
        "card": card(profile, capacity_return),
    }


def _time(value: datetime | str) -> datetime:
    """A snapshot's time: as loaded, or as kept in JSONB."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


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
