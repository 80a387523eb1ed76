"""The web pages on their own: the services behind them are a fake that
answers each (service, method) as the test says and records what it was
sent. Pages are read back with an HTML parser, as a browser would."""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.rpc import ServiceUnavailable

HOME = "1-000000001"
LOCATION = {"location_id": HOME, "name": "Willow House", "postcode": "LS1 4AP", "kind": "care_home",
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


@pytest.fixture
def backend(services):
    """Every call the page makes must be answered by the test."""
    services.answer = AssertionError("the page called a service the test did not expect")
    return services


@pytest.fixture
def browser(client):
    return client


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_of(browser, path: str) -> str:
    return page(browser.get(path)).find("input", {"name": "csrf_token"})["value"]


def summary(response) -> list[tuple[str | None, str]]:
    """The error summary: (linked field id, text) of each entry."""
    box = page(response).find(class_="govuk-error-summary")
    if box is None:
        return []
    return [((item.a["href"].lstrip("#") if item.a else None), item.get_text(" ", strip=True))
            for item in box.find_all("li")]


def notices(response) -> list[str]:
    return [p.get_text(strip=True) for p in page(response).select(".govuk-notification-banner__heading")]


def sign_in(browser, backend, token, *roles: Role, lifetime: int = 900) -> None:
    backend.answers[("identity", "authenticate")] = {"access_token": token(*(roles or (Role.CARE_HOME_USER,)),
                                                                          lifetime=lifetime),
                                                     "token_type": "bearer", "expires_in": lifetime}
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 302, response.get_data(as_text=True)


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
                                            "next": "/capacity?page=2", "csrf_token": csrf_of(browser, "/sign-in")})
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
                                              "next": target, "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.headers["Location"] == "/start"


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_called(browser, backend):
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "x"})
    assert response.status_code == 400
    assert page(response).h1.get_text(strip=True) == "This form has expired"
    assert backend.calls == []


