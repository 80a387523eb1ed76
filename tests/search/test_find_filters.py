"""Finding care home vacancies: every other filter (ratings, brand,
languages, notes, funding, CQC activities, specialisms and service types,
contracts, last updated, out-of-hours); staleness and last updated on the
card; paging and the three sorts. Each answer written down by hand."""
from __future__ import annotations

import pytest

from .conftest import BARNSLEY, SHEFFIELD, SUB_BARNSLEY, SUB_SHEFFIELD
from .finding import NURSING_CARE, TREATMENT, find, home, ids


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
