"""A hospital discharge nurse finds a bed in a real browser, at a phone's
width and a desktop's: searches from a postcode with filters (the search
stays in the address), sees the homes on a map with the postcode marked
(each marker leads to its home's details, each home shows its marker),
prints the list; and without JavaScript the list and its print view still
work. The map's tiles are served to the browser from a picture of our own:
the machine has no internet, and the page must allow the tile server all
the same (a refused image is a console error, which fails the test)."""
from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system

# A 1x1 pale grey PNG, stretched by the browser over each 256 px tile.
TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC")
PASSWORD = "Heron-Valley-Beacon-27"


def _set_up(system, admin, home, *, accepting: int, price: str) -> None:
    """A home findable by search: services, care type, funding, vacancies."""
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["general_nursing"]}).status_code == 200
    assert system.api("PATCH", f"/api/v1/locations/{home['id']}/profile", token=admin, json={
        "care_types": ["nursing"], "funding_sources": ["local_authority", "private"]}).status_code == 200
    body = {"vacancies": [{"vacancy_type": "general_nursing", "weekly_price_from": price, "maximum_capacity": 12,
                           "occupied": 12 - accepting, "vacant_reserved": 0, "vacant_accepting": accepting,
                           "vacant_not_available": 0}],
            "short_stay_prices": {"respite_care": "985.00"}, "confirm_over_registered_capacity": True}
    wait_until(lambda: system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=admin,
                                  json=body).status_code == 201, message="capacity to take the return")


@pytest.fixture(scope="module")
def ward(system):
    """Three homes of one Local Authority set up with vacancies, and a
    discharge nurse of that Local Authority."""
    admin = system.admin_token()
    first = system.home_without_a_return(admin)
    homes = [first]
    while len(homes) < 3:
        try:
            homes.append(system.home_without_a_return(admin, where=lambda home: home["la_code"] == first["la_code"]
                                                     and home["id"] not in {h["id"] for h in homes}))
        except StopIteration:
            break
    for number, home in enumerate(homes):
        _set_up(system, admin, home, accepting=number + 1, price=f"{1150 + 75 * number}.00")
    assert system.api("POST", f"/api/v1/locations/{first['id']}/notes", token=admin, json={
        "text": "Ceiling hoist and a bariatric bed in room 4; ground floor rooms open onto the garden. "
                "Ask for the nurse in charge after 2pm for same-day admissions."}).status_code == 201
    email = f"nia.nurse.{int(time.time() * 1000)}@council.example"
    token = system.onboard(name="Niamh O'Sullivan-Bankole", email=email, organisation_id=first["la_code"],
                           password=PASSWORD)
    postcode = first["postcode"]

    def listed():
        found = system.api("GET", "/api/v1/search/vacancies", token=token, params={
            "postcode": postcode, "per_page": 100}).json()
        return found if {h["id"] for h in homes} <= {r["location_id"] for r in found["results"]} else None
    found = wait_until(listed, message="search to learn of the homes")
    mine = next(r for r in found["results"] if r["location_id"] == first["id"])
    return {"homes": homes, "email": email, "postcode": postcode, "origin": found["origin"],
            "activity": (mine["services"]["regulated_activities"] or [None])[0]}


def _tiles(page) -> list[str]:
    """Serve every OpenStreetMap tile the page asks for from our picture (the
    page's own policy decides first whether it may ask)."""
    asked = []

    def serve(route):
        asked.append(route.request.url)
        route.fulfill(status=200, body=TILE, content_type="image/png")
    page.route("https://tile.openstreetmap.org/**", serve)
    return asked


