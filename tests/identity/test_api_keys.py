"""API users and their keys: created by administrators, shown once, stored
as a hash, revocable, and never a way to log in with a password."""
import hashlib
import json

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import ApiKey, AuditEntry, User
from tracker_common.contracts.errors import Forbidden, InvalidCredentials

from .helpers import call

# -- helpers -------------------------------------------------------------------


def new_api_user(identity_db, deps, actor, *, email="feed@barnsley.gov.uk"):
    return call(identity_db, handlers.create_api_user, deps, actor,
                {"name": "Barnsley reporting feed", "email": email, "organisation_id": "la-E08000016"})


def new_key(identity_db, actor, user_id, *, label="nightly export"):
    return call(identity_db, handlers.create_api_key, actor, user_id, {"label": label})


def stored_keys(identity_db):
    with identity_db.unit_of_work() as uow:
        keys = uow.session.scalars(select(ApiKey)).all()
        uow.session.expunge_all()
        return keys


@pytest.fixture
def admin(create_user, principal):
    return principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))


@pytest.fixture
def api_user(identity_db, deps, admin):
    return new_api_user(identity_db, deps, admin)


# -- creation ------------------------------------------------------------------

def test_only_administrators_create_api_users_and_keys(identity_db, deps, create_user, principal, admin,
                                                       api_user):
    approver = principal(create_user(email="approver@barnsley.gov.uk", organisation_id="la-E08000016",
                                     level="approver", roles=["system_champion"]))

    with pytest.raises(Forbidden):
        new_api_user(identity_db, deps, approver, email="other@barnsley.gov.uk")
    with pytest.raises(Forbidden):
        new_key(identity_db, approver, api_user["id"])

    with identity_db.unit_of_work() as uow:
        assert uow.session.scalars(select(User.email).where(User.api_user.is_(True))).all() == [
            "feed@barnsley.gov.uk"]
    assert stored_keys(identity_db) == []


def test_an_api_user_holds_only_the_api_role_and_has_no_password(identity_db, api_user):
    assert (api_user["api_user"], api_user["roles"], api_user["status"]) == (True, ["api_user"], "active")
    with identity_db.unit_of_work() as uow:
        assert uow.session.get(User, api_user["id"]).password_hash is None


def test_the_key_is_shown_once_and_only_its_sha256_is_stored(identity_db, deps, admin, api_user,
                                                             recorded_events):
    created = new_key(identity_db, admin, api_user["id"])
    plain = created["key"]

    key, = stored_keys(identity_db)
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in json.dumps([key.id, key.label, key.prefix, key.key_hash])
    assert plain.startswith(f"ctk_{key.prefix}_")
    listed = call(identity_db, handlers.list_api_keys, admin, api_user["id"])
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    with identity_db.unit_of_work() as uow:
        assert plain not in json.dumps([e.details for e in uow.session.scalars(select(AuditEntry))])
    assert plain not in json.dumps(recorded_events())


def test_two_keys_are_different(identity_db, admin, api_user):
    assert new_key(identity_db, admin, api_user["id"])["key"] != new_key(identity_db, admin, api_user["id"])["key"]


# -- using a key ------------------------------------------------------------------

def test_a_valid_key_gives_the_api_users_claims_and_records_its_use(identity_db, admin, api_user, clock):
    plain = new_key(identity_db, admin, api_user["id"])["key"]
    clock.advance(hours=5)

    claims = call(identity_db, handlers.authenticate_api_key, plain)

    assert (claims["sub"], claims["org"], claims["roles"]) == (api_user["id"], "la-E08000016", ["api_user"])
    key, = stored_keys(identity_db)
    assert key.last_used_at == clock.now()


def test_a_revoked_key_is_refused(identity_db, admin, api_user):
    created = new_key(identity_db, admin, api_user["id"])
    other = new_key(identity_db, admin, api_user["id"], label="spare")

    call(identity_db, handlers.revoke_api_key, admin, api_user["id"], created["id"])

    with pytest.raises(InvalidCredentials):
        call(identity_db, handlers.authenticate_api_key, created["key"])
    assert call(identity_db, handlers.authenticate_api_key, other["key"])["sub"] == api_user["id"]


def test_a_key_of_a_deactivated_api_user_is_refused(identity_db, deps, admin, api_user):
    plain = new_key(identity_db, admin, api_user["id"])["key"]
    with identity_db.unit_of_work() as uow:  # deactivated without touching its keys
        uow.session.get(User, api_user["id"]).status = "deactivated"
        uow.commit()

    with pytest.raises(InvalidCredentials):
        call(identity_db, handlers.authenticate_api_key, plain)


@pytest.mark.parametrize("plain", ["", "ctk_", "ctk_deadbeef_not-a-real-key", "Bearer something",
                                   "ctk_" + "x" * 300])
def test_unknown_or_malformed_keys_are_refused(identity_db, admin, api_user, plain):
    new_key(identity_db, admin, api_user["id"])
    with pytest.raises(InvalidCredentials):
        call(identity_db, handlers.authenticate_api_key, plain)


def test_api_users_cannot_log_in_with_a_password(identity_db, deps, create_user, recorded_events):
    create_user(email="feed@barnsley.gov.uk", organisation_id="la-E08000016", api_user=True)
    for password in ("", "Kestrel-Harbour-Lantern-7"):
        with pytest.raises(InvalidCredentials):
            with identity_db.unit_of_work() as uow:
                handlers.authenticate(uow, deps, {"email": "feed@barnsley.gov.uk", "password": password})
    assert recorded_events("identity.user_logged_in") == []
