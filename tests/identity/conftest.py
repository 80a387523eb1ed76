"""Fixtures for identity's tests: its own test database built by its real
migrations, factories for reference data and users, and fakes for what lies
outside the database (token revocation)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

import identity
from identity import handlers
from identity.handlers import IdentityDeps
from identity.models import Base, User, outbox, processed_events
from identity.passwords import PasswordPolicy, hash_password
from identity.second_factor import MfaKeys, MfaPolicy
from tracker_common.clock import FrozenClock
from tracker_common.keys import message_sealer, mfa_key, signing_key, verification_key
from tracker_common.testing import empty_database, migrated_database_url

MIGRATIONS = Path(identity.__file__).parent / "migrations"
GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"


@pytest.fixture(scope="session")
def identity_database_url():
    return migrated_database_url("identity", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def identity_db(identity_database_url, clock):
    database = empty_database(identity_database_url, Base.metadata, (outbox, processed_events), clock)
    yield database
    database.dispose()


class FakeRevocations:
    def __init__(self):
        self.revoked: dict[str, int] = {}

    def revoke_user_tokens(self, user_id: str, before_ms: int) -> None:
        self.revoked[user_id] = before_ms

    def is_revoked(self, user_id: str, issued_at_ms: int) -> bool:
        return issued_at_ms < self.revoked.get(user_id, 0)


@pytest.fixture
def revocations():
    return FakeRevocations()


@pytest.fixture
def deps(revocations):
    # No role needs a second factor here: test_mfa.py tests it with the default policy.
    return IdentityDeps(policy=PasswordPolicy(), signing_key=signing_key(), sealer=message_sealer(),
                        revocations=revocations, token_lifetime_seconds=900, verification_key=verification_key(),
                        mfa_policy=MfaPolicy(required_for=frozenset()), mfa_keys=MfaKeys.from_key(mfa_key()))


REFERENCE = {
    "organisations": [
        dict(organisation_id="ct-national", name="Support Team", kind="national",
             email_domains=["tracker.example"]),
        dict(organisation_id="la-E08000016", name="Barnsley Council", kind="local_authority",
             email_domains=["barnsley.gov.uk"], ons_code="E08000016", la_code="E08000016", sub_icb_code="02P"),
        dict(organisation_id="la-E09000001", name="City of London", kind="local_authority",
             email_domains=["cityoflondon.gov.uk"], ons_code="E09000001", la_code="E09000001", sub_icb_code="72Q"),
        dict(organisation_id="prov-a", name="Alder Care", kind="care_provider",
             email_domains=["alder-care.example"], la_code="E08000016", sub_icb_code="02P"),
        dict(organisation_id="prov-b", name="Birch Homes", kind="care_provider",
             email_domains=["birch-homes.example"], la_code="E09000001", sub_icb_code="72Q"),
    ],
    "locations": [
        dict(location_id="1-100", organisation_id="prov-a", name="Alder House", postcode="S70 1AA",
             la_code="E08000016", sub_icb_code="02P", active=True),
        dict(location_id="1-101", organisation_id="prov-a", name="Alder Lodge", postcode="S70 1AB",
             la_code="E08000016", sub_icb_code="02P", active=True),
        dict(location_id="1-200", organisation_id="prov-b", name="Birch Court", postcode="EC1A 1BB",
             la_code="E09000001", sub_icb_code="72Q", active=True),
    ],
}


@pytest.fixture
def reference(identity_db):
    with identity_db.unit_of_work() as uow:
        for organisation in REFERENCE["organisations"]:
            handlers.apply_organisation_snapshot(uow, {"version": 1, "ons_code": None, "la_code": None,
                                                       "sub_icb_code": None, **organisation})
        for location in REFERENCE["locations"]:
            handlers.apply_location_snapshot(uow, {"version": 1, **location})
        uow.commit()
    return REFERENCE


@pytest.fixture
def create_user(identity_db, reference):
    """create_user(email=..., organisation_id=..., level=..., roles=[...], admin=False, ...) -> user id:
    an active user whose password is GOOD_PASSWORD."""

    def _create(*, email: str | None = None, name: str = "Pat Example", organisation_id: str = "prov-a",
                level: str = "standard", roles=(), admin: bool = False, generic: bool = False,
                location_ids=(), status: str = "active", must_change_password: bool = False,
                password: str = GOOD_PASSWORD, api_user: bool = False) -> str:
        user_id = str(uuid.uuid4())
        with identity_db.unit_of_work() as uow:
            user = User(id=user_id, email=(email or f"{user_id[:8]}@alder-care.example").lower(), name=name,
                        organisation_id=organisation_id, level=level, status=status, generic=generic,
                        api_user=api_user, admin=admin, granted_roles=list(roles),
                        all_locations=not location_ids, created_at=uow.now() - timedelta(days=1),
                        password_hash=None if api_user else hash_password(password),
                        password_changed_at=None if api_user else uow.now() - timedelta(days=1),
                        must_change_password=must_change_password)
            uow.session.add(user)
            uow.session.flush()
            from identity.repository import add_user_locations
            add_user_locations(uow.session, user_id, location_ids)
            uow.commit()
        return user_id

    return _create


@pytest.fixture
def principal(identity_db):
    """principal(user_id) -> the Principal identity would put in its token."""
    from identity.handlers.common import principal_of
    from identity.repository import get_user

    def _principal(user_id: str):
        with identity_db.unit_of_work() as uow:
            return principal_of(uow, get_user(uow.session, user_id))

    return _principal


@pytest.fixture
def recorded_events(identity_db):
    """recorded_events(type=None) -> messages written to identity's outbox, oldest first."""
    from sqlalchemy import select

    def _events(event_type: str | None = None) -> list[dict]:
        with identity_db.engine.connect() as connection:
            query = select(outbox.c.message).order_by(outbox.c.seq)
            if event_type:
                query = query.where(outbox.c.event_type == event_type)
            return [row.message for row in connection.execute(query)]

    return _events


