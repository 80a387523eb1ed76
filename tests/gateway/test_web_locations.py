"""The web pages of a location: its page (profile, CQC facts, services,
notes, contacts), the profile form, notes and contacts added, changed and
deleted, and the capacity reminder emails switched on or off; edits offered
only to those who may make them.

The services behind the pages are a fake that answers each (service, method)
as the test says and records what it was sent (tests/gateway/conftest.py);
pages are read back with an HTML parser, as a browser would.
"""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

from .conftest import HERE, HOME, LOCATION, at_home

def form_of(shown: BeautifulSoup, form: str = "main form") -> MultiDict:
    """What a browser sends for a form of the page as it stands."""
    form = shown.select_one(form)
    data = MultiDict()
    for box in form.select("input"):
        if box.get("type") not in ("checkbox", "radio") or box.has_attr("checked"):
            data.add(box["name"], box.get("value", ""))
    for area in form.select("textarea"):
        data.add(area["name"], area.get_text())
    return data


def typed(data: MultiDict, boxes: dict) -> MultiDict:
    """`data` with these boxes' values replaced, as a person types over them."""
    for name, value in boxes.items():
        data[name] = value
    return data


def links(shown: BeautifulSoup) -> set[str]:
    return {a["href"] for a in shown.select("main a[href]")}


def writes(backend) -> list[tuple[str, str]]:
    return [call for call in backend.calls if call[0] == "providers" and call[1] != "get_location"]


# -- the location's page --------------------------------------------------------------------------
def test_the_page_shows_the_profile_the_cqc_facts_the_notes_newest_first_and_the_contacts(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(HERE))
    assert backend.sent_to("providers", "get_location")["location_id"] == HOME
    assert shown.h1.get_text(strip=True) == "Willow House"
    profile = shown.find(id="profile").get_text(" ", strip=True)
    for fact in ("Residential, Nursing", "Local Authority, Private", "Admits out of hours Yes", "Casey Jones",
                 "En-suite rooms No", "Hoist", "Lift, Wheelchair"):
        assert fact in profile
    assert shown.find(id="profile").find("a", href="tel:01134960001") is not None
    cqc = shown.find(id="cqc").get_text(" ", strip=True)
    assert "Registered beds 30" in cqc and "Good (published 12 June 2025)" in cqc
    assert "2:00am on 1 March 2026" in cqc and shown.find("a", href=f"https://www.cqc.org.uk/location/{HOME}")
    assert [row["data-note"] for row in shown.select("[data-note]")] == ["n-2", "n-1"]
    newest, oldest = (row.get_text(" ", strip=True) for row in shown.select("[data-note]"))
    assert newest.startswith("4:20pm on 1 March 2026") and "Lift out of order until April." in newest
    assert "by you" in oldest and "by you" not in newest
    contact = shown.select_one('[data-contact="c-1"]').get_text(" ", strip=True)
    assert "Deputy manager" in contact and "Robin Reed" in contact and "0113 496 0002" in contact
    assert {f"{HERE}/capacity", f"{HERE}/returns", f"{HERE}/services", f"{HERE}/profile", f"{HERE}/notes/new",
            f"{HERE}/notes/n-1/edit", f"{HERE}/notes/n-2/delete", f"{HERE}/contacts/new",
            f"{HERE}/contacts/c-1/edit", f"{HERE}/contacts/c-1/delete"} <= links(shown)


def test_the_list_of_locations_leads_to_each_ones_page(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 1, "page": 1, "per_page": 20, "locations": [
        {"id": HOME, "name": "Willow House", "kind": "care_home", "postcode": "LS1 4AP"}]}
    backend.answers[("capacity", "return_summaries")] = []
    title = page(browser.get("/capacity")).select_one(f'[data-location="{HOME}"] h2')
    assert title.find("a", href=HERE).get_text(strip=True) == "Willow House"


