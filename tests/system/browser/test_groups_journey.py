"""A care group with several homes, in a real browser against the real
system, on a phone and a desktop: from "your locations" it downloads the
bulk update template, fills it (one home correctly, one with more beds in
use than exist), is told plainly what is missing from its upload, uploads
it with the declaration ticked, follows its progress and reads the result:
one home updated, the other named with its row to correct. Then its
provider's page shows each home's latest capacity at a glance, and another
provider's page is not found. Every page passes axe and fits the width."""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system

PASSWORD = "Heron-Valley-Beacon-27"



def a_care_group(system, unique, width: int) -> tuple[str, list[dict], dict]:
    """A provider with two care homes (a different one for each width),
    its homes offering general residential beds, and a new user of it
    (email); also a home of another provider."""
    admin = system.admin_token()
    homes = system.api("GET", "/api/v1/locations", token=admin,
                       params={"kind": "care_home", "per_page": 200}).json()["locations"]
    by_provider = defaultdict(list)
    for home in homes:
        by_provider[home["provider_id"]].append(home)
    groups = sorted((g for g in by_provider.values() if len(g) >= 2), key=lambda g: g[0]["provider_id"])
    assert len(groups) >= 2, "the synthetic England has care groups"
    group = groups[-1 if width < 1000 else -2][:2]  # the last ones: other tests take the first homes
    other = next(home for home in homes if home["provider_id"] not in {group[0]["provider_id"]})
    for home in group:
        assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
            "short_stay_services": [], "long_term_vacancy_types": ["general_residential"]}).status_code == 200
    email = f"sam.{unique()}@care-group.example"
    token = system.onboard(name="Sam Group-Operations", email=email, organisation_id=group[0]["provider_id"],
                           password=PASSWORD)

    def capacity_knows_the_services():
        template = system.api("GET", "/api/v1/capacity/bulk-template", token=token)
        if template.status_code != 200:
            return False
        rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(template.content))["Capacities"]
                .iter_rows(min_row=2)]
        return all(any(r[0] == home["id"] and r[3] == "General Residential" for r in rows) for home in group)
    wait_until(capacity_knows_the_services, message="capacity to learn the homes' services")
    return email, group, other


def fill(template: bytes, good: str, bad: str) -> bytes:
    """The template as the group fills it: `good` with correct figures,
    `bad` with more beds in use than it has."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["Capacities"]
    headers = [c.value for c in sheet[1]]
    figures = {good: {"Weekly price from (£)": 925, "Maximum capacity": 12, "Occupied": 9, "Vacant reserved": 1,
                      "Vacant accepting admissions": 2, "Vacant not available": 0, "Flexible (Y/N)": "N"},
               bad: {"Weekly price from (£)": 880, "Maximum capacity": 8, "Occupied": 8, "Vacant reserved": 0,
                     "Vacant accepting admissions": 3, "Vacant not available": 0, "Flexible (Y/N)": "N"}}
    for row in sheet.iter_rows(min_row=2):
        wanted = figures.get(row[0].value)
        if wanted and row[headers.index("Vacancy type")].value == "General Residential":
            for cell, header in zip(row, headers):
                if header in wanted:
                    cell.value = wanted[header]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_care_group_updates_its_homes_with_the_spreadsheet_and_sees_them_at_a_glance(
        browser_page, check_page, web_sign_in, system, unique, width, tmp_path, shot):
    email, (good, bad), other = a_care_group(system, unique, width)
    page = browser_page(width)
    web_sign_in(page, email, PASSWORD)
    page.goto("/capacity")
    page.get_by_role("link", name="Update several locations with a spreadsheet").click()
    assert page.inner_text("h1") == "Update several locations with a spreadsheet"
    check_page(page)
    shot(page, "bulk-update")

    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download the template (.xlsx)").click()
    template = Path(downloaded.value.path()).read_bytes()
    filled = tmp_path / "care-group-update.xlsx"
    filled.write_bytes(fill(template, good["id"], bad["id"]))

    # Sent without a file or the declaration: each named, linked to its field, nothing kept.
    page.get_by_role("button", name="Upload").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="Select the completed bulk update template").count() == 1
    assert summary.get_by_role("link", name="Tick the box to confirm the declaration before uploading").count() == 1
    check_page(page)
    shot(page, "bulk-refused")

    page.set_input_files("#file", str(filled))
    page.check("#declaration")
    # While axe reads the progress page, its script is told "still being processed" (else it may reload mid-check).
    page.route("**/capacity/bulk-uploads/*/status", lambda route: route.fulfill(json={"status": "received"}))
    page.get_by_role("button", name="Upload").click()
    assert "/capacity/bulk-uploads/" in page.url
    if page.locator("#progress").count():  # still being processed: the page follows it by itself
        assert page.get_by_role("button", name="Check again").count() == 1
        check_page(page)
        shot(page, "bulk-progress")
    page.unroute("**/capacity/bulk-uploads/*/status")
    page.wait_for_selector("#applied", timeout=30_000)
    assert page.inner_text("h1") == "Your bulk update has been processed"
    assert page.inner_text("#applied") == "1 location updated."
    refused = page.locator(f'[data-refused="{bad["id"]}"]')
    assert bad["name"] in refused.locator("h3").inner_text()
    assert "nothing was changed for it" in refused.inner_text()
    assert "maximum" in page.inner_text("#row-errors").lower()  # the row to correct, and why
    assert page.locator("#updated").get_by_role("link", name=good["name"]).count() == 1
    check_page(page)
    shot(page, "bulk-results")
    current = system.api("GET", f"/api/v1/locations/{good['id']}/capacity-returns/current",
                         token=system.admin_token()).json()
    assert current["source"] == "bulk" and current["totals"]["vacant_accepting"] == 2

    # The provider's page: every home with its latest capacity.
    page.goto("/capacity")
    page.get_by_role("link", name="All your provider's locations at a glance").click()
    card = page.locator(f'[data-location="{good["id"]}"]')
    assert card.locator("[data-admissions]").inner_text() == "Accepting admissions"
    assert card.locator("[data-vacancies]").inner_text() == "General residential: 2"
    assert "Not accepting admissions" in page.locator(f'[data-location="{bad["id"]}"]').inner_text() or \
        "No capacity sent yet" in page.locator(f'[data-location="{bad["id"]}"]').inner_text()
    check_page(page)
    shot(page, "provider")
    if page.locator("#brand a").count():  # where CQC names a brand, its page too
        page.locator("#brand a").click()
        assert page.locator(f'[data-location="{good["id"]}"]').count() == 1
        check_page(page)

    # Another provider's page is not theirs to see.
    response = page.goto(f"/providers/{other['provider_id']}")
    assert response.status == 404 and other["name"] not in page.inner_text("main")
