"""Reports on the web: each report's choices in the page's address, checked
before it is asked; the table read back as a person sees it; reminders sent
from the last modified list; the public bed state without signing in.

The services behind the pages are a fake (tests/gateway/conftest.py)."""
from __future__ import annotations

import base64

from tracker_common.contracts.errors import NotFound
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

BARNSLEY = "E08000016"
AREAS = {"nhs_regions": [], "icbs": [], "sub_icbs": [{"code": "E38000006", "name": "Barnsley", "parent_code": None}],
         "local_authorities": [{"code": BARNSLEY, "name": "Barnsley", "parent_code": None}]}


def figures(maximum, occupied, locations=1):
    return {"locations": locations, "maximum_capacity": maximum, "occupied": occupied, "vacant": maximum - occupied,
            "utilisation_percent": round(occupied * 100 / maximum, 1)}


UTILISATION = {
    "rows_by": "local_authority", "columns_by": "vacancy_type", "from_month": "2026-03", "to_month": "2026-03",
    "areas": [], "page": 1, "per_page": 100, "total_rows": 1, "has_more": False,
    "columns": [{"key": "general_nursing", "name": "General nursing", "total": figures(40, 30)}],
    "rows": [{"key": BARNSLEY, "name": "Barnsley", "cells": [figures(40, 30)], "total": figures(40, 30)}],
    "total": figures(40, 30)}


def table(response) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in page(response).select("table tr")]


def test_the_first_view_is_vacancy_type_by_local_authority_this_month(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "utilisation")] = UTILISATION
    response = browser.get("/reports/utilisation")
    assert response.status_code == 200
    assert backend.sent_to("reporting", "utilisation")["query"] == {
        "rows": "local_authority", "columns": "vacancy_type", "from_month": None, "to_month": None, "page": 1,
        "per_page": 100}  # the service takes "this month" in UK time
    assert table(response) == [["Local Authority", "General nursing", "Total"], ["Barnsley", "75.0%", "75.0%"],
                               ["Total", "75.0%", "75.0%"]]


def test_the_choices_go_to_the_report_and_another_measure_is_shown(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "utilisation")] = UTILISATION
    response = browser.get("/reports/utilisation?rows=month&columns=vacancy_type&from_month=2026-01"
                           f"&to_month=2026-03&area=la_code:{BARNSLEY}&measure=vacant")
    assert backend.sent_to("reporting", "utilisation")["query"] == {
        "rows": "month", "columns": "vacancy_type", "from_month": "2026-01", "to_month": "2026-03",
        "la_code": BARNSLEY, "page": 1, "per_page": 100}
    assert table(response)[1] == ["Barnsley", "10", "10"]
    shown = page(response)
    assert shown.find(id="area").find("option", selected=True)["value"] == f"la_code:{BARNSLEY}"


