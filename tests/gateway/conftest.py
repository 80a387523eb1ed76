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
    """token(*roles, issued=NOW, lifetime=900, user_id="u-1", organisation="prov-a", aligned=()):
    a signed access token (aligned: the ONS codes of the areas the organisation serves)."""
    def issue(*roles: Role, issued: datetime = NOW, lifetime: int = 900, user_id: str = "u-1",
              organisation: str = "prov-a", aligned=()) -> str:
        principal = Principal(user_id, organisation, frozenset(roles), aligned_codes=frozenset(aligned))
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
    """sign_in(*roles, lifetime=900, user_id="u-1", organisation="prov-a", aligned=()): signed in on
    the web pages (a care home user by default)."""
    from tracker_common.testing import csrf_token

    def _sign_in(*roles: Role, lifetime: int = 900, **who) -> None:
        backend.answers[("identity", "authenticate")] = {
            "access_token": token(*(roles or (Role.CARE_HOME_USER,)), lifetime=lifetime, **who),
            "token_type": "bearer", "expires_in": lifetime}
        response = browser.post("/sign-in", data={"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
                                                  "csrf_token": csrf_token(browser.get("/sign-in"))})
        assert response.status_code == 302, response.get_data(as_text=True)
    return _sign_in


# -- people signing in on the pages, by who they are -------------------------------------------------
LEEDS, WAKEFIELD = "E08000035", "E08000036"
PEOPLE_OF = {  # who signs in: (organisation, roles, aligned codes)
    "administrator": ("ct-national", {Role.ADMIN, Role.NON_CARE_HOME_USER, Role.APPROVER}, ()),
    "approver": ("prov-a", {Role.CARE_HOME_USER, Role.APPROVER}, ()),
    "standard user": ("prov-a", {Role.CARE_HOME_USER}, ()),
    "another organisation's approver": ("la-wakefield", {Role.NON_CARE_HOME_USER, Role.APPROVER}, (WAKEFIELD,)),
    "Leeds broker": ("la-leeds", {Role.NON_CARE_HOME_USER, Role.BROKER}, (LEEDS,)),
    "Wakefield broker": ("la-wakefield", {Role.NON_CARE_HOME_USER, Role.BROKER}, (WAKEFIELD,)),
}


@pytest.fixture
def signed_in_as(sign_in, backend):
    """signed_in_as(who): signed in on the pages as one of PEOPLE_OF (the calls of signing in forgotten)."""
    def _signed_in_as(who: str) -> None:
        organisation, roles, aligned = PEOPLE_OF[who]
        sign_in(*roles, organisation=organisation, aligned=aligned)
        backend.calls.clear()
    return _signed_in_as


def form(browser, path: str = "", **fields) -> dict:
    """A form's fields with the session's CSRF token."""
    from tracker_common.testing import csrf_token
    return {"csrf_token": csrf_token(browser.get("/sign-in")), **fields}


# -- a location, as the providers service shows it -------------------------------------------------
HOME = "1-000000001"
HERE = f"/locations/{HOME}"
LOCATION = {
    "location_id": HOME, "organisation_id": "prov-a", "provider_name": "Willow Care Ltd", "name": "Willow House",
    "kind": "care_home", "active": True, "street_address": "1 Park Row", "address_line_2": None, "city": "Leeds",
    "county": None, "postcode": "LS1 4AP", "telephone": "0113 496 0000", "website": "www.willowhouse.example",
    "la_code": "E08000035", "sub_icb_code": "E38000225", "registered_beds": 30, "overall_rating": "Good",
    "rating_published": "2025-06-12", "regulated_activities": ["Accommodation for persons who require nursing or "
                                                               "personal care"],
    "service_types": ["Care home service with nursing"], "service_user_bands": ["Dementia", "Older people"],
    "specialisms": ["Dementia"], "dormant": False, "cqc_refreshed_at": "2026-03-01T02:00:00+00:00",
    "care_types": ["residential", "nursing"], "funding_sources": ["local_authority", "private"],
    "out_of_hours_admissions": True,
    "manager": {"name": "Casey Jones", "email": "casey@care.example", "phone": "0113 496 0001", "nhsmail": None},
    "rooms": {"en_suite": False, "equipment": ["hoist"], "accessibility": ["lift", "wheelchair"]},
    "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["general_residential"],
    "languages": ["English", "Polish"], "reminders_enabled": True, "contracts": [],
    "notes": [{"id": "n-1", "text": "Hoist in every room.", "author_id": "u-1",
               "updated_at": "2026-02-20T10:00:00+00:00"},
              {"id": "n-2", "text": "Lift out of order until April.", "author_id": "u-9",
               "updated_at": "2026-03-01T16:20:00+00:00"}],
    "contacts": [{"id": "c-1", "role": "Deputy manager", "name": "Robin Reed", "email": "robin@care.example",
                  "phone": "0113 496 0002"}]}


def at_home(backend, **changes) -> None:
    """The providers service knows HOME (as LOCATION, with `changes`)."""
    backend.answers[("providers", "get_location")] = {**LOCATION, **changes}
