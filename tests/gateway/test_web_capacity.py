"""The web pages of a care home's daily job: its locations and how fresh
each is, the capacity form (filled, checked, kept across a sign-in), the
services it offers, a bulk upload's results.

The services behind the pages are a fake that answers each (service, method)
as the test says and records what it was sent (tests/gateway/conftest.py);
pages are read back with an HTML parser, as a browser would.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.rpc import ServiceUnavailable
from tracker_common.testing import csrf_token, error_summary, notices, page

HOME = "1-000000001"
LOCATION = {"location_id": HOME, "organisation_id": "prov-a", "name": "Willow House", "postcode": "LS1 4AP", "kind": "care_home",
            "registered_beds": 30, "long_term_vacancy_types": ["general_residential", "dementia_nursing"],
            "short_stay_services": ["respite_care"]}
CURRENT = {"submitted_at": "2026-03-01T08:30:00+00:00", "admission_status": "accepting", "short_stay_prices":
           {"respite_care": "900.00"}, "vacancies": [
               {"vacancy_type": "general_residential", "weekly_price_from": "850.00", "maximum_capacity": 20,
                "occupied": 17, "vacant_reserved": 1, "vacant_accepting": 2, "vacant_not_available": 0,
                "not_available_reason": None, "flexible": False},
               {"vacancy_type": "dementia_nursing", "weekly_price_from": "1100.00", "maximum_capacity": 10,
                "occupied": 8, "vacant_reserved": 0, "vacant_accepting": 0, "vacant_not_available": 2,
                "not_available_reason": "refurbishment", "flexible": True}]}


# -- capacity ---------------------------------------------------------------------------------------
def test_the_capacity_page_lists_my_locations_with_how_fresh_each_is(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 3, "page": 1, "per_page": 20, "locations": [
        {"id": "1-1", "provider_id": "prov-a", "name": "Willow House", "kind": "care_home", "postcode": "LS1 4AP"},
        {"id": "1-2", "provider_id": "prov-a", "name": "Oak Lodge", "kind": "care_home", "postcode": "LS2 7EW"},
        {"id": "1-3", "provider_id": "prov-a", "name": "Ash Court", "kind": "care_home", "postcode": "LS3 1AA"}]}
    backend.answers[("capacity", "return_summaries")] = [
        {"location_id": "1-1", "last_submitted_at": "2026-03-02T08:05:00+00:00", "staleness": "fresh",
         "admission_status": "accepting", "vacant_accepting": 2},
        {"location_id": "1-2", "last_submitted_at": "2026-02-27T15:40:00+00:00", "staleness": "stale_48h",
         "admission_status": "not_accepting", "vacant_accepting": 0}]
    response = browser.get("/capacity")
    assert response.status_code == 200
    assert backend.sent_to("capacity", "return_summaries")["query"] == {"location_ids": ["1-1", "1-2", "1-3"]}
    cards = {card["data-location"]: card for card in page(response).select("[data-location]")}
    willow, oak, ash = (cards[i].get_text(" ", strip=True) for i in ("1-1", "1-2", "1-3"))
    assert "8:05am on 2 March 2026" in willow and "Accepting admissions (2 vacant)" in willow
    assert "3:40pm on 27 February 2026" in oak and "Not updated for over 48 hours" in oak
    assert "Not accepting admissions" in oak
    assert "Never" in ash and "No return yet" in ash
    assert cards["1-1"].find("a", href="/locations/1-1/capacity") is not None


def test_the_capacity_form_is_filled_with_the_current_figures(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("capacity", "current_return")] = CURRENT
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    assert shown.find(id="general_residential-occupied")["value"] == "17"
    assert shown.find(id="general_residential-weekly_price_from")["value"] == "850.00"
    assert shown.find(id="dementia_nursing-flexible").has_attr("checked")
    assert shown.find(id="dementia_nursing-not_available_reason").find("option", selected=True)["value"] == \
        "refurbishment"
    assert shown.find(id="short_stay-respite_care")["value"] == "900.00"
    assert "8:30am on 1 March 2026" in shown.get_text()


def test_figures_sent_after_the_session_ended_wait_for_their_person_to_sign_in_again(browser, backend, token, sign_in):
    data = the_filled_form(browser, backend, sign_in)
    data["general_residential-occupied"] = "19"
    backend.clock.advance(minutes=20)  # the form was left open: the session ended meanwhile
    response = browser.post(f"/locations/{HOME}/capacity", data=data)
    assert ("capacity", "submit_capacity_return") not in backend.calls
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [f"/locations/{HOME}/capacity"]
    assert notices(browser.get(response.headers["Location"])) == [
        "Your session has ended. Sign in again to carry on. What you entered has been kept."]

    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER,
                                                                           issued=backend.clock.now()),
                                                     "token_type": "bearer", "expires_in": 900}
    signed = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                            "next": f"/locations/{HOME}/capacity",
                                            "csrf_token": csrf_token(browser.get("/sign-in"))})
    back = browser.get(signed.headers["Location"])
    assert page(back).find(id="general_residential-occupied")["value"] == "19"
    assert notices(back) == ["The figures you entered before signing in again are below: check them and save."]
    again = page(browser.get(f"/locations/{HOME}/capacity"))  # once only: then the current figures
    assert again.find(id="general_residential-occupied")["value"] == "17"


def test_kept_figures_are_not_shown_to_someone_else_signing_in(browser, backend, token, sign_in):
    data = the_filled_form(browser, backend, sign_in)
    data["general_residential-occupied"] = "19"
    backend.clock.advance(minutes=20)
    browser.post(f"/locations/{HOME}/capacity", data=data)
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.ADMIN, issued=backend.clock.now(),
                                                                           user_id="u-2"),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "admin@tracker.example", "password": "Heron-Valley-Beacon-27",
                                   "csrf_token": csrf_token(browser.get("/sign-in"))})
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    assert shown.find(id="general_residential-occupied")["value"] == "17"


def test_a_location_without_a_return_gets_an_empty_form(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("capacity", "current_return")] = service_errors.NotFound("No return yet.")
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    assert shown.find(id="general_residential-occupied")["value"] == ""
    assert "has not sent a capacity return yet" in shown.get_text()


def form_of(shown: BeautifulSoup) -> dict:
    data = {i["name"]: i.get("value", "") for i in shown.select("form input")
            if i.get("type") != "checkbox" or i.has_attr("checked")}
    data.update({s["name"]: (s.find("option", selected=True) or {"value": ""})["value"] for s in shown.select("select")})
    return data


def the_filled_form(browser, backend, sign_in) -> dict:
    """Signed in, the capacity form of HOME as the page fills it from CURRENT."""
    sign_in()
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("capacity", "current_return")] = CURRENT
    return form_of(page(browser.get(f"/locations/{HOME}/capacity")))


def test_saving_sends_the_return_the_form_describes(browser, backend, sign_in):
    data = the_filled_form(browser, backend, sign_in)
    data.update({"general_residential-occupied": "16", "general_residential-vacant_accepting": "3",
                 "general_residential-weekly_price_from": "£1,050", "short_stay-respite_care": " 925.50 "})
    backend.answers[("capacity", "submit_capacity_return")] = lambda **kwargs: {
        "admission_status": "accepting", "still_true": False}
    response = browser.post(f"/locations/{HOME}/capacity", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/capacity"
    sent = backend.sent_to("capacity", "submit_capacity_return")
    assert sent["location_id"] == HOME
    assert sent["payload"] == {
        "vacancies": [
            {"vacancy_type": "general_residential", "flexible": False, "weekly_price_from": "1050",
             "maximum_capacity": 20, "occupied": 16, "vacant_reserved": 1, "vacant_accepting": 3,
             "vacant_not_available": 0, "not_available_reason": None},
            {"vacancy_type": "dementia_nursing", "flexible": True, "weekly_price_from": "1100.00",
             "maximum_capacity": 10, "occupied": 8, "vacant_reserved": 0, "vacant_accepting": 0,
             "vacant_not_available": 2, "not_available_reason": "refurbishment"}],
        "short_stay_prices": {"respite_care": "925.50"}, "confirm_over_registered_capacity": False}
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    assert notices(browser.get("/capacity")) == ["Capacity saved for Willow House: accepting admissions."]


def test_a_refused_return_names_each_field_keeps_what_was_typed_and_saves_nothing(browser, backend, sign_in):
    data = the_filled_form(browser, backend, sign_in)
    data.update({"general_residential-occupied": "", "dementia_nursing-occupied": "12",
                 "general_residential-vacant_reserved": "two",
                 "dementia_nursing-weekly_price_from": "90"})
    backend.answers[("capacity", "submit_capacity_return")] = service_errors.InvalidInput(
        "The capacity return breaks the rules; nothing was saved.", fields={
            "vacancies": {"0": {"occupied": ["Missing data for required field."],
                                "vacant_reserved": ["Not a valid integer."]},
                          "1": {"maximum_capacity": ["Occupied, reserved, accepting and not available add up to "
                                                     "14, more than the maximum capacity of 10."],
                                "weekly_price_from": ["The weekly price must be above £100.00."]}},
            "confirm_over_registered_capacity": ["The total maximum capacity of 40 is above the 30 beds "
                                                 "registered with CQC."]})
    response = browser.post(f"/locations/{HOME}/capacity", data=data)
    assert response.status_code == 422
    sent = backend.sent_to("capacity", "submit_capacity_return")["payload"]["vacancies"][0]
    assert "occupied" not in sent and sent["vacant_reserved"] == "two"  # for the service to name
    assert error_summary(response) == [
        ("general_residential-occupied", "General residential, occupied: Enter a figure"),
        ("general_residential-vacant_reserved", "General residential, vacant: reserved: Enter a whole number, like 3"),
        ("dementia_nursing-maximum_capacity", "Dementia nursing, maximum capacity: Occupied, reserved, accepting "
                                              "and not available add up to 14, more than the maximum capacity of 10."),
        ("dementia_nursing-weekly_price_from", "Dementia nursing, weekly price from: The weekly price must be "
                                               "above £100.00."),
        ("confirm_over_registered_capacity", "Registered beds: The total maximum capacity of 40 is above the 30 "
                                             "beds registered with CQC.")]
    shown = page(response)
    for field_id, _ in error_summary(response):  # every link leads to its field
        assert shown.find(id=field_id) is not None
    assert shown.find(id="dementia_nursing-occupied")["value"] == "12"
    assert shown.find(id="confirm_over_registered_capacity") is not None  # now offered
    assert "Error: " in shown.title.get_text()


@pytest.mark.parametrize("error, status, title", [
    (service_errors.Forbidden(), 403, "You cannot see this page"),
    (service_errors.NotFound("No such location."), 404, "Page not found"),
    (ServiceUnavailable("the providers service is not running"), 503, "Sorry, there is a problem with the service")])
def test_a_refusal_or_an_outage_is_a_page_not_a_crash(browser, backend, error, status, title, sign_in):
    sign_in()
    backend.answers[("providers", "get_location")] = error
    response = browser.get(f"/locations/{HOME}/capacity")
    assert response.status_code == status and page(response).h1.get_text(strip=True) == title
    assert response.mimetype == "text/html"


def test_a_bulk_upload_page_shows_what_was_applied_and_what_was_not(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "bulk_upload_status")] = {
        "id": "up-1", "file_name": "capacity.xlsx", "status": "processed", "uploaded_at": "2026-03-02T08:00:00+00:00",
        "processed_at": "2026-03-02T08:01:00+00:00", "results": {
            "applied": ["1-1", "1-2"], "refused": {"1-3": ["Some of its rows have errors (see row_errors)."]},
            "row_errors": [{"sheet": "Capacities", "row": 7, "column": "Occupied", "message": "Enter a number"}],
            "row_error_count": 1}}
    shown = page(browser.get("/capacity/bulk-uploads/up-1"))
    assert shown.find(id="applied").get_text(strip=True) == "2 locations updated."
    assert "1-3" in shown.find(id="refused").get_text()
    assert [c.get_text(strip=True) for c in shown.select("#row-errors tbody td")] == [
        "Capacities", "7", "Occupied", "Enter a number"]


# -- services ------------------------------------------------------------------------------------------
def test_the_services_page_shows_what_is_offered_and_saves_the_choice(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "get_location")] = {**LOCATION, "languages": ["English", "Polish"]}
    shown = page(browser.get(f"/locations/{HOME}/services"))
    ticked = [i["value"] for i in shown.select("input[type=checkbox][checked]")]
    assert ticked == ["dementia_nursing", "general_residential", "respite_care"]
    assert shown.find(id="languages")["value"] == "Polish"

    backend.answers[("providers", "update_services")] = lambda **kwargs: LOCATION
    response = browser.post(f"/locations/{HOME}/services", data={
        "long_term_vacancy_types": ["general_nursing", "general_residential"], "short_stay_services": [],
        "languages": "Polish, Urdu ,", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.headers["Location"] == f"/locations/{HOME}/capacity"
    assert backend.sent_to("providers", "update_services")["payload"] == {
        "long_term_vacancy_types": ["general_nursing", "general_residential"], "short_stay_services": [],
        "languages": ["Polish", "Urdu"]}


def test_services_without_a_vacancy_type_are_refused_on_the_first_box(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("providers", "update_services")] = service_errors.InvalidInput(fields={
        "long_term_vacancy_types": ["Choose at least one long term vacancy type."],
        "languages": {"0": ["String does not match expected pattern."]}})
    response = browser.post(f"/locations/{HOME}/services", data={
        "short_stay_services": ["respite_care"], "languages": "42", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 422
    assert error_summary(response) == [
        ("long_term_vacancy_types", "Long term vacancy types: Choose at least one long term vacancy type."),
        ("languages", "Languages, 42: String does not match expected pattern.")]
    shown = page(response)
    assert shown.find(id="long_term_vacancy_types") is not None  # where the summary's link leads
    assert [i["value"] for i in shown.select("input[type=checkbox][checked]")] == ["respite_care"]
    assert shown.find(id="languages")["value"] == "42"
