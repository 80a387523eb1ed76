"""The second factor at the edge: the pages after the password (the code, a
recovery code, setting up an app with its QR code and typed key, the
recovery codes shown once), a person's own page, an administrator's reset
on the people page, and the API (the token only after the code, API keys
untouched). Identity is the fake of conftest: what it decides (who needs a
code, whether one is right) is tested in tests/identity/test_mfa.py."""
from __future__ import annotations

from xml.etree import ElementTree

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

CHALLENGE = "gAAAAAB-a-sealed-challenge"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ENROLMENT = {"secret": SECRET, "otpauth_uri": f"otpauth://totp/Capacity%20Tracker:ana%40barnsley.gov.uk?"
                                              f"secret={SECRET}&issuer=Capacity%20Tracker"}
CODES = [f"abcd-efgh-{n:04d}" for n in range(10)]


def needs(error_class):
    return error_class("A code is needed.", mfa_token=CHALLENGE, expires_in=300)


def password_step(browser, backend, refusal, next_page="/capacity"):
    """Sign in with the right password of an account identity asks a code of."""
    backend.answers[("identity", "authenticate")] = needs(refusal)
    return browser.post("/sign-in", data={"email": "ana@barnsley.gov.uk", "password": "Heron-Valley-Beacon-27",
                                          "next": next_page, "csrf_token": csrf_token(browser.get("/sign-in"))})


def signed_in_on(browser, backend) -> bool:
    backend.answers[("identity", "mfa_status")] = {"enabled": True, "enabled_at": None, "required": True,
                                                   "recovery_codes_left": 10}
    return browser.get("/account/mfa").status_code == 200


# -- signing in with a code ----------------------------------------------------------------------
def test_after_the_password_a_privileged_person_is_asked_for_a_code_before_any_page(browser, backend, token):
    asked = password_step(browser, backend, service_errors.MfaRequired)
    assert asked.status_code == 302 and asked.headers["Location"] == "/sign-in/code"
    assert browser.get("/capacity").headers["Location"].startswith("/sign-in")  # not signed in yet

    shown = browser.get("/sign-in/code")
    field = page(shown).find("input", {"name": "code"})
    assert (field["autocomplete"], field["inputmode"]) == ("one-time-code", "numeric")
    assert page(shown).find("a", href="/sign-in/code?recovery=yes")

    backend.answers[("identity", "complete_sign_in")] = {"access_token": token(Role.APPROVER),
                                                         "token_type": "bearer", "expires_in": 900}
    done = browser.post("/sign-in/code", data={"code": " 123456 ", "csrf_token": csrf_token(shown)})
    assert done.status_code == 302 and done.headers["Location"] == "/capacity"
    assert backend.sent_to("identity", "complete_sign_in")["payload"] == {"mfa_token": CHALLENGE, "code": "123456"}
    assert backend.sent_to("identity", "complete_sign_in")["client"]["address"] == "127.0.0.1"  # for the audit
    assert signed_in_on(browser, backend)
    assert browser.get("/sign-in/code").headers["Location"] == "/sign-in"  # nothing pending any more


def test_a_recovery_code_is_typed_in_a_text_box(browser, backend):
    password_step(browser, backend, service_errors.MfaRequired)
    field = page(browser.get("/sign-in/code?recovery=yes")).find("input", {"name": "code"})
    assert field.get("inputmode") is None and field["autocomplete"] == "off"


def test_a_wrong_code_is_shown_on_the_form_and_a_lock_or_an_old_challenge_means_signing_in_again(browser, backend):
    password_step(browser, backend, service_errors.MfaRequired)
    form = browser.get("/sign-in/code")
    backend.answers[("identity", "complete_sign_in")] = service_errors.InvalidMfaCode()
    wrong = browser.post("/sign-in/code", data={"code": "000000", "csrf_token": csrf_token(form)})
    assert wrong.status_code == 401
    [(field, text)] = error_summary(wrong)
    assert field == "code" and "count with wrong passwords" in text

    backend.answers[("identity", "complete_sign_in")] = service_errors.AccountLocked(
        "The account is locked after too many wrong passwords.", locked_until="2026-03-03T09:00:00+00:00")
    locked = browser.post("/sign-in/code", data={"code": "000000", "csrf_token": csrf_token(form)})
    assert locked.headers["Location"] == "/sign-in"
    assert error_summary(browser.get("/sign-in")) == [(None, "The account is locked after too many wrong passwords.")]
    assert browser.get("/sign-in/code").headers["Location"] == "/sign-in"

    password_step(browser, backend, service_errors.MfaRequired)
    form = browser.get("/sign-in/code")  # (a new session: a new CSRF token)
    backend.answers[("identity", "complete_sign_in")] = service_errors.NotAuthenticated("expired")
    expired = browser.post("/sign-in/code", data={"code": "123456", "csrf_token": csrf_token(form)})
    assert expired.headers["Location"] == "/sign-in"
    assert "took too long" in error_summary(browser.get("/sign-in"))[0][1]


