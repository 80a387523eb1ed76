"""Finding care home vacancies against a small, known set of homes, each
answer written down by hand.

Covered: which homes are listed at all (setup complete, active, not dormant,
care homes only) and the reasons kept for the others; postcode search
(nearest first, distances against an independent haversine, district
fallback, unknown districts, radius, sloppy typing); Local Authority and
Sub-ICB searches and their order; long term and short stay searches,
accepting today, flexible vacancies and the weekly price; every other filter
(ratings, brand, languages, notes, funding, CQC activities, specialisms and
service types, contracts, last updated, out-of-hours); staleness and last
updated on the card; paging and the three sorts; and a read model that never goes back to older
snapshots. (The query schema's own checks: tests/contracts/test_search_query.py.)
"""
from __future__ import annotations

import math

import pytest

from search.handlers.find import find_vacancies
from search.handlers.readmodel import apply_location_snapshots, apply_return_snapshots
from search.models import SearchLocation
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.search import SearchQuery

from .conftest import (BARNSLEY, NOW, POSTCODES, SHEFFIELD, SUB_BARNSLEY, SUB_SHEFFIELD, capacity_return,
                       locations_loaded, profile, returns_loaded, vacancy)

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


# --- eligibility ---------------------------------------------------------------------------------

COMPLETE = "1-100"
UNLISTED_CASES = [
    pytest.param({"short_stay_services": None}, True, ["services_not_set"], id="short-stay-services-not-set"),
    pytest.param({"long_term_vacancy_types": []}, True, ["services_not_set", "no_long_term_cost"],
                 id="no-long-term-types"),
    pytest.param({}, False, ["capacity_not_declared"], id="no-return"),
    pytest.param({"short_stay_services": ["respite_care"]}, True, ["short_stay_costs_missing"],
                 id="short-stay-without-price"),
    pytest.param({"funding_sources": []}, True, ["no_funding_source"], id="no-funding-source"),
    pytest.param({"care_types": []}, True, ["no_care_type"], id="no-care-type"),
    pytest.param({"active": False}, True, ["inactive"], id="inactive"),
    pytest.param({"dormant": True}, True, ["dormant"], id="dormant"),
    pytest.param({"kind": "home_care"}, True, ["not_a_care_home"], id="home-care"),
    pytest.param({"long_term_vacancy_types": ["dementia_nursing"]}, True, ["no_long_term_cost"],
                 id="return-types-no-longer-offered"),
]


@pytest.mark.parametrize(("changes", "with_return", "reasons"), UNLISTED_CASES)
def test_a_home_whose_setup_is_incomplete_is_not_listed(search_db, homes, changes, with_return, reasons):
    incomplete_profile, its_return = home("1-199", **changes)
    homes(home(COMPLETE), (incomplete_profile, its_return if with_return else None))

    assert ids(find(search_db, la_code=BARNSLEY, accepting_today=False)) == [COMPLETE]
    assert ids(find(search_db, postcode="S70 1AA", accepting_today=False)) == [COMPLETE]
    assert row(search_db, "1-199").eligible is False
    assert row(search_db, "1-199").ineligible_reasons == reasons


def test_a_complete_home_is_listed_with_no_reasons(search_db, homes):
    homes(home(COMPLETE, short_stay_services=["respite_care"], short_stay_prices={"respite_care": "900.00"}))

    assert ids(find(search_db, la_code=BARNSLEY)) == [COMPLETE]
    assert row(search_db, COMPLETE).eligible is True
    assert row(search_db, COMPLETE).ineligible_reasons == []


# --- postcode search -----------------------------------------------------------------------------

def near_and_far():
    return [home("1-110", name="Sheffield West", at="S10 3EE"), home("1-111", name="Sheffield Centre", at="S1 2DD"),
            home("1-112", name="Monk Bretton", at="S71 1CC"), home("1-113", name="Barnsley South", at="S70 2BB"),
            home("1-114", name="Barnsley Centre", at="S70 1AA")]


