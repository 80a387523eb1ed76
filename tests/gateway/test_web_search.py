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
from tracker_common.rpc import ServiceUnavailable
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


# -- every filter of the API on the form ------------------------------------------------------------------
def _found(*homes, origin=FOUND["origin"], has_more=False) -> dict:
    return {**FOUND, "origin": origin, "has_more": has_more, "results": list(homes)}


def _home(location_id: str, name: str, latitude, longitude, distance=None, **more) -> dict:
    return {**FOUND["results"][0], "location_id": location_id, "name": name, "latitude": latitude,
            "longitude": longitude, "distance_miles": distance, **more}


HOMES = [
    _home("1-101", "Willow House Nursing and Residential Home for Older People", 53.8008, -1.5491, 0.4,
          provider_name="Yorkshire Dales Care Partnership (Holdings) Limited", care_types=["nursing", "residential"],
          services={"languages": ["Polish", "Urdu"]},
          approved_contracts=[{"commissioner_kind": "local_authority", "commissioner_code": "E08000035"},
                              {"commissioner_kind": "sub_icb", "commissioner_code": "E38000225"}],
          notes=[{"text": "Bariatric bed and ceiling hoist in room 4; ground floor rooms look onto the garden.",
                  "updated_at": "2026-02-27T15:30:00+00:00"},
                 {"text": "No admissions after 6pm on Fridays while the lift is repaired.",
                  "updated_at": "2026-01-12T08:05:00+00:00"}]),
    _home("1-102", "St Aidan's Court", 53.7712, -1.5023, 3.1),
    _home("1-103", "The Old Vicarage (address only, no map position)", None, None, 5.8),
]


def test_the_form_has_a_box_for_every_filter_the_api_takes(browser, backend, sign_in):
    """Each field of the API's search query but its paging (the page's links do that)."""
    from tracker_common.contracts.search import SearchQuery
    sign_in(Role.NON_CARE_HOME_USER)
    form = page(browser.get("/search")).find("form", action="/search")
    named = {box["name"] for box in form.find_all(["input", "select", "textarea"]) if box.has_attr("name")}
    assert set(SearchQuery().fields) - {"page", "per_page"} <= named, set(SearchQuery().fields) - named
    assert form["method"] == "get"  # the search stays in the page's address