def test_a_discharge_nurse_finds_homes_on_a_list_and_a_map_and_prints_them(
        browser_page, web_sign_in, check_page, system, ward, width, shot):
    page = browser_page(width)
    tiles = _tiles(page)
    web_sign_in(page, ward["email"], PASSWORD)
    assert urlsplit(page.url).path == "/search"  # a discharge nurse lands on the search
    check_page(page)

    page.fill("#postcode", ward["postcode"].replace(" ", "").lower())  # as people type it
    page.fill("#radius_miles", "25")
    page.select_option("#vacancy_types", "general_nursing")
    page.get_by_text("Price, funding, rating and more").click()
    page.get_by_label("Private", exact=True).check()
    page.fill("#max_weekly_price", "£1,500")
    if ward["activity"]:
        page.get_by_text("Care, services and languages").click()
        page.get_by_label(ward["activity"], exact=True).check()
    page.get_by_role("button", name="Search").click()
    page.locator("#results-map .tracker-map__home").first.wait_for()  # the page's script has drawn the map

    asked = parse_qs(urlsplit(page.url).query)  # the search is in the address: it can be bookmarked
    assert asked["funding_sources"] == ["private"] and asked["vacancy_types"] == ["general_nursing"]
    assert asked["radius_miles"] == ["25"] and asked["max_weekly_price"] == ["£1,500"]
    cards = page.locator("[data-result]")
    listed = cards.evaluate_all("cards => cards.map(c => c.dataset.result)")
    assert {h["id"] for h in ward["homes"]} <= set(listed)
    criteria = page.inner_text("#criteria")
    assert "25 miles" in criteria and "General nursing" in criteria and "£1500 a week" in criteria

    # The map: the postcode as a star, a numbered marker per home, tiles from the configured server.
    assert page.is_visible("#results-map")
    origin = page.locator(".tracker-map__origin")
    assert origin.count() == 1 and ward["origin"]["postcode"] in origin.get_attribute("title")
    markers = page.locator(".tracker-map__home")
    placed = cards.evaluate_all("cards => cards.filter(c => c.dataset.latitude).length")
    assert markers.count() == placed >= len(ward["homes"])
    wait_until(lambda: tiles, timeout=10, message="the map to ask for its tiles")
    assert page.locator(".leaflet-control-attribution").inner_text().strip() == "© OpenStreetMap contributors"
    check_page(page)
    shot(page, "search")

    # A marker's popup leads to its home's details.
    first = cards.first
    name = first.get_attribute("data-name")
    markers.first.click()
    popup_link = page.locator(".leaflet-popup-content a")
    assert popup_link.inner_text() == f"1. {name}"
    popup_link.click()
    card = f"home-{first.get_attribute('data-result')}"
    wait_until(lambda: urlsplit(page.url).fragment == card, timeout=5, message=f"the address to name {card}")
    assert first.is_visible()

    # A home shows its marker: the map comes into view with that home's popup open.
    second = cards.nth(1)
    second.get_by_role("link", name="Show on map").click()
    page.locator(".leaflet-popup-content a", has_text=f"2. {second.get_attribute('data-name')}").wait_for()
    wait_until(lambda: page.locator(".leaflet-popup").count() == 1, timeout=5, message="one popup at a time")
    assert page.locator("#results-map").is_visible()
    check_page(page)

    # Print: the browser's print, of the page as printed — no header, form, pagination or map controls.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    before = page.url
    page.get_by_role("button", name="Print this list").click()
    assert page.evaluate("window.printed") == 1 and page.url == before
    page.emulate_media(media="print")
    for hidden in (".govuk-service-navigation", "form[action='/search']", ".leaflet-control-zoom",
                   ".tracker-search-actions", ".govuk-footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.is_visible("#criteria") and page.is_visible(".tracker-print-only") and first.is_visible()
    tag = page.locator(".govuk-tag").first.evaluate("t => [getComputedStyle(t).color, getComputedStyle(t).backgroundColor]")
    assert tag == ["rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"]  # black on white, whatever the printer
    shot(page, "search-print")
    page.emulate_media(media="screen")

    # The print view (where the browser cannot print from the page itself).
    page.goto(page.get_attribute("[data-print]", "href"))
    assert "General nursing" in page.inner_text("#criteria") and page.locator("[data-result]").count() == cards.count()
    check_page(page)
    shot(page, "search-print-view")


def test_without_javascript_the_list_and_its_print_view_work(chromium, web_base, web_sign_in, system, ward, width):
    """(Accessibility is checked with the page's JavaScript on, above: axe-core is itself a script.)"""
    context = chromium.new_context(java_script_enabled=False, viewport={"width": width, "height": 900},
                                   base_url=web_base, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        web_sign_in(page, ward["email"], PASSWORD)
        page.goto(f"/search?postcode={ward['postcode']}&radius_miles=25&funding_sources=private")
        assert page.locator("[data-result]").count() >= len(ward["homes"])
        assert not page.is_visible("#map-section")  # no map without its script: the list is the page
        assert page.locator("[data-show-on-map]").first.is_hidden()
        page.get_by_role("link", name="Print this list").click()
        assert urlsplit(page.url).path == "/search/print"
        assert "25 miles" in page.inner_text("#criteria") and "Private" in page.inner_text("#criteria")
        assert page.locator("form[action='/search']").count() == 0
        assert page.locator("[data-result]").count() >= len(ward["homes"])
        page.get_by_role("link", name="Back to the search").click()
        assert urlsplit(page.url).path == "/search" and page.input_value("#radius_miles") == "25"
    finally:
        context.close()
