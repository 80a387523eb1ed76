"""Bad input gets a 4xx naming each bad field, and changes nothing."""
from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.system

GOOD = {"name": "Dana Example", "email": "dana@meadowbank-care.example", "organisation_id": "prov-meadowbank",
        "level": "standard"}


def state(system) -> tuple:
    users = system.identity_sql("SELECT count(*) FROM users")[0][0]
    events = system.identity_sql("SELECT count(*) FROM outbox")[0][0]
    applications = system.identity_sql("SELECT count(*) FROM applications")[0][0]
    return users, events, applications


CASES = [
    ("missing fields", {"email": GOOD["email"]}, 422, {"name", "organisation_id", "level"}),
    ("wrong types", {**GOOD, "name": 42, "generic": "perhaps", "level": ["approver"]}, 422,
     {"name", "generic", "level"}),
    ("unknown fields", {**GOOD, "is_admin": True, "roles": ["admin"]}, 422, {"is_admin", "roles"}),
    ("huge strings", {**GOOD, "name": "A" * 10_000, "email": "a" * 300 + "@example.org"}, 422, {"name", "email"}),
    ("markup in the name", {**GOOD, "name": "<script>alert('x')</script>"}, 422, {"name"}),
    ("SQL in the name", {**GOOD, "name": "Robert'); DROP TABLE users;--"}, 422, {"name"}),
    ("an invalid level", {**GOOD, "level": "superuser"}, 422, {"level"}),
    ("a malformed email", {**GOOD, "email": "dana at meadowbank"}, 422, {"email"}),
    ("a bad identifier", {**GOOD, "organisation_id": "../../etc/passwd"}, 422, {"organisation_id"}),
    ("an unknown organisation", {**GOOD, "organisation_id": "no-such-org"}, 422, {"organisation_id"}),
    ("a location of another organisation", {**GOOD, "location_id": "1-900000003"}, 422, {"location_id"}),
]


@pytest.mark.parametrize("case, body, status, fields", CASES, ids=[c[0] for c in CASES])
def test_invalid_registrations_are_refused_naming_each_field(system, case, body, status, fields):
    before = state(system)
    response = system.api("POST", "/api/v1/registrations", json=body)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["code"] == "invalid_input"
    assert set(problem["errors"]) == fields
    assert state(system) == before


