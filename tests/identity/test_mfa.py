"""The second factor: who must set one up, enrolment with the key and the
first code, signing in with a code (in one call or two), recovery codes,
replayed and wrong codes (which count towards the lockout), the challenge's
life, an administrator's reset (audited and emailed) and who may do it, and
that no secret is kept or logged in plain text. On identity's real database."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, text
from structlog.testing import capture_logs

from identity import handlers
from identity.models import AuditEntry, MfaCredential, RecoveryCode, SignIn
from identity.second_factor import MfaPolicy
from tracker_common.contracts.errors import (AccountLocked, Conflict, Forbidden, InvalidCredentials, InvalidMfaCode,
                                             MfaEnrolmentRequired, MfaRequired, NotAuthenticated, NotFound)
from tracker_common.keys import verification_key
from tracker_common.tokens import verify_access_token

from .helpers import call, user_row

GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"  # create_user's password
NEW_PASSWORD = "Walnut-Comet-Drizzle-41"
EMAIL = "ana@barnsley.gov.uk"
PRIVILEGED = {
    "approver": dict(organisation_id="la-E08000016", level="approver"),
    "system_champion": dict(organisation_id="la-E08000016", roles=["system_champion"]),
    "admin": dict(organisation_id="ct-national", admin=True),
}


@pytest.fixture
def mfa_deps(deps):
    """Identity as configured by default: MFA for approvers, champions and administrators."""
    return dataclasses.replace(deps, mfa_policy=MfaPolicy.from_environment())


def login(identity_db, deps, *, email=EMAIL, password=GOOD_PASSWORD, code=None):
    with identity_db.unit_of_work() as uow:
        return handlers.authenticate(uow, deps, {"email": email, "password": password, "accept_terms_version": None,
                                                 "acknowledge_disclaimer": False, "code": code})


def challenge(identity_db, deps, *, email=EMAIL, expect=MfaRequired) -> str:
    with pytest.raises(expect) as refused:
        login(identity_db, deps, email=email)
    assert refused.value.body["expires_in"] == 300
    return refused.value.body["mfa_token"]


def second_step(identity_db, deps, handler, token, code):
    with identity_db.unit_of_work() as uow:
        return handler(uow, deps, {"mfa_token": token, "code": code})


def enrol(identity_db, deps, clock, *, email=EMAIL) -> tuple[str, dict]:
    """Set up an authenticator app at sign-in: (secret, the confirming answer)."""
    token = challenge(identity_db, deps, email=email, expect=MfaEnrolmentRequired)
    secret = call(identity_db, handlers.begin_enrolment, deps, {"mfa_token": token})["secret"]
    answer = second_step(identity_db, deps, handlers.confirm_enrolment, token, pyotp.TOTP(secret).at(clock.now()))
    return secret, answer


def next_code(clock, secret) -> str:
    """The code of the next time step (the one just used cannot be used again)."""
    clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def audit_actions(identity_db, user_id) -> list[str]:
    with identity_db.unit_of_work() as uow:
        return [e.action for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_user_id == user_id).order_by(AuditEntry.id))]


def claims_of(answer, clock):
    return verify_access_token(answer["access_token"], public_key=verification_key(), now=clock.now())


# -- who must have a second factor -------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(PRIVILEGED))
def test_approvers_champions_and_administrators_must_set_up_mfa_before_any_token(identity_db, mfa_deps,
                                                                                  create_user, role):
    user_id = create_user(email=EMAIL, **PRIVILEGED[role])
    with pytest.raises(MfaEnrolmentRequired) as refused:
        login(identity_db, mfa_deps)
    assert "access_token" not in refused.value.body and refused.value.body["mfa_token"]
    assert user_row(identity_db, user_id).last_login_at is None


def test_a_care_home_user_signs_in_without_mfa_by_default(identity_db, mfa_deps, create_user):
    create_user(email="pat@alder-care.example")
    assert "access_token" in login(identity_db, mfa_deps, email="pat@alder-care.example")


@pytest.mark.parametrize("setting, care_home_user_needs, admin_needs", [
    ("everyone", True, True), ("admin", False, True), ("none", False, False), ("broker, admin", False, True)])
def test_mfa_required_for_is_configurable(monkeypatch, setting, care_home_user_needs, admin_needs):
    from tracker_common.contracts.permissions import Role
    monkeypatch.setenv("MFA_REQUIRED_FOR", setting)
    policy = MfaPolicy.from_environment()
    assert policy.requires({Role.CARE_HOME_USER}) is care_home_user_needs
    assert policy.requires({Role.NON_CARE_HOME_USER, Role.ADMIN}) is admin_needs
    assert policy.requires({Role.API_USER}) is False  # API users keep their keys


# -- enrolment ----------------------------------------------------------------------------------
def test_enrolment_shows_the_key_and_its_qr_uri_and_the_first_code_turns_it_on(identity_db, mfa_deps, create_user,
                                                                               clock):
    user_id = create_user(email=EMAIL, **PRIVILEGED["admin"])
    token = challenge(identity_db, mfa_deps, expect=MfaEnrolmentRequired)
    shown = call(identity_db, handlers.begin_enrolment, mfa_deps, {"mfa_token": token})
    assert shown["otpauth_uri"].startswith("otpauth://totp/Capacity%20Tracker:ana%40barnsley.gov.uk?secret=")
    assert shown == call(identity_db, handlers.begin_enrolment, mfa_deps, {"mfa_token": token})  # same key again
    with pytest.raises(InvalidMfaCode):  # not yet on: a wrong first code changes nothing but the count
        second_step(identity_db, mfa_deps, handlers.confirm_enrolment, token, "000000")

    answer = second_step(identity_db, mfa_deps, handlers.confirm_enrolment, token,
                         pyotp.TOTP(shown["secret"]).at(clock.now()))

    assert claims_of(answer, clock)["sub"] == user_id
    assert len(set(answer["recovery_codes"])) == 10
    assert "mfa_enabled" in audit_actions(identity_db, user_id)
    assert user_row(identity_db, user_id).failed_logins == 0
    with pytest.raises(Conflict):  # set up once; a new one only after a reset
        call(identity_db, handlers.begin_enrolment, mfa_deps, {"mfa_token": token})


def test_neither_the_key_nor_the_recovery_codes_are_stored_or_logged_in_plain_text(identity_db, mfa_deps,
                                                                                   create_user, clock):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    with capture_logs() as logs:
        secret, answer = enrol(identity_db, mfa_deps, clock)
        with pytest.raises(InvalidMfaCode):
            login(identity_db, mfa_deps, code=answer["recovery_codes"][0].upper()[::-1])
        login(identity_db, mfa_deps, code=next_code(clock, secret))
    with identity_db.engine.connect() as connection:
        tables = ("mfa_credentials", "mfa_recovery_codes", "audit_log", "sign_in_audit", "outbox", "users")
        stored = json.dumps([list(map(str, row)) for table in tables
                             for row in connection.execute(text(f"SELECT * FROM {table}"))])
    written = json.dumps(logs, default=str)
    for secret_text in [secret, *answer["recovery_codes"], *(c.replace("-", "") for c in answer["recovery_codes"])]:
        assert secret_text not in stored and secret_text.lower() not in written
    with identity_db.unit_of_work() as uow:
        sealed = uow.session.get(MfaCredential, user_id).secret_sealed
    assert mfa_deps.mfa_keys.secrets.decrypt(sealed.encode()).decode() == secret  # sealed, with identity's key
    assert any(entry.get("event") == "second factor checked" for entry in logs)


# -- signing in with a code -----------------------------------------------------------------------
def test_signing_in_takes_the_code_with_the_password_or_in_a_second_step(identity_db, mfa_deps, create_user, clock):
    user_id = create_user(email=EMAIL, **PRIVILEGED["system_champion"])
    secret, _ = enrol(identity_db, mfa_deps, clock)

    token = challenge(identity_db, mfa_deps)  # the password alone: 403 mfa_required
    answer = second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, next_code(clock, secret))
    assert claims_of(answer, clock)["sub"] == user_id

    assert claims_of(login(identity_db, mfa_deps, code=next_code(clock, secret)), clock)["sub"] == user_id


def test_a_code_is_accepted_once_and_never_an_earlier_one(identity_db, mfa_deps, create_user, clock):
    create_user(email=EMAIL, **PRIVILEGED["admin"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    totp = pyotp.TOTP(secret)
    used_at_enrolment = totp.at(clock.now())
    with pytest.raises(InvalidMfaCode):
        login(identity_db, mfa_deps, code=used_at_enrolment)  # replayed in the same 30 seconds

    clock.advance(seconds=30)
    later = totp.at(clock.now())
    assert "access_token" in login(identity_db, mfa_deps, code=later)
    for replayed in (later, used_at_enrolment, totp.at(clock.now(), counter_offset=-1)):
        with pytest.raises(InvalidMfaCode):
            login(identity_db, mfa_deps, code=replayed)


def test_a_code_a_step_early_or_late_is_accepted_but_not_two(identity_db, mfa_deps, create_user, clock):
    create_user(email=EMAIL, **PRIVILEGED["admin"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    totp = pyotp.TOTP(secret)
    clock.advance(minutes=5)
    with pytest.raises(InvalidMfaCode):
        login(identity_db, mfa_deps, code=totp.at(clock.now(), counter_offset=-2))
    assert "access_token" in login(identity_db, mfa_deps, code=totp.at(clock.now(), counter_offset=-1))
    assert "access_token" in login(identity_db, mfa_deps, code=totp.at(clock.now(), counter_offset=1))


def test_wrong_codes_count_with_wrong_passwords_towards_the_lockout(identity_db, mfa_deps, create_user, clock,
                                                                   recorded_events):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            login(identity_db, mfa_deps, password="Wrong-Password-123")
    token = challenge(identity_db, mfa_deps)
    for _ in range(2):
        with pytest.raises(InvalidMfaCode):
            second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, "123456")
    assert user_row(identity_db, user_id).failed_logins == 4

    with pytest.raises(AccountLocked):
        login(identity_db, mfa_deps, code="999999")  # the fifth failure, a code: locked for 24 hours
    assert [e["data"]["user_id"] for e in recorded_events("identity.account_locked")] == [user_id]
    with pytest.raises(AccountLocked):  # even the right code now
        second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, next_code(clock, secret))


def test_every_code_checked_is_in_the_audit_of_sign_ins_with_the_client(identity_db, mfa_deps, create_user, clock):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    token = challenge(identity_db, mfa_deps)
    client = {"address": "192.0.2.7", "user_agent": "Firefox"}
    with identity_db.unit_of_work() as uow, pytest.raises(InvalidMfaCode):
        handlers.complete_sign_in(uow, mfa_deps, {"mfa_token": token, "code": "000000"}, client)
    with identity_db.unit_of_work() as uow:
        handlers.complete_sign_in(uow, mfa_deps, {"mfa_token": token, "code": next_code(clock, secret)}, client)
    with identity_db.unit_of_work() as uow:
        seen = [(s.outcome, s.client_address, s.details.get("method")) for s in uow.session.scalars(
            select(SignIn).where(SignIn.user_id == user_id, SignIn.client_address == "192.0.2.7").order_by(SignIn.id))]
    assert seen == [("mfa_failed", "192.0.2.7", "totp"), ("mfa_passed", "192.0.2.7", "totp"),
                    ("succeeded", "192.0.2.7", None)]


def test_a_right_code_clears_the_count_of_wrong_ones(identity_db, mfa_deps, create_user, clock):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    with pytest.raises(InvalidMfaCode):
        login(identity_db, mfa_deps, code="000000")
    login(identity_db, mfa_deps, code=next_code(clock, secret))
    assert user_row(identity_db, user_id).failed_logins == 0


def test_a_recovery_code_signs_in_once(identity_db, mfa_deps, create_user, clock, principal):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    _, answer = enrol(identity_db, mfa_deps, clock)
    first, second = answer["recovery_codes"][:2]

    assert "access_token" in login(identity_db, mfa_deps, code=first.upper().replace("-", " "))  # as typed
    with pytest.raises(InvalidMfaCode):
        login(identity_db, mfa_deps, code=first)
    token = challenge(identity_db, mfa_deps)
    assert "access_token" in second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, second)
    with identity_db.unit_of_work() as uow:
        status = handlers.mfa_status(uow, mfa_deps, principal(user_id))
    assert (status["enabled"], status["required"], status["recovery_codes_left"]) == (True, True, 8)


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(identity_db, mfa_deps, create_user, clock,
                                                                        principal):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    secret, answer = enrol(identity_db, mfa_deps, clock)
    me = principal(user_id)
    with pytest.raises(InvalidMfaCode):
        call(identity_db, handlers.regenerate_recovery_codes, mfa_deps, me, {"code": answer["recovery_codes"][0]})
    with pytest.raises(InvalidMfaCode):
        call(identity_db, handlers.regenerate_recovery_codes, mfa_deps, me, {"code": "000000"})
    assert user_row(identity_db, user_id).failed_logins == 1

    fresh = call(identity_db, handlers.regenerate_recovery_codes, mfa_deps, me,
                 {"code": next_code(clock, secret)})["recovery_codes"]

    assert len(fresh) == 10 and not set(fresh) & set(answer["recovery_codes"])
    with pytest.raises(InvalidMfaCode):
        login(identity_db, mfa_deps, code=answer["recovery_codes"][1])
    assert "access_token" in login(identity_db, mfa_deps, code=fresh[0])
    assert "mfa_recovery_codes_regenerated" in audit_actions(identity_db, user_id)


# -- the challenge between password and code ---------------------------------------------------------
def test_the_challenge_lasts_five_minutes_and_dies_with_a_password_change(identity_db, mfa_deps, create_user, clock):
    create_user(email=EMAIL, **PRIVILEGED["approver"])
    secret, _ = enrol(identity_db, mfa_deps, clock)
    token = challenge(identity_db, mfa_deps)
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(NotAuthenticated):
        second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, pyotp.TOTP(secret).at(clock.now()))

    token = challenge(identity_db, mfa_deps)
    with identity_db.unit_of_work() as uow:
        handlers.change_password(uow, mfa_deps, {"email": EMAIL, "current_password": GOOD_PASSWORD,
                                                 "new_password": NEW_PASSWORD})
    with pytest.raises(NotAuthenticated):
        second_step(identity_db, mfa_deps, handlers.complete_sign_in, token, next_code(clock, secret))
    with pytest.raises(NotAuthenticated):  # nor anything not sealed by identity
        second_step(identity_db, mfa_deps, handlers.complete_sign_in, "gAAAAAforged", next_code(clock, secret))


# -- an administrator resets a second factor ----------------------------------------------------------
def test_an_administrator_resets_a_lost_second_factor(identity_db, mfa_deps, create_user, clock, principal,
                                                      recorded_events):
    user_id = create_user(email=EMAIL, name="Ana Lopez", **PRIVILEGED["approver"])
    _, answer = enrol(identity_db, mfa_deps, clock)
    admin = principal(create_user(email="root@tracker.example", organisation_id="ct-national", admin=True))

    view = call(identity_db, handlers.reset_mfa, mfa_deps, admin, user_id)

    assert view["mfa_enabled"] is False
    assert mfa_deps.revocations.revoked[user_id]  # signed out everywhere
    with identity_db.unit_of_work() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "mfa_reset")).one()
        assert (entry.actor_id, entry.subject_user_id) == (admin.user_id, user_id)
        assert uow.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).all() == []
    [event] = recorded_events("identity.mfa_reset")
    assert event["data"] == {"user_id": user_id, "email": EMAIL, "name": "Ana Lopez"}
    assert event["actor"]["user_id"] == admin.user_id
    with pytest.raises(MfaEnrolmentRequired):  # a new app at the next sign-in; old codes are gone
        login(identity_db, mfa_deps, code=answer["recovery_codes"][0])
    clock.advance(seconds=30)
    enrol(identity_db, mfa_deps, clock)


def test_only_administrators_reset_a_second_factor_and_not_their_own(identity_db, mfa_deps, create_user, clock,
                                                                     principal, recorded_events):
    admin_id = create_user(email=EMAIL, **PRIVILEGED["admin"])
    enrol(identity_db, mfa_deps, clock)
    colleague = create_user(email="kim@barnsley.gov.uk", organisation_id="la-E08000016")
    approver = principal(create_user(email="lee@barnsley.gov.uk", organisation_id="la-E08000016", level="approver"))
    champion = principal(create_user(email="sam@barnsley.gov.uk", organisation_id="la-E08000016",
                                     roles=["system_champion"]))
    care_worker = principal(create_user(email="pat@alder-care.example"))
    for actor, target in ((approver, admin_id), (approver, colleague), (champion, colleague),
                          (care_worker, admin_id), (care_worker, care_worker.user_id)):
        with pytest.raises(Forbidden):
            call(identity_db, handlers.reset_mfa, mfa_deps, actor, target)
    with pytest.raises(Conflict):
        call(identity_db, handlers.reset_mfa, mfa_deps, principal(admin_id), admin_id)
    with pytest.raises(Conflict):  # nothing to reset
        call(identity_db, handlers.reset_mfa, mfa_deps, principal(admin_id), colleague)
    with pytest.raises(NotFound):
        call(identity_db, handlers.reset_mfa, mfa_deps, principal(admin_id), "no-such-user")
    assert recorded_events("identity.mfa_reset") == []


def test_a_session_from_before_mfa_was_required_is_not_renewed_until_it_is_set_up(identity_db, deps, mfa_deps,
                                                                                     create_user, clock):
    create_user(email=EMAIL, **PRIVILEGED["approver"])
    token = login(identity_db, deps)["access_token"]  # when no role needed a second factor
    clock.advance(minutes=10)
    with identity_db.unit_of_work() as uow:
        assert handlers.renew_access_token(uow, deps, token)["access_token"]
    with identity_db.unit_of_work() as uow, pytest.raises(NotAuthenticated):
        handlers.renew_access_token(uow, mfa_deps, token)
    enrol(identity_db, mfa_deps, clock)
    with identity_db.unit_of_work() as uow:
        assert handlers.renew_access_token(uow, mfa_deps, token)["access_token"]


def test_the_user_view_says_whether_mfa_is_on(identity_db, mfa_deps, create_user, clock, principal):
    user_id = create_user(email=EMAIL, **PRIVILEGED["approver"])
    with identity_db.unit_of_work() as uow:
        assert handlers.me(uow, mfa_deps, principal(user_id))["mfa_enabled"] is False
    enrol(identity_db, mfa_deps, clock)
    with identity_db.unit_of_work() as uow:
        assert handlers.me(uow, mfa_deps, principal(user_id))["mfa_enabled"] is True


def test_an_operator_command_resets_the_last_administrators_second_factor(identity_db, identity_database_url,
                                                                          mfa_deps, create_user, clock,
                                                                          recorded_events):
    user_id = create_user(email=EMAIL, **PRIVILEGED["admin"])
    enrol(identity_db, mfa_deps, clock)

    def reset(email):
        return subprocess.run([sys.executable, "-m", "identity.manage", "reset-mfa", email],
                              env={**os.environ, "DATABASE_URL_TEMPLATE": identity_database_url},
                              cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60)

    done = reset(EMAIL.upper())
    assert done.returncode == 0, done.stderr
    assert "mfa_reset" in audit_actions(identity_db, user_id)
    assert [e["data"]["user_id"] for e in recorded_events("identity.mfa_reset")] == [user_id]
    with pytest.raises(MfaEnrolmentRequired):
        login(identity_db, mfa_deps)
    assert reset(EMAIL).returncode == 1  # nothing left to reset
    assert reset("nobody@tracker.example").returncode == 1