def test_postcode_search_lists_nearest_first_with_straight_line_distances(search_db, homes):
    homes(*near_and_far())

    found = find(search_db, postcode="S70 1AA")

    assert ids(found) == ["1-114", "1-113", "1-112", "1-111", "1-110"]
    assert found["origin"] == {"postcode": "S70 1AA", "precision": "postcode", "latitude": 53.5526,
                               "longitude": -1.4797}
    for card in found["results"]:
        assert_distance(card["distance_miles"],
                        haversine_miles(53.5526, -1.4797, card["latitude"], card["longitude"]))
    assert found["results"][0]["distance_miles"] == 0.0


def test_an_unknown_postcode_of_a_known_district_is_searched_from_the_district_centre(search_db, homes):
    homes(*near_and_far())

    found = find(search_db, postcode="S70 9ZZ")

    assert found["origin"] == {"postcode": "S70 9ZZ", "precision": "postcode_district", "latitude": 53.5490,
                               "longitude": -1.4850}
    assert ids(found) == ["1-114", "1-113", "1-112", "1-111", "1-110"]
    for card in found["results"]:
        assert_distance(card["distance_miles"],
                        haversine_miles(53.5490, -1.4850, card["latitude"], card["longitude"]))


def test_a_district_alone_is_searched_from_its_centre(search_db, homes):
    homes(*near_and_far())

    found = find(search_db, postcode="s10")

    assert found["origin"]["precision"] == "postcode_district"
    assert ids(found) == ["1-110", "1-111", "1-113", "1-114", "1-112"]


def test_an_unknown_district_is_invalid_input_about_the_postcode(search_db, homes):
    homes(*near_and_far())

    with pytest.raises(InvalidInput) as raised:
        find(search_db, postcode="S99 9ZZ")

    assert list(raised.value.fields) == ["postcode"]


@pytest.mark.parametrize(("radius", "expected"), [
    (0.5, ["1-114"]),
    (1.7, ["1-114", "1-113"]),  # Monk Bretton is 1.71 miles away
    (1.72, ["1-114", "1-113", "1-112"]),  # ...and just inside this one
    (12.0, ["1-114", "1-113", "1-112", "1-111"]),  # Sheffield Centre 11.86, Sheffield West 12.06
    (500, ["1-114", "1-113", "1-112", "1-111", "1-110"]),
])
def test_a_radius_keeps_only_homes_that_close(search_db, homes, radius, expected):
    homes(*near_and_far())

    assert ids(find(search_db, postcode="S70 1AA", radius_miles=radius)) == expected


@pytest.mark.parametrize("typed", ["s70 1aa", "S701AA", "s701aa", "  S70  1AA "])
def test_a_postcode_in_any_case_and_spacing_is_found(search_db, homes, typed):
    homes(*near_and_far())

    found = find(search_db, postcode=typed)

    assert found["origin"]["postcode"] == "S70 1AA"
    assert found["origin"]["precision"] == "postcode"
    assert ids(found)[:2] == ["1-114", "1-113"]


# --- Local Authority and Sub-ICB ------------------------------------------------------------------

def two_authorities():
    return [home("1-121", name="Birch House", at="S70 1AA"), home("1-123", name="Alder House", at="S70 2BB"),
            home("1-122", name="Alder House", at="S71 1CC"), home("1-124", name="Aspen House", at="S1 2DD"),
            home("1-125", name="Hawthorn", at="S10 3EE")]


@pytest.mark.parametrize(("params", "expected"), [
    ({"la_code": BARNSLEY}, ["1-122", "1-123", "1-121"]),  # by name, then location id
    ({"la_code": SHEFFIELD}, ["1-124", "1-125"]),
    ({"sub_icb_code": SUB_BARNSLEY}, ["1-122", "1-123", "1-121"]),
    ({"sub_icb_code": SUB_SHEFFIELD}, ["1-124", "1-125"]),
    ({"la_code": "E08000017"}, []),
])
def test_an_area_search_lists_only_its_homes_by_name(search_db, homes, params, expected):
    homes(*two_authorities())

    found = find(search_db, **params)

    assert ids(found) == expected
    assert all(card["distance_miles"] is None for card in found["results"])
    assert found["origin"] is None


@pytest.mark.parametrize("area", [{"la_code": BARNSLEY}, {"sub_icb_code": SUB_BARNSLEY}])
def test_an_area_search_with_a_postcode_is_nearest_first(search_db, homes, area):
    homes(*two_authorities())

    found = find(search_db, postcode="S1 2DD", **area)

    assert ids(found) == ["1-123", "1-121", "1-122"]  # 11.35, 11.86, 13.08 miles
    assert [card["distance_miles"] for card in found["results"]] == [11.4, 11.9, 13.1]