@pytest.mark.parametrize("data, content_type, status, code", [
    ('{"name": "Dana", "email": ', "application/json", 400, "malformed_request"),
    ("[1, 2, 3]", "application/json", 422, "invalid_input"),
    ("name=Dana&email=dana@example.org", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("<registration><name>Dana</name></registration>", "text/xml", 415, "unsupported_media_type"),
], ids=["malformed JSON", "not an object", "a form", "XML"])
def test_bodies_that_are_not_json_objects_are_refused(system, data, content_type, status, code):
    before = state(system)
    response = system.api("POST", "/api/v1/registrations", data=data, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert state(system) == before


def test_a_body_over_the_size_limit_is_refused(system):
    before = state(system)
    response = system.api("POST", "/api/v1/registrations",
                          data='{"name": "' + "A" * 2_000_000 + '"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert state(system) == before


@pytest.mark.parametrize("body, fields", [
    ({"email": "x@example.org"}, {"password"}),
    ({"email": "x@example.org", "password": 12345}, {"password"}),
    ({"email": "x@example.org", "password": "p" * 5000}, {"password"}),
    ({"email": "x@example.org", "password": "secret", "accept_terms_version": "1"}, {"accept_terms_version"}),
])
def test_invalid_login_requests_name_the_field_and_count_no_failure(system, body, fields):
    before = system.identity_sql("SELECT coalesce(sum(failed_logins), 0) FROM users")[0][0]
    response = system.api("POST", "/api/v1/auth/token", json=body)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == fields
    assert system.identity_sql("SELECT coalesce(sum(failed_logins), 0) FROM users")[0][0] == before


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic YWRtaW46YWRtaW4=",
                                    "Bearer ctk_forged_key"])
def test_missing_or_forged_credentials_get_401(system, header):
    response = system.api("GET", "/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["code"] in ("not_authenticated", "invalid_credentials")


def test_a_token_signed_by_someone_else_is_refused(system):
    from datetime import datetime, timezone

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tracker_common.contracts.permissions import Principal, Role
    from tracker_common.tokens import issue_access_token

    forger = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = issue_access_token(Principal("someone", "ct-national", frozenset({Role.ADMIN})),
                               private_key=forger, now=datetime.now(timezone.utc), lifetime_seconds=600)
    assert system.api("GET", "/api/v1/audit", token=token).status_code == 401


def test_a_care_home_user_cannot_manage_another_organisations_users(system, unique):
    admin = system.admin_token()
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    email = f"erin@{org}.example"
    application = system.api("POST", "/api/v1/registrations", json={
        "name": "Erin Approver", "email": email, "organisation_id": org, "level": "approver"}).json()
    system.api("POST", f"/api/v1/applications/{application['id']}/decision", token=admin,
               json={"decision": "approve"})
    one_time = system.one_time_password(email)
    system.api("POST", "/api/v1/auth/password", json={"email": email, "current_password": one_time,
                                                      "new_password": "Maple-Quarry-Signal-64"})
    erin = system.login(email, "Maple-Quarry-Signal-64")

    admins = system.api("GET", "/api/v1/organisations/ct-national/users", token=erin)
    assert admins.status_code == 200 and admins.json()["users"] == []
    admin_id = system.identity_sql("SELECT id FROM users WHERE email = :e", e=system.env["ADMIN_EMAIL"])[0][0]
    for path in (f"/api/v1/users/{admin_id}/password-reset", f"/api/v1/users/{admin_id}/deactivation"):
        assert system.api("POST", path, token=erin).status_code == 404
    assert system.api("PUT", f"/api/v1/users/{admin_id}/permissions", token=erin,
                      json={"roles": ["broker"]}).status_code == 403
    assert system.identity_sql("SELECT status FROM users WHERE id = :i", i=admin_id)[0][0] == "active"


# -- the edge, through the real gunicorn ------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/locations/1-000000001/notes"])
def test_json_nested_without_end_is_a_400_not_a_500(system, path):
    before = state(system)
    response = system.api("POST", path, token=system.admin_token(), data="[" * 50_000 + "]" * 50_000,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {"body"}
    assert state(system) == before


@pytest.mark.parametrize("path, status, field", [
    ("/api/v1/locations/%00", 400, "path"), ("/api/v1/locations/%ff", 400, "path"),
    ("/api/v1/locations?name=Willow%00", 422, "name"), ("/api/v1/locations?name=%ff%fe", 422, "name")])
def test_a_nul_or_bytes_not_utf8_in_the_address_are_refused_naming_where(system, path, status, field):
    response = system.api("GET", path, token=system.admin_token())
    assert response.status_code == status, response.text
    assert set(response.json()["errors"]) == {field}


def signed_in_form(system) -> tuple[dict, dict]:
    """The sign-in form's CSRF token and the session cookie it belongs to (the
    cookie is Secure, PUBLIC_URL being https, so it is sent by hand)."""
    shown = requests.get(f"{system.base}/sign-in", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)
    return {"csrf_token": token}, {"Cookie": f"tracker_session={shown.cookies['tracker_session']}"}


def test_a_next_page_smuggling_a_header_cannot_break_signing_in(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    email = f"nina@{org}.example"
    system.onboard(name="Nina Example", email=email, organisation_id=org, location_id=home)
    form, cookie = signed_in_form(system)
    response = requests.post(f"{system.base}/sign-in", headers=cookie, allow_redirects=False, timeout=10, data={
        **form, "email": email, "password": "Heron-Valley-Beacon-27", "next": "/x\r\nSet-Cookie: evil=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "evil" not in str(response.raw.headers)


def test_answers_carry_the_security_headers_and_name_no_server(system):
    for response in (system.api("GET", "/api/v1/me", token=system.admin_token()),
                     requests.get(f"{system.base}/sign-in", timeout=10)):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")  # PUBLIC_URL is https
        assert response.headers["Cache-Control"] == "no-store"
        assert "Server" not in response.headers


def test_a_form_from_another_site_is_refused(system):
    form, cookie = signed_in_form(system)
    response = requests.post(f"{system.base}/sign-in", allow_redirects=False, timeout=10,
                             headers={**cookie, "Origin": "https://evil.example"},
                             data={**form, "email": system.env["ADMIN_EMAIL"],
                                   "password": system.env["ADMIN_PASSWORD"]})
    assert response.status_code == 403
