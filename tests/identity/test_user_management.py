"""What approvers, system champions and administrators do to users: reset
passwords, deactivate leavers, grant permissions, read the audit trail,
list users; and requests for access to further locations."""
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import ApiKey, Application, AuditEntry, User
from identity.passwords import verify_password
from tracker_common.contracts.errors import Conflict, Forbidden, InvalidCredentials, NotFound
from tracker_common.contracts.permissions import Role
from tracker_common.keys import message_sealer

from .helpers import call, user_row

GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"  # create_user's password


# -- helpers -------------------------------------------------------------------


def audit_entries(identity_db, user_id, action):
    """The audit log about `user_id` for `action`, newest first."""
    with identity_db.unit_of_work() as uow:
        return [{"actor_id": e.actor_id, "details": e.details} for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_user_id == user_id, AuditEntry.action == action)
            .order_by(AuditEntry.id.desc()))]


def lock(identity_db, user_id, clock):
    with identity_db.unit_of_work() as uow:
        user = uow.session.get(User, user_id)
        user.failed_logins, user.locked_until = 5, clock.now() + timedelta(hours=24)
        uow.commit()


@pytest.fixture
def admin(create_user, principal):
    return principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))


@pytest.fixture
def approver(create_user, principal):
    return principal(create_user(email="approver@alder-care.example", level="approver"))


@pytest.fixture
def birch_approver(create_user, principal):
    return principal(create_user(email="approver@birch-homes.example", organisation_id="prov-b",
                                 level="approver"))


@pytest.fixture
def barnsley_champion(create_user, principal):
    return principal(create_user(email="champ@barnsley.gov.uk", organisation_id="la-E08000016",
                                 roles=["system_champion"]))


# -- password resets ----------------------------------------------------------------

def test_approver_resets_a_password_in_their_organisation(identity_db, deps, create_user, approver, clock,
                                                         revocations, recorded_events):
    user_id = create_user(email="pat@alder-care.example")
    lock(identity_db, user_id, clock)

    call(identity_db, handlers.reset_password, deps, approver, user_id)

    user = user_row(identity_db, user_id)
    event, = recorded_events("identity.password_reset")
    one_time_password = message_sealer().decrypt(event["data"]["one_time_password_sealed"].encode()).decode()
    assert verify_password(user.password_hash, one_time_password)
    assert not verify_password(user.password_hash, GOOD_PASSWORD)
    assert (user.must_change_password, user.failed_logins, user.locked_until) == (True, 0, None)
    assert revocations.revoked == {user_id: int(clock.now().timestamp() * 1000)}
    assert event["actor"]["user_id"] == approver.user_id
    assert one_time_password not in json.dumps(recorded_events())
    assert [e["actor_id"] for e in audit_entries(identity_db, user_id, "password_reset")] == [approver.user_id]


def test_approver_of_another_organisation_cannot_reset_a_password(identity_db, deps, create_user,
                                                                  birch_approver, revocations,
                                                                  recorded_events):
    user_id = create_user(email="pat@alder-care.example")

    with pytest.raises(NotFound):
        call(identity_db, handlers.reset_password, deps, birch_approver, user_id)

    assert verify_password(user_row(identity_db, user_id).password_hash, GOOD_PASSWORD)
    assert revocations.revoked == {} and recorded_events("identity.password_reset") == []


def test_a_standard_user_cannot_reset_a_colleagues_password(identity_db, deps, create_user, principal):
    colleague = principal(create_user(email="colleague@alder-care.example"))
    user_id = create_user(email="pat@alder-care.example")
    with pytest.raises(NotFound):
        call(identity_db, handlers.reset_password, deps, colleague, user_id)


def test_system_champion_manages_care_home_users_in_their_area(identity_db, deps, create_user,
                                                              barnsley_champion, recorded_events):
    user_id = create_user(email="pat@alder-care.example", location_ids=["1-100"])

    call(identity_db, handlers.reset_password, deps, barnsley_champion, user_id)
    call(identity_db, handlers.deactivate_user, deps, barnsley_champion, user_id)

    assert user_row(identity_db, user_id).status == "deactivated"
    assert len(recorded_events("identity.password_reset")) == 1
    assert len(recorded_events("identity.user_deactivated")) == 1


def test_system_champion_cannot_manage_care_home_users_outside_their_area(
        identity_db, deps, create_user, barnsley_champion):
    user_id = create_user(email="kim@birch-homes.example", organisation_id="prov-b", location_ids=["1-200"])

    with pytest.raises(NotFound):
        call(identity_db, handlers.reset_password, deps, barnsley_champion, user_id)
    with pytest.raises(NotFound):
        call(identity_db, handlers.deactivate_user, deps, barnsley_champion, user_id)
    assert user_row(identity_db, user_id).status == "active"