# --- stay, vacancy types, accepting today ---------------------------------------------------------

def stays():
    return [
        home("1-201", vacancy("general_nursing", accepting=1), name="Respite Nursing",
             short_stay_services=["respite_care"], short_stay_prices={"respite_care": "900.00"}),
        home("1-202", vacancy("general_residential", accepting=2), name="Long Term Only"),
        home("1-203", vacancy("general_nursing", accepting=0), name="Respite Full",
             short_stay_services=["respite_care"], short_stay_prices={"respite_care": "900.00"}),
        home("1-204", vacancy("dementia_nursing", accepting=1), name="Reablement Dementia",
             short_stay_services=["reablement_support"], short_stay_prices={"reablement_support": "1000.00"}),
    ]


@pytest.mark.parametrize(("params", "expected"), [
    ({"stay": "short_stay", "vacancy_types": ["respite_care"]}, ["1-201"]),
    ({"stay": "short_stay", "vacancy_types": ["respite_care"], "accepting_today": False}, ["1-203", "1-201"]),
    ({"stay": "short_stay", "vacancy_types": ["reablement_support", "respite_care"]}, ["1-204", "1-201"]),
    ({"stay": "short_stay"}, ["1-204", "1-201"]),
    ({"stay": "short_stay", "vacancy_types": ["rehabilitation"]}, []),
    ({"stay": "long_term"}, ["1-202", "1-204", "1-201"]),
    ({"vacancy_types": ["general_nursing"]}, ["1-201"]),
    ({"vacancy_types": ["general_nursing"], "accepting_today": False}, ["1-203", "1-201"]),
    ({"vacancy_types": ["dementia_nursing", "general_residential"]}, ["1-202", "1-204"]),
    ({"accepting_today": False}, ["1-202", "1-204", "1-203", "1-201"]),  # "Respite Full" < "Respite Nursing"
    ({"vacancy_types": ["mental_health_nursing"], "accepting_today": False}, []),
])
def test_stay_vacancy_types_and_accepting_today(search_db, homes, params, expected):
    homes(*stays())

    assert ids(find(search_db, la_code=BARNSLEY, **params)) == expected


def test_accepting_today_is_the_default(search_db, homes):
    homes(*stays())

    assert ids(find(search_db, la_code=BARNSLEY)) == ids(find(search_db, la_code=BARNSLEY, accepting_today=True))
    assert "1-203" not in ids(find(search_db, la_code=BARNSLEY))


# --- flexible vacancies ---------------------------------------------------------------------------

def test_a_flexible_vacancy_makes_the_home_available_for_each_type_it_offers(search_db, homes):
    homes(home("1-301", vacancy("general_residential", accepting=1, flexible=True),
               vacancy("dementia_residential", accepting=0), name="Flexible"),
          home("1-302", vacancy("general_residential", accepting=1),
               vacancy("dementia_residential", accepting=0), name="Not Flexible"),
          home("1-303", vacancy("dementia_residential", accepting=0, flexible=True), name="Flexible But Full"))

    found = find(search_db, la_code=BARNSLEY, vacancy_types=["dementia_residential"])

    assert ids(found) == ["1-301"]
    card = found["results"][0]
    assert card["total_accepting"] == 1
    assert card["vacancies"] == [
        {"vacancy_type": "general_residential", "weekly_price_from": "800.00", "vacant_accepting": 1,
         "flexible": True},
        {"vacancy_type": "dementia_residential", "weekly_price_from": "800.00", "vacant_accepting": 0,
         "flexible": False}]
    assert ids(find(search_db, la_code=BARNSLEY, vacancy_types=["general_residential"])) == ["1-301", "1-302"]


# --- weekly price ---------------------------------------------------------------------------------