def test_a_badly_typed_code_is_refused_by_identity_and_named(browser, backend):
    password_step(browser, backend, service_errors.MfaRequired)
    form = browser.get("/sign-in/code")
    backend.answers[("identity", "complete_sign_in")] = service_errors.InvalidInput(
        "bad", fields={"code": ["Enter the 6-digit code or a recovery code."]})
    refused = browser.post("/sign-in/code", data={"code": "12", "csrf_token": csrf_token(form)})
    assert refused.status_code == 422
    assert error_summary(refused) == [("code", "Code: Enter the 6-digit code or a recovery code.")]


# -- setting up an authenticator app --------------------------------------------------------------
def test_who_must_have_mfa_and_has_none_sets_it_up_first_with_a_qr_code_and_the_key(browser, backend, token):
    asked = password_step(browser, backend, service_errors.MfaEnrolmentRequired, next_page="/applications")
    assert asked.headers["Location"] == "/sign-in/set-up-mfa"
    backend.answers[("identity", "begin_mfa_enrolment")] = ENROLMENT

    shown = browser.get("/sign-in/set-up-mfa")
    html = page(shown)
    assert html.select_one("#key").get_text() == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    image = html.find("img", src="/sign-in/set-up-mfa/qr.svg")
    assert "type the key" in image["alt"]
    assert not html.find("script") and not html.find("style") and not html.select("[style]")
    assert backend.sent_to("identity", "begin_mfa_enrolment")["payload"] == {"mfa_token": CHALLENGE}

    policy = dict(part.strip().split(" ", 1) for part in shown.headers["Content-Security-Policy"].split(";")
                  if part.strip())
    assert policy["img-src"] == "'self'" and "unsafe-inline" not in shown.headers["Content-Security-Policy"]
    qr = browser.get("/sign-in/set-up-mfa/qr.svg")
    assert qr.mimetype == "image/svg+xml" and qr.headers["Cache-Control"] == "no-store"
    svg = ElementTree.fromstring(qr.get_data())
    assert svg.tag.endswith("svg") and svg.get("viewBox")
    assert not [e for e in svg.iter() if e.tag.endswith("script") or "style" in e.attrib]

    backend.answers[("identity", "confirm_mfa_enrolment")] = {
        "access_token": token(Role.APPROVER), "token_type": "bearer", "expires_in": 900, "recovery_codes": CODES}
    done = browser.post("/sign-in/set-up-mfa", data={"code": "654321", "csrf_token": csrf_token(shown)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert [li.get_text(strip=True) for li in page(done).select("#recovery-codes li")] == CODES
    assert page(done).find("a", href="/applications")
    assert backend.sent_to("identity", "confirm_mfa_enrolment")["payload"] == {"mfa_token": CHALLENGE,
                                                                               "code": "654321"}
    assert signed_in_on(browser, backend)


def test_a_wrong_first_code_shows_the_key_again_with_the_error(browser, backend):
    password_step(browser, backend, service_errors.MfaEnrolmentRequired)
    backend.answers[("identity", "begin_mfa_enrolment")] = ENROLMENT
    form = browser.get("/sign-in/set-up-mfa")
    backend.answers[("identity", "confirm_mfa_enrolment")] = service_errors.InvalidMfaCode()
    wrong = browser.post("/sign-in/set-up-mfa", data={"code": "000000", "csrf_token": csrf_token(form)})
    assert wrong.status_code == 401 and error_summary(wrong)[0][0] == "code"
    assert page(wrong).select_one("#key").get_text().startswith("JBSW")


def test_nothing_of_setting_up_is_shown_without_a_password_first(browser, backend):
    assert browser.get("/sign-in/set-up-mfa").headers["Location"] == "/sign-in"
    assert browser.get("/sign-in/set-up-mfa/qr.svg").status_code == 404
    password_step(browser, backend, service_errors.MfaRequired)  # a code is asked, not a new app
    assert browser.get("/sign-in/set-up-mfa").headers["Location"] == "/sign-in"
    assert ("identity", "begin_mfa_enrolment") not in backend.calls


def test_a_care_home_user_identity_asks_no_code_of_goes_straight_in(browser, backend, token):
    backend.answers[("identity", "authenticate")] = {"access_token": token(Role.CARE_HOME_USER),
                                                     "token_type": "bearer", "expires_in": 900}
    signed = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                            "next": "/capacity", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert signed.headers["Location"] == "/capacity"
    assert ("identity", "complete_sign_in") not in backend.calls


# -- your own second factor --------------------------------------------------------------------------
def test_a_person_sees_their_second_factor_and_gets_new_recovery_codes_with_a_code(browser, backend, sign_in):
    sign_in(Role.APPROVER)
    backend.answers[("identity", "mfa_status")] = {"enabled": True, "enabled_at": "2026-03-01T09:00:00+00:00",
                                                   "required": True, "recovery_codes_left": 7}
    shown = browser.get("/account/mfa")
    assert page(shown).select_one("#codes-left").get_text(strip=True) == "7 of 10"

    backend.answers[("identity", "regenerate_recovery_codes")] = service_errors.InvalidMfaCode()
    wrong = browser.post("/account/mfa", data={"code": "000000", "csrf_token": csrf_token(shown)})
    assert wrong.status_code == 401 and error_summary(wrong)[0][0] == "code"

    backend.answers[("identity", "regenerate_recovery_codes")] = {"recovery_codes": CODES}
    fresh = browser.post("/account/mfa", data={"code": "123456", "csrf_token": csrf_token(shown)})
    assert fresh.headers["Cache-Control"] == "no-store"
    assert [li.get_text(strip=True) for li in page(fresh).select("#recovery-codes li")] == CODES
    assert backend.sent_to("identity", "regenerate_recovery_codes")["payload"] == {"code": "123456"}


def test_the_own_second_factor_page_needs_signing_in(browser, backend):
    assert browser.get("/account/mfa").headers["Location"].startswith("/sign-in")
    assert backend.calls == []


# -- an administrator's reset on the people page --------------------------------------------------------
PERSON = {"id": "u-2", "name": "Ana Lopez", "email": "ana@barnsley.gov.uk", "organisation_id": "prov-a",
          "level": "approver", "status": "active", "generic": False, "api_user": False, "roles": ["approver"],
          "all_locations": True, "location_ids": [], "last_login_at": None, "password_expires_at": None,
          "locked_until": None, "mfa_enabled": True}


@pytest.mark.parametrize("role, offered", [(Role.ADMIN, True), (Role.APPROVER, False)])
def test_only_administrators_are_offered_the_reset(browser, backend, sign_in, role, offered):
    sign_in(role)
    backend.answers[("identity", "list_users")] = [PERSON]
    shown = page(browser.get("/users"))
    assert bool(shown.find("form", action="/users/u-2/mfa-reset")) is offered
    assert "Set up" in shown.find("div", {"data-user": "u-2"}).get_text()


def test_an_administrator_resets_a_persons_second_factor(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    backend.answers[("identity", "list_users")] = [PERSON]
    form = browser.get("/users")
    backend.answers[("identity", "reset_mfa")] = {**PERSON, "mfa_enabled": False}
    done = browser.post("/users/u-2/mfa-reset", data={"name": "Ana Lopez", "csrf_token": csrf_token(form)})
    assert done.headers["Location"] == "/users"
    assert backend.sent_to("identity", "reset_mfa")["user_id"] == "u-2"
    assert "Ana Lopez's authenticator app is reset" in notices(browser.get("/users"))[0]


def test_a_refused_reset_is_shown_and_changes_nothing(browser, backend, sign_in):
    sign_in(Role.APPROVER)
    backend.answers[("identity", "list_users")] = [PERSON]
    form = browser.get("/users")
    backend.answers[("identity", "reset_mfa")] = service_errors.Forbidden()
    assert browser.post("/users/u-2/mfa-reset", data={"name": "Ana Lopez",
                                                      "csrf_token": csrf_token(form)}).status_code == 403


# -- the API ---------------------------------------------------------------------------------------------
def test_the_token_answer_says_a_code_is_needed_and_carries_the_challenge(client, services):
    services.answers[("identity", "authenticate")] = needs(service_errors.MfaRequired)
    refused = client.post("/api/v1/auth/token", json={"email": "ana@barnsley.gov.uk", "password": "Heron-Valley-27"})
    body = refused.get_json()
    assert refused.status_code == 403 and "access_token" not in body
    assert (body["code"], body["mfa_token"], body["expires_in"]) == ("mfa_required", CHALLENGE, 300)

    services.answers[("identity", "authenticate")] = needs(service_errors.MfaEnrolmentRequired)
    assert client.post("/api/v1/auth/token", json={"email": "ana@barnsley.gov.uk", "password": "x"}
                       ).get_json()["code"] == "mfa_enrolment_required"

    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer", "expires_in": 900}
    assert client.post("/api/v1/auth/token", json={"email": "ana@barnsley.gov.uk", "password": "x",
                                                   "code": "123456"}).status_code == 200
    assert services.sent_to("identity", "authenticate")["payload"]["code"] == "123456"


def test_the_second_step_and_setting_up_over_the_api(client, services):
    services.answers[("identity", "complete_sign_in")] = {"access_token": "t", "token_type": "bearer",
                                                          "expires_in": 900}
    assert client.post("/api/v1/auth/mfa", json={"mfa_token": CHALLENGE, "code": "123456"}).get_json()[
        "access_token"] == "t"
    services.answers[("identity", "begin_mfa_enrolment")] = ENROLMENT
    assert client.post("/api/v1/auth/mfa/enrolment", json={"mfa_token": CHALLENGE}).get_json() == ENROLMENT
    services.answers[("identity", "confirm_mfa_enrolment")] = {"access_token": "t", "token_type": "bearer",
                                                               "expires_in": 900, "recovery_codes": CODES}
    confirmed = client.post("/api/v1/auth/mfa/enrolment/confirmation", json={"mfa_token": CHALLENGE, "code": "1234 56"})
    assert confirmed.get_json()["recovery_codes"] == CODES
    services.answers[("identity", "complete_sign_in")] = service_errors.InvalidMfaCode()
    wrong = client.post("/api/v1/auth/mfa", json={"mfa_token": CHALLENGE, "code": "000000"})
    assert (wrong.status_code, wrong.get_json()["code"]) == (401, "invalid_mfa_code")


@pytest.mark.parametrize("body, field", [
    ({"mfa_token": CHALLENGE, "code": "12\r\n3456"}, "code"), ({"mfa_token": CHALLENGE, "code": "12"}, "code"),
    ({"mfa_token": CHALLENGE, "code": "<script>"}, "code"), ({"code": "123456"}, "mfa_token"),
    ({"mfa_token": "x" * 1001, "code": "123456"}, "mfa_token")])
def test_a_bad_second_step_is_refused_naming_the_field_before_identity(client, services, body, field):
    refused = client.post("/api/v1/auth/mfa", json=body)
    assert refused.status_code == 422 and field in str(refused.get_json()["errors"])
    assert services.calls == []


def test_own_status_and_recovery_codes_need_a_token(client, services, token):
    assert client.get("/api/v1/me/mfa").status_code == 401
    assert client.post("/api/v1/me/mfa/recovery-codes", json={"code": "123456"}).status_code == 401
    assert services.calls == []
    services.answers[("identity", "regenerate_recovery_codes")] = {"recovery_codes": CODES}
    answer = client.post("/api/v1/me/mfa/recovery-codes", json={"code": "123456"},
                         headers={"Authorization": f"Bearer {token(Role.APPROVER)}"})
    assert answer.get_json() == {"recovery_codes": CODES}
    assert services.sent_to("identity", "regenerate_recovery_codes")["actor"]["sub"] == "u-1"


@pytest.mark.parametrize("role", [Role.CARE_HOME_USER, Role.APPROVER, Role.SYSTEM_CHAMPION, Role.BROKER])
def test_only_administrators_may_reset_a_second_factor_over_the_api(client, services, token, role):
    refused = client.post("/api/v1/users/u-2/mfa-reset", headers={"Authorization": f"Bearer {token(role)}"})
    assert refused.status_code == 403 and services.calls == []


def test_an_administrator_resets_over_the_api(client, services, token):
    services.answers[("identity", "reset_mfa")] = {**PERSON, "mfa_enabled": False}
    done = client.post("/api/v1/users/u-2/mfa-reset", headers={"Authorization": f"Bearer {token(Role.ADMIN)}"})
    assert done.status_code == 200 and done.get_json()["mfa_enabled"] is False
    assert services.sent_to("identity", "reset_mfa")["user_id"] == "u-2"


def test_api_keys_are_untouched_by_mfa(client, services):
    services.answers[("identity", "authenticate_api_key")] = {
        "sub": "api-1", "org": "ct-national", "roles": ["api_user"], "all_locations": True, "locations": [],
        "aligned": [], "generic": False}
    services.answers[("identity", "me")] = {**PERSON, "id": "api-1", "api_user": True, "mfa_enabled": False}
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ctk_abc"}).status_code == 200
    assert ("identity", "authenticate") not in services.calls