# -- deactivation -------------------------------------------------------------------------

def test_deactivating_a_leaver_revokes_their_tokens(identity_db, deps, create_user, approver, clock,
                                                   revocations, recorded_events):
    user_id = create_user(email="pat@alder-care.example")

    view = call(identity_db, handlers.deactivate_user, deps, approver, user_id)

    user = user_row(identity_db, user_id)
    assert (view["status"], user.status, user.deactivated_at) == ("deactivated", "deactivated", clock.now())
    assert revocations.revoked == {user_id: int(clock.now().timestamp() * 1000)}
    event, = recorded_events("identity.user_deactivated")
    assert event["data"] == {"user_id": user_id, "email": "pat@alder-care.example", "organisation_id": "prov-a"}
    assert len(audit_entries(identity_db, user_id, "user_deactivated")) == 1
    with pytest.raises(InvalidCredentials):
        with identity_db.unit_of_work() as uow:
            handlers.authenticate(uow, deps, {"email": "pat@alder-care.example", "password": GOOD_PASSWORD})


def test_deactivating_an_api_user_revokes_their_keys(identity_db, deps, admin, clock):
    api_user = call(identity_db, handlers.create_api_user, deps, admin,
                    {"name": "Reporting feed", "email": "feed@barnsley.gov.uk",
                     "organisation_id": "la-E08000016"})
    key = call(identity_db, handlers.create_api_key, admin, api_user["id"], {"label": "feed"})
    clock.advance(hours=1)

    call(identity_db, handlers.deactivate_user, deps, admin, api_user["id"])

    with identity_db.unit_of_work() as uow:
        assert [k.revoked_at for k in uow.session.scalars(select(ApiKey))] == [clock.now()]
    with pytest.raises(InvalidCredentials):
        call(identity_db, handlers.authenticate_api_key, key["key"])


def test_nobody_can_deactivate_themselves(identity_db, deps, approver, revocations, recorded_events):
    with pytest.raises(Conflict):
        call(identity_db, handlers.deactivate_user, deps, approver, approver.user_id)
    assert user_row(identity_db, approver.user_id).status == "active"
    assert revocations.revoked == {} and recorded_events("identity.user_deactivated") == []


def test_approver_of_another_organisation_cannot_deactivate(identity_db, deps, create_user, birch_approver):
    user_id = create_user(email="pat@alder-care.example")
    with pytest.raises(NotFound):
        call(identity_db, handlers.deactivate_user, deps, birch_approver, user_id)
    assert user_row(identity_db, user_id).status == "active"


# -- granted permissions ------------------------------------------------------------------

def test_only_administrators_grant_permissions(identity_db, deps, create_user, approver, barnsley_champion,
                                              revocations):
    user_id = create_user(email="pat@alder-care.example")
    for actor in (approver, barnsley_champion):
        with pytest.raises(Forbidden):
            call(identity_db, handlers.grant_permissions, deps, actor, user_id, {"roles": ["broker"]})
    assert user_row(identity_db, user_id).granted_roles == []
    assert revocations.revoked == {}


def test_granting_replaces_the_set_revokes_tokens_and_is_audited(identity_db, deps, create_user, admin,
                                                                principal, revocations, recorded_events):
    user_id = create_user(email="sue@barnsley.gov.uk", organisation_id="la-E08000016")

    call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": ["broker"]})
    assert principal(user_id).roles == {Role.NON_CARE_HOME_USER, Role.BROKER}
    revocations.revoked.clear()

    view = call(identity_db, handlers.grant_permissions, deps, admin, user_id,
                {"roles": ["system_champion", "extended_reporting"]})

    assert view["roles"] == ["extended_reporting", "non_care_home_user", "system_champion"]
    assert principal(user_id).roles == {Role.NON_CARE_HOME_USER, Role.SYSTEM_CHAMPION, Role.EXTENDED_REPORTING}
    assert list(revocations.revoked) == [user_id]
    assert [e["data"]["roles"] for e in recorded_events("identity.permissions_changed")] == [
        ["broker"], ["extended_reporting", "system_champion"]]
    assert [(e["actor_id"], e["details"]) for e in audit_entries(identity_db, user_id, "permissions_changed")] \
        == [(admin.user_id, {"before": ["broker"], "after": ["extended_reporting", "system_champion"]}),
            (admin.user_id, {"before": [], "after": ["broker"]})]


# -- audit trail and lists -----------------------------------------------------------------

def test_the_audit_trail_of_a_user_is_for_those_who_manage_them(identity_db, deps, create_user, approver,
                                                               birch_approver, admin):
    user_id = create_user(email="pat@alder-care.example")
    call(identity_db, handlers.reset_password, deps, approver, user_id)

    trail = call(identity_db, handlers.audit_trail, approver, user_id)
    assert [(e["action"], e["actor_id"], e["subject_user_id"]) for e in trail] == [
        ("password_reset", approver.user_id, user_id)]
    with pytest.raises(NotFound):
        call(identity_db, handlers.audit_trail, birch_approver, user_id)


