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


# -- one sign-in budget across every route that checks a password ---------------------------------
@pytest.fixture
def shared(monkeypatch, services):
    """An app allowing 4 password checks a minute per address, 3 per account,
    3 forgotten-password requests an hour per address and 2 per account."""
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN", "4 per minute")
    monkeypatch.setenv("RATE_LIMIT_SIGN_IN_ACCOUNT", "3 per minute")
    monkeypatch.setenv("RATE_LIMIT_PASSWORD_RESET", "3 per hour")
    monkeypatch.setenv("RATE_LIMIT_PASSWORD_RESET_ACCOUNT", "2 per hour")
    services.answers[("identity", "authenticate")] = {"access_token": "t", "token_type": "bearer",
                                                      "expires_in": 900}
    services.answers[("identity", "change_password")] = None
    services.answers[("identity", "request_password_reset")] = None
    return create_app(services)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def check_password(client, route: str, email: str) -> int:
    """One password check on one of the four routes that make them."""
    password = {"email": email, "current_password": "Heron-Valley-Beacon-27", "new_password": "Teal-Orchard-Compass-81"}
    if route == "/api/v1/auth/token":
        return client.post(route, json={"email": email, "password": "Heron-Valley-Beacon-27"}).status_code
    if route == "/api/v1/auth/password":
        return client.post(route, json=password).status_code
    form = {"email": email, "password": "Heron-Valley-Beacon-27"} if route == "/sign-in" else \
        {**password, "confirm_password": password["new_password"]}
    return client.post(route, data={**form, "csrf_token": csrf_token(client.get(route))}).status_code


PASSWORD_ROUTES = ["/api/v1/auth/token", "/sign-in", "/api/v1/auth/password", "/account/password"]


def password_checks(services) -> int:
    return sum(services.calls.count(("identity", m)) for m in ("authenticate", "change_password"))


def test_the_four_routes_that_check_a_password_share_one_budget_per_address(shared, services):
    client = from_address(shared, "203.0.113.5")
    answers = [check_password(client, route, f"person{n}@care.example") for n, route in enumerate(PASSWORD_ROUTES)]
    assert 429 not in answers and password_checks(services) == 4
    for route in PASSWORD_ROUTES:  # whichever route comes next, the address has spent its budget
        assert check_password(client, route, "someone.else@care.example") == 429
    assert password_checks(services) == 4
    assert check_password(from_address(shared, "203.0.113.6"), "/sign-in", "person0@care.example") != 429


def test_one_account_has_one_budget_whatever_the_address_route_or_case(shared, services):
    tries = [(from_address(shared, "198.51.100.1"), "/api/v1/auth/token", "casey@care.example"),
             (from_address(shared, "198.51.100.2"), "/sign-in", " Casey@Care.example "),
             (from_address(shared, "198.51.100.3"), "/api/v1/auth/password", "CASEY@care.example")]
    assert [check_password(*attempt) for attempt in tries] != [429] * 3
    assert password_checks(services) == 3
    assert check_password(from_address(shared, "198.51.100.4"), "/account/password", "casey@care.example") == 429
    assert password_checks(services) == 3
    assert check_password(from_address(shared, "198.51.100.4"), "/api/v1/auth/token", "robin@care.example") == 200


def test_no_email_is_kept_in_the_counts(shared, services):
    check_password(shared.test_client(), "/api/v1/auth/token", "casey@care.example")
    keys = [key.decode() for key in services.session_store.scan_iter("*LIMITER/tracker:rate-limit/*")]
    assert keys and not [key for key in keys if "casey" in key.lower()]


def test_forgotten_password_links_have_their_own_budgets(shared, services):
    client = from_address(shared, "192.0.2.10")
    for n in range(4):
        check_password(client, "/api/v1/auth/token", f"person{n}@care.example")
    assert check_password(client, "/sign-in", "x@care.example") == 429  # signing in is spent...

    def ask(app_client, email):
        return app_client.post("/api/v1/auth/password-reset-links", json={"email": email}).status_code
    assert ask(client, "casey@care.example") == 202  # ...asking for a link is not
    page_client = from_address(shared, "192.0.2.11")
    form = {"email": "Casey@care.example", "csrf_token": csrf_token(page_client.get("/forgotten-password"))}
    assert page_client.post("/forgotten-password", data=form).status_code == 200
    assert ask(from_address(shared, "192.0.2.12"), "casey@care.example") == 429  # 2 an hour to one address
    assert services.calls.count(("identity", "request_password_reset")) == 2
    assert [ask(client, f"p{n}@care.example") for n in range(3)] == [202, 202, 429]  # 3 an hour per address