def priced():
    return [
        home("1-401", vacancy("general_residential", price="700.00"), vacancy("dementia_nursing", price="1200.00"),
             name="Cheap Residential Dear Nursing"),
        home("1-402", vacancy("dementia_nursing", price="950.00"), name="Middling Nursing"),
        home("1-403", vacancy("general_residential", price="1500.00"), name="Cheap Respite",
             short_stay_services=["respite_care"], short_stay_prices={"respite_care": "600.00"}),
        home("1-404", vacancy("general_residential", price="700.00"), name="Dear Respite",
             short_stay_services=["respite_care"], short_stay_prices={"respite_care": "1100.00"}),
    ]


@pytest.mark.parametrize(("params", "expected"), [
    ({"vacancy_types": ["dementia_nursing"], "max_weekly_price": "1000"}, ["1-402"]),
    ({"vacancy_types": ["dementia_nursing"], "max_weekly_price": "950.00"}, ["1-402"]),  # up to, included
    ({"vacancy_types": ["dementia_nursing"], "max_weekly_price": "949.99"}, []),
    ({"vacancy_types": ["general_residential"], "max_weekly_price": "1000"}, ["1-401", "1-404"]),
    ({"vacancy_types": ["dementia_nursing"], "max_weekly_price": "5000"}, ["1-401", "1-402"]),
    ({"max_weekly_price": "800"}, ["1-401", "1-404"]),  # any long term type at that price
    ({"stay": "short_stay", "vacancy_types": ["respite_care"], "max_weekly_price": "800"}, ["1-403"]),
    ({"stay": "short_stay", "max_weekly_price": "1100"}, ["1-403", "1-404"]),
])
def test_max_weekly_price_compares_the_price_of_what_is_searched(search_db, homes, params, expected):
    homes(*priced())

    assert ids(find(search_db, la_code=BARNSLEY, **params)) == expected


# --- the other filters ----------------------------------------------------------------------------

NOTED = "2026-11-01T09:00:00+00:00"  # notes as providers' contract has them: an id and a time