def test_areas_and_contracts_are_chosen_by_name_and_each_filter_reaches_the_search(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    empty = page(browser.get("/search"))
    assert [o.get_text() for o in empty.find(id="la_code").find_all("option")] == [
        "Any Local Authority", "Bradford", "County Durham", "Leeds"]  # by name, in order
    assert empty.find(id="sub_icb_code").find("option", value="E38000225").get_text() == \
        "NHS West Yorkshire ICB - 15F (Leeds)"
    labels = [label.get_text(strip=True) for label in empty.select("#filters-care label")]
    assert "Treatment of disease, disorder or injury" in labels  # CQC's words, as CQC writes them
    assert "Urdu" in labels and "Care home service with nursing" in labels
    assert not any(d.has_attr("open") for d in empty.find_all("details"))  # on a phone the form stays short

    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(_found(*HOMES, origin=None))
    response = browser.get(
        "/search?la_code=E08000035&stay=long_term&vacancy_types=&accepting_today=false"
        "&regulated_activities=Treatment+of+disease%2C+disorder+or+injury&specialisms=Dementia"
        "&specialisms=Physical+disabilities&service_types=Care+home+service+with+nursing&languages=Polish"
        "&languages=Urdu&contract_las=E08000035&contract_sub_icbs=E38000225&sort=last_updated"
        "&updated_within=7_days&out_of_hours_admissions=true&ratings=Good&ratings=Outstanding")
    assert response.status_code == 200
    sent = backend.sent_to("search", "find_vacancies")["query"]
    assert sent["la_code"] == "E08000035" and "postcode" not in sent
    assert sent["regulated_activities"] == ["Treatment of disease, disorder or injury"]
    assert sent["specialisms"] == ["Dementia", "Physical disabilities"]
    assert sent["service_types"] == ["Care home service with nursing"]
    assert sent["languages"] == ["Polish", "Urdu"]
    assert (sent["contract_las"], sent["contract_sub_icbs"]) == (["E08000035"], ["E38000225"])
    assert (sent["sort"], sent["updated_within"], sent["out_of_hours_admissions"], sent["accepting_today"]) == \
        ("last_updated", "7_days", True, False)
    shown = page(response)
    assert shown.find(id="la_code").find("option", selected=True).get_text() == "Leeds"
    assert shown.find(id="contract_sub_icbs").find("option", selected=True)["value"] == "E38000225"
    assert {box["value"] for box in shown.select("#filters-care input:checked")} == {
        "Treatment of disease, disorder or injury", "Dementia", "Physical disabilities",
        "Care home service with nursing", "Polish", "Urdu"}
    assert all(shown.find(id=f"filters-{group}").has_attr("open") for group in ("area", "more", "care", "contracts"))
    criteria = dict((row.dt.get_text(strip=True), row.dd.get_text(strip=True))
                    for row in shown.select("#criteria .govuk-summary-list__row"))
    assert criteria["Local Authority"] == "Leeds"  # the search in words, names not codes
    assert criteria["Contract with a Sub-ICB"] == "NHS West Yorkshire ICB - 15F (Leeds)"
    assert criteria["Languages spoken"] == "Polish, Urdu"
    assert criteria["Show"] == "Also homes without a vacancy today"
    card = shown.select_one('[data-result="1-101"]').get_text(" ", strip=True)
    for expected in ("Run by Yorkshire Dales Care Partnership (Holdings) Limited", "Nursing, Residential",
                     "Polish, Urdu", "Leeds, NHS West Yorkshire ICB - 15F (Leeds)",
                     "Bariatric bed and ceiling hoist in room 4", "27 February 2026"):
        assert expected in card, expected
    following = shown.select_one('a[href^="/search/export.csv"]')["href"]
    assert "la_code=E08000035" in following and "languages=Polish&languages=Urdu" in following


def test_a_refused_area_is_named_on_the_form(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    both = browser.get("/search?la_code=E08000035&sub_icb_code=E38000225")
    assert both.status_code == 422
    assert error_summary(both) == [("sub_icb_code", "Sub-ICB: Search one Local Authority or one Sub-ICB, not both.")]
    assert page(both).find(id="filters-area").has_attr("open")
    wrong = browser.get("/search?postcode=LS1+4AP&contract_las=Leeds&languages=" + "x" * 41)
    assert {field for field, _ in error_summary(wrong)} == {"contract_las", "languages"}
    assert ("search", "find_vacancies") not in backend.calls


def test_the_search_works_when_the_lists_cannot_be_had(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = ServiceUnavailable("reporting")
    backend.answers[("search", "search_options")] = ServiceUnavailable("search")
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(_found(*HOMES[:1], origin=None))
    response = browser.get("/search?la_code=E08000035&languages=Tigrinya")
    assert response.status_code == 200
    shown = page(response)
    assert shown.find(id="la_code").find("option", selected=True).get_text() == "E08000035"  # kept, if unnamed
    assert shown.find("input", attrs={"name": "languages", "value": "Tigrinya"}).has_attr("checked")
    assert shown.select_one('[data-result="1-101"]') is not None


def test_the_lists_are_asked_once_in_a_while_not_on_every_page(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    for _ in range(3):
        assert browser.get("/search").status_code == 200
    assert backend.calls.count(("reporting", "areas")) == 1 and backend.calls.count(("search", "search_options")) == 1


def test_lists_known_to_be_empty_are_asked_again(browser, backend, sign_in):
    """A system still filling its read models answers empty lists: the next
    page asks again rather than offering nothing for minutes."""
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "search_options")] = {key: [] for key in OPTIONS}
    assert browser.get("/search").status_code == 200
    backend.answers[("search", "search_options")] = OPTIONS
    shown = page(browser.get("/search"))
    assert backend.calls.count(("search", "search_options")) == 2
    language = OPTIONS["languages"][0]
    assert shown.find("input", attrs={"name": "languages", "value": language}) is not None


# -- the map ------------------------------------------------------------------------------------------------
def test_the_results_come_with_a_map_of_them_and_the_postcode_searched(browser, backend, sign_in, monkeypatch):
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(_found(*HOMES))
    response = browser.get("/search?postcode=LS1+4AP&radius_miles=10")
    shown = page(response)
    section = shown.find(id="map-section")
    assert section.has_attr("hidden")  # shown by the page's script only: without JavaScript, the list alone
    box = shown.find(id="results-map")
    assert box["data-tiles"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert box["data-attribution"] == "© OpenStreetMap contributors"
    assert box["data-attribution-url"] == "https://www.openstreetmap.org/copyright"
    assert (box["data-origin-postcode"], float(box["data-origin-latitude"]), float(box["data-origin-longitude"])) \
        == ("LS1 4AP", 53.8, -1.55)
    first = shown.find(id="home-1-101")  # what a marker's popup links to
    assert (first["data-number"], float(first["data-latitude"]), float(first["data-longitude"])) == \
        ("1", 53.8008, -1.5491)
    assert first["data-name"] == "Willow House Nursing and Residential Home for Older People"
    assert first.find("a", attrs={"data-show-on-map": "1-101"})["href"] == "#results-map"
    unplaced = shown.find(id="home-1-103")
    assert not unplaced.has_attr("data-latitude") and unplaced.find("a", attrs={"data-show-on-map": True}) is None
    scripts = [s["src"] for s in shown.find_all("script")]
    assert scripts == ["/static/leaflet/leaflet.js", "/static/search/search.js"]
    assert shown.find("link", href="/static/leaflet/leaflet.css")
    assert not shown.find_all(attrs={"style": True}) and not [s for s in shown.find_all("script") if s.string]
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self' https://tile.openstreetmap.org"  # the tiles, and nothing else
    assert policy["script-src"] == "'self'"
    for path in scripts + ["/static/leaflet/leaflet.css", "/static/leaflet/images/marker-icon.png",
                           "/static/leaflet/LICENSE"]:
        assert browser.get(path).status_code == 200, path
    # other pages allow no other server's images
    other = browser.get("/search")
    assert "tile.openstreetmap.org" not in other.headers["Content-Security-Policy"]
    assert page(other).find(id="results-map") is None


def test_the_map_tiles_come_from_the_server_configured(browser, backend, sign_in, monkeypatch):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(_found(*HOMES))
    monkeypatch.setenv("MAP_TILE_URL", "https://{s}.tiles.example.org/light/{z}/{x}/{y}.png")
    monkeypatch.setenv("MAP_ATTRIBUTION", "© Example Maps, © OpenStreetMap contributors")
    response = browser.get("/search?postcode=LS1+4AP")
    box = page(response).find(id="results-map")
    assert box["data-tiles"] == "https://{s}.tiles.example.org/light/{z}/{x}/{y}.png"
    assert box["data-attribution"] == "© Example Maps, © OpenStreetMap contributors"
    assert "img-src 'self' https://*.tiles.example.org;" in response.headers["Content-Security-Policy"]
    monkeypatch.setenv("MAP_TILE_URL", "/static/map-tiles/{z}/{x}/{y}.png")  # served by this site: nothing to allow
    response = browser.get("/search?postcode=LS1+4AP")
    assert page(response).find(id="results-map")["data-tiles"] == "/static/map-tiles/{z}/{x}/{y}.png"
    assert "img-src 'self';" in response.headers["Content-Security-Policy"]
    for refused in ("javascript:alert(1)", "https://tiles.example.org/{z}/{x}/{y}.png; script-src *", "off"):
        monkeypatch.setenv("MAP_TILE_URL", refused)  # no map rather than a policy opened
        response = browser.get("/search?postcode=LS1+4AP")
        assert page(response).find(id="results-map") is None and page(response).find(id="home-1-101")
        assert "img-src 'self';" in response.headers["Content-Security-Policy"]


# -- printing -----------------------------------------------------------------------------------------------
def test_a_search_prints_with_the_search_in_words(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(_found(*HOMES))
    asked = ("postcode=ls14ap&radius_miles=10&vacancy_types=dementia_nursing&max_weekly_price=1200"
             "&contract_las=E08000035")
    button = page(browser.get(f"/search?{asked}")).find("a", attrs={"data-print": True})
    assert button.get_text(strip=True) == "Print this list"
    assert button["href"].startswith("/search/print?postcode=ls14ap&radius_miles=10&")
    printed = browser.get(button["href"])
    assert printed.status_code == 200
    shown = page(printed)
    assert shown.find("form", action="/search") is None and shown.find(id="results-map") is None
    criteria = dict((row.dt.get_text(strip=True), row.dd.get_text(strip=True))
                    for row in shown.select("#criteria .govuk-summary-list__row"))
    assert criteria == {"Postcode": "ls14ap", "Within": "10 miles", "Maximum weekly price": "£1200 a week",
                        "Vacancy type": "Dementia nursing", "Contract with a Local Authority": "Leeds"}
    assert [h.get_text(" ", strip=True) for h in shown.select(".govuk-summary-card__title")][:2] == [
        "1. Willow House Nursing and Residential Home for Older People 0.4 miles", "2. St Aidan's Court 3.1 miles"]
    assert "2 March 2026" in shown.select_one(".tracker-print-only").get_text()  # when the figures were shown
    assert shown.find("a", class_="govuk-back-link")["href"].startswith("/search?postcode=ls14ap")
    assert backend.sent_to("search", "find_vacancies")["query"]["contract_las"] == ["E08000035"]


def test_the_print_view_without_a_search_leads_back_to_it(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    empty = page(browser.get("/search/print"))
    assert empty.find("a", string="Find care home vacancies")["href"] == "/search"
    refused = browser.get("/search/print?radius_miles=10")
    assert refused.status_code == 422 and ("search", "find_vacancies") not in backend.calls
