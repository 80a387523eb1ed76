"""Finding care home vacancies against a small, known set of homes, each
answer written down by hand.

Covered here: which homes are listed at all (setup complete, active, not
dormant, care homes only) and the reasons kept for the others; postcode
search (nearest first, distances against an independent haversine, district
fallback, unknown districts, radius, sloppy typing); Local Authority and
Sub-ICB searches and their order; long term and short stay searches,
accepting today, flexible vacancies and the weekly price. Every other
filter, the card, paging and sorting: test_find_filters.py; a read model
that never goes back to older snapshots: test_newer_snapshots.py. (The
query schema's own checks: tests/contracts/test_search_query.py.)
"""
from __future__ import annotations

import pytest

from tracker_common.contracts.errors import InvalidInput

from .conftest import BARNSLEY, SHEFFIELD, SUB_BARNSLEY, SUB_SHEFFIELD, vacancy
from .finding import assert_distance, find, haversine_miles, home, ids, row


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