def test_a_wrong_password_is_named_on_the_password_field(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.InvalidCredentials()
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "wrong-one-entirely",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 401
    [(field, text)] = summary(response)
    assert field == "password" and text.startswith("The email address or password is not correct")
    assert page(response).find(id="email")["value"] == "casey@care.example"
    assert page(response).find(id="password")["value"] == ""  # never sent back
    assert browser.get("/capacity").status_code == 302  # not signed in


def test_bad_fields_are_each_named(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.InvalidInput(fields={
        "email": ["Not a valid email address."], "password": ["Missing data for required field."]})
    response = browser.post("/sign-in", data={"email": "casey", "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 422
    assert summary(response) == [("email", "Email address: Not a valid email address."),
                                 ("password", "Password: Missing data for required field.")]
    assert page(response).find(id="email-error").get_text(" ", strip=True) == "Error: Not a valid email address."


def test_a_locked_account_says_so(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.AccountLocked(
        "The account is locked after too many wrong passwords.", locked_until="2026-03-03T09:00:00+00:00")
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "whatever-it-is",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 423
    assert summary(response) == [("password", "The account is locked after too many wrong passwords.")]


@pytest.mark.parametrize("reason, says", [("first_login", "You need to choose a new password before you sign in."),
                                          ("expired", "Your password has expired. Choose a new one to sign in.")])
def test_a_one_time_or_expired_password_leads_to_changing_it(browser, backend, reason, says, token):
    backend.answers[("identity", "authenticate")] = service_errors.PasswordChangeRequired("Choose one.", reason=reason)
    response = browser.post("/sign-in", data={"email": "new@care.example", "password": "One-Time-Pass-1",
                                              "next": "/locations/1-1/capacity",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    target = urlsplit(response.headers["Location"])
    assert target.path == "/account/password"
    assert parse_qs(target.query) == {"email": ["new@care.example"], "next": ["/locations/1-1/capacity"]}
    shown = browser.get(response.headers["Location"])
    assert notices(shown) == [says] and page(shown).find(id="email")["value"] == "new@care.example"


def test_new_terms_are_shown_and_accepting_them_is_sent_with_the_password(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.TermsAcceptanceRequired(
        "Accept them.", terms_version=3, terms_text="Use the data only to place people in care.")
    response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 403
    shown = page(response)
    assert shown.find(id="terms-text").get_text(strip=True) == "Use the data only to place people in care."
    assert [field for field, _ in summary(response)] == ["accept_terms"]

    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                   "accept_terms_version": shown.find("input", {"name": "accept_terms_version"})["value"],
                                   "accept_terms": "yes", "csrf_token": csrf_of(browser, "/sign-in")})
    assert backend.sent_to("identity", "authenticate")["payload"]["accept_terms_version"] == 3


def test_a_shared_account_acknowledges_the_disclaimer(browser, backend, token):
    backend.answers[("identity", "authenticate")] = service_errors.DisclaimerAcknowledgementRequired(
        "Acknowledge it.", disclaimer="This account is shared: everything done with it is recorded.")
    response = browser.post("/sign-in", data={"email": "desk@care.example", "password": "Heron-Valley-Beacon-27",
                                              "csrf_token": csrf_of(browser, "/sign-in")})
    assert "This account is shared" in page(response).find(class_="govuk-warning-text").get_text()
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "desk@care.example", "password": "Heron-Valley-Beacon-27",
                                   "acknowledge_disclaimer": "yes", "csrf_token": csrf_of(browser, "/sign-in")})
    assert backend.sent_to("identity", "authenticate")["payload"]["acknowledge_disclaimer"] is True


@pytest.mark.parametrize("spoil", ["expired", "revoked"])
def test_an_ended_session_signs_in_again_and_returns(browser, backend, spoil, token):
    sign_in(browser, backend, token, lifetime=60)
    if spoil == "expired":
        backend.clock.advance(seconds=61)
    else:  # a password change or deactivation revokes every earlier token
        backend.revocations.revoked_before["u-1"] = int((backend.clock.now() + timedelta(seconds=1)).timestamp() * 1000)
    response = browser.get("/locations/1-1/capacity")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/locations/1-1/capacity"]
    assert notices(browser.get(response.headers["Location"])) == ["Your session has ended. Sign in again to carry on."]
    assert ("providers", "get_location") not in backend.calls


def test_an_active_session_renews_its_token_past_half_its_life(browser, backend, token):
    sign_in(browser, backend, token)
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


def test_however_active_a_session_ends_after_its_hours(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    for _ in range(8 * 6):  # a request every ten minutes for eight hours, each renewing the token
        backend.clock.advance(minutes=10)
        backend.answers[("identity", "renew_token")] = {
            "access_token": token(Role.CARE_HOME_USER, issued=backend.clock.now()), "token_type": "bearer",
            "expires_in": 900}
        assert browser.get("/capacity").status_code == 200
    backend.clock.advance(minutes=1)
    assert urlsplit(browser.get("/capacity").headers["Location"]).path == "/sign-in"


def test_a_session_identity_will_not_renew_ends(browser, backend, token):
    sign_in(browser, backend, token)
    backend.clock.advance(minutes=8)
    backend.answers[("identity", "renew_token")] = service_errors.NotAuthenticated("Sign in again.")
    response = browser.get("/capacity")
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    assert ("providers", "list_locations") not in backend.calls


def test_a_session_lives_on_while_identity_cannot_renew_it(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    backend.clock.advance(minutes=8)
    backend.answers[("identity", "renew_token")] = ServiceUnavailable("the identity service is not running")
    assert browser.get("/capacity").status_code == 200
    backend.clock.advance(minutes=8)  # and ends with its token
    assert browser.get("/capacity").status_code == 302


def test_sign_out_ends_the_session_and_a_copy_of_its_cookie_is_worthless(browser, backend, token):
    sign_in(browser, backend, token)
    cookie = browser.get_cookie("tracker_session").value
    assert token(Role.CARE_HOME_USER).split(".")[0] not in cookie  # only an id: the token stays on the server
    backend.answers[("providers", "list_locations")] = {"total": 0, "page": 1, "per_page": 20, "locations": []}
    assert browser.get("/capacity").status_code == 200
    response = browser.post("/sign-out", data={"csrf_token": csrf_of(browser, "/sign-in")})
    assert response.headers["Location"] == "/sign-in"
    assert browser.get("/capacity").status_code == 302
    browser.set_cookie("tracker_session", cookie)  # replayed by someone who copied it
    assert browser.get("/capacity").status_code == 302


def test_signing_in_gives_a_new_session_id(browser, backend, token):
    browser.get("/sign-in")
    before = browser.get_cookie("tracker_session").value
    sign_in(browser, backend, token)
    assert browser.get_cookie("tracker_session").value != before


# -- changing a password ------------------------------------------------------------------------
def test_changing_a_password_checks_the_two_new_ones_match_before_asking(browser, backend, token):
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81",
        "confirm_password": "Teal-Orchard-Compass-18", "csrf_token": csrf_of(browser, "/account/password")})
    assert response.status_code == 422
    assert summary(response) == [("confirm_password", "Confirm new password: the two new passwords are not the same")]
    assert backend.calls == []


def test_a_weak_new_password_is_refused_with_the_policys_words(browser, backend, token):
    backend.answers[("identity", "change_password")] = service_errors.InvalidInput(
        fields={"new_password": ["Use at least 10 characters.", "Avoid common passwords."]})
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "password",
        "confirm_password": "password", "csrf_token": csrf_of(browser, "/account/password")})
    assert summary(response) == [("new_password", "New password: Use at least 10 characters."),
                                 ("new_password", "New password: Avoid common passwords.")]


def test_a_changed_password_leads_back_to_sign_in(browser, backend, token):
    backend.answers[("identity", "change_password")] = None
    backend.answers[("identity", "change_password")] = lambda payload: None
    response = browser.post("/account/password", data={
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81",
        "confirm_password": "Teal-Orchard-Compass-81", "next": "/capacity",
        "csrf_token": csrf_of(browser, "/account/password")})
    assert backend.sent_to("identity", "change_password")["payload"] == {
        "email": "new@care.example", "current_password": "One-Time-Pass-1", "new_password": "Teal-Orchard-Compass-81"}
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query)["email"] == ["new@care.example"]
    assert notices(browser.get(response.headers["Location"])) == [
        "Your password has been changed. Sign in with your new password."]


# -- capacity ---------------------------------------------------------------------------------------
def test_the_capacity_page_lists_my_locations_with_how_fresh_each_is(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "list_locations")] = {"total": 3, "page": 1, "per_page": 20, "locations": [
        {"id": "1-1", "name": "Willow House", "kind": "care_home", "postcode": "LS1 4AP"},
        {"id": "1-2", "name": "Oak Lodge", "kind": "care_home", "postcode": "LS2 7EW"},
        {"id": "1-3", "name": "Ash Court", "kind": "care_home", "postcode": "LS3 1AA"}]}
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
    assert "2 March 2026 at 8:05am" in willow and "Accepting admissions (2 vacant)" in willow
    assert "27 February 2026 at 3:40pm" in oak and "Not updated for over 48 hours" in oak
    assert "Not accepting admissions" in oak
    assert "Never" in ash and "No return yet" in ash
    assert cards["1-1"].find("a", href="/locations/1-1/capacity") is not None


