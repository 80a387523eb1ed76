"""The web pages of an account: applying for one, signing in (one-time
password, new terms, shared accounts), the session (renewed while in use,
ended when idle, revoked or too old, deleted at sign-out), changing a
password; and one site serving people pages and programs the API.

The services behind the pages are a fake that answers each (service, method)
as the test says and records what it was sent (tests/gateway/conftest.py);
pages are read back with an HTML parser, as a browser would.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.rpc import ServiceUnavailable
from tracker_common.testing import csrf_token, error_summary, notices, page

# -- signing in ---------------------------------------------------------------------------------
def test_a_page_asks_for_sign_in_and_comes_back_after_it(browser, backend, token):
    response = browser.get("/capacity?page=2")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query)["next"] == ["/capacity?page=2"]

    shown = page(browser.get(response.headers["Location"]))
    assert shown.select("#navigation") == []  # nothing to offer before signing in
    form = shown.find("form")
    assert form.find("input", {"name": "next"})["value"] == "/capacity?page=2"
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    signed = browser.post("/sign-in", data={"email": " casey@care.example ", "password": "Heron-Valley-Beacon-27",
                                            "next": "/capacity?page=2", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert signed.status_code == 302 and signed.headers["Location"] == "/capacity?page=2"
    assert backend.sent_to("identity", "authenticate")["payload"] == {
        "email": "casey@care.example", "password": "Heron-Valley-Beacon-27"}
    cookie = signed.headers["Set-Cookie"]
    assert "tracker_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; PUBLIC_URL on https makes it Secure


@pytest.mark.parametrize("target", ["https://evil.example/capacity", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "capacity"])
def test_after_sign_in_only_pages_of_this_site_are_followed(browser, backend, target, token):
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                              "next": target, "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.headers["Location"] == "/start"


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_called(browser, backend):
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "x"})
    assert response.status_code == 400
    assert page(response).h1.get_text(strip=True) == "This form has expired"
    assert backend.calls == []


def test_a_wrong_password_is_named_on_the_password_field(browser, backend):
    backend.answers[("identity", "authenticate")] = service_errors.InvalidCredentials()
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "wrong-one-entirely",
                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 401
    [(field, text)] = error_summary(response)
    assert field == "password" and text.startswith("The email address or password is not correct")
    assert page(response).find(id="email")["value"] == "casey@care.example"
    assert page(response).find(id="password")["value"] == ""  # never sent back
    assert browser.get("/capacity").status_code == 302  # not signed in


def test_bad_fields_are_each_named(browser, backend):
    backend.answers[("identity", "authenticate")] = service_errors.InvalidInput(fields={
        "email": ["Not a valid email address."], "password": ["Missing data for required field."]})
    response = browser.post("/sign-in", data={"email": "casey", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 422
    assert error_summary(response) == [("email", "Email address: Not a valid email address."),
                                 ("password", "Password: Missing data for required field.")]
    assert page(response).find(id="email-error").get_text(" ", strip=True) == "Error: Not a valid email address."


def test_a_locked_account_says_so(browser, backend):
    backend.answers[("identity", "authenticate")] = service_errors.AccountLocked(
        "The account is locked after too many wrong passwords.", locked_until="2026-03-03T09:00:00+00:00")
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "whatever-it-is",
                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 423
    assert error_summary(response) == [("password", "The account is locked after too many wrong passwords.")]


@pytest.mark.parametrize("reason, says", [("first_login", "You need to choose a new password before you sign in."),
                                          ("expired", "Your password has expired. Choose a new one to sign in.")])
def test_a_one_time_or_expired_password_leads_to_changing_it(browser, backend, reason, says):
    backend.answers[("identity", "authenticate")] = service_errors.PasswordChangeRequired("Choose one.", reason=reason)
    response = browser.post("/sign-in", data={"email": "new@care.example", "password": "One-Time-Pass-1",
                                              "next": "/locations/1-1/capacity",
                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    target = urlsplit(response.headers["Location"])
    assert target.path == "/account/password"
    assert parse_qs(target.query) == {"email": ["new@care.example"], "next": ["/locations/1-1/capacity"]}
    shown = browser.get(response.headers["Location"])
    assert notices(shown) == [says] and page(shown).find(id="email")["value"] == "new@care.example"


def test_new_terms_are_shown_and_accepting_them_is_sent_with_the_password(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.TermsAcceptanceRequired(
        "Accept them.", terms_version=3, terms_text="Use the data only to place people in care.")
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 403
    shown = page(response)
    assert shown.find(id="terms-text").get_text(strip=True) == "Use the data only to place people in care."
    assert [field for field, _ in error_summary(response)] == ["accept_terms"]

    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                   "accept_terms_version": shown.find("input", {"name": "accept_terms_version"})["value"],
                                   "accept_terms": "yes", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert backend.sent_to("identity", "authenticate")["payload"]["accept_terms_version"] == 3


def test_a_shared_account_acknowledges_the_disclaimer(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.DisclaimerAcknowledgementRequired(
        "Acknowledge it.", disclaimer="This account is shared: everything done with it is recorded.")
    response = browser.post("/sign-in", data={"email": "desk@care.example", "password": "Heron-Valley-Beacon-27",
                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert "This account is shared" in page(response).find(class_="govuk-warning-text").get_text()
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "desk@care.example", "password": "Heron-Valley-Beacon-27",
                                   "acknowledge_disclaimer": "yes", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert backend.sent_to("identity", "authenticate")["payload"]["acknowledge_disclaimer"] is True


@pytest.mark.parametrize("spoil", ["expired", "revoked"])
def test_an_ended_session_signs_in_again_and_returns(browser, backend, spoil, sign_in):
    sign_in(lifetime=60)
    if spoil == "expired":
        backend.clock.advance(seconds=61)
    else:  # a password change or deactivation revokes every earlier token
        backend.revocations.revoked_before["u-1"] = int((backend.clock.now() + timedelta(seconds=1)).timestamp() * 1000)
    response = browser.get("/locations/1-1/capacity")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/locations/1-1/capacity"]
    assert notices(browser.get(response.headers["Location"])) == ["Your session has ended. Sign in again to carry on."]
    assert ("providers", "get_location") not in backend.calls


def test_an_active_session_renews_its_token_past_half_its_life(browser, backend, token, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    backend.clock.advance(minutes=7)
    browser.get("/capacity")
    assert ("identity", "renew_token") not in backend.calls  # more than half its life left
    backend.clock.advance(minutes=1)
    fresh = token(Role.CARE_HOME_USER, issued=backend.clock.now())
    backend.answers[("identity", "renew_token")] = {"access_token": fresh, "token_type": "bearer", "expires_in": 900}
    assert browser.get("/capacity").status_code == 200
    assert backend.sent_to("identity", "renew_token")["token"] != fresh
    backend.clock.advance(minutes=10)  # the first token has ended; the renewed one (past half its life) serves
    assert browser.get("/capacity").status_code == 200
    assert backend.sent_to("identity", "renew_token")["token"] == fresh


def test_however_active_a_session_ends_after_its_hours(browser, backend, token, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    for _ in range(8 * 6):  # a request every ten minutes for eight hours, each renewing the token
        backend.clock.advance(minutes=10)
        backend.answers[("identity", "renew_token")] = {
            "access_token": token(Role.CARE_HOME_USER, issued=backend.clock.now()), "token_type": "bearer",
            "expires_in": 900}
        assert browser.get("/capacity").status_code == 200
    backend.clock.advance(minutes=1)
    assert urlsplit(browser.get("/capacity").headers["Location"]).path == "/sign-in"


def test_a_session_identity_will_not_renew_ends(browser, backend, sign_in):
    sign_in()
    backend.clock.advance(minutes=8)
    backend.answers[("identity", "renew_token")] = service_errors.NotAuthenticated("Sign in again.")
    response = browser.get("/capacity")
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    assert ("providers", "list_locations") not in backend.calls


def test_a_session_lives_on_while_identity_cannot_renew_it(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    backend.clock.advance(minutes=8)
    backend.answers[("identity", "renew_token")] = ServiceUnavailable("the identity service is not running")
    assert browser.get("/capacity").status_code == 200
    backend.clock.advance(minutes=8)  # and ends with its token
    assert browser.get("/capacity").status_code == 302


def test_sign_out_ends_the_session_and_a_copy_of_its_cookie_is_worthless(browser, backend, token, sign_in):
    sign_in()
    cookie = browser.get_cookie("tracker_session").value
    assert token(Role.CARE_HOME_USER).split(".")[0] not in cookie  # only an id: the token stays on the server
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    assert browser.get("/capacity").status_code == 200
    response = browser.post("/sign-out", data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.headers["Location"] == "/sign-in"
    assert browser.get("/capacity").status_code == 302
    browser.set_cookie("tracker_session", cookie)  # replayed by someone who copied it
    assert browser.get("/capacity").status_code == 302


def test_signing_in_gives_a_new_session_id(browser, backend, sign_in):
    browser.get("/sign-in")
    before = browser.get_cookie("tracker_session").value
    sign_in()
    assert browser.get_cookie("tracker_session").value != before


# -- changing a password ------------------------------------------------------------------------
def test_changing_a_password_checks_the_two_new_ones_match_before_asking(browser, backend):
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81",
        "confirm_password": "Teal-Orchard-Compass-18", "csrf_token": csrf_token(browser.get("/account/password"))})
    assert response.status_code == 422
    assert error_summary(response) == [("confirm_password", "Confirm new password: the two new passwords are not the same")]
    assert backend.calls == []


def test_a_weak_new_password_is_refused_with_the_policys_words(browser, backend):
    backend.answers[("identity", "change_password")] = service_errors.InvalidInput(
        fields={"new_password": ["Use at least 10 characters.", "Avoid common passwords."]})
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "password",
        "confirm_password": "password", "csrf_token": csrf_token(browser.get("/account/password"))})
    assert error_summary(response) == [("new_password", "New password: Use at least 10 characters."),
                                 ("new_password", "New password: Avoid common passwords.")]


def test_a_changed_password_leads_back_to_sign_in(browser, backend):
    backend.answers[("identity", "change_password")] = lambda payload, client: None
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81",
        "confirm_password": "Teal-Orchard-Compass-81", "next": "/capacity",
        "csrf_token": csrf_token(browser.get("/account/password"))})
    assert backend.sent_to("identity", "change_password")["payload"] == {
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81"}
    client = backend.sent_to("identity", "change_password")["client"]  # for the audit of sign-ins
    assert client["address"] == "127.0.0.1" and client["user_agent"].startswith("Werkzeug/")
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query)["email"] == ["new@care.example"]
    assert notices(browser.get(response.headers["Location"])) == [
        "Your password has been changed. Sign in with your new password."]


# -- one site, two audiences -------------------------------------------------------------------------
def test_browsers_get_pages_and_programs_get_problem_details(browser):
    assert browser.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}).headers["Location"] \
        == "/start"
    for accept in ("application/json", "*/*"):  # what programs and curl send
        assert browser.get("/", headers={"Accept": accept}).get_json()["docs"] == "/api/v1/docs"
    missing = browser.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and page(missing).h1.get_text(strip=True) == "Page not found"
    api = browser.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_the_api_needs_no_csrf_token_and_still_wants_json(browser, backend):
    backend.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer", "expires_in": 900}
    assert browser.post("/api/v1/auth/token", json={"email": "casey@care.example",
                                                    "password": "Heron-Valley-Beacon-27"}).status_code == 200
    assert browser.post("/api/v1/auth/token", data={"email": "casey@care.example"}).status_code == 415


@pytest.mark.parametrize("role, offered", [
    (Role.CARE_HOME_USER, ["Capacity", "Reports"]),
    (Role.APPROVER, ["Applications", "People", "Contracts"]),
    (Role.NON_CARE_HOME_USER, ["Find vacancies", "Reports"]),
    (Role.BROKER, ["Find vacancies", "Capacity", "Contracts", "Reports"]),
    (Role.ADMIN, ["Find vacancies", "Capacity", "Applications", "People", "Contracts", "Reports", "Administration"])])
def test_the_header_offers_only_what_the_person_may_do(browser, backend, role, offered, sign_in):
    sign_in(role)
    backend.answers[("identity", "list_pending_applications")] = []
    shown = page(browser.get("/applications"))
    assert [a.get_text(strip=True) for a in shown.select("#navigation a")] == [*offered, "Your sign-in"]
    assert shown.select_one("#navigation button").get_text(strip=True) == "Sign out"


@pytest.mark.parametrize("role, lands_on", [(Role.NON_CARE_HOME_USER, "/search"), (Role.CARE_HOME_USER, "/capacity"),
                                            (Role.BROKER, "/capacity")])
def test_each_person_lands_on_the_page_of_their_job(browser, backend, role, lands_on, sign_in):
    sign_in(role)
    assert browser.get("/start").headers["Location"] == lands_on


# -- applying for an account ----------------------------------------------------------------------------
PLACES = [{"organisation_id": "prov-a", "organisation_name": "Alder Care", "location_id": "1-100",
           "location_name": "Alder House", "postcode": "S70 1AA"},
          {"organisation_id": "prov-a", "organisation_name": "Alder Care", "location_id": None,
           "location_name": None, "postcode": None}]


def test_applying_finds_the_home_then_sends_the_application(browser, backend):
    backend.answers[("identity", "find_places")] = lambda **kwargs: PLACES
    shown = page(browser.get("/register?place=alder"))
    assert backend.sent_to("identity", "find_places")["query"] == {"text": "alder"}
    labels = [label.get_text(" ", strip=True) for label in shown.select("label.govuk-radios__label")][:2]
    assert labels == ["Alder House, S70 1AA", "Alder Care (all its locations)"]

    backend.answers[("identity", "register")] = lambda **kwargs: {"id": "app-1", "routed_to": "system_champions"}
    response = browser.post("/register", data={
        "place": "alder", "choice": "prov-a|1-100", "name": "Robin Reed", "email": "robin@alder-care.example",
        "level": "standard", "job_title": "", "csrf_token": page(browser.get("/register?place=alder")).find(
            "input", {"name": "csrf_token"})["value"]})
    assert response.status_code == 200
    assert backend.sent_to("identity", "register")["payload"] == {
        "name": "Robin Reed", "email": "robin@alder-care.example", "organisation_id": "prov-a",
        "location_id": "1-100", "level": "standard", "job_title": None}
    assert "the System Champions of your area" in page(response).find(id="next-steps").get_text()


def test_an_application_refused_keeps_what_was_typed_and_names_each_field(browser, backend):
    backend.answers[("identity", "find_places")] = lambda **kwargs: PLACES
    csrf = page(browser.get("/register?place=alder")).find("input", {"name": "csrf_token"})["value"]
    response = browser.post("/register", data={"place": "alder", "name": "Robin", "email": "robin@gmail.example",
                                               "level": "standard", "csrf_token": csrf})
    assert response.status_code == 422
    assert error_summary(response) == [("choice", "Where you work: choose your care home or organisation")]
    assert ("identity", "register") not in backend.calls

    backend.answers[("identity", "register")] = service_errors.Conflict(
        "An account or application already exists for this email address.")
    response = browser.post("/register", data={"place": "alder", "choice": "prov-a|", "name": "Robin",
                                               "email": "robin@alder-care.example", "level": "approver",
                                               "csrf_token": csrf})
    assert error_summary(response) == [(None, "An account or application already exists for this email address.")]
    assert backend.sent_to("identity", "register")["payload"]["location_id"] is None  # all its locations
    shown = page(response)
    assert shown.find(id="email")["value"] == "robin@alder-care.example"
    assert shown.find("input", {"value": "prov-a|"}).has_attr("checked")
    assert shown.find(id="level-approver").has_attr("checked")


def test_a_search_that_finds_nothing_says_so(browser, backend):
    backend.answers[("identity", "find_places")] = lambda **kwargs: []
    shown = page(browser.get("/register?place=zzz"))
    assert "Nothing matches" in shown.find(id="nothing-found").get_text()
    assert shown.find("input", {"name": "choice"}) is None


def test_a_search_too_short_to_ask_is_named_on_its_box(browser, backend):
    backend.answers[("identity", "find_places")] = service_errors.InvalidInput(
        fields={"text": ["Length must be between 2 and 100."]})
    response = browser.get("/register?place=a")
    assert response.status_code == 422
    assert error_summary(response) == [("place", "Where you work: Length must be between 2 and 100.")]
    assert page(response).find(id="nothing-found") is None
