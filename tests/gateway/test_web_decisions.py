"""The web pages where approvers and commissioners decide: applications,
contract requests, and the people of their organisation.

The services behind the pages are a fake that answers each (service, method)
as the test says and records what it was sent (tests/gateway/conftest.py);
pages are read back with an HTML parser, as a browser would.
"""
from __future__ import annotations



from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

# -- approvals -----------------------------------------------------------------------------------
APPLICATION = {"id": "app-1", "kind": "registration", "name": "Robin Reed", "email": "robin@care.example",
               "organisation_id": "prov-a", "location_ids": [], "level": "standard", "flags": ["personal_email"]}


def test_applications_are_listed_and_rejecting_needs_a_reason(browser, backend, sign_in):
    sign_in(Role.APPROVER)
    backend.answers[("identity", "list_pending_applications")] = [APPLICATION]
    shown = page(browser.get("/applications"))
    card = shown.find(id="application-app-1").get_text(" ", strip=True)
    assert "robin@care.example" in card and "Personal email" in card

    backend.answers[("identity", "decide_application")] = service_errors.InvalidInput(
        fields={"reason": ["Give a reason for rejecting."]})
    response = browser.post("/applications/app-1/decision", data={
        "decision": "reject", "reason": "", "name": "Robin Reed", "csrf_token": csrf_token(browser.get("/applications"))})
    assert response.status_code == 422
    assert error_summary(response) == [("app-1-reason", "Reason: Give a reason for rejecting.")]
    assert backend.sent_to("identity", "decide_application")["payload"] == {"decision": "reject", "reason": None}

    backend.answers[("identity", "decide_application")] = lambda **kwargs: APPLICATION
    response = browser.post("/applications/app-1/decision", data={
        "decision": "approve", "name": "Robin Reed", "csrf_token": csrf_token(browser.get("/applications"))})
    assert response.headers["Location"] == "/applications"
    assert backend.sent_to("identity", "decide_application")["application_id"] == "app-1"
    assert notices(browser.get("/applications")) == ["Robin Reed approved: they have been emailed how to sign in."]


def test_a_contract_already_decided_says_so(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    backend.answers[("providers", "pending_contracts")] = [
        {"id": "c-1", "location_id": "1-1", "location_name": "Willow House", "commissioner_kind": "local_authority",
         "commissioner_code": "E08000035", "status": "requested"}]
    assert "Willow House" in page(browser.get("/contracts")).find(id="contract-c-1").get_text()
    backend.answers[("providers", "decide_contract")] = service_errors.Conflict("This contract was already approved.")
    response = browser.post("/contracts/c-1/decision", data={
        "decision": "approve", "name": "Willow House", "csrf_token": csrf_token(browser.get("/contracts"))})
    assert response.status_code == 409
    assert error_summary(response) == [(None, "This contract was already approved.")]


# -- people ---------------------------------------------------------------------------------------------
PEOPLE = [{"id": "u-7", "name": "Robin Reed", "email": "robin@care.example", "level": "standard", "status": "active",
           "generic": False, "api_user": False, "last_login_at": "2026-03-01T16:20:00+00:00", "locked_until": None},
          {"id": "u-8", "name": "Feed", "email": "feed@care.example", "level": "standard", "status": "active",
           "generic": False, "api_user": True, "last_login_at": None, "locked_until": None},
          {"id": "u-9", "name": "Sam Left", "email": "sam@care.example", "level": "standard", "status": "deactivated",
           "generic": False, "api_user": False, "last_login_at": None, "locked_until": None}]


def test_approvers_see_their_organisations_people_and_act_for_them(browser, backend, sign_in):
    sign_in(Role.APPROVER)
    backend.answers[("identity", "list_users")] = PEOPLE
    shown = page(browser.get("/users"))
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "prov-a"
    assert [card["data-user"] for card in shown.select("[data-user]")] == ["u-7", "u-9"]  # API users are not people
    robin = shown.select_one('[data-user="u-7"]')
    assert "4:20pm on 1 March 2026" in robin.get_text(" ", strip=True)
    assert shown.select_one('[data-user="u-9"] form') is None  # nothing to do for someone deactivated

    backend.answers[("identity", "reset_password")] = lambda **kwargs: {}
    response = browser.post("/users/u-7/password-reset", data={"name": "Robin Reed",
                                                                "csrf_token": csrf_token(browser.get("/users"))})
    assert backend.sent_to("identity", "reset_password")["user_id"] == "u-7"
    assert notices(browser.get(response.headers["Location"])) == [
        "Robin Reed has been emailed a new one-time password."]

    backend.answers[("identity", "deactivate_user")] = service_errors.Conflict("You cannot deactivate your own account.")
    response = browser.post("/users/u-1/deactivation", data={"name": "Me", "csrf_token": csrf_token(browser.get("/users"))})
    shown = page(browser.get(response.headers["Location"]))
    assert shown.select_one(".govuk-error-summary").get_text(" ", strip=True).endswith(
        "You cannot deactivate your own account.")
    assert browser.post("/users/u-7/promotion", data={"csrf_token": csrf_token(browser.get("/users"))}).status_code == 404


def test_people_pages_are_refused_where_identity_refuses(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    backend.answers[("identity", "reset_password")] = service_errors.NotFound("No such user.")
    response = browser.post("/users/u-7/password-reset", data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 404
