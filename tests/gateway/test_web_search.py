"""Find care home vacancies on the web: the search in the page's address,
checked before it is asked, every filter of the API on the form, its
results on a list and a map, its print view, pages and downloads.

The services behind the pages are a fake that answers each (service, method)
as the test says and records what it was sent (tests/gateway/conftest.py);
pages are read back with an HTML parser, as a browser would.
"""
from __future__ import annotations

import base64
import json

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import error_summary, page

# What the form's lists are made of: the areas reporting names, the options of the homes listed now.
AREAS = {"nhs_regions": [{"code": "E40000012", "name": "North East and Yorkshire"}],
         "icbs": [{"code": "E54000054", "name": "NHS West Yorkshire Integrated Care Board"}],
         "local_authorities": [{"code": "E08000035", "name": "Leeds"}, {"code": "E08000032", "name": "Bradford"},
                               {"code": "E06000047", "name": "County Durham"}],
         "sub_icbs": [{"code": "E38000225", "name": "NHS West Yorkshire ICB - 15F (Leeds)"},
                      {"code": "E38000232", "name": "NHS West Yorkshire ICB - 36J (Bradford District and Craven)"}]}
OPTIONS = {"languages": ["Polish", "Punjabi", "Urdu", "Welsh"],
           "regulated_activities": ["Accommodation for persons who require nursing or personal care",
                                    "Treatment of disease, disorder or injury", "Diagnostic and screening procedures"],
           "specialisms": ["Caring for adults over 65 yrs", "Dementia", "Mental health conditions",
                           "Physical disabilities", "Sensory impairments"],
           "service_types": ["Care home service with nursing", "Care home service without nursing"]}


@pytest.fixture(autouse=True)
def lists(backend):
    """Every page of the search names its areas and options (tests change them)."""
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("search", "search_options")] = OPTIONS
    return backend

# -- search ---------------------------------------------------------------------------------------------
FOUND = {"page": 1, "per_page": 20, "has_more": True, "searched_at": "2026-03-02T09:00:00+00:00",
         "origin": {"postcode": "LS1 4AP", "precision": "postcode", "latitude": 53.8, "longitude": -1.55},
         "results": [{
             "location_id": "1-1", "name": "Willow House", "distance_miles": 1.234, "telephone": "0113 496 0001",
             "address": {"street_address": "1 Park Row", "address_line_2": None, "city": "Leeds",
                         "postcode": "LS1 5AB"}, "cqc": {"overall_rating": "Good"}, "admission_status": "accepting",
             "total_accepting": 3, "last_updated": "2026-02-28T10:00:00+00:00", "stale": True,
             "vacancies": [{"vacancy_type": "dementia_nursing", "weekly_price_from": "1100.00",
                            "vacant_accepting": 3, "flexible": True}],
             "short_stay_prices": {"respite_care": "900.00"}, "out_of_hours_admissions": True,
             "notes": [{"text": "Hoist in every room"}]}]}


def test_a_search_from_a_postcode_lists_homes_and_keeps_the_search_in_the_address(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    assert page(browser.get("/search")).find(id="postcode")["value"] == ""
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(FOUND)
    response = browser.get("/search?postcode=ls14ap&radius_miles=10&vacancy_types=dementia_nursing"
                           "&max_weekly_price=%C2%A31,200&funding_sources=local_authority&accepting_today=true")
    assert response.status_code == 200
    sent = backend.sent_to("search", "find_vacancies")["query"]
    assert (sent["postcode"], sent["radius_miles"], sent["vacancy_types"], sent["max_weekly_price"],
            sent["funding_sources"]) == ("LS1 4AP", 10.0, ["dementia_nursing"], "1200.00", ["local_authority"])
    shown = page(response)
    card = shown.select_one('[data-result="1-1"]').get_text(" ", strip=True)
    for expected in ("Willow House", "1.2 miles", "3 accepting admissions", "Dementia nursing: 3 from £1100.00 a week "
                     "(flexible)", "Respite care: from £900.00 a week", "Not updated for over 48 hours",
                     "1 Park Row, Leeds, LS1 5AB", "Good", "Hoist in every room"):
        assert expected in card, expected
    assert shown.select_one('[data-result="1-1"] a[href^="tel:"]')["href"] == "tel:01134960001"
    assert shown.find(id="radius_miles")["value"] == "10"  # the form keeps the search
    assert shown.find(id="filters-more").has_attr("open")  # a price and funding were asked: their part shows them
    assert not shown.find(id="filters-contracts").has_attr("open")
    following = shown.select_one("a[rel=next]")["href"]
    assert "page=2" in following and "postcode=ls14ap" in following
    assert shown.find("a", string="CSV")["href"].startswith("/search/export.csv?postcode=ls14ap")


def test_a_bad_search_names_each_field_and_asks_nothing(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    response = browser.get("/search?radius_miles=10&stay=short_stay&vacancy_types=general_nursing")
    assert response.status_code == 422
    assert {field for field, _ in error_summary(response)} == {"postcode", "radius_miles", "vacancy_types"}
    absurd = browser.get("/search?postcode=LS1+4AP&radius_miles=1000")
    assert error_summary(absurd) == [("radius_miles", "Within: Must be greater than or equal to 0.1 and less than or "
                                                "equal to 500.")]
    assert page(absurd).find(id="radius_miles")["value"] == "1000"
    assert not any(d.has_attr("open") for d in page(absurd).find_all("details"))  # nothing asked among the others
    assert ("search", "find_vacancies") not in backend.calls


def test_an_unknown_postcode_is_named_by_the_service(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "find_vacancies")] = service_errors.InvalidInput(
        fields={"postcode": ["No postcode ZZ99 9ZZ is known, nor its district."]})
    response = browser.get("/search?postcode=ZZ99+9ZZ")
    assert error_summary(response) == [("postcode", "Postcode: No postcode ZZ99 9ZZ is known, nor its district.")]


def test_care_home_users_cannot_search(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    for path in ("/search", "/search?postcode=LS1+4AP", "/search/print?postcode=LS1+4AP",
                 "/search/export.csv?postcode=LS1+4AP"):
        response = browser.get(path)
        assert response.status_code == 403
    assert ("search", "find_vacancies") not in backend.calls and ("search", "export_vacancies") not in backend.calls
    assert ("search", "search_options") not in backend.calls  # not even what the filters offer


def test_a_search_downloads_as_a_file(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "export_vacancies")] = lambda **kwargs: {
        "content": base64.b64encode(b"name,distance\r\nWillow House,1.2\r\n").decode(), "content_type": "text/csv",
        "file_name": "vacancies.csv", "rows": 1, "truncated": False}
    response = browser.get("/search/export.csv?postcode=LS1+4AP&vacancy_types=dementia_nursing")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="vacancies.csv"'
    assert response.data.splitlines()[1] == b"Willow House,1.2"
    assert backend.sent_to("search", "export_vacancies")["query"]["format"] == "csv"
    assert browser.get("/search/export.pdf?postcode=LS1+4AP").status_code == 422
