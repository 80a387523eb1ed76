"""The gateway on its own (no services): authentication, authorisation at the
edge, and the one error format. The services behind it are replaced by a
recorder that fails the test if a refused request reaches them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.rpc import ServiceTimeout, ServiceUnavailable


def auth(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


ADMIN_ONLY = [
    ("GET", "/api/v1/audit", None),
    ("POST", "/api/v1/terms", {"text": "New terms of use for everyone."}),
    ("POST", "/api/v1/api-users", {"name": "Feed", "email": "feed@example.org", "organisation_id": "ct-national"}),
    ("POST", "/api/v1/api-users/u-9/keys", {"label": "nightly export"}),
    ("GET", "/api/v1/api-users/u-9/keys", None),
    ("DELETE", "/api/v1/api-users/u-9/keys/k-1", None),
]


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
def test_administrator_endpoints_refuse_everyone_else_at_the_edge(client, services, method, path, body, token):
    for roles in [(Role.CARE_HOME_USER, Role.APPROVER), (Role.NON_CARE_HOME_USER, Role.BROKER,
                                                          Role.SYSTEM_CHAMPION), (Role.API_USER,)]:
        response = client.open(path, method=method, json=body, headers=auth(token(*roles)))
        assert response.status_code == 403, (roles, response.json)
        assert response.json["code"] == "forbidden"
    assert services.calls == []
    response = client.open(path, method=method, json=body, headers=auth(token(Role.ADMIN)))
    assert response.status_code < 300 and services.calls, response.json


def test_an_expired_token_is_refused(client, services, token):
    stale = token(Role.ADMIN, issued=services.clock.now() - timedelta(minutes=16))
    response = client.get("/api/v1/me", headers=auth(stale))
    assert response.status_code == 401 and "expired" in response.json["detail"]
    assert services.calls == []


def test_a_revoked_token_is_refused_and_a_newer_one_accepted(client, services, token):
    services.revocations.revoked_before["u-1"] = int((services.clock.now() - timedelta(minutes=1)).timestamp() * 1000)
    old = token(Role.CARE_HOME_USER, issued=services.clock.now() - timedelta(minutes=2))
    assert client.get("/api/v1/me", headers=auth(old)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(token(Role.CARE_HOME_USER))).status_code == 200


def test_without_redis_tokens_cannot_be_checked_so_requests_fail_closed(client, services, token):
    services.revocations.down = True
    response = client.get("/api/v1/me", headers=auth(token(Role.ADMIN)))
    assert response.status_code == 503 and response.json["code"] == "service_unavailable"
    assert services.calls == []


@pytest.mark.parametrize("error, status, code", [
    (service_errors.InvalidInput(fields={"name": ["bad"]}), 422, "invalid_input"),
    (service_errors.NotAuthenticated(), 401, "not_authenticated"),
    (service_errors.InvalidCredentials(), 401, "invalid_credentials"),
    (service_errors.AccountLocked(locked_until="2026-03-03T09:00:00+00:00"), 423, "account_locked"),
    (service_errors.PasswordChangeRequired(reason="first_login"), 403, "password_change_required"),
    (service_errors.TermsAcceptanceRequired(terms_version=2), 403, "terms_acceptance_required"),
    (service_errors.DisclaimerAcknowledgementRequired(), 403, "disclaimer_acknowledgement_required"),
    (service_errors.Forbidden(), 403, "forbidden"),
    (service_errors.NotFound(), 404, "not_found"),
    (service_errors.Conflict(), 409, "conflict"),
    (ServiceUnavailable("the identity service is not running"), 503, "service_unavailable"),
    (ServiceTimeout("the identity service did not answer"), 504, "service_timeout"),
])
def test_each_service_error_maps_to_one_status_and_code(client, services, error, status, code):
    services.answer = error
    response = client.post("/api/v1/auth/token", json={"email": "a@example.org", "password": "whatever"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code and response.json["status"] == status
    for extra in ("errors", "locked_until", "reason", "terms_version"):
        if extra in error.body:
            assert response.json[extra] == error.body[extra]


def test_every_error_type_has_a_status():
    error_types = [value for value in vars(service_errors).values()
                   if isinstance(value, type) and issubclass(value, service_errors.TrackerError)
                   and value is not service_errors.TrackerError]
    assert error_types and all(service_errors.http_status(cls()) != 500 for cls in error_types)


def test_an_error_survives_the_trip_across_rpc_unchanged():
    from nameko.exceptions import deserialize, serialize

    sent = service_errors.AccountLocked("Locked.", locked_until="2026-03-03T09:00:00+00:00", attempts=5)
    received = deserialize(serialize(sent))
    assert type(received) is service_errors.AccountLocked
    assert received.body == sent.body and received.body["attempts"] == 5


def test_a_bug_is_a_500_problem_that_leaks_nothing(client, services):
    services.answer = KeyError("secret internal detail")
    response = client.post("/api/v1/auth/token", json={"email": "a@example.org", "password": "whatever"})
    assert response.status_code == 500 and response.json["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/api/v1/no-such-thing", 404, "not_found"),
    ("DELETE", "/api/v1/auth/token", 405, "method_not_allowed"),
])
def test_routing_errors_use_the_same_format(client, method, path, status, code):
    response = client.open(path, method=method)
    assert response.status_code == status and response.json["code"] == code
    assert response.mimetype == "application/problem+json"


def test_the_docs_page_renders_every_documented_path(client):
    spec = client.get("/api/v1/openapi.json").json
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(path in text for path in spec["paths"])