def test_someone_who_may_only_view_sees_the_page_with_nothing_to_change(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend)
    shown = page(browser.get(HERE))
    assert "Lift out of order until April." in shown.find(id="notes").get_text()
    assert "Robin Reed" in shown.find(id="contacts").get_text()
    offered = links(shown)
    assert not {link for link in offered if link.startswith(HERE + "/")}  # no edit, delete, capacity or services
    assert shown.select("main form") == [] and "Change" not in shown.find(id="profile").get_text()


@pytest.mark.parametrize("path", ["/profile", "/notes/new", "/notes/n-1/edit", "/notes/n-1/delete", "/contacts/new",
                                  "/contacts/c-1/edit", "/contacts/c-1/delete", "/reminders"])
def test_a_change_from_someone_who_may_only_view_is_refused_before_the_service(browser, backend, sign_in, path):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend)
    response = browser.post(HERE + path, data={"text": "Mine now", "role": "Owner", "name": "Mallory",
                                               "reminders_enabled": "off",
                                               "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 403
    assert page(response).h1.get_text(strip=True) == "You cannot see this page"
    assert writes(backend) == []
    if path != "/reminders":  # its forms are not shown either
        assert browser.get(HERE + path).status_code == 403


@pytest.mark.parametrize("path, data", [
    ("/profile", {"care_types": "nursing"}), ("/notes/new", {"text": "A note"}), ("/notes/n-1/delete", {}),
    ("/contacts/c-1/edit", {"role": "Owner", "name": "Mallory"}), ("/reminders", {"reminders_enabled": "off"})])
def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_called(browser, backend, sign_in, path, data):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    at_home(backend)
    response = browser.post(HERE + path, data=data)
    assert response.status_code == 400
    assert page(response).h1.get_text(strip=True) == "This form has expired"
    assert [call for call in backend.calls if call[0] == "providers"] == []


@pytest.mark.parametrize("error, status", [(service_errors.NotFound("No such location."), 404),
                                           (service_errors.Forbidden(), 403)])
def test_a_location_the_service_refuses_is_a_page_not_a_crash(browser, backend, sign_in, error, status):
    sign_in()
    backend.answers[("providers", "get_location")] = error
    assert browser.get(HERE).status_code == status
    assert browser.get(HERE + "/profile").status_code == status


# -- the profile --------------------------------------------------------------------------------------
def test_the_profile_form_is_filled_from_the_location(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(HERE + "/profile"))
    ticked = {(box["name"], box["value"]) for box in shown.select("input[checked]")}
    assert ticked == {("care_types", "residential"), ("care_types", "nursing"),
                      ("funding_sources", "local_authority"), ("funding_sources", "private"),
                      ("out_of_hours_admissions", "yes"), ("rooms-en_suite", "no"), ("rooms-equipment", "hoist"),
                      ("rooms-accessibility", "lift"), ("rooms-accessibility", "wheelchair")}
    assert shown.find(id="manager-name")["value"] == "Casey Jones"
    assert shown.find(id="manager-nhsmail")["value"] == ""


def test_saving_the_profile_sends_every_box_as_it_stands(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    data = form_of(page(browser.get(HERE + "/profile")))
    data.setlist("care_types", ["residential"])  # nursing unticked
    data.setlist("funding_sources", ["local_authority", "private", "personal_health_budget"])
    typed(data, {"out_of_hours_admissions": "no", "rooms-en_suite": "yes", "manager-phone": "",
                 "manager-nhsmail": " casey.jones@nhs.net "})
    backend.answers[("providers", "update_profile")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/profile", data=data)
    assert response.status_code == 302 and response.headers["Location"] == HERE
    sent = backend.sent_to("providers", "update_profile")
    assert sent["location_id"] == HOME
    assert sent["payload"] == {
        "care_types": ["residential"], "funding_sources": ["local_authority", "private", "personal_health_budget"],
        "out_of_hours_admissions": False,
        "manager": {"name": "Casey Jones", "email": "casey@care.example", "phone": None,
                    "nhsmail": "casey.jones@nhs.net"},
        "rooms": {"en_suite": True, "equipment": ["hoist"], "accessibility": ["lift", "wheelchair"]}}
    assert notices(browser.get(HERE)) == ["Profile saved for Willow House."]


def test_an_unanswered_yes_no_question_is_left_as_it_was(browser, backend, sign_in):
    sign_in()
    at_home(backend, out_of_hours_admissions=None, rooms={})
    data = form_of(page(browser.get(HERE + "/profile")))
    assert "out_of_hours_admissions" not in data and "rooms-en_suite" not in data
    backend.answers[("providers", "update_profile")] = lambda **kwargs: LOCATION
    browser.post(HERE + "/profile", data=data)
    sent = backend.sent_to("providers", "update_profile")["payload"]
    assert "out_of_hours_admissions" not in sent and "en_suite" not in sent["rooms"]


def test_a_refused_profile_names_each_box_keeps_what_was_typed_and_saves_nothing(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    data = form_of(page(browser.get(HERE + "/profile")))
    typed(data, {"manager-email": "casey@", "manager-nhsmail": "casey@gmail.com", "manager-phone": "call me"})
    data.setlist("funding_sources", ["private"])
    backend.answers[("providers", "update_profile")] = service_errors.InvalidInput(fields={
        "manager": {"email": ["Not a valid email address."], "phone": ["Not a valid telephone number."],
                    "nhsmail": ["An NHSmail address ends with @nhs.net."]},
        "funding_sources": {"0": ["Must be one of: sub_icb, local_authority."]}})
    response = browser.post(HERE + "/profile", data=data)
    assert response.status_code == 422
    assert sorted(error_summary(response)) == [
        ("funding_sources", "Funding sources: Must be one of: sub_icb, local_authority."),
        ("manager-email", "Manager's email address: Enter an email address in the correct format, "
                          "like name@example.com"),
        ("manager-nhsmail", "Manager's NHSmail address: An NHSmail address ends with @nhs.net."),
        ("manager-phone", "Manager's telephone number: Enter a telephone number, like 0113 496 0000")]
    shown = page(response)
    for field_id, _ in error_summary(response):  # every link leads to its box, which says what is wrong
        assert shown.find(id=field_id) is not None and shown.find(id=f"{field_id}-error") is not None
    assert shown.find(id="manager-email")["value"] == "casey@"
    assert shown.find(id="manager-phone")["value"] == "call me"
    assert [box["value"] for box in shown.select("input[name=funding_sources][checked]")] == ["private"]
    assert "Error: " in shown.title.get_text()
    assert notices(browser.get(HERE)) == []  # nothing said to be saved


# -- notes ---------------------------------------------------------------------------------------------
def test_a_note_is_added_without_the_spaces_around_it(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(HERE + "/notes/new"))
    assert shown.find(id="text").get_text() == ""
    backend.answers[("providers", "add_note")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/notes/new",
                            data=typed(form_of(shown), {"text": "  Pets welcome.\nSmall dogs only.  "}))
    assert response.headers["Location"] == HERE
    assert backend.sent_to("providers", "add_note") == {
        "actor": backend.sent_to("providers", "get_location")["actor"], "location_id": HOME,
        "payload": {"text": "Pets welcome.\nSmall dogs only."}}
    assert notices(browser.get(HERE)) == ["Note added."]


def test_an_empty_note_is_named_on_its_box_and_not_saved(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("providers", "add_note")] = service_errors.InvalidInput(
        fields={"text": ["Missing data for required field."]})
    response = browser.post(HERE + "/notes/new", data={"text": "   ", "csrf_token": csrf_token(browser.get(HERE))})
    assert response.status_code == 422
    assert backend.sent_to("providers", "add_note")["payload"] == {}  # the empty box is left out, for the service
    assert error_summary(response) == [("text", "Note: Enter the note")]
    assert page(response).find(id="text-error").get_text(" ", strip=True) == "Error: Enter the note"


def test_a_note_is_changed_from_its_current_text(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(HERE + "/notes/n-1/edit"))
    data = form_of(shown)
    assert data["text"] == "Hoist in every room."
    data["text"] = "Hoist in every room, and a bariatric bed."
    backend.answers[("providers", "edit_note")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/notes/n-1/edit", data=data)
    assert response.headers["Location"] == HERE
    sent = backend.sent_to("providers", "edit_note")
    assert (sent["note_id"], sent["payload"]) == ("n-1", {"text": "Hoist in every room, and a bariatric bed."})
    assert notices(browser.get(HERE)) == ["Note saved."]


def test_a_refused_note_keeps_what_was_typed(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("providers", "edit_note")] = service_errors.InvalidInput(
        fields={"text": ["Longer than maximum length 2000."]})
    response = browser.post(HERE + "/notes/n-1/edit", data={"text": "x" * 2001,
                                                            "csrf_token": csrf_token(browser.get(HERE))})
    assert response.status_code == 422
    assert error_summary(response) == [("text", "Note: The note must be 2,000 characters or fewer")]
    assert page(response).find(id="text").get_text() == "x" * 2001


def test_a_note_that_is_not_there_cannot_be_changed(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    assert browser.get(HERE + "/notes/n-404/edit").status_code == 404
    response = browser.post(HERE + "/notes/n-404/edit", data={"text": "Still here?",
                                                              "csrf_token": csrf_token(browser.get(HERE))})
    assert response.status_code == 404 and writes(backend) == []


def test_deleting_a_note_asks_first_then_deletes_it(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    asked = browser.get(HERE + "/notes/n-2/delete")
    assert "Lift out of order until April." in page(asked).find(id="entry").get_text()
    assert writes(backend) == []  # asking changes nothing
    backend.answers[("providers", "delete_note")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/notes/n-2/delete", data=form_of(page(asked)))
    assert response.headers["Location"] == HERE
    assert backend.sent_to("providers", "delete_note")["note_id"] == "n-2"
    assert notices(browser.get(HERE)) == ["Note deleted."]


def test_a_note_deleted_twice_is_deleted_once(browser, backend, sign_in):
    sign_in()
    at_home(backend, notes=[LOCATION["notes"][0]])  # n-2 went with the first press
    response = browser.post(HERE + "/notes/n-2/delete", data={"csrf_token": csrf_token(browser.get(HERE))})
    assert response.headers["Location"] == HERE and writes(backend) == []
    assert notices(browser.get(HERE)) == ["That note had already been deleted."]


# -- contacts ------------------------------------------------------------------------------------------
def test_a_contact_is_added_with_its_optional_boxes_left_empty(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(HERE + "/contacts/new"))
    data = typed(form_of(shown), {"role": " Night nurse ", "name": "Sam Patel", "phone": "0113 496 0003"})
    backend.answers[("providers", "add_contact")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/contacts/new", data=data)
    assert response.headers["Location"] == HERE
    assert backend.sent_to("providers", "add_contact")["payload"] == {
        "role": "Night nurse", "name": "Sam Patel", "email": None, "phone": "0113 496 0003"}
    assert notices(browser.get(HERE)) == ["Sam Patel added to the contacts."]


def test_a_refused_contact_names_each_box_and_keeps_what_was_typed(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("providers", "add_contact")] = service_errors.InvalidInput(fields={
        "name": ["Missing data for required field."], "email": ["Not a valid email address."]})
    response = browser.post(HERE + "/contacts/new", data={"role": "Admissions", "name": "", "email": "sam at home",
                                                          "csrf_token": csrf_token(browser.get(HERE))})
    assert response.status_code == 422
    assert backend.sent_to("providers", "add_contact")["payload"] == {"role": "Admissions", "email": "sam at home",
                                                                      "phone": None}
    assert error_summary(response) == [
        ("name", "Name: Enter their name"),
        ("email", "Email address: Enter an email address in the correct format, like name@example.com")]
    shown = page(response)
    assert shown.find(id="role")["value"] == "Admissions" and shown.find(id="email")["value"] == "sam at home"


def test_a_contact_is_changed_from_its_current_details(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    data = form_of(page(browser.get(HERE + "/contacts/c-1/edit")))
    assert (data["role"], data["name"], data["email"], data["phone"]) == (
        "Deputy manager", "Robin Reed", "robin@care.example", "0113 496 0002")
    typed(data, {"role": "Manager", "email": ""})
    backend.answers[("providers", "update_contact")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/contacts/c-1/edit", data=data)
    assert response.headers["Location"] == HERE
    sent = backend.sent_to("providers", "update_contact")
    assert sent["contact_id"] == "c-1"
    assert sent["payload"] == {"role": "Manager", "name": "Robin Reed", "email": None, "phone": "0113 496 0002"}
    assert notices(browser.get(HERE)) == ["Contact details saved for Robin Reed."]


def test_removing_a_contact_asks_first_then_removes_them(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    asked = page(browser.get(HERE + "/contacts/c-1/delete"))
    assert "Robin Reed" in asked.h1.get_text() and writes(backend) == []
    backend.answers[("providers", "delete_contact")] = lambda **kwargs: LOCATION
    response = browser.post(HERE + "/contacts/c-1/delete", data=form_of(asked))
    assert response.headers["Location"] == HERE
    assert backend.sent_to("providers", "delete_contact")["contact_id"] == "c-1"
    assert notices(browser.get(HERE)) == ["Robin Reed removed from the contacts."]


# -- capacity reminder emails ----------------------------------------------------------------------------
def test_an_approver_switches_the_reminder_emails_off(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    at_home(backend)
    shown = page(browser.get(HERE))
    switch = shown.find(id="reminders").form
    assert switch.button.get_text(strip=True) == "Switch reminder emails off"
    backend.answers[("providers", "set_reminders")] = lambda **kwargs: {**LOCATION, "reminders_enabled": False}
    response = browser.post(switch["action"], data=form_of(shown, "#reminders form"))
    assert response.headers["Location"] == HERE
    assert backend.sent_to("providers", "set_reminders")["payload"] == {"reminders_enabled": False}
    at_home(backend, reminders_enabled=False)
    shown = browser.get(HERE)
    assert notices(shown) == ["Capacity reminder emails switched off for Willow House."]
    assert page(shown).find(id="reminders").button.get_text(strip=True) == "Switch reminder emails on"


def test_someone_who_may_edit_but_not_switch_reminders_is_not_offered_it(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    at_home(backend)
    shown = page(browser.get(HERE))
    assert shown.find(id="reminders").form is None
    assert "On:" in shown.find(id="reminders").get_text()  # still told how it is set
    response = browser.post(HERE + "/reminders", data={"reminders_enabled": "off",
                                                       "csrf_token": csrf_token(browser.get(HERE))})
    assert response.status_code == 403 and writes(backend) == []


def test_a_note_written_as_the_session_ended_waits_for_its_writer_to_sign_in_again(browser, backend, token, sign_in):
    sign_in()
    at_home(backend)
    data = typed(form_of(page(browser.get(HERE + "/notes/new"))), {"text": "Bariatric bed free from Monday."})
    backend.clock.advance(minutes=20)  # the form was left open: the session ended meanwhile
    assert browser.post(HERE + "/notes/new", data=data).status_code == 302
    assert writes(backend) == []
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER,
                                                                           issued=backend.clock.now()),
                                                     "token_type": "bearer", "expires_in": 900}
    signed = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                            "next": HERE + "/notes/new",
                                            "csrf_token": csrf_token(browser.get("/sign-in"))})
    back = browser.get(signed.headers["Location"])
    assert page(back).find(id="text").get_text() == "Bariatric bed free from Monday."
    assert notices(back) == ["What you entered before signing in again is below: check it and save."]
