"""The password's life: changing it (the policy, the current password),
its history (no reuse of the last four) and expiry reminders."""
import json

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import PasswordHistory
from identity.passwords import verify_password
from tracker_common.contracts.errors import InvalidCredentials, InvalidInput

from .helpers import EMAIL, GOOD_PASSWORD, NEW_PASSWORDS, change_password, login, user_row


# -- helpers -------------------------------------------------------------------

def send_reminders(identity_db, deps):
    with identity_db.unit_of_work() as uow:
        sent = handlers.send_password_expiry_reminders(uow, deps)
        uow.commit()
        return sent


# -- changing a password ----------------------------------------------------------------------

def test_change_password_enforces_the_policy_under_new_password(identity_db, deps, create_user,
                                                               revocations, recorded_events):
    user_id = create_user(email=EMAIL, name="Pat Example")
    before = user_row(identity_db, user_id).password_hash

    for weak in ("Short-1", "Password123!", "pat@alder-care.example-99", "Example-Harbour-88", GOOD_PASSWORD):
        with pytest.raises(InvalidInput) as error:
            change_password(identity_db, deps, new=weak)
        assert list(error.value.fields) == ["new_password"] and error.value.fields["new_password"]

    assert user_row(identity_db, user_id).password_hash == before
    assert revocations.revoked == {} and recorded_events("identity.password_changed") == []


def test_change_password_needs_the_current_password(identity_db, deps, create_user):
    user_id = create_user(email=EMAIL)
    with pytest.raises(InvalidCredentials):
        change_password(identity_db, deps, current="Not-The-Password-1", new=NEW_PASSWORDS[0])
    assert verify_password(user_row(identity_db, user_id).password_hash, GOOD_PASSWORD)


def test_change_password_stores_it_revokes_tokens_and_records_an_event(identity_db, deps, create_user,
                                                                      clock, revocations, recorded_events):
    user_id = create_user(email=EMAIL, must_change_password=True)
    clock.advance(hours=1)

    change_password(identity_db, deps, new=NEW_PASSWORDS[0])

    user = user_row(identity_db, user_id)
    assert verify_password(user.password_hash, NEW_PASSWORDS[0])
    assert (user.must_change_password, user.password_changed_at) == (False, clock.now())
    assert revocations.revoked == {user_id: int(clock.now().timestamp() * 1000)}
    event, = recorded_events("identity.password_changed")
    assert event["data"] == {"user_id": user_id, "email": EMAIL}
    assert NEW_PASSWORDS[0] not in json.dumps(recorded_events())
    assert "access_token" in login(identity_db, deps, password=NEW_PASSWORDS[0])


def _change_through(identity_db, deps, passwords):
    current = GOOD_PASSWORD
    for new in passwords:
        change_password(identity_db, deps, current=current, new=new)
        current = new
    return current


def test_the_current_and_recent_passwords_cannot_be_reused(identity_db, deps, create_user):
    create_user(email=EMAIL)
    current = _change_through(identity_db, deps, NEW_PASSWORDS[:3])  # current: NEW_PASSWORDS[2]

    for old in NEW_PASSWORDS[:3]:
        with pytest.raises(InvalidInput) as error:
            change_password(identity_db, deps, current=current, new=old)
        assert list(error.value.fields) == ["new_password"]


def test_the_fourth_most_recent_password_cannot_be_reused(identity_db, deps, create_user):
    create_user(email=EMAIL)
    current = _change_through(identity_db, deps, NEW_PASSWORDS[:4])  # last 4: NEW_PASSWORDS[0..3]

    with pytest.raises(InvalidInput):
        change_password(identity_db, deps, current=current, new=NEW_PASSWORDS[0])


def test_a_password_older_than_the_last_four_may_be_used_again(identity_db, deps, create_user):
    user_id = create_user(email=EMAIL)
    current = _change_through(identity_db, deps, NEW_PASSWORDS[:5])

    change_password(identity_db, deps, current=current, new=NEW_PASSWORDS[0])

    assert verify_password(user_row(identity_db, user_id).password_hash, NEW_PASSWORDS[0])
    with identity_db.unit_of_work() as uow:
        assert len(uow.session.scalars(select(PasswordHistory).filter_by(user_id=user_id)).all()) == 6


# -- expiry reminders --------------------------------------------------------------------------

def test_expiry_reminders_go_at_18_10_5_2_and_1_days_once_each(identity_db, deps, create_user, clock,
                                                             recorded_events):
    create_user(email=EMAIL)  # password changed a day ago: expires in 89 days
    for _ in range(95 * 2):  # twice a day, past the expiry
        send_reminders(identity_db, deps)
        clock.advance(hours=12)

    reminders = [e["data"] for e in recorded_events("identity.password_expiring")]
    assert [r["days_left"] for r in reminders] == [18, 10, 5, 2, 1]
    assert {r["email"] for r in reminders} == {EMAIL}


def test_after_a_missed_window_only_one_reminder_is_sent(identity_db, deps, create_user, clock,
                                                        recorded_events):
    create_user(email=EMAIL)
    clock.advance(days=85)  # 4 days left: the 18, 10 and 5 day reminders were never sent

    assert send_reminders(identity_db, deps) == 1
    assert send_reminders(identity_db, deps) == 0
    clock.advance(days=1)
    assert send_reminders(identity_db, deps) == 0
    clock.advance(days=1)
    assert send_reminders(identity_db, deps) == 1

    assert [e["data"]["days_left"] for e in recorded_events("identity.password_expiring")] == [4, 2]


def test_a_new_password_restarts_the_reminders(identity_db, deps, create_user, clock, recorded_events):
    create_user(email=EMAIL)
    clock.advance(days=71)  # 18 days left
    assert send_reminders(identity_db, deps) == 1
    change_password(identity_db, deps, new=NEW_PASSWORDS[0])

    clock.advance(days=71)
    assert send_reminders(identity_db, deps) == 0
    clock.advance(days=1)  # 18 days left of the new password
    assert send_reminders(identity_db, deps) == 1
    assert len(recorded_events("identity.password_expiring")) == 2
