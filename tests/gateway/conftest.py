"""The gateway on its own: the services behind it are a fake that answers
as each test says and records every call (a refused request must never reach
them). Tokens are real, signed with the test keys."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.app import create_app
from tracker_common.clock import FrozenClock
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.keys import signing_key, verification_key
from tracker_common.tokens import issue_access_token

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Revocations:
    def __init__(self):
        self.revoked_before: dict[str, int] = {}
        self.down = False

    def is_revoked(self, user_id, issued_at_ms):
        if self.down:
            raise RedisConnectionError("redis is down")
        return issued_at_ms < self.revoked_before.get(user_id, 0)


class Services:
    """Stands in for the RPC pool. `answers[(service, method)]` is a value,
    an exception to raise or a function of the call's arguments; any other
    call gets `answer`."""

    def __init__(self):
        self.calls = []
        self.sent = []
        self.answer = {}
        self.answers = {}
        self.clock = FrozenClock(NOW)
        self.public_key = verification_key()
        self.revocations = Revocations()
        self.services = []
        self.token_lifetime = 900
        self.public_url = "http://localhost:8000"
        self.session_secret = b"a secret for tests only"
        self.session_store = redis.Redis.from_url(os.environ["REDIS_URL"])  # the test database of Redis
        self.redis_url = os.environ["REDIS_URL"]

    def call(self, service, method, **kwargs):
        self.calls.append((service, method))
        self.sent.append((service, method, kwargs))
        answer = self.answers.get((service, method), self.answer)
        if isinstance(answer, Exception):
            raise answer
        return answer(**kwargs) if callable(answer) else answer

    def sent_to(self, service, method) -> dict:
        """The arguments of the latest call of `service.method`."""
        return next(kwargs for s, m, kwargs in reversed(self.sent) if (s, m) == (service, method))


@pytest.fixture
def services():
    services = Services()
    # every test starts with no request counted against the rate limits
    from gateway.limits import KEY_PREFIX
    for key in services.session_store.scan_iter(f"*LIMITER/{KEY_PREFIX}/*"):  # as the limits library names them
        services.session_store.delete(key)
    return services


@pytest.fixture
def client(services):
    return create_app(services).test_client()


@pytest.fixture
def token():
    """token(*roles, issued=NOW, lifetime=900, user_id="u-1"): a signed access token."""
    def issue(*roles: Role, issued: datetime = NOW, lifetime: int = 900, user_id: str = "u-1") -> str:
        principal = Principal(user_id, "prov-a", frozenset(roles))
        return issue_access_token(principal, private_key=signing_key(), now=issued, lifetime_seconds=lifetime)
    return issue


# -- the web pages ------------------------------------------------------------------------------
@pytest.fixture
def backend(services):
    """For the web pages: every call a page makes must be answered by the test."""
    services.answer = AssertionError("the page called a service the test did not expect")
    return services


@pytest.fixture
def browser(client):
    return client


@pytest.fixture
def sign_in(browser, backend, token):
    """sign_in(*roles, lifetime=900): signed in on the web pages (a care home user by default)."""
    from tracker_common.testing import csrf_token

    def _sign_in(*roles: Role, lifetime: int = 900) -> None:
        backend.answers[("identity", "authenticate")] = {
            "access_token": token(*(roles or (Role.CARE_HOME_USER,)), lifetime=lifetime),
            "token_type": "bearer", "expires_in": lifetime}
        response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                                  "csrf_token": csrf_token(browser.get("/sign-in"))})
        assert response.status_code == 302, response.get_data(as_text=True)
    return _sign_in
