"""The commissioners' reports on the web: the utilisation chart drawn on the
server (an accessible SVG with its figures as a table, months without
returns kept), and the ASC collection's compliance (filters in the address,
the formal notice's flag, a CSV download), seen only by an area's
commissioners and administrators.

The services behind the pages are a fake (tests/gateway/conftest.py); the
reports below are as realistic as the reporting service gives them."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tracker_common.contracts.errors import Forbidden
from tracker_common.contracts.permissions import Role
from tracker_common.testing import error_summary, page

BARNSLEY, SHEFFIELD, SUB_BARNSLEY, ICB = "E08000016", "E08000019", "E38000006", "E54000061"
AREAS = {"nhs_regions": [{"code": "E40000012", "name": "North East and Yorkshire", "parent_code": None}],
         "icbs": [{"code": ICB, "name": "NHS South Yorkshire Integrated Care Board", "parent_code": "E40000012"}],
         "sub_icbs": [{"code": SUB_BARNSLEY, "name": "NHS South Yorkshire ICB - 02P Barnsley", "parent_code": ICB}],
         "local_authorities": [{"code": BARNSLEY, "name": "Barnsley", "parent_code": None},
                               {"code": SHEFFIELD, "name": "Sheffield", "parent_code": None}]}


@pytest.fixture
def sign_in_as(sign_in):
    """sign_in_as(*roles, organisation, aligned): signed in on the web pages, for Barnsley by default."""
    def _sign_in_as(*roles: Role, organisation: str = BARNSLEY, aligned=(BARNSLEY,)) -> None:
        sign_in(*roles, user_id="u-7", organisation=organisation, aligned=aligned)
    return _sign_in_as


def commissioner(sign_in_as):
    sign_in_as(Role.NON_CARE_HOME_USER)


# -- the utilisation chart ------------------------------------------------------------------
def figures(maximum, occupied, locations=1):
    return {"locations": locations, "maximum_capacity": maximum, "occupied": occupied, "vacant": maximum - occupied,
            "utilisation_percent": round(occupied * 100 / maximum, 1) if maximum else None}


EMPTY = figures(0, 0, 0)
TYPES = [("general_residential", "General residential"), ("dementia_nursing", "Dementia nursing"),
         ("learning_disability_residential", "Learning disability residential")]
# January to March 2026: nobody sent anything in February
OVER_TIME = {
    "rows_by": "month", "columns_by": "vacancy_type", "from_month": "2026-01", "to_month": "2026-03", "areas": [
        {"filter": "la_code", "code": BARNSLEY, "name": "Barnsley"}],
    "page": 1, "per_page": 100, "total_rows": 3, "has_more": False,
    "columns": [{"key": k, "name": n, "total": figures(300, 250, 12)} for k, n in TYPES],
    "rows": [{"key": "2026-01", "name": "January 2026", "total": figures(1180, 1003, 14),
              "cells": [figures(640, 590, 12), figures(420, 330, 6), figures(120, 83, 2)]},
             {"key": "2026-02", "name": "February 2026", "total": EMPTY, "cells": [None, None, None]},
             {"key": "2026-03", "name": "March 2026", "total": figures(1200, 1100, 15),
              "cells": [figures(650, 600, 12), figures(430, 400, 7), None]}],
    "total": figures(2380, 2103, 15)}


def test_month_by_vacancy_type_draws_an_accessible_chart_with_its_figures_beside_it(browser, backend, sign_in_as):
    commissioner(sign_in_as)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "utilisation")] = OVER_TIME
    response = browser.get(f"/reports/utilisation?rows=month&columns=vacancy_type&from_month=2026-01"
                           f"&to_month=2026-03&area=la_code:{BARNSLEY}&measure=occupied")
    assert response.status_code == 200
    shown = page(response)
    charts = shown.select("figure.tracker-chart")
    assert [c.figcaption.get_text(strip=True) for c in charts] == [
        "All vacancy types", "General residential", "Dementia nursing", "Learning disability residential"]
    svg = charts[0].find("svg")
    assert svg["role"] == "img" and svg["viewbox"] == "0 0 360 230" and not svg.get("width")
    title, desc = svg.find("title"), svg.find("desc")
    assert svg["aria-labelledby"] == f"{title['id']} {desc['id']}"
    assert desc.get_text() == ("All vacancy types, January 2026 to March 2026. Capacity went from 1,180 beds, 1,003 "
                               "used and 177 spare in January 2026 to 1,200 beds, 1,100 used and 100 spare in March "
                               "2026. No returns in February 2026.")
    # three months, three places: February is marked, not left out
    assert len(svg.select("rect.tracker-chart__used")) == 2 and len(svg.select("circle.tracker-chart__none")) == 1
    assert [t.get_text() for t in svg.select("text")][-3:] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    figures_table = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                     for row in charts[2].select("table tr")]
    assert figures_table == [["Month", "Capacity", "Used", "Spare"], ["January 2026", "420", "330", "90"],
                             ["February 2026", "No returns"], ["March 2026", "430", "400", "30"]]
    learning = charts[3].find("svg")
    assert "No returns in February 2026, March 2026" in learning.find("desc").get_text()
    # the bars stand on the baseline, the used part under the spare part, heights in proportion
    used = [float(r["height"]) for r in svg.select("rect.tracker-chart__used")]
    assert used[1] / used[0] == pytest.approx(1100 / 1003, rel=0.01)
    assert "<script" not in response.get_data(as_text=True)
    # the table is still there, scrolling in its own labelled region, with a cue
    region = shown.select_one(".tracker-table-scroll")
    assert region["role"] == "region" and region["tabindex"] == "0" and "sideways" in region["aria-label"]
    assert "scroll it sideways" in shown.find(id="table-cue").get_text()


def test_other_shapes_have_no_chart_and_the_reports_page_offers_it(browser, backend, sign_in_as):
    commissioner(sign_in_as)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "utilisation")] = {
        **OVER_TIME, "rows_by": "local_authority", "from_month": "2026-03",
        "rows": [{"key": BARNSLEY, "name": "Barnsley", "total": figures(40, 30), "cells": [figures(40, 30), None,
                                                                                           None]}]}
    assert not page(browser.get("/reports/utilisation?rows=local_authority&columns=vacancy_type")).select(
        "figure.tracker-chart")
    offered = {a.get_text(strip=True): a["href"] for a in page(browser.get("/reports")).select("main a")}
    assert offered["Utilisation chart"] == ("/reports/utilisation?rows=month&columns=vacancy_type&from_month=2025-04"
                                            "&to_month=2026-03&measure=occupied#chart")
    assert offered["ASC collection compliance"] == "/reports/collection-compliance"


# -- ASC collection compliance --------------------------------------------------------------
def month(value, status, sent=None):
    return {"month": value, "status": status, "submitted_at": sent}


def location(location_id, name, provider, months, missed, notice, la=("E08000016", "Barnsley")):
    return {"location_id": location_id, "name": name, "provider_name": provider, "la_code": la[0],
            "la_name": la[1], "sub_icb_code": SUB_BARNSLEY, "sub_icb_name": "NHS South Yorkshire ICB - 02P Barnsley",
            "required_from": "2025-01", "months": months, "missed_in_last_12": missed, "formal_notice": notice}


COMPLIANCE = {
    "months": ["2025-12", "2026-01", "2026-02"], "to_month": "2026-02",
    "summary": {"locations": 3, "flagged": 2, "latest_month": "2026-02", "submitted_in_latest": 1,
                "missed_in_latest": 2},
    "areas": [{"filter": "la_code", "code": BARNSLEY, "name": "Barnsley"}], "page": 1, "per_page": 50, "total": 3,
    "has_more": False, "flagged_only": False,
    "locations": [
        location("1-1000000001", "Ashgrove House Residential and Nursing Home for Older People with Dementia",
                 "The Ashgrove Healthcare Partnership (Northern Counties) Limited",
                 [month("2025-12", "missed"), month("2026-01", "missed"), month("2026-02", "missed")], 3,
                 "consecutive"),
        location("1-1000000002", "Birch Lodge", "Birch Homes",
                 [month("2025-12", "submitted", "2025-12-09T10:15:00+00:00"), month("2026-01", "missed"),
                  month("2026-02", "submitted", "2026-02-12T16:40:00+00:00")], 4, "in_year"),
        location("1-1000000003", "Cedar Court", None,
                 [month("2025-12", "not_required"), month("2026-01", "not_required"), month("2026-02", "missed")],
                 1, None)]}


def cells(response) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in page(response).select("table.tracker-stacked-table tr")]


def test_a_commissioner_reads_each_location_month_by_month_with_the_formal_notice(browser, backend, sign_in_as):
    commissioner(sign_in_as)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "collection_compliance")] = COMPLIANCE
    response = browser.get("/reports/collection-compliance?to_month=2026-02&months=3")
    assert response.status_code == 200
    assert backend.sent_to("reporting", "collection_compliance")["query"] == {
        "to_month": "2026-02", "months": 3, "flagged_only": False, "page": 1, "per_page": 50}
    rows = cells(response)
    assert rows[0] == ["Location", "Dec 2025", "Jan 2026", "Feb 2026", "Missed in the last 12 months", "Formal notice"]
    assert rows[1][0].startswith("Ashgrove House Residential and Nursing Home for Older People with Dementia")
    assert rows[1][1:] == ["Missed", "Missed", "Missed", "3", "Flagged 3 months missed in a row"]
    assert rows[2][1:] == ["Sent 9 December", "Missed", "Sent 12 February", "4",
                           "Flagged 4 months missed in 12"]
    assert rows[3][1:] == ["Not required", "Not required", "Missed", "1", "Not flagged"]
    shown = page(response)
    # each cell says which month it is when the table stacks on a phone
    assert [td["data-label"] for td in shown.select("tr[data-location='1-1000000003'] td")] == [
        "December 2025", "January 2026", "February 2026", "Missed in the last 12 months", "Formal notice"]
    summary = {row.dt.get_text(strip=True): row.dd.get_text(strip=True)
               for row in shown.select(".govuk-summary-list__row")}
    assert summary == {"Active locations": "3", "Sent within the window in February 2026": "1",
                       "Missed in February 2026": "2", "Flagged for the formal notice": "2"}
    # a commissioner picks among their own area's places only
    assert [o["value"] for o in shown.find(id="area").find_all("option")] == ["", f"la_code:{BARNSLEY}"]
    assert shown.find(id="area").find("option").get_text() == "All of your area"
    assert shown.find("a", string=re.compile("Download"))["href"] == (
        "/reports/collection-compliance.csv?to_month=2026-02&months=3")


def test_the_filters_go_to_the_report_and_a_bad_month_is_named_on_its_box(browser, backend, sign_in_as):
    sign_in_as(Role.ADMIN, organisation="national", aligned=())
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "collection_compliance")] = {**COMPLIANCE, "flagged_only": True,
                                                               "locations": COMPLIANCE["locations"][:2], "total": 2}
    response = browser.get(f"/reports/collection-compliance?area=sub_icb_code:{SUB_BARNSLEY}&show=flagged&months=12")
    assert response.status_code == 200
    assert backend.sent_to("reporting", "collection_compliance")["query"] == {
        "sub_icb_code": SUB_BARNSLEY, "months": 12, "flagged_only": True, "page": 1, "per_page": 50, "to_month": None}
    shown = page(response)
    assert len(shown.find(id="area").find_all("option")) == 6  # an administrator picks anywhere
    assert shown.find(id="show").find("option", selected=True)["value"] == "flagged"
    backend.calls.clear()
    refused = browser.get("/reports/collection-compliance?to_month=March&months=99")
    assert refused.status_code == 422
    assert error_summary(refused) == [
        ("to_month", "To: Not a month: write it as 2026-11."),
        ("months", "Months shown: Must be greater than or equal to 1 and less than or equal to 12.")]
    assert ("reporting", "collection_compliance") not in backend.calls


def test_the_csv_holds_every_location_and_month(browser, backend, sign_in_as):
    commissioner(sign_in_as)
    backend.answers[("reporting", "collection_compliance")] = COMPLIANCE
    response = browser.get("/reports/collection-compliance.csv?to_month=2026-02&months=3")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="collection-compliance-2025-12-2026-02.csv"' in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0][:3] == ["Location", "CQC location ID", "Provider"] and len(lines) == 1 + 3 * 3
    assert lines[4] == ["Birch Lodge", "1-1000000002", "Birch Homes", "Barnsley",
                        "NHS South Yorkshire ICB - 02P Barnsley", "2025-12", "Sent", "10:15am on 9 December 2025",
                        "4", "4 months missed in 12"]
    assert backend.sent_to("reporting", "collection_compliance")["query"]["per_page"] == 500


def test_another_areas_compliance_is_refused_by_the_service(browser, backend, sign_in_as):
    commissioner(sign_in_as)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "collection_compliance")] = Forbidden(
        "You see the collection compliance of your own area only.")
    response = browser.get(f"/reports/collection-compliance?area=la_code:{SHEFFIELD}")
    assert response.status_code == 403 and "You cannot see this page" in response.get_data(as_text=True)


@pytest.mark.parametrize("roles, organisation, aligned", [
    ((Role.CARE_HOME_USER,), "prov-a", ()),
    ((Role.CARE_HOME_USER, Role.APPROVER), "prov-a", ()),
    ((Role.NON_CARE_HOME_USER,), "trust-1", ()),  # a hospital discharge team
], ids=["care home user", "care home approver", "discharge team"])
def test_people_without_an_area_are_refused_and_not_offered_it(browser, backend, sign_in_as, roles, organisation,
                                                                aligned):
    sign_in_as(*roles, organisation=organisation, aligned=aligned)
    assert browser.get("/reports/collection-compliance").status_code == 403
    assert browser.get("/reports/collection-compliance.csv").status_code == 403
    assert ("reporting", "collection_compliance") not in backend.calls
    backend.answers[("reporting", "areas")] = AREAS
    index = browser.get("/reports")
    if index.status_code == 200:
        assert "/reports/collection-compliance" not in [a["href"] for a in page(index).select("main a")]


# -- every report's table fits a phone --------------------------------------------------------
LONG_NAME = "St Bartholomew's Residential and Nursing Home for Older People with Dementia (Upper Wharfedale)"


def stacks_on_a_phone(response) -> None:
    """Each table either stacks on a phone (every data cell names its
    column) or scrolls in its own labelled, focusable region."""
    tables = page(response).select("main table")
    assert tables
    for table in tables:
        region = table.find_parent(class_="tracker-table-scroll")
        if region is not None:
            assert region["role"] == "region" and region["tabindex"] == "0" and region["aria-label"]
        elif "tracker-stacked-table" in table["class"]:
            assert all(td.get("data-label") for td in table.select("tbody td")), table
        else:
            assert table.find_parent("details"), table  # a chart's figures, four narrow columns


def test_every_report_page_fits_a_phone(browser, backend, sign_in_as, client):
    sign_in_as(Role.NON_CARE_HOME_USER, Role.BROKER)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "last_modified")] = {
        "page": 1, "per_page": 50, "total": 2, "has_more": False, "generated_at": "2026-03-02T09:00:00+00:00",
        "locations": [{"location_id": "1-1000000001", "name": LONG_NAME, "provider_name": "Wharfedale Care Trust",
                       "la_code": BARNSLEY, "la_name": "Barnsley", "sub_icb_code": SUB_BARNSLEY,
                       "sub_icb_name": "Barnsley", "last_updated_at": None, "staleness": "never",
                       "reminders_enabled": True},
                      {"location_id": "1-1000000002", "name": "Birch Lodge", "provider_name": None,
                       "la_code": None, "la_name": None, "sub_icb_code": None, "sub_icb_name": None,
                       "last_updated_at": "2026-02-27T08:00:00+00:00", "staleness": "stale_48h",
                       "reminders_enabled": False}]}
    backend.answers[("identity", "last_logins")] = {
        "organisation_id": BARNSLEY, "organisation_name": "Barnsley Metropolitan Borough Council", "page": 1,
        "per_page": 50, "total": 1, "has_more": False, "users": [
            {"user_id": "u-2", "name": "Oluwaseun Montgomery-Fitzwilliam", "email":
             "oluwaseun.montgomery-fitzwilliam@barnsley-commissioning.example", "level": "standard",
             "status": "active", "generic": True, "last_login_at": "2026-03-01T17:45:00+00:00"}]}
    backend.answers[("reporting", "utilisation")] = OVER_TIME
    backend.answers[("reporting", "collection_compliance")] = COMPLIANCE
    for path in ("/reports/last-modified", "/reports/last-login", "/reports/collection-compliance",
                 "/reports/utilisation?rows=month&columns=vacancy_type&from_month=2026-01&to_month=2026-03"):
        response = browser.get(path)
        assert response.status_code == 200, path
        stacks_on_a_phone(response)
    backend.answers[("reporting", "bed_state")] = {
        "area": {"code": BARNSLEY, "kind": "local_authority", "name": "Barnsley"},
        "generated_at": "2026-03-02T09:00:00+00:00", "total_accepting": 3,
        "totals": [{"vacancy_type": "dementia_nursing", "vacant_accepting": 3}],
        "locations": [{"location_id": "1-1000000001", "name": LONG_NAME, "postcode": "BD23 5LA",
                       "last_updated_at": "2026-03-01T10:00:00+00:00", "staleness": "fresh",
                       "admission_status": "accepting", "total_accepting": 3,
                       "vacancies": [{"vacancy_type": "dementia_nursing", "vacant_accepting": 3, "flexible": True}]}]}
    stacks_on_a_phone(client.get(f"/bed-state?area=la_code:{BARNSLEY}"))
