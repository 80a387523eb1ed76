"""The audit of sign-ins: every attempt on every route that checks a
password (succeeded, failed, locked, an unknown address), with the time,
the client's address and user agent; queryable by administrators (anyone's)
and by each person (their own) only."""
import pytest

from identity import handlers
from tracker_common.contracts.errors import AccountLocked, Forbidden, InvalidCredentials, NotFound
from tracker_common.contracts.permissions import Principal, Role

EMAIL = "pat@alder-care.example"
GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"
PHONE = {"address": "198.51.100.23", "user_agent": "Mozilla/5.0 (iPhone)"}
LAPTOP = {"address": "2001:db8::7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}
QUERY = {"limit": 200}


def login(identity_db, deps, password=GOOD_PASSWORD, email=EMAIL, client=PHONE):
    with identity_db.unit_of_work() as uow:
        return handlers.authenticate(uow, deps, {"email": email, "password": password,
                                                 "accept_terms_version": None, "acknowledge_disclaimer": False},
                                     client)


def sign_ins(identity_db, actor, user_id=None, **query):
    with identity_db.unit_of_work() as uow:
        return handlers.sign_in_audit(uow, actor, user_id, {**QUERY, **query})


@pytest.fixture
def admin(create_user, principal):
    return principal(create_user(email="root@tracker.example", organisation_id="ct-national", admin=True))


def test_each_attempt_is_kept_with_its_time_address_and_user_agent(identity_db, deps, create_user, clock,
                                                                   admin):
    user_id = create_user(email=EMAIL)
    login(identity_db, deps, client=PHONE)
    clock.advance(minutes=1)
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps, password="Wrong-Password-123", client=LAPTOP)
    entries = sign_ins(identity_db, admin, user_id)
    assert [(e["action"], e["details"]["client_address"], e["details"]["user_agent"]) for e in entries] == [
        ("failed", LAPTOP["address"], LAPTOP["user_agent"]), ("succeeded", PHONE["address"], PHONE["user_agent"])]
    assert entries[0]["at"] == clock.now().isoformat() and entries[0]["subject_user_id"] == user_id


def test_the_attempt_that_locks_and_those_while_locked_are_kept_as_locked(identity_db, deps, create_user, admin):
    user_id = create_user(email=EMAIL)
    for _ in range(deps.policy.max_failed_logins - 1):
        with pytest.raises(InvalidCredentials):
            login(identity_db, deps, password="Wrong-Password-123")
    for password in ("Wrong-Password-123", GOOD_PASSWORD):
        with pytest.raises(AccountLocked):
            login(identity_db, deps, password=password)
    outcomes = [e["action"] for e in sign_ins(identity_db, admin, user_id)]
    assert outcomes == ["locked", "locked"] + ["failed"] * (deps.policy.max_failed_logins - 1)


def test_an_unknown_address_is_kept_without_the_address_typed(identity_db, deps, create_user, admin):
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps, email="nobody@alder-care.example", client=LAPTOP)
    [entry] = sign_ins(identity_db, admin)
    assert entry["action"] == "failed" and entry["subject_user_id"] is None
    assert "nobody" not in str(entry) and entry["details"]["client_address"] == LAPTOP["address"]


def test_a_wrong_current_password_when_changing_it_is_kept_too(identity_db, deps, create_user, admin):
    user_id = create_user(email=EMAIL)
    with identity_db.unit_of_work() as uow, pytest.raises(InvalidCredentials):
        handlers.change_password(uow, deps, {"email": EMAIL, "current_password": "Wrong-Password-123",
                                             "new_password": "Walnut-Comet-Drizzle-41"}, LAPTOP)
    assert [e["action"] for e in sign_ins(identity_db, admin, user_id)] == ["failed"]


def test_without_client_details_the_attempt_is_still_kept(identity_db, deps, create_user, admin):
    user_id = create_user(email=EMAIL)
    login(identity_db, deps, client=None)
    [entry] = sign_ins(identity_db, admin, user_id)
    assert entry["details"] == {"client_address": None, "user_agent": None}


