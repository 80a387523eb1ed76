"""Login (authenticate), lockout, first login and expiry, Terms of Use,
generic accounts, the token and its renewal (the password's life: change,
history and expiry reminders, in test_password_change.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import AuditEntry, User
from identity.rules import GENERIC_ACCOUNT_DISCLAIMER
from tracker_common.contracts.errors import (AccountLocked, DisclaimerAcknowledgementRequired, Forbidden,
                                             InvalidCredentials, NotAuthenticated,
                                             PasswordChangeRequired, TermsAcceptanceRequired)
from tracker_common.keys import verification_key
from tracker_common.tokens import verify_access_token

from .helpers import EMAIL, NEW_PASSWORDS, change_password, login, user_row


# -- helpers -------------------------------------------------------------------

def publish_terms(identity_db, admin, text="Be kind to the data. Version text."):
    with identity_db.unit_of_work() as uow:
        terms = handlers.publish_terms(uow, admin, {"text": text})
        uow.commit()
        return terms["version"]


def audit_entries(identity_db, user_id, action):
    with identity_db.unit_of_work() as uow:
        return [e.details for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_user_id == user_id, AuditEntry.action == action))]


def claims_of(response, clock):
    return verify_access_token(response["access_token"], public_key=verification_key(), now=clock.now())


def fail_logins(identity_db, deps, times):
    """Fail `times` logins; the answers must not differ from an unknown email's."""
    for _ in range(times):
        with pytest.raises(InvalidCredentials) as error:
            login(identity_db, deps, password="Wrong-Password-123")
        assert error.value.body == InvalidCredentials().body


# -- wrong passwords and the lock -------------------------------------------------------

def test_wrong_password_is_invalid_credentials_and_counted(identity_db, deps, create_user):
    user_id = create_user(email=EMAIL)

    fail_logins(identity_db, deps, 2)
    assert user_row(identity_db, user_id).failed_logins == 2


def test_fifth_wrong_password_locks_the_account_for_24_hours(identity_db, deps, create_user, clock,
                                                            recorded_events):
    user_id = create_user(email=EMAIL)
    fail_logins(identity_db, deps, 4)

    with pytest.raises(AccountLocked) as error:
        login(identity_db, deps, password="Wrong-Password-123")

    until = clock.now() + timedelta(hours=24)
    assert error.value.body["locked_until"] == until.isoformat()
    assert user_row(identity_db, user_id).locked_until == until
    event, = recorded_events("identity.account_locked")
    assert event["data"]["user_id"] == user_id and event["data"]["email"] == EMAIL
    assert audit_entries(identity_db, user_id, "account_locked") == [{"locked_until": until.isoformat()}]


def test_a_locked_account_refuses_even_the_right_password(identity_db, deps, create_user, clock,
                                                         recorded_events):
    create_user(email=EMAIL)
    fail_logins(identity_db, deps, 4)
    with pytest.raises(AccountLocked):
        login(identity_db, deps, password="Wrong-Password-123")

    clock.advance(hours=23, minutes=59)
    with pytest.raises(AccountLocked):
        login(identity_db, deps)
    assert recorded_events("identity.user_logged_in") == []


def test_after_24_hours_the_right_password_works_and_the_count_starts_again(identity_db, deps,
                                                                         create_user, clock):
    user_id = create_user(email=EMAIL)
    fail_logins(identity_db, deps, 4)
    with pytest.raises(AccountLocked):
        login(identity_db, deps, password="Wrong-Password-123")

    clock.advance(hours=24)
    login(identity_db, deps)

    user = user_row(identity_db, user_id)
    assert (user.failed_logins, user.locked_until) == (0, None)
    fail_logins(identity_db, deps, 1)
    assert user_row(identity_db, user_id).failed_logins == 1


def test_a_right_password_resets_the_count(identity_db, deps, create_user):
    user_id = create_user(email=EMAIL)
    fail_logins(identity_db, deps, 3)
    login(identity_db, deps)
    assert user_row(identity_db, user_id).failed_logins == 0
    fail_logins(identity_db, deps, 4)  # four more, not locked: the count started again
    assert user_row(identity_db, user_id).locked_until is None