def test_a_range_of_months_without_month_as_a_dimension_is_named_on_its_box(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = AREAS
    response = browser.get("/reports/utilisation?rows=local_authority&from_month=2026-01&to_month=2026-03")
    assert response.status_code == 422
    assert error_summary(response) == [("to_month", "To: For more than one month, put month on the rows or the "
                                                    "columns.")]
    assert ("reporting", "utilisation") not in backend.calls


def test_care_home_users_see_their_activity_reports_but_not_utilisation(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    links = [a["href"] for a in page(browser.get("/reports")).select("main a")]
    assert "/reports/last-modified" in links and "/reports/utilisation" not in links
    assert browser.get("/reports/utilisation").status_code == 403
    assert ("reporting", "utilisation") not in backend.calls


LAST_MODIFIED = {"page": 1, "per_page": 50, "total": 2, "has_more": False, "generated_at": "2026-03-02T09:00:00+00:00",
                 "locations": [
                     {"location_id": "1-2", "name": "Birch Lodge", "provider_name": "Birch Homes", "la_code": BARNSLEY,
                      "la_name": "Barnsley", "sub_icb_code": None, "sub_icb_name": None, "last_updated_at": None,
                      "staleness": "never", "reminders_enabled": True},
                     {"location_id": "1-1", "name": "Alder House", "provider_name": "Alder Care", "la_code": BARNSLEY,
                      "la_name": "Barnsley", "sub_icb_code": None, "sub_icb_name": None,
                      "last_updated_at": "2026-02-27T08:05:00+00:00", "staleness": "stale_48h",
                      "reminders_enabled": False}]}


def test_last_modified_lists_locations_and_sends_reminders_to_those_ticked(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "last_modified")] = LAST_MODIFIED
    listed = browser.get(f"/reports/last-modified?not_updated_for_hours=48&area=la_code:{BARNSLEY}")
    assert backend.sent_to("reporting", "last_modified")["query"] == {
        "not_updated_for_hours": 48, "la_code": BARNSLEY, "page": 1, "per_page": 50}
    rows = table(listed)
    assert rows[1][1:] == ["Birch Lodge Birch Homes", "Barnsley", "Never", "On"]
    assert rows[2][3] == "8:05am on 27 February 2026 Over 48 hours" and rows[2][4] == "Switched off"

    backend.answers[("notifications", "send_reminders")] = {
        "reminded": [{"location_id": "1-2", "to": "m@birch.example", "notification_id": "n-1"}],
        "locations_without_anyone": ["1-1"]}
    sent = browser.post("/reports/last-modified", data={
        "csrf_token": csrf_token(listed), "location_ids": ["1-2", "1-1"],
        "back": "/reports/last-modified?not_updated_for_hours=48"}, follow_redirects=True)
    assert backend.sent_to("notifications", "send_reminders")["payload"] == {"location_ids": ["1-2", "1-1"]}
    assert notices(sent) == ["Reminder emails sent: 1 person asked to update capacity. "
                             "1 location(s) have nobody to remind."]


def test_a_care_home_user_cannot_send_reminders_from_the_list(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    backend.answers[("reporting", "areas")] = AREAS
    backend.answers[("reporting", "last_modified")] = LAST_MODIFIED
    listed = browser.get("/reports/last-modified")
    assert page(listed).find("input", {"name": "location_ids"}) is None
    refused = browser.post("/reports/last-modified", data={"csrf_token": csrf_token(listed), "location_ids": ["1-1"]})
    assert refused.status_code == 403 and ("notifications", "send_reminders") not in backend.calls


def test_last_login_lists_the_people_of_the_organisation(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    backend.answers[("identity", "last_logins")] = {
        "organisation_id": "prov-a", "organisation_name": "Alder Care", "page": 1, "per_page": 50, "total": 1,
        "has_more": False, "users": [{"user_id": "u-2", "name": "Sam Jones", "email": "sam@alder.example",
                                      "level": "standard", "status": "active", "generic": False,
                                      "last_login_at": None}]}
    response = browser.get("/reports/last-login?not_logged_in_for_days=30")
    assert backend.sent_to("identity", "last_logins")["query"] == {"not_logged_in_for_days": 30, "page": 1,
                                                                    "per_page": 50}
    assert table(response)[1] == ["Sam Jones", "sam@alder.example", "Active", "Never"]
    refused = browser.get("/reports/last-login?not_logged_in_for_days=0")
    assert refused.status_code == 422 and error_summary(refused)[0][0] == "not_logged_in_for_days"


def test_the_export_downloads_for_extended_reporting_only(browser, backend, sign_in):
    sign_in(Role.EXTENDED_REPORTING)
    backend.answers[("reporting", "export_capacity")] = {
        "file_name": "capacity-20260302-0900.xlsx", "content_type": "application/vnd.ms-excel", "locations": 1,
        "truncated": False, "content": base64.b64encode(b"PK...").decode()}
    download = browser.get("/reports/capacity-export.xlsx")
    assert download.data == b"PK..." and "capacity-20260302-0900.xlsx" in download.headers["Content-Disposition"]
    assert backend.sent_to("reporting", "export_capacity")["query"] == {"format": "xlsx"}
    sign_in(Role.NON_CARE_HOME_USER)
    assert browser.get("/reports/capacity-export.csv").status_code == 403


def test_the_bed_state_is_public(client, services):
    services.answers[("reporting", "areas")] = AREAS
    services.answers[("reporting", "bed_state")] = {
        "area": {"code": BARNSLEY, "kind": "local_authority", "name": "Barnsley"},
        "generated_at": "2026-03-02T09:00:00+00:00", "total_accepting": 3,
        "totals": [{"vacancy_type": "general_nursing", "vacant_accepting": 3}],
        "locations": [{"location_id": "1-1", "name": "Alder House", "postcode": "S70 1AA",
                       "last_updated_at": "2026-03-02T08:00:00+00:00", "staleness": "fresh",
                       "admission_status": "accepting", "total_accepting": 3,
                       "vacancies": [{"vacancy_type": "general_nursing", "vacant_accepting": 3, "flexible": True}]}]}
    assert page(client.get("/bed-state")).find("table") is None  # first, choose an area
    response = client.get(f"/bed-state?area=la_code:{BARNSLEY}")
    assert response.status_code == 200
    assert services.sent_to("reporting", "bed_state") == {"query": {"la_code": BARNSLEY}}
    assert table(response)[1] == ["Alder House S70 1AA", "3 general nursing (flexible)", "8:00am on 2 March 2026"]
    services.answers[("reporting", "bed_state")] = NotFound("No Local Authority has the code E06000099.")
    assert client.get("/bed-state?area=la_code:E06000099").status_code == 404


def test_the_whole_table_downloads_as_csv_page_after_page(browser, backend, sign_in):
    import csv
    import io

    sign_in(Role.NON_CARE_HOME_USER)

    def answer(actor, query):
        more = query["page"] == 1
        return {**UTILISATION, "page": query["page"], "has_more": more, "rows": [
            {**UTILISATION["rows"][0], "key": f"E0800001{query['page']}", "name": f"Area {query['page']}",
             "cells": [None]}]}
    backend.answers[("reporting", "utilisation")] = answer
    download = browser.get(f"/reports/utilisation.csv?rows=local_authority&columns=vacancy_type&area=la_code:{BARNSLEY}")
    assert download.status_code == 200
    assert 'filename="utilisation-local_authority-vacancy_type-2026-03.csv"' in download.headers["Content-Disposition"]
    sent = [kwargs["query"] for s, m, kwargs in backend.sent if m == "utilisation"]
    assert [(q["page"], q["per_page"], q["la_code"]) for q in sent] == [(1, 500, BARNSLEY), (2, 500, BARNSLEY)]
    lines = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Local Authority", "Code", "Vacancy type"]
    # an empty cell is left out; each row's total is a line of its own
    assert [line[:3] + line[4:] for line in lines[1:]] == [
        ["Area 1", "E08000011", "Total", "1", "40", "30", "10", "75.0"],
        ["Area 2", "E08000012", "Total", "1", "40", "30", "10", "75.0"]]