def test_the_capacity_form_is_filled_with_the_current_figures(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("capacity", "current_return")] = CURRENT
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    assert shown.find(id="general_residential-occupied")["value"] == "17"
    assert shown.find(id="general_residential-weekly_price_from")["value"] == "850.00"
    assert shown.find(id="dementia_nursing-flexible").has_attr("checked")
    assert shown.find(id="dementia_nursing-not_available_reason").find("option", selected=True)["value"] == \
        "refurbishment"
    assert shown.find(id="short_stay-respite_care")["value"] == "900.00"
    assert "1 March 2026 at 8:30am" in shown.get_text()


def test_figures_sent_after_the_session_ended_wait_for_their_person_to_sign_in_again(browser, backend, token):
    data = the_filled_form(browser, backend, token)
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
                                            "csrf_token": csrf_of(browser, "/sign-in")})
    back = browser.get(signed.headers["Location"])
    assert page(back).find(id="general_residential-occupied")["value"] == "19"
    assert notices(back) == ["The figures you entered before signing in again are below: check them and save."]
    again = page(browser.get(f"/locations/{HOME}/capacity"))  # once only: then the current figures
    assert again.find(id="general_residential-occupied")["value"] == "17"


def test_kept_figures_are_not_shown_to_someone_else_signing_in(browser, backend, token):
    data = the_filled_form(browser, backend, token)
    data["general_residential-occupied"] = "19"
    backend.clock.advance(minutes=20)
    browser.post(f"/locations/{HOME}/capacity", data=data)
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.ADMIN, issued=backend.clock.now(),
                                                                           user_id="u-2"),
                                                     "token_type": "bearer", "expires_in": 900}
    browser.post("/sign-in", data={"email": "admin@tracker.example", "password": "Heron-Valley-Beacon-27",
                                   "csrf_token": csrf_of(browser, "/sign-in")})
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    assert shown.find(id="general_residential-occupied")["value"] == "17"


