"""A care group's bulk update on the web: the template downloaded, the
completed file uploaded with the declaration ticked (each refusal named by
its field, nothing sent), the progress while the worker applies it, and the
results: each location's outcome by name, the rows to correct.

The services behind the pages are a fake (tests/gateway/conftest.py)."""
from __future__ import annotations

import base64
import io

import pytest
from openpyxl import Workbook

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = "5b0c1d2e-3f40-4a5b-9c6d-7e8f90a1b2c3"


def a_filled_template() -> bytes:
    """A small workbook shaped like the template, as a care group fills it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Capacities"
    sheet.append(["Location ID", "Location name", "Postcode", "Vacancy type", "Weekly price from (£)",
                  "Maximum capacity", "Occupied", "Vacant reserved", "Vacant accepting admissions",
                  "Vacant not available", "Reason not available", "Flexible (Y/N)"])
    sheet.append(["1-2000000002", "Alder Grange Residential and Nursing Home", "S70 1AA", "Dementia Nursing", 1150,
                  20, 17, 1, 2, 0, None, "Y"])
    sheet.append(["1-2000000001", "Hazel Lodge", "S70 2BB", "General Residential", 895, 12, 12, 0, 0, 0, None, "N"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def the_form(browser, **fields) -> dict:
    shown = page(browser.get("/capacity/bulk-update"))
    form = shown.find(id="upload-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    return {**data, **fields}


def received(**changes) -> dict:
    return {"id": UPLOAD, "file_name": "sunrise-north-2-march.xlsx", "size": 5120, "status": "received",
            "uploaded_at": "2026-03-02T08:58:00+00:00", "processed_at": None, "results": {}, **changes}


# -- the page and the template --------------------------------------------------------------------
def test_the_bulk_update_page_offers_the_template_and_a_safe_upload_form(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    response = browser.get("/capacity/bulk-update")
    assert response.status_code == 200 and backend.calls == [("identity", "authenticate")]
    shown = page(response)
    assert shown.find(id="download-template")["href"] == "/capacity/bulk-update/template.xlsx"
    form = shown.find(id="upload-form")
    assert (form["method"], form["action"], form["enctype"]) == ("post", "/capacity/bulk-update", "multipart/form-data")
    assert form.find("input", {"name": "csrf_token"})["value"]
    assert form.find("input", {"name": "idempotency_key"})["value"]
    assert form.find(id="file")["type"] == "file" and ".xlsx" in form.find(id="file")["accept"]
    assert not form.find(id="declaration").has_attr("checked")  # ticked by the person, never for them
    assert shown.find(id="template-form") is None  # a care group gets its own homes: nothing to narrow


def test_the_template_downloads_as_a_spreadsheet_for_the_persons_locations(browser, backend, sign_in):
    sign_in()
    content = a_filled_template()
    backend.answers[("capacity", "bulk_template")] = {
        "file_name": "capacity-tracker-bulk-update-2026-03-02.xlsx", "locations": 2,
        "content": base64.b64encode(content).decode()}
    response = browser.get("/capacity/bulk-update/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="capacity-tracker-bulk-update-2026-03-02.xlsx"'
    assert response.get_data() == content
    sent = backend.sent_to("capacity", "bulk_template")
    assert sent["query"] == {} and sent["actor"]["sub"] == "u-1"


def test_a_broker_narrows_the_template_and_a_bad_narrowing_is_named(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER, Role.BROKER)
    assert page(browser.get("/capacity/bulk-update")).find(id="template-form") is not None
    backend.answers[("capacity", "bulk_template")] = {"file_name": "t.xlsx", "locations": 1, "content": ""}
    browser.get("/capacity/bulk-update/template.xlsx?provider_id=1-101641521&la_code=")
    assert backend.sent_to("capacity", "bulk_template")["query"] == {"provider_id": "1-101641521"}
    calls = len(backend.calls)
    refused = browser.get("/capacity/bulk-update/template.xlsx?provider_id=1+101&la_code=Barnsley")
    assert refused.status_code == 422 and len(backend.calls) == calls
    assert [f for f, _ in error_summary(refused)] == ["provider_id", "la_code"]
    assert page(refused).find(id="la_code")["value"] == "Barnsley"


def test_too_many_locations_for_one_template_asks_to_narrow_it(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    backend.answers[("capacity", "bulk_template")] = service_errors.InvalidInput(
        "15204 locations: choose a provider_id or la_code to narrow the template to at most 2000.",
        fields={"provider_id": ["Narrow the template."]})
    refused = browser.get("/capacity/bulk-update/template.xlsx")
    assert refused.status_code == 422
    [(field, text)] = error_summary(refused)
    assert field == "provider_id" and "Enter a provider ID or a Local Authority code" in text


def test_no_care_home_to_update_is_said_plainly(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_template")] = service_errors.NotFound("You may not update any care home.")
    refused = browser.get("/capacity/bulk-update/template.xlsx")
    assert refused.status_code == 404
    assert error_summary(refused) == [(None, "There are no care homes on your account to update")]


# -- uploading ------------------------------------------------------------------------------------
def test_the_completed_template_is_uploaded_with_the_declaration_and_followed(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    content = a_filled_template()
    backend.answers[("capacity", "receive_bulk_upload")] = lambda **kwargs: received()
    response = browser.post("/capacity/bulk-update", content_type="multipart/form-data", data=the_form(
        browser, declaration="yes", file=(io.BytesIO(content), "sunrise-north-2-march.xlsx")))
    assert response.status_code == 303 and response.headers["Location"] == f"/capacity/bulk-uploads/{UPLOAD}"
    payload = backend.sent_to("capacity", "receive_bulk_upload")["payload"]
    assert payload == {"file_name": "sunrise-north-2-march.xlsx", "declaration": True,
                       "content": base64.b64encode(content).decode()}


def test_the_same_form_sent_twice_uploads_once(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "receive_bulk_upload")] = lambda **kwargs: received()
    data = the_form(browser, declaration="yes")
    content = a_filled_template()
    first = browser.post("/capacity/bulk-update", content_type="multipart/form-data",
                         data={**data, "file": (io.BytesIO(content), "update.xlsx")})
    again = browser.post("/capacity/bulk-update", content_type="multipart/form-data",
                         data={**data, "file": (io.BytesIO(content), "update.xlsx")})
    assert first.headers["Location"] == again.headers["Location"]
    assert backend.calls.count(("capacity", "receive_bulk_upload")) == 1


@pytest.mark.parametrize("fields, expected", [
    ({}, [("file", "Select the completed bulk update template"),
          ("declaration", "Tick the box to confirm the declaration before uploading")]),
    ({"declaration": "yes", "file": (io.BytesIO(b"Location ID,Occupied\n1-2000000001,3\n"), "update.csv")},
     [("file", "The selected file must be an Excel spreadsheet (.xlsx): the template you downloaded, filled in")]),
    ({"file": "template"}, [("declaration", "Tick the box to confirm the declaration before uploading")]),
    ({"declaration": "yes", "file": (io.BytesIO(b""), "update.xlsx")}, [("file", "The selected file is empty")]),
    ({"declaration": "yes", "file": (io.BytesIO(b"PK" + b"0" * (5 * 1024 * 1024)), "update.xlsx")},
     [("file", "The selected file must be smaller than 5MB")]),
], ids=["nothing", "a csv", "no declaration", "empty", "too big"])
def test_a_refused_upload_names_each_problem_by_its_field_and_sends_nothing(browser, backend, sign_in, fields,
                                                                            expected):
    sign_in()
    if fields.get("file") == "template":
        fields = {**fields, "file": (io.BytesIO(a_filled_template()), "update.xlsx")}
    response = browser.post("/capacity/bulk-update", content_type="multipart/form-data",
                            data=the_form(browser, **fields))
    assert response.status_code == 422
    assert error_summary(response) == expected
    shown = page(response)
    for field, message in expected:
        assert message in shown.find(id=f"{field}-error").get_text()
    assert ("capacity", "receive_bulk_upload") not in backend.calls


def test_a_file_the_service_cannot_read_is_named_on_the_form(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "receive_bulk_upload")] = service_errors.InvalidInput(
        fields={"file": ["This file is not an .xlsx workbook (it may be macro-enabled or password protected)."]})
    response = browser.post("/capacity/bulk-update", content_type="multipart/form-data", data=the_form(
        browser, declaration="yes", file=(io.BytesIO(b"PK\x03\x04 not really"), "update.xlsx")))
    assert response.status_code == 422
    assert error_summary(response) == [("file", "Completed template: This file is not an .xlsx workbook "
                                                "(it may be macro-enabled or password protected).")]


def test_an_upload_without_the_forms_csrf_token_is_refused(browser, backend, sign_in):
    sign_in()
    data = the_form(browser, declaration="yes", file=(io.BytesIO(a_filled_template()), "update.xlsx"))
    data.pop("csrf_token")
    response = browser.post("/capacity/bulk-update", content_type="multipart/form-data", data=data)
    assert response.status_code == 400 and ("capacity", "receive_bulk_upload") not in backend.calls


@pytest.mark.parametrize("roles", [(Role.NON_CARE_HOME_USER,), (Role.NON_CARE_HOME_USER, Role.SYSTEM_CHAMPION),
                                   (Role.API_USER,)])
def test_those_who_may_not_update_capacity_get_no_bulk_update(browser, backend, sign_in, roles):
    sign_in(*roles)
    token = csrf_token(browser.get("/sign-in"))
    assert browser.get("/capacity/bulk-update").status_code == 403
    assert browser.get("/capacity/bulk-update/template.xlsx").status_code == 403
    refused = browser.post("/capacity/bulk-update", content_type="multipart/form-data", data={
        "csrf_token": token, "declaration": "yes", "file": (io.BytesIO(a_filled_template()), "update.xlsx")})
    assert refused.status_code == 403
    assert [c for c in backend.calls if c[0] == "capacity"] == []


# -- progress and results -------------------------------------------------------------------------
def test_while_it_is_processed_the_page_says_so_and_checks_again_without_inline_script(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_upload_status")] = received()
    response = browser.get(f"/capacity/bulk-uploads/{UPLOAD}")
    shown = page(response)
    assert shown.h1.get_text(strip=True) == "Your bulk update is being processed"
    assert shown.find(id="check-again")["href"] == f"/capacity/bulk-uploads/{UPLOAD}"  # without JavaScript
    assert shown.find(id="progress")["data-status-url"] == f"/capacity/bulk-uploads/{UPLOAD}/status"
    scripts = shown.find_all("script")
    assert [s["src"] for s in scripts] == ["/static/bulk-progress.js"] and not any(s.string for s in scripts)
    assert not shown.find("meta", attrs={"http-equiv": "refresh"})
    assert browser.get("/static/bulk-progress.js").status_code == 200
    status = browser.get(f"/capacity/bulk-uploads/{UPLOAD}/status")
    assert status.get_json() == {"status": "received"}
    backend.answers[("capacity", "bulk_upload_status")] = received(status="processed")
    assert browser.get(f"/capacity/bulk-uploads/{UPLOAD}/status").get_json() == {"status": "processed"}


def test_someone_elses_upload_is_not_found(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_upload_status")] = service_errors.NotFound("No such upload.")
    assert browser.get(f"/capacity/bulk-uploads/{UPLOAD}").status_code == 404
    assert browser.get(f"/capacity/bulk-uploads/{UPLOAD}/status").status_code == 404


def test_the_results_name_each_location_and_the_rows_to_correct(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_upload_status")] = received(
        status="processed", processed_at="2026-03-02T08:59:10+00:00", results={
            "applied": ["1-2000000002", "1-2000000005"], "refused": {
                "1-2000000001": ["Maximum capacity: occupied, reserved, accepting and not available (13) are more "
                                 "than the maximum capacity (12)."],
                "1-2000000009": ["Some of its rows have errors (listed with the errors in the spreadsheet); "
                                 "nothing was changed for it."]},
            "row_errors": [
                {"sheet": "Capacities", "row": 3, "column": "Maximum capacity",
                 "message": "Occupied, reserved, accepting and not available (13) are more than the maximum (12)."},
                {"sheet": "Care Homes", "row": 4, "column": "Accepts out-of-hours admissions (Y/N)",
                 "message": "Enter Y or N"}],
            "row_error_count": 2, "out_of_hours_updated": ["1-2000000005"],
            "out_of_hours_failed": {"1-2000000002": "The providers service did not answer."},
            "names": {"1-2000000002": "Alder Grange Residential and Nursing Home", "1-2000000001": "Hazel Lodge",
                      "1-2000000005": "St Mary-Magdalene's Court (Extra Care)"}})
    shown = page(browser.get(f"/capacity/bulk-uploads/{UPLOAD}"))
    assert shown.h1.get_text(strip=True) == "Your bulk update has been processed"
    assert shown.find(id="applied").get_text(strip=True) == "2 locations updated."
    assert "2 locations were not updated" in shown.find(id="not-applied").get_text()
    hazel = shown.select_one('[data-refused="1-2000000001"]')
    assert "Hazel Lodge" in hazel.h3.get_text() and "1-2000000001" in hazel.h3.get_text()
    assert "more than the maximum capacity (12)" in hazel.select_one(".govuk-summary-card__content li").get_text()
    unknown = shown.select_one('[data-refused="1-2000000009"]')  # not one of theirs: only its id is known
    assert unknown.h3.get_text(" ", strip=True).startswith("1-2000000009")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in shown.select("#row-errors tbody tr")]
    assert rows[1] == ["Care Homes", "4", "Accepts out-of-hours admissions (Y/N)", "Enter Y or N"]
    updated = {a["href"]: a.get_text(strip=True) for a in shown.find(id="updated").find_all("a")}
    assert updated == {"/locations/1-2000000002": "Alder Grange Residential and Nursing Home",
                       "/locations/1-2000000005": "St Mary-Magdalene's Court (Extra Care)"}
    assert "out-of-hours admissions changed" in shown.find(id="updated").find_all("li")[1].get_text()
    assert "did not answer" in shown.find(id="out-of-hours-failed").get_text()
    assert shown.find("a", href="/capacity/bulk-update") is not None  # to upload the corrected file
    assert not shown.find_all("script")


def test_a_refused_file_says_why_and_that_nothing_changed(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_upload_status")] = received(
        status="refused", processed_at="2026-03-02T08:59:00+00:00",
        results={"reason": "This is not the bulk update template (its Capacities tab is missing).", "applied": [],
                 "refused": {}})
    shown = page(browser.get(f"/capacity/bulk-uploads/{UPLOAD}"))
    assert shown.h1.get_text(strip=True) == "Your bulk update was not accepted"
    assert "Capacities tab is missing" in shown.find(id="reason").get_text()
    assert "Nothing was changed" in shown.select_one(".govuk-warning-text").get_text()
