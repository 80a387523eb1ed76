"""A commissioner of a Local Authority reads the reports in a real browser,
at a phone's width and a desktop's: the utilisation chart over the last 12
months by vacancy type (an SVG with its title, description and figures as a
table; the months nobody sent in are there), the ASC collection compliance
of their area with its filters, and its CSV download; another area's
compliance is refused. Every page passes axe-core and fits the screen."""
from __future__ import annotations

import csv
import io
import time

import pytest

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system
PASSWORD = "Heron-Valley-Beacon-27"


@pytest.fixture(scope="module")
def commission(system):
    """A home that sent its capacity this month, and a commissioner of its Local Authority."""
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": [], "long_term_vacancy_types": ["general_nursing", "dementia_nursing"]}
    ).status_code == 200
    body = {"vacancies": [
        {"vacancy_type": "general_nursing", "weekly_price_from": "1150.00", "maximum_capacity": 24, "occupied": 19,
         "vacant_reserved": 1, "vacant_accepting": 4, "vacant_not_available": 0},
        {"vacancy_type": "dementia_nursing", "weekly_price_from": "1320.00", "maximum_capacity": 12, "occupied": 11,
         "vacant_reserved": 0, "vacant_accepting": 1, "vacant_not_available": 0}],
        "short_stay_prices": {}, "confirm_over_registered_capacity": True}
    wait_until(lambda: system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=admin,
                                  json=body).status_code == 201, message="capacity to take the return")
    email = f"kofi.commissioner.{int(time.time() * 1000)}@council.example"
    token = system.onboard(name="Kofi Annan-Whitworth", email=email, organisation_id=home["la_code"],
                           password=PASSWORD)

    def reported():
        answer = system.api("GET", "/api/v1/reports/collection-compliance", token=token, params={"per_page": 500})
        assert answer.status_code == 200, answer.text
        return any(loc["location_id"] == home["id"] for loc in answer.json()["locations"]) and wait_until(
            lambda: system.api("GET", "/api/v1/reports/utilisation", token=token, params={
                "rows": "location", "la_code": home["la_code"], "per_page": 500}).json()["total"]["locations"] > 0)
    wait_until(reported, timeout=30, message="the home in the commissioner's reports")
    areas = system.api("GET", "/api/v1/reports/areas").json()["local_authorities"]
    elsewhere = next(area["code"] for area in areas if area["code"] != home["la_code"])
    return {"home": home, "email": email, "elsewhere": elsewhere}


def test_a_commissioner_reads_the_chart_and_the_compliance_report(browser_page, web_sign_in, check_page, width,
                                                                   commission, shot):
    home = commission["home"]
    page = browser_page(width)
    web_sign_in(page, commission["email"], PASSWORD)

    page.goto("/reports")
    check_page(page)
    page.get_by_role("link", name="Utilisation chart").click()
    chart = page.locator("figure.tracker-chart").first
    svg = chart.locator("svg[role=img]")
    assert svg.count() == 1
    assert page.locator("figure.tracker-chart svg title").first.text_content().startswith("All vacancy types")
    description = page.locator("figure.tracker-chart svg desc").first.text_content()
    assert "No returns in" in description  # twelve months, and the home sent only in this one
    assert "beds" in description
    names = page.locator("figure.tracker-chart figcaption").all_inner_texts()
    assert names[0] == "All vacancy types" and {"General nursing", "Dementia nursing"} <= set(names)
    box = svg.bounding_box()
    assert box["width"] <= width and box["height"] > 100  # scaled to the screen, never wider
    chart.locator("summary").click()  # the figures as a table, beside the chart
    rows = chart.locator("table tr").all_inner_texts()
    assert len(rows) == 13 and sum("No returns" in row for row in rows) >= 1
    check_page(page)
    shot(page, "chart")

    page.goto("/reports")
    page.get_by_role("link", name="ASC collection compliance").click()
    assert page.inner_text("h1") == "ASC collection compliance"
    row = page.locator(f"tr[data-location='{home['id']}']")
    assert row.count() == 1 and home["name"] in row.inner_text()
    assert "lagged" in row.locator("td").last.inner_text()  # "Not flagged", or flagged with the rule it broke
    check_page(page)
    page.select_option("#months", "12")
    page.select_option("#show", "")
    page.get_by_role("button", name="Show the report").click()
    assert "months=12" in page.url
    assert page.locator(f"tr[data-location='{home['id']}'] td[data-label]").count() == 12 + 2
    check_page(page)
    shot(page, "compliance")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download every location and month (CSV)").click()
    lines = list(csv.reader(io.StringIO(open(downloading.value.path(), encoding="utf-8-sig").read())))
    assert lines[0][:2] == ["Location", "CQC location ID"]
    assert sum(1 for line in lines if line[1] == home["id"]) == 12

    answer = page.goto(f"/reports/collection-compliance?area=la_code:{commission['elsewhere']}")
    assert answer.status == 403 and "You cannot see this page" in page.inner_text("h1")