def test_the_mfa_outcomes_can_be_recorded_and_unknown_outcomes_cannot(identity_db, create_user, admin):
    from identity.repository import get_user
    user_id = create_user(email=EMAIL)
    with identity_db.unit_of_work() as uow:
        user = get_user(uow.session, user_id)
        handlers.record_sign_in(uow, user, "mfa_failed", PHONE, method="totp")
        handlers.record_sign_in(uow, user, "mfa_passed", PHONE, method="recovery_code")
        with pytest.raises(ValueError):
            handlers.record_sign_in(uow, user, "maybe", PHONE)
        uow.commit()
    entries = sign_ins(identity_db, admin, user_id)
    assert [(e["action"], e["details"]["method"]) for e in entries] == [("mfa_passed", "recovery_code"),
                                                                       ("mfa_failed", "totp")]


def test_administrators_filter_by_outcome_and_address(identity_db, deps, create_user, admin):
    create_user(email=EMAIL)
    login(identity_db, deps, client=PHONE)
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps, password="Wrong-Password-123", client=LAPTOP)
    assert [e["action"] for e in sign_ins(identity_db, admin, outcome="failed")] == ["failed"]
    assert [e["action"] for e in sign_ins(identity_db, admin, client_address=PHONE["address"])] == ["succeeded"]
    assert len(sign_ins(identity_db, admin, limit=1)) == 1


# -- who may see them ------------------------------------------------------------------------

def test_a_person_sees_their_own_sign_ins(identity_db, deps, create_user, principal):
    user_id = create_user(email=EMAIL)
    login(identity_db, deps)
    assert [e["action"] for e in sign_ins(identity_db, principal(user_id), user_id)] == ["succeeded"]


def test_only_administrators_see_everyones(identity_db, create_user, principal):
    for roles in ({"level": "approver"}, {"roles": ["system_champion"], "organisation_id": "la-E08000016"}):
        actor = principal(create_user(**roles))
        with pytest.raises(Forbidden):
            sign_ins(identity_db, actor)


def test_an_approver_who_manages_a_person_is_refused_their_sign_ins(identity_db, deps, create_user, principal):
    user_id = create_user(email=EMAIL)
    approver = principal(create_user(email="boss@alder-care.example", level="approver"))
    with pytest.raises(Forbidden):
        sign_ins(identity_db, approver, user_id)


def test_another_organisations_person_is_not_even_found(identity_db, create_user, principal):
    user_id = create_user(email=EMAIL)
    stranger = principal(create_user(email="b@birch-homes.example", organisation_id="prov-b", level="approver"))
    with pytest.raises(NotFound):
        sign_ins(identity_db, stranger, user_id)


def test_a_made_up_principal_is_refused(identity_db, create_user):
    user_id = create_user(email=EMAIL)
    nobody = Principal("u-unknown", "prov-a", frozenset({Role.CARE_HOME_USER}))
    with pytest.raises((Forbidden, NotFound)):
        sign_ins(identity_db, nobody, user_id)
    with pytest.raises(Forbidden):
        sign_ins(identity_db, nobody)


def test_administrators_get_not_found_for_an_unknown_person(identity_db, admin):
    with pytest.raises(NotFound):
        sign_ins(identity_db, admin, "00000000-0000-0000-0000-000000000000")


def test_sign_ins_are_kept_for_the_audit_period_then_forgotten_with_spent_links(identity_db, deps, create_user,
                                                                                clock, admin):
    from identity.models import PasswordResetLink
    user_id = create_user(email=EMAIL)
    login(identity_db, deps)
    with identity_db.unit_of_work() as uow:
        handlers.request_password_reset(uow, deps, {"email": EMAIL}, PHONE)
    clock.advance(days=deps.sign_in_audit_days - 1)
    with pytest.raises(InvalidCredentials):
        login(identity_db, deps, password="Wrong-Password-123", client=LAPTOP)
    with identity_db.unit_of_work() as uow:
        assert handlers.forget_old_sign_ins(uow, deps) == 0
        uow.commit()
    clock.advance(days=1, seconds=1)
    with identity_db.unit_of_work() as uow:
        assert handlers.forget_old_sign_ins(uow, deps) == 2  # the first sign-in and the link asked for
        assert uow.session.query(PasswordResetLink).count() == 0
        uow.commit()
    assert [e["details"]["client_address"] for e in sign_ins(identity_db, admin, user_id)] == [LAPTOP["address"]]
