"""Helpers of the search tests that find homes: a complete home at one of
the directory's postcodes, a search, and distances worked out independently."""
from __future__ import annotations

import math

from search.handlers.find import find_vacancies
from search.models import SearchLocation
from tracker_common.contracts.search import SearchQuery

from .conftest import NOW, POSTCODES, capacity_return, profile, vacancy

PLACES = {code: (lat, lon, la, sub) for code, lat, lon, la, sub in POSTCODES}
NURSING_CARE = "Accommodation for persons who require nursing or personal care"
TREATMENT = "Treatment of disease, disorder or injury"


def home(location_id, *vacancies, name=None, at="S70 1AA", hours_ago=1.0, short_stay_prices=None,
         sequence=1, **overrides):
    """(profile, return) of a complete care home at one of the directory's
    postcodes, offering the long term types of its vacancies."""
    vacancies = vacancies or (vacancy(),)
    lat, lon, la, sub = PLACES[at]
    overrides.setdefault("long_term_vacancy_types", sorted({v["vacancy_type"] for v in vacancies}))
    overrides.setdefault("la_code", la)
    overrides.setdefault("sub_icb_code", sub)
    return (profile(location_id, name=name, postcode=at, latitude=lat, longitude=lon, **overrides),
            capacity_return(location_id, *vacancies, sequence=sequence, hours_ago=hours_ago,
                            short_stay_prices=short_stay_prices))


def find(search_db, **params) -> dict:
    with search_db.unit_of_work() as uow:
        return find_vacancies(uow.session.connection(), SearchQuery().load(params), NOW)


def ids(found: dict) -> list[str]:
    return [card["location_id"] for card in found["results"]]


def row(search_db, location_id) -> SearchLocation | None:
    with search_db.unit_of_work() as uow:
        found = uow.session.get(SearchLocation, location_id)
        if found is not None:
            uow.session.expunge(found)
        return found


def haversine_miles(lat1, lon1, lat2, lon2) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h)) / 1.609344


def assert_distance(shown: float, expected: float) -> None:
    """Within 0.5 %, plus the 0.05 mile of rounding to one decimal."""
    assert abs(shown - expected) <= expected * 0.005 + 0.05, (shown, expected)