def varied():
    return [
        home("1-501", name="Ash Court", overall_rating="Outstanding", brand_name="Sunrise Living",
             provider_name="Ash Care Ltd", languages=["English", "Polish", "Urdu"],
             notes=[{"id": "n-1", "text": "Pets welcome. 100% smoke free", "updated_at": "2026-11-01T09:00:00+00:00"}],
             rooms={"equipment": ["hoist"]}, funding_sources=["local_authority", "private"],
             regulated_activities=[NURSING_CARE, TREATMENT], specialisms=["Dementia", "Physical disabilities"],
             service_types=["Care home service with nursing"],
             approved_contracts=[{"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY}],
             out_of_hours_admissions=True, hours_ago=1),
        home("1-502", name="Beech Lodge", overall_rating=None, brand_name=None, provider_name="Beech Homes plc",
             languages=["polish"], notes=[{"id": "n-2", "text": "Garden_room available", "updated_at": NOTED}],
             rooms={"en_suite": True, "accessibility": ["lift"]}, funding_sources=["sub_icb"],
             regulated_activities=[NURSING_CARE], specialisms=["Dementia"],
             service_types=["Care home service without nursing"],
             approved_contracts=[{"commissioner_kind": "sub_icb", "commissioner_code": SUB_BARNSLEY}],
             out_of_hours_admissions=False, hours_ago=30),
        home("1-503", name="Cedar View", overall_rating="Requires improvement", brand_name=None,
             provider_name="Cedar SUNRISE Ltd", languages=["English"], notes=[],
             rooms={"equipment": ["bariatric"]}, funding_sources=["personal_health_budget", "private"],
             regulated_activities=[NURSING_CARE, TREATMENT], specialisms=["Physical disabilities"],
             service_types=["Care home service with nursing", "Care home service without nursing"],
             approved_contracts=[{"commissioner_kind": "local_authority", "commissioner_code": SHEFFIELD},
                                 {"commissioner_kind": "sub_icb", "commissioner_code": SUB_SHEFFIELD}],
             out_of_hours_admissions=True, hours_ago=24 * 10),
        home("1-504", name="Damson House", overall_rating="Good", brand_name=None, provider_name="Damson Care",
             languages=[], notes=[{"id": "n-3", "text": "Room 1000 has a garden room", "updated_at": NOTED},
                                  {"id": "n-4", "text": "Rooms 1/2 share a bathroom", "updated_at": NOTED}], rooms={},
             funding_sources=["local_authority"], regulated_activities=[NURSING_CARE], specialisms=[],
             service_types=["Care home service with nursing"], approved_contracts=[],
             out_of_hours_admissions=None, hours_ago=2),
    ]


ALL = ["1-501", "1-502", "1-503", "1-504"]


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param({"ratings": ["Outstanding"]}, ["1-501"], id="rating"),
    pytest.param({"ratings": ["Not rated"]}, ["1-502"], id="not-rated"),
    pytest.param({"ratings": ["Not rated", "Good"]}, ["1-502", "1-504"], id="ratings-any-of"),
    pytest.param({"brand": "sunrise"}, ["1-501", "1-503"], id="brand-or-provider"),
    pytest.param({"brand": "BEECH HOMES"}, ["1-502"], id="brand-case-insensitive"),
    pytest.param({"brand": "unknown"}, [], id="brand-none"),
    pytest.param({"languages": ["polish"]}, ["1-501", "1-502"], id="language"),
    pytest.param({"languages": ["Polish", "URDU"]}, ["1-501"], id="languages-all-of"),
    pytest.param({"languages": ["English"]}, ALL, id="english-implied"),
    pytest.param({"languages": ["English", "Polish"]}, ["1-501", "1-502"], id="english-and-polish"),
    pytest.param({"notes_contain": "PETS"}, ["1-501"], id="notes-case-insensitive"),
    pytest.param({"notes_contain": "hoist"}, ["1-501"], id="notes-room-equipment"),
    pytest.param({"notes_contain": "lift"}, ["1-502"], id="notes-room-accessibility"),
    pytest.param({"notes_contain": "en-suite"}, ["1-502"], id="notes-en-suite"),
    pytest.param({"notes_contain": "bariatric"}, ["1-503"], id="notes-bariatric"),
    pytest.param({"notes_contain": "garden room"}, ["1-504"], id="notes-phrase"),
    pytest.param({"notes_contain": "100%"}, ["1-501"], id="percent-is-literal"),
    pytest.param({"notes_contain": "garden_room"}, ["1-502"], id="underscore-is-literal"),
    pytest.param({"notes_contain": "1/2"}, ["1-504"], id="slash-is-literal"),
    pytest.param({"funding_sources": ["sub_icb", "personal_health_budget"]}, ["1-502", "1-503"], id="funding-any"),
    pytest.param({"funding_sources": ["private"]}, ["1-501", "1-503"], id="funding-private"),
    pytest.param({"regulated_activities": [NURSING_CARE, TREATMENT]}, ["1-501", "1-503"], id="activities-all"),
    pytest.param({"regulated_activities": [NURSING_CARE]}, ALL, id="activity"),
    pytest.param({"specialisms": ["Dementia", "Physical disabilities"]}, ["1-501"], id="specialisms-all"),
    pytest.param({"specialisms": ["Dementia"]}, ["1-501", "1-502"], id="specialism"),
    pytest.param({"service_types": ["Care home service without nursing"]}, ["1-502", "1-503"], id="service-type"),
    pytest.param({"service_types": ["Care home service without nursing", "Care home service with nursing"]}, ALL,
                 id="service-types-any"),
    pytest.param({"contract_las": [BARNSLEY]}, ["1-501"], id="contract-la"),
    pytest.param({"contract_las": [SHEFFIELD, BARNSLEY]}, ["1-501", "1-503"], id="contract-las-any"),
    pytest.param({"contract_sub_icbs": [SUB_BARNSLEY]}, ["1-502"], id="contract-sub-icb"),
    pytest.param({"contract_sub_icbs": [SUB_SHEFFIELD, SUB_BARNSLEY]}, ["1-502", "1-503"], id="contract-sub-icbs"),
    pytest.param({"updated_within": "24_hours"}, ["1-501", "1-504"], id="updated-24-hours"),
    pytest.param({"updated_within": "7_days"}, ["1-501", "1-502", "1-504"], id="updated-7-days"),
    pytest.param({"updated_within": "any"}, ALL, id="updated-any"),
    pytest.param({"out_of_hours_admissions": True}, ["1-501", "1-503"], id="out-of-hours"),
    pytest.param({"out_of_hours_admissions": False}, ALL, id="out-of-hours-not-needed"),
])
def test_filters(search_db, homes, params, expected):
    homes(*varied())

    assert ids(find(search_db, la_code=BARNSLEY, **params)) == expected