def test_the_whole_audit_log_is_for_administrators_only(identity_db, deps, create_user, approver,
                                                        barnsley_champion, admin):
    user_id = create_user(email="pat@alder-care.example")
    call(identity_db, handlers.reset_password, deps, approver, user_id)

    for actor in (approver, barnsley_champion):
        with pytest.raises(Forbidden):
            call(identity_db, handlers.audit_trail, actor, None)
    assert [e["action"] for e in call(identity_db, handlers.audit_trail, admin, None)] == ["password_reset"]


def test_the_audit_log_is_filtered_by_who_whom_what_and_when_and_paged(identity_db, deps, create_user,
                                                                       approver, admin, clock):
    pat = create_user(email="pat@alder-care.example")
    sam = create_user(email="sam@alder-care.example")
    call(identity_db, handlers.reset_password, deps, approver, pat)
    clock.advance(hours=2)
    since = clock.now()
    call(identity_db, handlers.reset_password, deps, admin, sam)
    call(identity_db, handlers.deactivate_user, deps, admin, pat)

    def trail(**query):
        return [(e["action"], e["actor_email"], e["subject_email"])
                for e in call(identity_db, handlers.audit_trail, admin, None, {"limit": 200, "page": 1, **query})]

    assert trail(actor_email="approver@alder-care.example") == [
        ("password_reset", "approver@alder-care.example", "pat@alder-care.example")]
    assert trail(subject_email="pat@alder-care.example", action="user_deactivated") == [
        ("user_deactivated", "admin@tracker.example", "pat@alder-care.example")]
    assert [a for a, _, _ in trail(since=since)] == ["user_deactivated", "password_reset"]
    assert [s for _, _, s in trail(until=since, action="password_reset")] == ["pat@alder-care.example"]
    assert trail(actor_email="nobody@alder-care.example") == []
    assert [s for _, _, s in trail(limit=1, page=2, action="password_reset")] == ["pat@alder-care.example"]


def test_list_users_shows_only_users_the_actor_may_manage(identity_db, deps, create_user, principal,
                                                         approver, birch_approver, admin):
    house = create_user(email="house@alder-care.example", name="Ann House", location_ids=["1-100"])
    lodge = create_user(email="lodge@alder-care.example", name="Bob Lodge", location_ids=["1-101"])
    house_approver = principal(create_user(email="ha@alder-care.example", name="Cat Approver",
                                           level="approver", location_ids=["1-100"]))
    standard = principal(house)

    def listed(actor):
        return {u["id"] for u in call(identity_db, handlers.list_users, deps, actor, "prov-a")}

    everyone = {house, lodge, house_approver.user_id, approver.user_id}
    assert listed(approver) == everyone
    assert listed(admin) == everyone
    assert lodge not in listed(house_approver) and house in listed(house_approver)
    assert listed(birch_approver) == set()
    assert listed(standard) == set()


# -- access to further locations ------------------------------------------------------------

def request_access(identity_db, actor, *location_ids, reason=None):
    return call(identity_db, handlers.request_location_access, actor,
                {"location_ids": list(location_ids), "reason": reason})


def test_location_access_request_is_routed_to_the_locations_approvers_and_adds_the_location(
        identity_db, deps, create_user, principal, approver, recorded_events):
    user_id = create_user(email="pat@alder-care.example", location_ids=["1-100"])
    lodge_approver = principal(create_user(email="la@alder-care.example", level="approver",
                                           location_ids=["1-101"]))
    house_approver = principal(create_user(email="ha@alder-care.example", level="approver",
                                           location_ids=["1-100"]))

    application = request_access(identity_db, principal(user_id), "1-101", reason="I cover the Lodge")

    event, = recorded_events("identity.access_requested")
    assert event["data"]["routed_to"] == "approvers"
    assert sorted(r["email"] for r in event["data"]["reviewers"]) == [
        "approver@alder-care.example", "la@alder-care.example"]
    assert event["data"]["location_ids"] == ["1-101"]
    assert [a["id"] for a in call(identity_db, handlers.list_pending_applications, lodge_approver)] \
        == [application["id"]]
    assert call(identity_db, handlers.list_pending_applications, house_approver) == []

    call(identity_db, handlers.decide_application, deps, lodge_approver, application["id"],
         {"decision": "approve", "reason": None, "level": None})

    assert principal(user_id).location_ids == {"1-100", "1-101"}
    event, = recorded_events("identity.access_approved")
    assert event["data"]["location_ids"] == ["1-101"]
    assert recorded_events("identity.user_approved") == []  # the account itself is unchanged
    assert verify_password(user_row(identity_db, user_id).password_hash, GOOD_PASSWORD)


