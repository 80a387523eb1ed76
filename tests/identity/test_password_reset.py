"""Forgotten passwords, self-service: the link emailed (through an event,
the token sealed; only its hash kept), good once and for an hour, the same
answer whether or not the address has an account, the new password under
the policy, every token revoked, the owner told; and a locked account's
tokens stop working at once."""
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import PasswordResetLink, SignIn
from identity.passwords import verify_password
from tracker_common.contracts.errors import AccountLocked, InvalidCredentials, InvalidInput
from tracker_common.keys import message_sealer

from .helpers import user_row

EMAIL = "pat@alder-care.example"
GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"
NEW_PASSWORD = "Walnut-Comet-Drizzle-41"
CLIENT = {"address": "198.51.100.23", "user_agent": "Mozilla/5.0 (Phone)"}


def ask_for_link(identity_db, deps, email=EMAIL, client=CLIENT):
    with identity_db.unit_of_work() as uow:
        return handlers.request_password_reset(uow, deps, {"email": email}, client)


def reset(identity_db, deps, token, new_password=NEW_PASSWORD, client=CLIENT):
    with identity_db.unit_of_work() as uow:
        return handlers.reset_password_with_link(uow, deps, {"token": token, "new_password": new_password}, client)


def login(identity_db, deps, password, email=EMAIL):
    with identity_db.unit_of_work() as uow:
        return handlers.authenticate(uow, deps, {"email": email, "password": password,
                                                 "accept_terms_version": None, "acknowledge_disclaimer": False})


def emailed_token(recorded_events) -> str:
    """The token of the latest link, as the notifications service unseals it."""
    sealed = recorded_events("identity.password_reset_requested")[-1]["data"]["reset_token_sealed"]
    return message_sealer().decrypt(sealed.encode()).decode()


def links(identity_db) -> list[PasswordResetLink]:
    with identity_db.unit_of_work() as uow:
        found = list(uow.session.scalars(select(PasswordResetLink)))
        uow.session.expunge_all()
        return found


def test_a_link_is_emailed_with_the_token_sealed_and_only_its_hash_kept(identity_db, deps, create_user, clock,
                                                                           recorded_events):
    user_id = create_user(email=EMAIL)
    assert ask_for_link(identity_db, deps) is None
    [event] = recorded_events("identity.password_reset_requested")
    assert event["data"]["email"] == EMAIL and event["data"]["user_id"] == user_id
    token = emailed_token(recorded_events)
    assert len(token) >= 40 and token not in str(event)
    [link] = links(identity_db)
    assert link.token_hash != token and token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at == clock.now() + timedelta(hours=1)


def test_an_unknown_or_closed_address_gets_the_same_answer_and_no_email(identity_db, deps, create_user,
                                                                         recorded_events):
    create_user(email="gone@alder-care.example", status="deactivated")
    create_user(email="robot@alder-care.example", api_user=True)
    for email in ("nobody@alder-care.example", "gone@alder-care.example", "robot@alder-care.example"):
        assert ask_for_link(identity_db, deps, email=email) is None
    assert recorded_events("identity.password_reset_requested") == [] and links(identity_db) == []


def test_asking_takes_about_as_long_whether_or_not_the_address_has_an_account(identity_db, deps, create_user):
    create_user(email=EMAIL)

    def median_ms(email):
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            ask_for_link(identity_db, deps, email=email)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)
    known, unknown = median_ms(EMAIL), median_ms("nobody@alder-care.example")
    # Both answer no sooner than the floor, which covers the few ms of writing a link and its email.
    assert known >= 100 and unknown >= 100 and abs(known - unknown) < 10, (known, unknown)


def test_the_link_sets_a_new_password_once_revokes_every_token_and_tells_the_owner(
        identity_db, deps, create_user, clock, recorded_events, revocations):
    user_id = create_user(email=EMAIL)
    login(identity_db, deps, GOOD_PASSWORD)
    ask_for_link(identity_db, deps)
    token = emailed_token(recorded_events)
    clock.advance(minutes=59)
    assert reset(identity_db, deps, token) == {"email": EMAIL}
    user = user_row(identity_db, user_id)
    assert verify_password(user.password_hash, NEW_PASSWORD) and not user.must_change_password
    assert user.password_changed_at == clock.now()
    assert revocations.revoked[user_id] == int(clock.now().timestamp() * 1000)
    [told] = recorded_events("identity.password_reset_completed")
    assert told["data"]["email"] == EMAIL and told["data"]["user_id"] == user_id
    assert login(identity_db, deps, NEW_PASSWORD)["access_token"]
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps, GOOD_PASSWORD)
    with pytest.raises(InvalidInput) as used:
        reset(identity_db, deps, token, new_password="Saffron-Glacier-Tundra-52")
    assert used.value.fields == {"token": ["This link has expired or has already been used. Ask for a new one."]}