def test_a_location_without_a_return_gets_an_empty_form(browser, backend, token):
    sign_in(browser, backend, token)
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


def the_filled_form(browser, backend, token) -> dict:
    """Signed in, the capacity form of HOME as the page fills it from CURRENT."""
    sign_in(browser, backend, token)
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("capacity", "current_return")] = CURRENT
    return form_of(page(browser.get(f"/locations/{HOME}/capacity")))


def test_saving_sends_the_return_the_form_describes(browser, backend, token):
    data = the_filled_form(browser, backend, token)
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


def test_a_refused_return_names_each_field_keeps_what_was_typed_and_saves_nothing(browser, backend, token):
    data = the_filled_form(browser, backend, token)
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
    assert summary(response) == [
        ("general_residential-occupied", "General residential, occupied: Enter a figure"),
        ("general_residential-vacant_reserved", "General residential, vacant: reserved: Enter a whole number, like 3"),
        ("dementia_nursing-maximum_capacity", "Dementia nursing, maximum capacity: Occupied, reserved, accepting "
                                              "and not available add up to 14, more than the maximum capacity of 10."),
        ("dementia_nursing-weekly_price_from", "Dementia nursing, weekly price from: The weekly price must be "
                                               "above £100.00."),
        ("confirm_over_registered_capacity", "Registered beds: The total maximum capacity of 40 is above the 30 "
                                             "beds registered with CQC.")]
    shown = page(response)
    for field_id, _ in summary(response):  # every link leads to its field
        assert shown.find(id=field_id) is not None
    assert shown.find(id="dementia_nursing-occupied")["value"] == "12"
    assert shown.find(id="confirm_over_registered_capacity") is not None  # now offered
    assert "Error: " in shown.title.get_text()


@pytest.mark.parametrize("error, status, title", [
    (service_errors.Forbidden(), 403, "You cannot see this page"),
    (service_errors.NotFound("No such location."), 404, "Page not found"),
    (ServiceUnavailable("the providers service is not running"), 503, "Sorry, there is a problem with the service")])
def test_a_refusal_or_an_outage_is_a_page_not_a_crash(browser, backend, error, status, title, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "get_location")] = error
    response = browser.get(f"/locations/{HOME}/capacity")
    assert response.status_code == status and page(response).h1.get_text(strip=True) == title
    assert response.mimetype == "text/html"


def test_a_bulk_upload_page_shows_what_was_applied_and_what_was_not(browser, backend, token):
    sign_in(browser, backend, token)
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


# -- approvals -----------------------------------------------------------------------------------
APPLICATION = {"id": "app-1", "kind": "registration", "name": "Robin Reed", "email": "robin@care.example",
               "organisation_id": "prov-a", "location_ids": [], "level": "standard", "flags": ["personal_email"]}


def test_applications_are_listed_and_rejecting_needs_a_reason(browser, backend, token):
    sign_in(browser, backend, token, Role.APPROVER)
    backend.answers[("identity", "list_pending_applications")] = [APPLICATION]
    shown = page(browser.get("/applications"))
    card = shown.find(id="application-app-1").get_text(" ", strip=True)
    assert "robin@care.example" in card and "Personal email" in card

    backend.answers[("identity", "decide_application")] = service_errors.InvalidInput(
        fields={"reason": ["Give a reason for rejecting."]})
    response = browser.post("/applications/app-1/decision", data={
        "decision": "reject", "reason": "", "name": "Robin Reed", "csrf_token": csrf_of(browser, "/applications")})
    assert response.status_code == 422
    assert summary(response) == [("app-1-reason", "Reason: Give a reason for rejecting.")]
    assert backend.sent_to("identity", "decide_application")["payload"] == {"decision": "reject", "reason": None}

    backend.answers[("identity", "decide_application")] = lambda **kwargs: APPLICATION
    response = browser.post("/applications/app-1/decision", data={
        "decision": "approve", "name": "Robin Reed", "csrf_token": csrf_of(browser, "/applications")})
    assert response.headers["Location"] == "/applications"
    assert backend.sent_to("identity", "decide_application")["application_id"] == "app-1"
    assert notices(browser.get("/applications")) == ["Robin Reed approved: they have been emailed how to sign in."]