@pytest.mark.parametrize("status", ["pending", "rejected", "deactivated"])
def test_only_active_accounts_can_log_in(identity_db, deps, create_user, recorded_events, status):
    create_user(email=EMAIL, status=status)
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps)
    assert recorded_events("identity.user_logged_in") == []


def test_unknown_email_is_invalid_credentials(identity_db, deps, create_user):
    create_user(email=EMAIL)
    with pytest.raises(InvalidCredentials) as error:
        login(identity_db, deps, email="nobody@alder-care.example")
    assert error.value.body == InvalidCredentials().body


# -- what must happen before a token is given ------------------------------------------

def test_first_login_requires_a_new_password(identity_db, deps, create_user, recorded_events):
    create_user(email=EMAIL, must_change_password=True)
    with pytest.raises(PasswordChangeRequired) as error:
        login(identity_db, deps)
    assert error.value.body["reason"] == "first_login"
    assert recorded_events("identity.user_logged_in") == []


def test_a_password_older_than_90_days_must_be_changed(identity_db, deps, create_user, clock):
    create_user(email=EMAIL)  # password changed a day ago
    clock.advance(days=89, seconds=-1)
    login(identity_db, deps)

    clock.advance(seconds=1)
    with pytest.raises(PasswordChangeRequired) as error:
        login(identity_db, deps)
    assert error.value.body["reason"] == "expired"

    change_password(identity_db, deps, new=NEW_PASSWORDS[0])
    assert "access_token" in login(identity_db, deps, password=NEW_PASSWORDS[0])


def test_new_terms_of_use_must_be_accepted_at_the_next_login(identity_db, deps, create_user, principal,
                                                           recorded_events):
    admin = principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))
    user_id = create_user(email=EMAIL)
    version = publish_terms(identity_db, admin)

    with pytest.raises(TermsAcceptanceRequired) as error:
        login(identity_db, deps)
    assert error.value.body["terms_version"] == version
    with pytest.raises(TermsAcceptanceRequired):
        login(identity_db, deps, accept_terms_version=version + 1)
    assert user_row(identity_db, user_id).accepted_terms_version is None
    assert recorded_events("identity.user_logged_in") == []

    login(identity_db, deps, accept_terms_version=version)
    assert user_row(identity_db, user_id).accepted_terms_version == version
    assert audit_entries(identity_db, user_id, "terms_accepted") == [{"version": version}]
    login(identity_db, deps)  # accepted once, not at every login

    newer = publish_terms(identity_db, admin, "A newer version of the terms.")
    with pytest.raises(TermsAcceptanceRequired) as error:
        login(identity_db, deps)
    assert error.value.body["terms_version"] == newer


def test_only_administrators_publish_terms(identity_db, deps, create_user, principal):
    approver = principal(create_user(email=EMAIL, level="approver"))
    with pytest.raises(Forbidden):
        publish_terms(identity_db, approver)
    login(identity_db, deps)  # nothing to accept


def test_generic_accounts_acknowledge_the_disclaimer_at_every_login(identity_db, deps, create_user):
    create_user(email=EMAIL, generic=True)

    for _ in range(2):
        with pytest.raises(DisclaimerAcknowledgementRequired) as error:
            login(identity_db, deps)
        assert error.value.body["disclaimer"] == GENERIC_ACCOUNT_DISCLAIMER
        response = login(identity_db, deps, acknowledge_disclaimer=True)
        assert response["disclaimer"] == GENERIC_ACCOUNT_DISCLAIMER


def test_personal_accounts_get_no_disclaimer(identity_db, deps, create_user):
    create_user(email=EMAIL)
    assert "disclaimer" not in login(identity_db, deps)


# -- a successful login --------------------------------------------------------------------

def test_successful_login_records_the_time_and_an_event(identity_db, deps, create_user, clock,
                                                       recorded_events):
    user_id = create_user(email=EMAIL)
    clock.advance(hours=3)

    response = login(identity_db, deps)

    assert (response["token_type"], response["expires_in"]) == ("bearer", 900)
    assert user_row(identity_db, user_id).last_login_at == clock.now()
    event, = recorded_events("identity.user_logged_in")
    assert event["data"] == {"user_id": user_id, "organisation_id": "prov-a", "generic": False}
    assert event["actor"]["user_id"] == user_id