def test_rejected_location_access_adds_nothing(identity_db, deps, create_user, principal, approver,
                                               recorded_events):
    user_id = create_user(email="pat@alder-care.example", location_ids=["1-100"])
    application = request_access(identity_db, principal(user_id), "1-101")

    call(identity_db, handlers.decide_application, deps, approver, application["id"],
         {"decision": "reject", "reason": "Not on the Lodge rota", "level": None})

    assert principal(user_id).location_ids == {"1-100"}
    assert user_row(identity_db, user_id).status == "active"
    assert recorded_events("identity.access_rejected")[0]["data"]["reason"] == "Not on the Lodge rota"


def test_access_to_locations_already_held_is_a_conflict(identity_db, create_user, principal):
    limited = principal(create_user(email="pat@alder-care.example", location_ids=["1-100"]))
    whole = principal(create_user(email="kim@alder-care.example"))
    with pytest.raises(Conflict):
        request_access(identity_db, limited, "1-100")
    with pytest.raises(Conflict):
        request_access(identity_db, whole, "1-101")
    with identity_db.unit_of_work() as uow:
        assert uow.session.scalars(select(Application)).all() == []


def test_access_to_another_providers_location_goes_to_that_locations_approvers(
        identity_db, deps, create_user, principal, approver, birch_approver, recorded_events):
    user_id = create_user(email="pat@alder-care.example", location_ids=["1-100"])

    application = request_access(identity_db, principal(user_id), "1-200")

    event, = recorded_events("identity.access_requested")
    assert [r["email"] for r in event["data"]["reviewers"]] == ["approver@birch-homes.example"]
    assert [a["id"] for a in call(identity_db, handlers.list_pending_applications, birch_approver)] \
        == [application["id"]]
    with pytest.raises(NotFound):  # Alder Care's approver has no say over Birch Court
        call(identity_db, handlers.decide_application, deps, approver, application["id"],
             {"decision": "approve", "reason": None, "level": None})


# -- the last login report ------------------------------------------------------------------
def test_last_logins_list_never_signed_in_first_then_the_longest_ago(identity_db, create_user, principal, clock):
    from sqlalchemy import update

    recent = create_user(email="recent@alder-care.example", name="Ann Recent")
    old = create_user(email="old@alder-care.example", name="Bob Old")
    never = create_user(email="never@alder-care.example", name="Cat Never")
    create_user(email="api@alder-care.example", name="Feed", api_user=True)  # not a person
    with identity_db.unit_of_work() as uow:
        for user_id, days in ((recent, 1), (old, 40)):
            uow.session.execute(update(User).where(User.id == user_id)
                                .values(last_login_at=clock.now() - timedelta(days=days)))
        uow.commit()
    staff = principal(create_user(email="staff@alder-care.example", name="Dee Staff", roles=()))

    def report(actor, **query):
        return call(identity_db, handlers.last_logins, actor, {"page": 1, "per_page": 50, **query})

    found = report(staff)
    assert found["organisation_name"] and found["total"] == 4
    assert [u["name"] for u in found["users"]] == ["Cat Never", "Dee Staff", "Bob Old", "Ann Recent"]
    assert found["users"][2]["last_login_at"] == (clock.now() - timedelta(days=40)).isoformat()
    assert [u["name"] for u in report(staff, not_logged_in_for_days=30)["users"]] == [
        "Cat Never", "Dee Staff", "Bob Old"]
    assert [u["name"] for u in report(staff, per_page=1, page=2)["users"]] == ["Dee Staff"]


def test_only_administrators_see_another_organisations_last_logins(identity_db, create_user, principal,
                                                                        admin, approver):
    staff = principal(create_user(email="staff@alder-care.example"))
    commissioner = replace(staff, organisation_id="la-E08000016", roles=frozenset({Role.NON_CARE_HOME_USER}))
    for outsider in (staff, commissioner):  # another organisation's people: personal data
        with pytest.raises(Forbidden):
            call(identity_db, handlers.last_logins, outsider, {"organisation_id": "prov-b", "page": 1,
                                                               "per_page": 50})
    only_approving = replace(approver, roles=frozenset({Role.APPROVER}))  # approving is not reporting
    with pytest.raises(Forbidden):
        call(identity_db, handlers.last_logins, only_approving, {"page": 1, "per_page": 50})
    assert call(identity_db, handlers.last_logins, admin, {"organisation_id": "prov-b", "page": 1,
                                                           "per_page": 50})["organisation_id"] == "prov-b"
    with pytest.raises(NotFound):
        call(identity_db, handlers.last_logins, admin, {"organisation_id": "nowhere", "page": 1, "per_page": 50})