def test_a_contract_already_decided_says_so(browser, backend, token):
    sign_in(browser, backend, token, Role.NON_CARE_HOME_USER)
    backend.answers[("providers", "pending_contracts")] = [
        {"id": "c-1", "location_id": "1-1", "location_name": "Willow House", "commissioner_kind": "local_authority",
         "commissioner_code": "E08000035", "status": "requested"}]
    assert "Willow House" in page(browser.get("/contracts")).find(id="contract-c-1").get_text()
    backend.answers[("providers", "decide_contract")] = service_errors.Conflict("This contract was already approved.")
    response = browser.post("/contracts/c-1/decision", data={
        "decision": "approve", "name": "Willow House", "csrf_token": csrf_of(browser, "/contracts")})
    assert response.status_code == 409
    assert summary(response) == [(None, "This contract was already approved.")]


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


def test_the_api_needs_no_csrf_token_and_still_wants_json(browser, backend, token):
    backend.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer", "expires_in": 900}
    assert browser.post("/api/v1/auth/token", json={"email": "casey@care.example",
                                                    "password": "Heron-Valley-Beacon-27"}).status_code == 200
    assert browser.post("/api/v1/auth/token", data={"email": "casey@care.example"}).status_code == 415


@pytest.mark.parametrize("role, offered", [
    (Role.CARE_HOME_USER, ["Capacity"]),
    (Role.APPROVER, ["Applications", "People", "Contracts"]),
    (Role.NON_CARE_HOME_USER, ["Find vacancies"]),
    (Role.BROKER, ["Find vacancies", "Capacity", "Contracts"]),
    (Role.ADMIN, ["Find vacancies", "Capacity", "Applications", "People", "Contracts"])])
def test_the_header_offers_only_what_the_person_may_do(browser, backend, token, role, offered):
    sign_in(browser, backend, token, role)
    backend.answers[("identity", "list_pending_applications")] = []
    shown = page(browser.get("/applications"))
    assert [a.get_text(strip=True) for a in shown.select("#navigation a")] == offered
    assert shown.select_one("#navigation button").get_text(strip=True) == "Sign out"