def test_generic_login_is_recorded_against_the_generic_account(identity_db, deps, create_user,
                                                             recorded_events):
    user_id = create_user(email=EMAIL, generic=True)
    login(identity_db, deps, acknowledge_disclaimer=True)
    event, = recorded_events("identity.user_logged_in")
    assert event["data"]["generic"] is True
    assert event["actor"] == {"user_id": user_id, "generic": True}


@pytest.mark.parametrize("user, roles", [
    (dict(), ["care_home_user"]),
    (dict(level="approver"), ["approver", "care_home_user"]),
    (dict(organisation_id="la-E08000016", roles=["broker", "extended_reporting"]),
     ["broker", "extended_reporting", "non_care_home_user"]),
    (dict(organisation_id="la-E08000016", level="approver", roles=["system_champion"]),
     ["approver", "non_care_home_user", "system_champion"]),
    (dict(organisation_id="ct-national", admin=True), ["admin", "non_care_home_user"]),
])
def test_the_token_verifies_and_carries_the_users_roles(identity_db, deps, create_user, clock, user, roles):
    user_id = create_user(email=EMAIL, **user)

    claims = claims_of(login(identity_db, deps), clock)

    assert claims["sub"] == user_id
    assert claims["org"] == user.get("organisation_id", "prov-a")
    assert claims["roles"] == roles
    assert claims["exp"] == int(clock.now().timestamp()) + 900


def test_the_token_carries_the_locations_and_alignment(identity_db, deps, create_user, clock):
    create_user(email=EMAIL, location_ids=["1-100"])
    claims = claims_of(login(identity_db, deps), clock)
    assert (claims["all_locations"], claims["locations"], claims["aligned"]) == (False, ["1-100"], [])

    create_user(email="champ@barnsley.gov.uk", organisation_id="la-E08000016", roles=["system_champion"])
    claims = claims_of(login(identity_db, deps, email="champ@barnsley.gov.uk"), clock)
    assert (claims["all_locations"], claims["aligned"]) == (True, ["E08000016"])


# -- renewing a web session's token ---------------------------------------------------------------
def renew(identity_db, deps, token):
    with identity_db.unit_of_work() as uow:
        return handlers.renew_access_token(uow, deps, token)


def test_a_valid_token_is_renewed_with_the_permissions_as_they_are_now(identity_db, deps, create_user, clock,
                                                                       principal):
    user_id = create_user(email=EMAIL, organisation_id="la-E08000016")  # a council's people may be brokers
    token = login(identity_db, deps)["access_token"]
    admin = principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))
    with identity_db.unit_of_work() as uow:
        handlers.grant_permissions(uow, deps, admin, user_id, {"roles": ["broker"]})
        uow.commit()
    clock.advance(minutes=10)
    deps.revocations.revoked.clear()  # (a grant revokes earlier tokens: see the next test)
    renewed = claims_of(renew(identity_db, deps, token), clock)
    assert renewed["sub"] == user_id and "broker" in renewed["roles"]
    assert renewed["exp"] == int(clock.now().timestamp()) + 900


@pytest.mark.parametrize("spoil", ["expired", "revoked", "forged", "deactivated", "locked", "must change password",
                                   "password expired", "new terms"])
def test_a_token_is_not_renewed_when_its_holder_should_sign_in_again(identity_db, deps, create_user, clock,
                                                                    principal, spoil):
    user_id = create_user(email=EMAIL)
    token = login(identity_db, deps)["access_token"]
    if spoil == "expired":
        clock.advance(minutes=15)
    elif spoil == "revoked":
        clock.advance(seconds=1)
        deps.revocations.revoke_user_tokens(user_id, int(clock.now().timestamp() * 1000))
    elif spoil == "forged":
        header, body, signature = token.split(".")
        token = f"{header}.{body}.{signature[::-1]}"
    elif spoil == "new terms":
        admin = principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))
        publish_terms(identity_db, admin)
    else:
        with identity_db.unit_of_work() as uow:
            user = uow.session.get(User, user_id)
            if spoil == "deactivated":
                user.status = "deactivated"
            elif spoil == "locked":
                user.locked_until = uow.now() + timedelta(hours=24)
            elif spoil == "password expired":
                user.password_changed_at = uow.now() - timedelta(days=91)
            else:
                user.must_change_password = True
            uow.commit()
    with pytest.raises(NotAuthenticated):
        renew(identity_db, deps, token)