def test_filters_combine(search_db, homes):
    homes(*varied())

    assert ids(find(search_db, la_code=BARNSLEY, languages=["polish"], out_of_hours_admissions=True,
                    funding_sources=["private"])) == ["1-501"]
    assert ids(find(search_db, la_code=BARNSLEY, brand="sunrise", updated_within="7_days")) == ["1-501"]


# --- the card: last updated, stale ----------------------------------------------------------------

def test_a_return_older_than_48_hours_is_stale(search_db, homes):
    homes(home("1-601", name="Fresh", hours_ago=47), home("1-602", name="Stale", hours_ago=49))

    found = find(search_db, la_code=BARNSLEY)

    assert [(c["location_id"], c["stale"], c["last_updated"]) for c in found["results"]] == [
        ("1-601", False, "2026-11-21T10:00:00+00:00"),
        ("1-602", True, "2026-11-21T08:00:00+00:00")]


# --- paging and sorting ---------------------------------------------------------------------------

def five_at_one_place():
    """Five homes at the same coordinates (a distance tie), loaded out of
    order; names and update times in other orders than their ids."""
    return [home("1-703", name="Cherry", hours_ago=5), home("1-701", name="Elm", hours_ago=3),
            home("1-705", name="Apple", hours_ago=1), home("1-702", name="Dogwood", hours_ago=4),
            home("1-704", name="Birch", hours_ago=2)]


def test_pages_cover_every_home_once(search_db, homes):
    homes(*five_at_one_place())

    pages = [find(search_db, postcode="S70 1AA", per_page=2, page=page) for page in (1, 2, 3)]

    assert [ids(page) for page in pages] == [["1-701", "1-702"], ["1-703", "1-704"], ["1-705"]]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert ids(find(search_db, postcode="S70 1AA", per_page=2, page=4)) == []


def test_a_distance_tie_is_ordered_by_location_id(search_db, homes):
    homes(*five_at_one_place(), home("1-700", name="Nearest", at="S70 2BB"))

    found = find(search_db, postcode="S70 2BB")

    assert ids(found) == ["1-700", "1-701", "1-702", "1-703", "1-704", "1-705"]


@pytest.mark.parametrize(("params", "expected"), [
    ({"postcode": "S70 1AA", "sort": "name"}, ["1-705", "1-704", "1-703", "1-702", "1-701"]),
    ({"la_code": BARNSLEY}, ["1-705", "1-704", "1-703", "1-702", "1-701"]),
    ({"postcode": "S70 1AA", "sort": "last_updated"}, ["1-705", "1-704", "1-701", "1-702", "1-703"]),
    ({"sub_icb_code": SUB_BARNSLEY, "sort": "last_updated"}, ["1-705", "1-704", "1-701", "1-702", "1-703"]),
    ({"postcode": "S70 1AA", "sort": "distance"}, ["1-701", "1-702", "1-703", "1-704", "1-705"]),
])
def test_sorts(search_db, homes, params, expected):
    homes(*five_at_one_place())

    assert ids(find(search_db, **params)) == expected


def test_paging_by_name(search_db, homes):
    homes(*five_at_one_place())

    pages = [find(search_db, la_code=BARNSLEY, per_page=2, page=page) for page in (1, 2, 3)]

    assert [ids(page) for page in pages] == [["1-705", "1-704"], ["1-703", "1-702"], ["1-701"]]
    assert [page["has_more"] for page in pages] == [True, True, False]


# --- the read model never goes back ---------------------------------------------------------------

def apply(search_db, *, profiles=(), returns=()) -> tuple[int, int]:
    with search_db.unit_of_work() as uow:
        applied = (apply_location_snapshots(uow.session, locations_loaded(profiles)),
                   apply_return_snapshots(uow.session, returns_loaded(returns)))
        uow.commit()
    return applied


def test_an_older_profile_after_a_newer_one_changes_nothing(search_db, directory):
    newer, _ = home("1-801", name="New Name", version=2)
    older, a_return = home("1-801", name="Old Name", version=1)

    assert apply(search_db, profiles=[newer], returns=[a_return]) == (1, 1)
    assert apply(search_db, profiles=[older]) == (0, 0)

    assert row(search_db, "1-801").location_version == 2
    assert [c["name"] for c in find(search_db, la_code=BARNSLEY)["results"]] == ["New Name"]