# -- services ------------------------------------------------------------------------------------------
def test_the_services_page_shows_what_is_offered_and_saves_the_choice(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "get_location")] = {**LOCATION, "languages": ["English", "Polish"]}
    shown = page(browser.get(f"/locations/{HOME}/services"))
    ticked = [i["value"] for i in shown.select("input[type=checkbox][checked]")]
    assert ticked == ["dementia_nursing", "general_residential", "respite_care"]
    assert shown.find(id="languages")["value"] == "Polish"

    backend.answers[("providers", "update_services")] = lambda **kwargs: LOCATION
    response = browser.post(f"/locations/{HOME}/services", data={
        "long_term_vacancy_types": ["general_nursing", "general_residential"], "short_stay_services": [],
        "languages": "Polish, Urdu ,", "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.headers["Location"] == f"/locations/{HOME}/capacity"
    assert backend.sent_to("providers", "update_services")["payload"] == {
        "long_term_vacancy_types": ["general_nursing", "general_residential"], "short_stay_services": [],
        "languages": ["Polish", "Urdu"]}


def test_services_without_a_vacancy_type_are_refused_on_the_first_box(browser, backend, token):
    sign_in(browser, backend, token)
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("providers", "update_services")] = service_errors.InvalidInput(fields={
        "long_term_vacancy_types": ["Choose at least one long term vacancy type."],
        "languages": {"0": ["String does not match expected pattern."]}})
    response = browser.post(f"/locations/{HOME}/services", data={
        "short_stay_services": ["respite_care"], "languages": "42", "csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 422
    assert summary(response) == [
        ("long_term_vacancy_types", "Long term vacancy types: Choose at least one long term vacancy type."),
        ("languages", "Languages, 42: String does not match expected pattern.")]
    shown = page(response)
    assert shown.find(id="long_term_vacancy_types") is not None  # where the summary's link leads
    assert [i["value"] for i in shown.select("input[type=checkbox][checked]")] == ["respite_care"]
    assert shown.find(id="languages")["value"] == "42"



@pytest.mark.parametrize("role, lands_on", [(Role.NON_CARE_HOME_USER, "/search"), (Role.CARE_HOME_USER, "/capacity"),
                                            (Role.BROKER, "/capacity")])
def test_each_person_lands_on_the_page_of_their_job(browser, backend, token, role, lands_on):
    sign_in(browser, backend, token, role)
    assert browser.get("/start").headers["Location"] == lands_on


# -- search ---------------------------------------------------------------------------------------------
FOUND = {"page": 1, "per_page": 20, "has_more": True, "searched_at": "2026-03-02T09:00:00+00:00",
         "origin": {"postcode": "LS1 4AP", "precision": "postcode", "latitude": 53.8, "longitude": -1.55},
         "results": [{
             "location_id": "1-1", "name": "Willow House", "distance_miles": 1.234, "telephone": "0113 496 0001",
             "address": {"street_address": "1 Park Row", "address_line_2": None, "city": "Leeds",
                         "postcode": "LS1 5AB"}, "cqc": {"overall_rating": "Good"}, "admission_status": "accepting",
             "total_accepting": 3, "last_updated": "2026-02-28T10:00:00+00:00", "stale": True,
             "vacancies": [{"vacancy_type": "dementia_nursing", "weekly_price_from": "1100.00",
                            "vacant_accepting": 3, "flexible": True}],
             "short_stay_prices": {"respite_care": "900.00"}, "out_of_hours_admissions": True,
             "notes": [{"text": "Hoist in every room"}]}]}


def test_a_search_from_a_postcode_lists_homes_and_keeps_the_search_in_the_address(browser, backend, token):
    sign_in(browser, backend, token, Role.NON_CARE_HOME_USER)
    assert page(browser.get("/search")).find(id="postcode")["value"] == ""
    backend.answers[("search", "find_vacancies")] = lambda **kwargs: json.dumps(FOUND)
    response = browser.get("/search?postcode=ls14ap&radius_miles=10&vacancy_types=dementia_nursing"
                           "&max_weekly_price=%C2%A31,200&funding_sources=local_authority&accepting_today=true")
    assert response.status_code == 200
    sent = backend.sent_to("search", "find_vacancies")["query"]
    assert (sent["postcode"], sent["radius_miles"], sent["vacancy_types"], sent["max_weekly_price"],
            sent["funding_sources"]) == ("LS1 4AP", 10.0, ["dementia_nursing"], "1200.00", ["local_authority"])
    shown = page(response)
    card = shown.select_one('[data-result="1-1"]').get_text(" ", strip=True)
    for expected in ("Willow House", "1.2 miles", "3 accepting admissions", "Dementia nursing: 3 from £1100.00 a week "
                     "(flexible)", "Respite care: from £900.00 a week", "Not updated for over 48 hours",
                     "1 Park Row, Leeds, LS1 5AB", "Good", "Hoist in every room"):
        assert expected in card, expected
    assert shown.select_one('[data-result="1-1"] a[href^="tel:"]')["href"] == "tel:01134960001"
    assert shown.find(id="radius_miles")["value"] == "10"  # the form keeps the search
    assert shown.find("details").has_attr("open")  # a price and funding were asked: "More filters" shows them
    following = shown.select_one("a[rel=next]")["href"]
    assert "page=2" in following and "postcode=ls14ap" in following
    assert shown.find("a", string="CSV")["href"].startswith("/search/export.csv?postcode=ls14ap")


def test_a_bad_search_names_each_field_and_asks_nothing(browser, backend, token):
    sign_in(browser, backend, token, Role.NON_CARE_HOME_USER)
    response = browser.get("/search?radius_miles=10&stay=short_stay&vacancy_types=general_nursing")
    assert response.status_code == 422
    assert {field for field, _ in summary(response)} == {"postcode", "radius_miles", "vacancy_types"}
    absurd = browser.get("/search?postcode=LS1+4AP&radius_miles=1000")
    assert summary(absurd) == [("radius_miles", "Within: Must be greater than or equal to 0.1 and less than or "
                                                "equal to 500.")]
    assert page(absurd).find(id="radius_miles")["value"] == "1000"
    assert not page(absurd).find("details").has_attr("open")  # nothing asked among the other filters
    assert ("search", "find_vacancies") not in backend.calls


def test_an_unknown_postcode_is_named_by_the_service(browser, backend, token):
    sign_in(browser, backend, token, Role.NON_CARE_HOME_USER)
    backend.answers[("search", "find_vacancies")] = service_errors.InvalidInput(
        fields={"postcode": ["No postcode ZZ99 9ZZ is known, nor its district."]})
    response = browser.get("/search?postcode=ZZ99+9ZZ")
    assert summary(response) == [("postcode", "Postcode: No postcode ZZ99 9ZZ is known, nor its district.")]


def test_care_home_users_cannot_search(browser, backend, token):
    sign_in(browser, backend, token, Role.CARE_HOME_USER)
    for path in ("/search?postcode=LS1+4AP", "/search/export.csv?postcode=LS1+4AP"):
        response = browser.get(path)
        assert response.status_code == 403
    assert ("search", "find_vacancies") not in backend.calls and ("search", "export_vacancies") not in backend.calls


def test_a_search_downloads_as_a_file(browser, backend, token):
    sign_in(browser, backend, token, Role.NON_CARE_HOME_USER)
    backend.answers[("search", "export_vacancies")] = lambda **kwargs: {
        "content": base64.b64encode(b"name,distance\r\nWillow House,1.2\r\n").decode(), "content_type": "text/csv",
        "file_name": "vacancies.csv", "rows": 1, "truncated": False}
    response = browser.get("/search/export.csv?postcode=LS1+4AP&vacancy_types=dementia_nursing")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="vacancies.csv"'
    assert response.data.splitlines()[1] == b"Willow House,1.2"
    assert backend.sent_to("search", "export_vacancies")["query"]["format"] == "csv"
    assert browser.get("/search/export.pdf?postcode=LS1+4AP").status_code == 422



# -- people ---------------------------------------------------------------------------------------------
PEOPLE = [{"id": "u-7", "name": "Robin Reed", "email": "robin@care.example", "level": "standard", "status": "active",
           "generic": False, "api_user": False, "last_login_at": "2026-03-01T16:20:00+00:00", "locked_until": None},
          {"id": "u-8", "name": "Feed", "email": "feed@care.example", "level": "standard", "status": "active",
           "generic": False, "api_user": True, "last_login_at": None, "locked_until": None},
          {"id": "u-9", "name": "Sam Left", "email": "sam@care.example", "level": "standard", "status": "deactivated",
           "generic": False, "api_user": False, "last_login_at": None, "locked_until": None}]


def test_approvers_see_their_organisations_people_and_act_for_them(browser, backend, token):
    sign_in(browser, backend, token, Role.APPROVER)
    backend.answers[("identity", "list_users")] = PEOPLE
    shown = page(browser.get("/users"))
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "prov-a"
    assert [card["data-user"] for card in shown.select("[data-user]")] == ["u-7", "u-9"]  # API users are not people
    robin = shown.select_one('[data-user="u-7"]')
    assert "1 March 2026 at 4:20pm" in robin.get_text(" ", strip=True)
    assert shown.select_one('[data-user="u-9"] form') is None  # nothing to do for someone deactivated

    backend.answers[("identity", "reset_password")] = lambda **kwargs: {}
    response = browser.post("/users/u-7/password-reset", data={"name": "Robin Reed",
                                                                "csrf_token": csrf_of(browser, "/users")})
    assert backend.sent_to("identity", "reset_password")["user_id"] == "u-7"
    assert notices(browser.get(response.headers["Location"])) == [
        "Robin Reed has been emailed a new one-time password."]

    backend.answers[("identity", "deactivate_user")] = service_errors.Conflict("You cannot deactivate your own account.")
    response = browser.post("/users/u-1/deactivation", data={"name": "Me", "csrf_token": csrf_of(browser, "/users")})
    shown = page(browser.get(response.headers["Location"]))
    assert shown.select_one(".govuk-error-summary").get_text(" ", strip=True).endswith(
        "You cannot deactivate your own account.")
    assert browser.post("/users/u-7/promotion", data={"csrf_token": csrf_of(browser, "/users")}).status_code == 404


def test_people_pages_are_refused_where_identity_refuses(browser, backend, token):
    sign_in(browser, backend, token, Role.CARE_HOME_USER)
    backend.answers[("identity", "reset_password")] = service_errors.NotFound("No such user.")
    response = browser.post("/users/u-7/password-reset", data={"csrf_token": csrf_of(browser, "/sign-in")})
    assert response.status_code == 404


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
    assert summary(response) == [("choice", "Where you work: choose your care home or organisation")]
    assert ("identity", "register") not in backend.calls

    backend.answers[("identity", "register")] = service_errors.Conflict(
        "An account or application already exists for this email address.")
    response = browser.post("/register", data={"place": "alder", "choice": "prov-a|", "name": "Robin",
                                               "email": "robin@alder-care.example", "level": "approver",
                                               "csrf_token": csrf})
    assert summary(response) == [(None, "An account or application already exists for this email address.")]
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