def test_a_link_stops_working_after_an_hour(identity_db, deps, create_user, clock, recorded_events):
    user_id = create_user(email=EMAIL)
    ask_for_link(identity_db, deps)
    clock.advance(hours=1)
    with pytest.raises(InvalidInput) as expired:
        reset(identity_db, deps, emailed_token(recorded_events))
    assert "token" in expired.value.fields
    assert verify_password(user_row(identity_db, user_id).password_hash, GOOD_PASSWORD)


def test_a_new_link_replaces_the_earlier_one(identity_db, deps, create_user, recorded_events):
    create_user(email=EMAIL)
    ask_for_link(identity_db, deps)
    first = emailed_token(recorded_events)
    ask_for_link(identity_db, deps)
    second = emailed_token(recorded_events)
    with pytest.raises(InvalidInput):
        reset(identity_db, deps, first)
    assert reset(identity_db, deps, second) == {"email": EMAIL}


@pytest.mark.parametrize("token", ["x" * 43, "not-a-token-anyone-was-sent-0000000000000"])
def test_an_unknown_token_is_refused_naming_the_field(identity_db, deps, create_user, token):
    create_user(email=EMAIL)
    with pytest.raises(InvalidInput) as refused:
        reset(identity_db, deps, token)
    assert list(refused.value.fields) == ["token"]


def test_the_new_password_is_under_the_policy_and_the_link_still_works_after_a_refusal(
        identity_db, deps, create_user, recorded_events, revocations):
    user_id = create_user(email=EMAIL)
    ask_for_link(identity_db, deps)
    token = emailed_token(recorded_events)
    for weak in ("short", "password123!", GOOD_PASSWORD):
        with pytest.raises(InvalidInput) as refused:
            reset(identity_db, deps, token, new_password=weak)
        assert list(refused.value.fields) == ["new_password"]
    assert user_id not in revocations.revoked
    assert reset(identity_db, deps, token) == {"email": EMAIL}


def test_a_closed_account_cannot_use_a_link_sent_before(identity_db, deps, create_user, recorded_events):
    user_id = create_user(email=EMAIL)
    ask_for_link(identity_db, deps)
    with identity_db.unit_of_work() as uow:
        uow.session.get(type(user_row(identity_db, user_id)), user_id).status = "deactivated"
        uow.commit()
    with pytest.raises(InvalidInput):
        reset(identity_db, deps, emailed_token(recorded_events))


def test_a_reset_by_link_unlocks_the_account(identity_db, deps, create_user, recorded_events):
    user_id = create_user(email=EMAIL)
    for _ in range(deps.policy.max_failed_logins):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            login(identity_db, deps, "Wrong-Password-123")
    assert user_row(identity_db, user_id).locked_until is not None
    ask_for_link(identity_db, deps)
    reset(identity_db, deps, emailed_token(recorded_events))
    assert user_row(identity_db, user_id).locked_until is None
    assert login(identity_db, deps, NEW_PASSWORD)["access_token"]


def test_locking_an_account_revokes_its_tokens_at_once(identity_db, deps, create_user, clock, revocations):
    user_id = create_user(email=EMAIL)
    login(identity_db, deps, GOOD_PASSWORD)
    for _ in range(deps.policy.max_failed_logins - 1):
        with pytest.raises(InvalidCredentials):
            login(identity_db, deps, "Wrong-Password-123")
    assert user_id not in revocations.revoked  # wrong passwords alone do not sign anyone out
    clock.advance(seconds=5)
    with pytest.raises(AccountLocked):
        login(identity_db, deps, "Wrong-Password-123")
    assert revocations.revoked[user_id] == int(clock.now().timestamp() * 1000)


def test_asking_and_resetting_are_in_the_audit_of_sign_ins(identity_db, deps, create_user, recorded_events):
    user_id = create_user(email=EMAIL)
    ask_for_link(identity_db, deps, email="nobody@alder-care.example")
    ask_for_link(identity_db, deps)
    reset(identity_db, deps, emailed_token(recorded_events))
    with identity_db.unit_of_work() as uow:
        rows = [(s.user_id, s.outcome, s.details, s.client_address, s.user_agent)
                for s in uow.session.scalars(select(SignIn).order_by(SignIn.id))]
    assert rows == [(None, "reset_link_requested", {"sent": False}, *CLIENT.values()),
                    (user_id, "reset_link_requested", {"sent": True}, *CLIENT.values()),
                    (user_id, "password_reset_by_link", {}, *CLIENT.values())]