def test_an_older_return_after_a_newer_one_changes_nothing(search_db, directory):
    a_profile, newer = home("1-802", vacancy(accepting=3), sequence=2, hours_ago=1)
    _, older = home("1-802", vacancy(accepting=0), sequence=1, hours_ago=5)

    assert apply(search_db, profiles=[a_profile], returns=[newer]) == (1, 1)
    assert apply(search_db, returns=[older]) == (0, 0)

    assert row(search_db, "1-802").return_sequence == 2
    card = find(search_db, la_code=BARNSLEY)["results"][0]
    assert (card["total_accepting"], card["last_updated"]) == (3, "2026-11-23T08:00:00+00:00")


def test_the_same_snapshots_twice_change_nothing(search_db, directory):
    a_profile, a_return = home("1-803")

    assert apply(search_db, profiles=[a_profile], returns=[a_return]) == (1, 1)
    before = row(search_db, "1-803")
    assert apply(search_db, profiles=[a_profile], returns=[a_return]) == (0, 0)
    after = row(search_db, "1-803")

    assert (after.card, after.offers, after.eligible) == (before.card, before.offers, before.eligible)
    assert ids(find(search_db, la_code=BARNSLEY)) == ["1-803"]


def test_a_return_before_its_profile_is_kept_until_the_profile_arrives(search_db, directory):
    a_profile, a_return = home("1-804", vacancy(accepting=2))

    assert apply(search_db, returns=[a_return]) == (0, 1)
    early = row(search_db, "1-804")
    assert (early.eligible, early.ineligible_reasons, early.return_sequence) == (False, ["no_profile"], 1)
    assert ids(find(search_db, la_code=BARNSLEY)) == []

    assert apply(search_db, profiles=[a_profile]) == (1, 0)

    found = find(search_db, la_code=BARNSLEY)
    assert ids(found) == ["1-804"]
    assert found["results"][0]["total_accepting"] == 2



def test_a_newer_profile_no_longer_offering_the_returned_type_unlists_the_home(search_db, directory):
    first, a_return = home("1-805", vacancy("general_residential"))
    changed, _ = home("1-805", vacancy("general_nursing"), version=2)  # now offers general nursing only
    _, next_return = home("1-805", vacancy("general_nursing"), sequence=2)

    apply(search_db, profiles=[first], returns=[a_return])
    assert ids(find(search_db, la_code=BARNSLEY)) == ["1-805"]

    apply(search_db, profiles=[changed])
    assert ids(find(search_db, la_code=BARNSLEY, accepting_today=False)) == []
    assert row(search_db, "1-805").ineligible_reasons == ["no_long_term_cost"]

    apply(search_db, returns=[next_return])
    assert ids(find(search_db, la_code=BARNSLEY, vacancy_types=["general_nursing"])) == ["1-805"]


def test_a_home_that_moves_is_measured_from_where_it_is_now(search_db, directory):
    before, a_return = home("1-806", at="S1 2DD")
    after, _ = home("1-806", at="S70 2BB", version=2)

    apply(search_db, profiles=[before], returns=[a_return])
    assert [c["distance_miles"] for c in find(search_db, postcode="S70 1AA")["results"]] == [11.9]

    apply(search_db, profiles=[after])
    assert [c["distance_miles"] for c in find(search_db, postcode="S70 1AA")["results"]] == [0.7]
    assert ids(find(search_db, postcode="S70 1AA", radius_miles=1)) == ["1-806"]


def test_one_batch_holding_a_home_twice_keeps_its_newest(search_db, directory):
    newer, newer_return = home("1-807", vacancy(accepting=4), name="Newest", version=3, sequence=5)
    older, older_return = home("1-807", vacancy(accepting=1), name="Older", version=2, sequence=4)

    assert apply(search_db, profiles=[newer, older], returns=[newer_return, older_return]) == (1, 1)

    card = find(search_db, la_code=BARNSLEY)["results"][0]
    assert (card["name"], card["total_accepting"]) == ("Newest", 4)
