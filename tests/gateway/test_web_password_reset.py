"""Forgotten passwords at the edge, on the pages and the API: asking for a
link (the same answer whatever identity knows), choosing a new password with
it (the token taken out of the address at once, every session ended after),
the client's address and user agent passed on for the audit of sign-ins;
and the audit of sign-ins queried through the audit endpoints, by
administrators only for everyone's."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

TOKEN = "Zq3-_" + "k" * 38
NEW_PASSWORD = "Teal-Orchard-Compass-81"
LINK_NOT_VALID = "This link has expired or has already been used. Ask for a new one."


def auth(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def heading(response) -> str:
    return page(response).find("h1").get_text(strip=True)


# -- asking for a link -------------------------------------------------------------------------
def test_the_sign_in_page_offers_the_forgotten_password_journey(browser, backend):
    links = [a["href"] for a in page(browser.get("/sign-in")).find_all("a")]
    assert "/forgotten-password" in links


def test_asking_for_a_link_sends_the_email_and_who_asked_and_says_the_same_whatever(browser, backend):
    backend.answers[("identity", "request_password_reset")] = None
    form = page(browser.get("/forgotten-password")).find("form")
    assert form["action"] == "/forgotten-password" and form.find("input", {"name": "email"})["type"] == "email"
    response = browser.post("/forgotten-password", data={
        "email": " casey@care.example ", "csrf_token": csrf_token(browser.get("/forgotten-password"))},
        headers={"User-Agent": "Mozilla/5.0 (Android 15)"})
    assert response.status_code == 200 and heading(response) == "Check your email"
    assert "If an account uses casey@care.example" in page(response).find(id="next-steps").get_text(" ", strip=True)
    sent = backend.sent_to("identity", "request_password_reset")
    assert sent == {"payload": {"email": "casey@care.example"},
                    "client": {"address": "127.0.0.1", "user_agent": "Mozilla/5.0 (Android 15)"}}


def test_an_address_that_is_not_one_is_named_on_the_form(browser, backend):
    backend.answers[("identity", "request_password_reset")] = service_errors.InvalidInput(
        fields={"email": ["Not a valid email address."]})
    response = browser.post("/forgotten-password", data={
        "email": "casey", "csrf_token": csrf_token(browser.get("/forgotten-password"))})
    assert response.status_code == 422
    assert error_summary(response) == [("email", "Email address: Not a valid email address.")]


def test_a_form_without_its_csrf_token_is_refused_before_identity(browser, backend):
    assert browser.post("/forgotten-password", data={"email": "casey@care.example"}).status_code == 400
    assert backend.calls == []


# -- choosing a new password with the link ---------------------------------------------------------
def open_link(browser, token=TOKEN):
    """Follow the emailed link: the token leaves the address at once."""
    response = browser.get(f"/reset-password?token={token}")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).query == ""
    return browser.get(response.headers["Location"])


def choose(browser, new=NEW_PASSWORD, confirm=NEW_PASSWORD):
    return browser.post("/reset-password", data={"new_password": new, "confirm_password": confirm,
                                                 "csrf_token": csrf_token(browser.get("/reset-password"))})


def test_the_link_leads_to_a_new_password_then_to_sign_in_signed_out(browser, backend, sign_in):
    sign_in()  # a session in this browser: it ends with the reset, as every other does
    shown = open_link(browser)
    assert heading(shown) == "Choose a new password" and TOKEN not in shown.get_data(as_text=True)
    backend.answers[("identity", "reset_password_with_link")] = {"email": "casey@care.example"}
    response = choose(browser)
    sent = backend.sent_to("identity", "reset_password_with_link")
    assert sent["payload"] == {"token": TOKEN, "new_password": NEW_PASSWORD}
    assert sent["client"]["address"] == "127.0.0.1"
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query)["email"] == ["casey@care.example"]
    assert notices(browser.get(response.headers["Location"])) == [
        "Your password has been changed. Sign in with your new password."]
    assert browser.get("/capacity").status_code == 302  # signed out
    assert browser.get("/reset-password").status_code == 400  # and the token is gone


def test_two_different_new_passwords_are_refused_before_identity(browser, backend):
    open_link(browser)
    response = choose(browser, confirm="Teal-Orchard-Compass-82")
    assert response.status_code == 422
    assert error_summary(response) == [("confirm_password", "Confirm new password: the two new passwords are "
                                                            "not the same")]
    assert ("identity", "reset_password_with_link") not in backend.calls


def test_a_password_against_the_policy_is_named_and_the_link_can_be_used_again(browser, backend):
    open_link(browser)
    backend.answers[("identity", "reset_password_with_link")] = service_errors.InvalidInput(
        fields={"new_password": ["Use at least 10 characters."]})
    response = choose(browser, new="short", confirm="short")
    assert response.status_code == 422
    assert error_summary(response) == [("new_password", "New password: Use at least 10 characters.")]
    backend.answers[("identity", "reset_password_with_link")] = {"email": "casey@care.example"}
    assert choose(browser).status_code == 302
    assert backend.sent_to("identity", "reset_password_with_link")["payload"]["token"] == TOKEN


def test_a_used_or_expired_link_says_so_and_offers_a_new_one(browser, backend):
    open_link(browser)
    backend.answers[("identity", "reset_password_with_link")] = service_errors.InvalidInput(
        LINK_NOT_VALID, fields={"token": [LINK_NOT_VALID]})
    response = choose(browser)
    assert response.status_code == 400 and heading(response) == "This link does not work"
    assert "/forgotten-password" in [a["href"] for a in page(response).find_all("a")]
    assert browser.get("/reset-password").status_code == 400


def test_without_a_link_there_is_no_form(browser, backend):
    response = browser.get("/reset-password")
    assert response.status_code == 400 and heading(response) == "This link does not work"
    assert backend.calls == []


# -- the API ---------------------------------------------------------------------------------------
def test_the_api_answers_202_the_same_whatever_and_passes_who_asked(client, services):
    services.answers[("identity", "request_password_reset")] = None
    response = client.post("/api/v1/auth/password-reset-links", json={"email": "casey@care.example"},
                           headers={"User-Agent": "curl/8.9"})
    assert response.status_code == 202 and "If an account uses this email address" in response.json["detail"]
    assert services.sent_to("identity", "request_password_reset")["client"] == {"address": "127.0.0.1",
                                                                                "user_agent": "curl/8.9"}


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/auth/password-reset-links", {"email": "not an address"}, "email"),
    ("/api/v1/auth/password-reset-links", {}, "email"),
    ("/api/v1/auth/password-reset", {"token": "short", "new_password": NEW_PASSWORD}, "token"),
    ("/api/v1/auth/password-reset", {"token": TOKEN}, "new_password"),
])
def test_the_api_refuses_bad_bodies_naming_the_field_before_identity(client, services, path, body, field):
    response = client.post(path, json=body)
    assert response.status_code == 422 and field in str(response.json), response.json
    assert services.calls == []


def test_the_api_resets_with_the_token(client, services):
    services.answers[("identity", "reset_password_with_link")] = {"email": "casey@care.example"}
    response = client.post("/api/v1/auth/password-reset", json={"token": TOKEN, "new_password": NEW_PASSWORD})
    assert response.status_code == 200 and response.json == {"email": "casey@care.example"}
    assert services.sent_to("identity", "reset_password_with_link")["payload"] == {
        "token": TOKEN, "new_password": NEW_PASSWORD}


def test_signing_in_on_the_api_passes_the_forwarded_address_and_user_agent(monkeypatch, services):
    from gateway.app import create_app
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer", "expires_in": 900}
    create_app(services).test_client().post(
        "/api/v1/auth/token", json={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27"},
        headers={"X-Forwarded-For": "198.51.100.77", "User-Agent": "x" * 500})
    client = services.sent_to("identity", "authenticate")["client"]
    assert client == {"address": "198.51.100.77", "user_agent": "x" * 300}


# -- the audit of sign-ins --------------------------------------------------------------------------
def test_administrators_query_everyones_sign_ins_through_the_audit_endpoint(client, services, token):
    services.answers[("identity", "audit_trail")] = []
    response = client.get("/api/v1/audit?kind=sign_ins&outcome=failed&client_address=198.51.100.7",
                          headers=auth(token(Role.ADMIN)))
    assert response.status_code == 200 and response.json == {"entries": []}
    assert services.sent_to("identity", "audit_trail")["query"] == {
        "kind": "sign_ins", "outcome": "failed", "client_address": "198.51.100.7", "limit": 200, "page": 1}


@pytest.mark.parametrize("roles", [(Role.CARE_HOME_USER, Role.APPROVER), (Role.NON_CARE_HOME_USER, Role.BROKER,
                                                                           Role.SYSTEM_CHAMPION), (Role.API_USER,)])
def test_no_one_else_queries_everyones_sign_ins(client, services, token, roles):
    response = client.get("/api/v1/audit?kind=sign_ins", headers=auth(token(*roles)))
    assert response.status_code == 403 and services.calls == []


def test_a_persons_sign_ins_are_asked_of_identity_which_decides_who_may_see_them(client, services, token):
    services.answers[("identity", "audit_trail")] = service_errors.Forbidden(
        "Only administrators can see other people's sign-ins.")
    response = client.get("/api/v1/users/u-2/audit?kind=sign_ins", headers=auth(token(Role.APPROVER)))
    assert response.status_code == 403
    assert services.sent_to("identity", "audit_trail") == {
        "actor": services.sent_to("identity", "audit_trail")["actor"], "user_id": "u-2",
        "query": {"kind": "sign_ins", "limit": 200, "page": 1}}


@pytest.mark.parametrize("query", ["kind=everything", "outcome=maybe", "limit=0", "limit=100000"])
def test_a_bad_audit_query_is_refused_naming_the_field(client, services, token, query):
    response = client.get(f"/api/v1/audit?{query}", headers=auth(token(Role.ADMIN)))
    assert response.status_code == 422 and query.split("=")[0] in str(response.json)
    assert services.calls == []
