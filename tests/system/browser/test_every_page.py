"""Every page each kind of person can reach, in a real browser at a phone's
width and a desktop's: signed in as an administrator, a care home manager
and a council's discharge coordinator, follow every link of the site from
the page each lands on; each page answers without a server error, passes
axe-core's WCAG 2.2 AA checks and does not scroll sideways."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.system

NOT_FOLLOWED = re.compile(r"^/(api/|sign-out|sign-in|static/|healthz|metrics)|\.(csv|xlsx|svg|json)(\?|$)|/export")
IDS = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+|[A-Z0-9]{1,3}-[0-9]+|E[0-9]{8}|[0-9A-Z]{3})(?=/|$)")
MOST_PAGES = 45


def kind_of_page(path: str) -> str:
    """/locations/1-101/notes/new and /locations/1-202/notes/new are the same page."""
    return IDS.sub("/{id}", urlsplit(path).path)


@pytest.fixture(scope="module")
def people(system):
    """An administrator, a care home's manager and a council's discharge coordinator."""
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    location = system.api("GET", f"/api/v1/locations/{home['id']}", token=admin).json()
    stamp = int(time.time() * 1000)
    password = "Heron-Valley-Beacon-27"
    manager = f"mo.manager.{stamp}@home.example"
    council = f"cy.council.{stamp}@council.example"
    system.onboard(name="Morwenna Fitzgerald-Oyelaran", email=manager, organisation_id=location["organisation_id"],
                   location_id=home["id"], password=password)
    system.onboard(name="Cyprian Adeyemi-Lindqvist", email=council, organisation_id=home["la_code"],
                   password=password)
    return {"administrator": (system.env["ADMIN_EMAIL"], system.env["ADMIN_PASSWORD"]),
            "care home manager": (manager, password), "discharge coordinator": (council, password)}


@pytest.mark.parametrize("who", ["administrator", "care home manager", "discharge coordinator"])
def test_every_page_a_person_can_reach(browser_page, web_sign_in, check_page, people, width, who):
    page = browser_page(width)
    web_sign_in(page, *people[who])
    queue, seen, checked = [urlsplit(page.url).path], set(), []
    while queue and len(checked) < MOST_PAGES:
        path = queue.pop(0)
        if kind_of_page(path) in seen:
            continue
        seen.add(kind_of_page(path))
        answer = page.goto(path)
        assert answer.status < 500, f"{who}: {path} answered {answer.status}: {page.inner_text('main')[:500]}"
        check_page(page)
        checked.append(path)
        for href in page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))"):
            if not NOT_FOLLOWED.search(href) and kind_of_page(href) not in seen:
                queue.append(href.split("#")[0])
    print(f"{who} at {width} px: {len(checked)} pages checked:", *checked, sep="\n  ")
    assert len(checked) >= 3, f"{who} reached only {checked}"
