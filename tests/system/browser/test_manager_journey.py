"""A care home manager on a phone (and a desktop), in a real browser against
the real system: from the sign-in page, "nothing has changed" is saved in
at most three taps and well under 30 seconds, and the page shows it; then
the history of the home's returns with its chart, the workforce and
visiting returns (a broken rule named next to its box first), and asking
for access to another home. Every page passes axe and fits the width."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system

PASSWORD = "Heron-Valley-Beacon-27"



def a_home_with_a_return(system, *, besides=()) -> dict:
    """A care home (not one of `besides`) that has just sent a return."""
    # Between the browser's steps the API client's kept-alive connection may
    # be closed by gunicorn just as it is used again: start afresh.
    system.http.close()
    admin = system.admin_token()
    home = system.home_without_a_return(
        admin, where=lambda h: (h.get("registered_beds") or 0) >= 10 and h["id"] not in besides)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": [], "long_term_vacancy_types": ["general_residential"]}).status_code == 200
    figures = {"vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "795.00",
                              "maximum_capacity": 10, "occupied": 7, "vacant_reserved": 1, "vacant_accepting": 2,
                              "vacant_not_available": 0}]}
    # capacity learns of the services from providers' event: a moment later
    wait_until(lambda: system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=admin,
                                  json=figures).status_code == 201, timeout=30, interval=0.3,
               message="capacity to know the home's services")
    return home


def a_manager_of_a_home_with_a_return(system, unique) -> tuple[str, dict]:
    """A care home that sent a return a few minutes ago, and a standard user
    of it (her email)."""
    home = a_home_with_a_return(system)
    email = f"jo.{unique()}@care.example"
    system.onboard(name="Jo Manager", email=email, organisation_id=home["provider_id"], location_id=home["id"],
                   password=PASSWORD)
    system.advance_clock(minutes=3)  # "last updated" is written to the minute: let one pass
    return email, home


def test_nothing_has_changed_in_three_taps_then_the_other_jobs(browser_page, check_page, system, unique, width, shot):
    email, home = a_manager_of_a_home_with_a_return(system, unique)
    page = browser_page(width)
    taps = []

    def tap(locator) -> None:
        taps.append(locator)
        locator.click()

    # Sign-in page loaded -> refreshed: typing is not a tap, each click is.
    page.goto("/sign-in")
    started = time.monotonic()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    tap(page.get_by_role("button", name="Sign in"))
    assert urlsplit(page.url).path == "/capacity", page.inner_text("main")
    card = page.locator(f'[data-location="{home["id"]}"]')
    before = card.inner_text()
    tap(card.get_by_role("button", name=f"Nothing has changed at {home['name']}"))
    seconds = time.monotonic() - started
    print(f"\n{width} px: signed in and refreshed in {len(taps)} taps, {seconds:.1f} s")
    assert len(taps) <= 3 and seconds < 30, (len(taps), seconds)

    notice = page.locator(".govuk-notification-banner__heading").inner_text()
    assert notice.startswith(f"Nothing has changed at {home['name']}: its figures are saved as still true at ")
    saved_at = notice.rsplit(" at ", 1)[1].rstrip(".")
    after = page.locator(f'[data-location="{home["id"]}"]').inner_text()
    assert saved_at in after and saved_at not in before  # "last updated" moved to the refresh
    # and it is said where the tap was, on the screen (the banner may be above it)
    expect(page.locator(f'[data-location="{home["id"]}"]').get_by_text("Saved as still true")).to_be_in_viewport()
    system.http.close()
    current = system.api("GET", f"/api/v1/locations/{home['id']}/capacity-returns/current",
                         token=system.admin_token()).json()
    assert (current["sequence"], current["still_true"], current["totals"]["vacant_accepting"]) == (2, True, 2)
    check_page(page)
    shot(page, "capacity-refreshed")

    # The history: the refresh first, marked; a chart with its words and its table.
    tap(page.locator(f'[data-location="{home["id"]}"]').get_by_role("link", name=re.compile("History of returns")))
    first = page.locator("#history > li").first
    assert "Still true" in first.inner_text() and "By You." in first.inner_text()
    assert page.locator("#history > li").count() == 2
    assert page.locator("svg[role=img] title").text_content().startswith(f"Vacant beds at {home['name']}")
    page.get_by_text("The chart's figures as a table").click()
    assert page.locator("#chart-table tbody tr").count() == 2
    check_page(page)
    shot(page, "history")

    # The capacity form offers the same refresh, and leads on to the other returns.
    page.locator(".app-returns-nav").get_by_role("link", name="Capacity").click()
    assert page.get_by_role("button", name=re.compile("^Nothing has changed since ")).count() == 1
    check_page(page)
    shot(page, "capacity-form")

    # The workforce return: visa holders without a licence are named at their box, nothing saved.
    page.locator(".app-returns-nav").get_by_role("link", name="Workforce").click()
    for group, total in (("registered_nurses", "3"), ("care_staff", "18"), ("non_care_staff", "6")):
        page.fill(f"#{group}-total_employed", total)
        for name in ("visa_holders_own_sponsor", "absent_covid", "absent_other"):
            page.fill(f"#{group}-{name}", "0")
    page.fill("#care_staff-visa_holders_own_sponsor", "4")
    page.fill("#agency_bank_headcount", "2")
    page.check("#holds_sponsorship_licence-no")
    page.get_by_role("button", name="Save workforce headcount").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Care providing staff, visa holders under your own sponsor licence: Only organisations holding" in summary
    assert page.locator("#care_staff-visa_holders_own_sponsor-error").count() == 1
    check_page(page)
    shot(page, "workforce-refused")
    page.check("#holds_sponsorship_licence")  # yes: it does hold one
    page.get_by_role("button", name="Save workforce headcount").click()
    assert page.locator(".govuk-notification-banner__heading").inner_text() == \
        f"Workforce headcount saved for {home['name']}."

    # Visiting: two answers.
    page.goto(f"/locations/{home['id']}/returns/visiting")
    check_page(page)
    page.check("#visits_in")
    page.check("#visits_out-no")
    page.get_by_role("button", name="Save visiting").click()
    assert page.locator(".govuk-notification-banner__heading").inner_text() == f"Visiting saved for {home['name']}."

    # Access to one more home (that has sent returns too), found by its postcode.
    other = a_home_with_a_return(system, besides=(home["id"],))
    page.get_by_role("link", name="Ask for access to more locations").click()
    page.fill("#place", other["postcode"])
    page.get_by_role("button", name="Find").click()
    page.locator(f'input[name=location_ids][value="{other["id"]}"]').check()
    check_page(page)
    shot(page, "access")
    page.get_by_role("button", name="Send the request").click()
    assert page.locator(".govuk-notification-banner__heading").inner_text().startswith(
        f"You asked for access to {other['name']}")

    # Approved: both homes are hers, and one tap says nothing has changed at either.
    system.http.close()
    admin = system.admin_token()
    asked = next(a for a in system.api("GET", "/api/v1/applications", token=admin).json()["applications"]
                 if a["email"] == email and a["kind"] == "location_access")
    assert asked["location_ids"] == [other["id"]]
    decided = system.api("POST", f"/api/v1/applications/{asked['id']}/decision", token=admin,
                         json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    system.advance_clock(minutes=2)
    page.goto("/capacity")
    if "/sign-in" not in page.url:  # her access changed: a session that outlived it is ended by identity
        page.get_by_role("button", name="Sign out").click()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("[data-location]").count() == 2
    check_page(page)
    page.get_by_role("button", name="Nothing has changed at any of my locations").click()
    notice = page.locator(".govuk-notification-banner__heading").inner_text()
    assert notice.startswith("Nothing has changed: the figures of 2 locations are saved as still true at "), notice
    for location in (home, other):
        current = system.api("GET", f"/api/v1/locations/{location['id']}/capacity-returns/current",
                             token=system.admin_token())  # the one above may have ended meanwhile
        assert current.status_code == 200, current.text
        current = current.json()
        assert current["still_true"] and current["submitted_at"] > decided.json()["decided_at"]
    shot(page, "all-refreshed")
