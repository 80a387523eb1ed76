"""Rate limits on what anyone may call without signing in, counted per
client address in the real Redis: the request over the limit is refused
before it reaches a service, other addresses carry on, and a Redis that
cannot answer lets requests through."""
from __future__ import annotations

import pytest

from gateway.app import create_app
from tracker_common.testing import csrf_token, page

TOKEN_BODY = {"email": "casey@care.example", "password": "Heron-Valley-Beacon-27"}


@pytest.fixture
def strict(monkeypatch, services):
    """An app allowing 3 sign-ins and 2 public lookups a minute per address."""
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN", "3 per minute")
    monkeypatch.setenv("RATE_LIMIT_PUBLIC", "2 per minute")
    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer",
                                                      "expires_in": 900}
    return create_app(services)


def sign_ins(services) -> int:
    return services.calls.count(("identity", "authenticate"))


def test_signing_in_too_often_from_one_address_is_refused_before_identity_is_asked(strict, services):
    client = strict.test_client()
    assert [client.post("/api/v1/auth/token", json=TOKEN_BODY).status_code for _ in range(3)] == [200] * 3
    refused = client.post("/api/v1/auth/token", json=TOKEN_BODY)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "too_many_requests" and "3 per 1 minute" in refused.json["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert sign_ins(services) == 3
    other = strict.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post("/api/v1/auth/token", json=TOKEN_BODY).status_code == 200


def test_a_person_gets_a_page_and_reading_the_sign_in_page_is_not_counted(strict, services):
    client = strict.test_client()
    for _ in range(5):
        assert client.get("/sign-in").status_code == 200

    def attempt():
        return client.post("/sign-in", data={**TOKEN_BODY, "csrf_token": csrf_token(client.get("/sign-in"))})
    for _ in range(3):
        assert attempt().status_code != 429
    refused = attempt()
    assert refused.status_code == 429 and sign_ins(services) == 3
    assert page(refused).find("h1").get_text(strip=True) == "Too many attempts"


def test_the_public_bed_state_is_limited_too(strict, services):
    services.answers[("reporting", "bed_state")] = {"area": {}, "generated_at": "", "locations": [], "totals": [],
                                                    "total_accepting": 0}
    client = strict.test_client()
    statuses = [client.get("/api/v1/reports/bed-state?la_code=E08000016").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_a_trusted_proxy_each_forwarded_address_counts_on_its_own(monkeypatch, services):
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN", "1 per minute")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer",
                                                      "expires_in": 900}
    client = create_app(services).test_client()

    def from_(address):
        return client.post("/api/v1/auth/token", json=TOKEN_BODY, headers={"X-Forwarded-For": address}).status_code
    assert [from_("198.51.100.1"), from_("198.51.100.2"), from_("198.51.100.1")] == [200, 200, 429]


def test_when_redis_cannot_answer_requests_go_through(monkeypatch, services):
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN", "1 per minute")
    services.redis_url = "redis://127.0.0.1:1/0"  # nothing listens there
    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer",
                                                      "expires_in": 900}
    client = create_app(services).test_client()
    assert [client.post("/api/v1/auth/token", json=TOKEN_BODY).status_code for _ in range(3)] == [200] * 3
