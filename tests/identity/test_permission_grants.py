"""The permissions administrators grant, bound to organisations: each
permission is held only by the people of the organisations the permission
holders rule allows; a grant outside it is refused (422 on `roles`, the
rule named) and changes nothing; only administrators grant; a grant that
breaks the rule, stored before it was enforced, is never in effect and is
listed by the operator command."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from identity import handlers
from identity.models import AuditEntry
from tracker_common.contracts.errors import Conflict, Forbidden, InvalidInput
from tracker_common.contracts.permissions import Role

from .helpers import call, user_row

ROOT = Path(__file__).resolve().parents[2]
# One organisation of each kind beyond those of the shared reference data.
MORE_ORGANISATIONS = [
    dict(organisation_id="subicb-02P", name="Barnsley Sub-ICB", kind="sub_icb", email_domains=["nhs.net"],
         ons_code="02P", sub_icb_code="02P"),
    dict(organisation_id="icb-QF7", name="South Yorkshire ICB", kind="icb", email_domains=["nhs.net"]),
    dict(organisation_id="region-Y63", name="North East and Yorkshire", kind="nhs_region",
         email_domains=["england.nhs.uk"]),
    dict(organisation_id="trust-rr", name="Riverside Hospitals NHS Trust", kind="nhs_trust",
         email_domains=["nhs.net"], la_code="E08000016", sub_icb_code="02P"),
]
ORGANISATION_OF_KIND = {"care_provider": "prov-a", "local_authority": "la-E08000016", "sub_icb": "subicb-02P",
                        "icb": "icb-QF7", "nhs_region": "region-Y63", "nhs_trust": "trust-rr",
                        "national": "ct-national"}
# By hand, from DOMAIN: aligned-location permissions only where there are
# aligned locations; a champion in any system organisation; never a care provider.
MAY_HOLD = {
    "broker": {"local_authority", "sub_icb"},
    "system_champion": {"local_authority", "sub_icb", "icb", "nhs_region", "nhs_trust"},
    "extended_reporting": {"local_authority", "sub_icb"},
    "manage_alerts": {"local_authority", "sub_icb"},
}


@pytest.fixture
def organisations(identity_db, reference):
    with identity_db.unit_of_work() as uow:
        for organisation in MORE_ORGANISATIONS:
            handlers.apply_organisation_snapshot(uow, {"version": 1, "ons_code": None, "la_code": None,
                                                       "sub_icb_code": None, **organisation})
        uow.commit()


@pytest.fixture
def admin(create_user, principal, organisations):
    return principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))


def audit_of(identity_db, user_id):
    with identity_db.unit_of_work() as uow:
        return uow.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_user_id == user_id)).all()


def assert_nothing_changed(identity_db, user_id, granted, revocations, recorded_events):
    assert user_row(identity_db, user_id).granted_roles == granted
    assert recorded_events("identity.permissions_changed") == []
    assert audit_of(identity_db, user_id) == []
    assert revocations.revoked == {}


@pytest.mark.parametrize("permission", sorted(MAY_HOLD))
@pytest.mark.parametrize("kind", sorted(ORGANISATION_OF_KIND))
def test_a_permission_is_granted_only_where_its_organisation_may_hold_it(
        identity_db, deps, create_user, principal, admin, revocations, recorded_events, kind, permission):
    user_id = create_user(email=f"pat@{kind}.example", organisation_id=ORGANISATION_OF_KIND[kind])

    if kind in MAY_HOLD[permission]:
        view = call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": [permission]})
        assert permission in view["roles"]
        assert Role(permission) in principal(user_id).roles
        assert user_row(identity_db, user_id).granted_roles == [permission]
        return

    with pytest.raises(InvalidInput) as refused:
        call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": [permission]})
    body = refused.value.body
    assert body["code"] == "invalid_input" and body["rule"] == "permission_holders"
    assert "permission_holders" in body["detail"]
    assert list(body["errors"]) == ["roles"] and len(body["errors"]["roles"]) == 1
    assert body["errors"]["roles"][0].startswith(
        f"{permission.replace('_', ' ').capitalize()} may be held only by people of ")
    assert_nothing_changed(identity_db, user_id, [], revocations, recorded_events)
    assert Role(permission) not in principal(user_id).roles


def test_a_care_home_user_is_refused_broker_and_so_never_searches_competitors(
        identity_db, deps, create_user, principal, admin, revocations, recorded_events):
    user_id = create_user(email="pat@alder-care.example", organisation_id="prov-a")
    with pytest.raises(InvalidInput) as refused:
        call(identity_db, handlers.grant_permissions, deps, admin, user_id,
             {"roles": ["broker", "system_champion", "extended_reporting", "manage_alerts"]})
    assert refused.value.fields == {"roles": [
        "Broker may be held only by people of a Local Authority or a Sub-ICB, not a care provider.",
        "Extended reporting may be held only by people of a Local Authority or a Sub-ICB, not a care provider.",
        "Manage alerts may be held only by people of a Local Authority or a Sub-ICB, not a care provider.",
        "System champion may be held only by people of a Local Authority, a Sub-ICB, an ICB, an NHS region or "
        "an NHS trust, not a care provider."]}
    assert_nothing_changed(identity_db, user_id, [], revocations, recorded_events)
    assert principal(user_id).roles == {Role.CARE_HOME_USER}


def test_one_refused_permission_refuses_the_whole_set(identity_db, deps, create_user, admin, revocations,
                                                      recorded_events):
    user_id = create_user(email="sam@nhs.net", organisation_id="trust-rr", roles=["system_champion"])
    with pytest.raises(InvalidInput) as refused:
        call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": ["broker"]})
    assert refused.value.fields == {"roles": [
        "Broker may be held only by people of a Local Authority or a Sub-ICB, not an NHS trust."]}
    with pytest.raises(InvalidInput):
        call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": ["system_champion", "broker"]})
    assert_nothing_changed(identity_db, user_id, ["system_champion"], revocations, recorded_events)


def test_a_person_of_an_organisation_identity_does_not_know_holds_nothing(identity_db, deps, create_user, admin,
                                                                         principal, revocations, recorded_events):
    user_id = create_user(email="lee@elsewhere.example", organisation_id="not-yet-announced")
    with pytest.raises(InvalidInput):
        call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": ["system_champion"]})
    assert_nothing_changed(identity_db, user_id, [], revocations, recorded_events)


@pytest.mark.parametrize("actor_kind", [
    dict(organisation_id="prov-a"),
    dict(organisation_id="prov-a", level="approver"),
    dict(organisation_id="la-E08000016"),
    dict(organisation_id="la-E08000016", level="approver"),
    dict(organisation_id="la-E08000016", roles=["broker"]),
    dict(organisation_id="la-E08000016", level="approver", roles=["system_champion"]),
    dict(organisation_id="subicb-02P", roles=["extended_reporting", "manage_alerts"]),
    dict(organisation_id="ct-national"),
    dict(organisation_id="la-E08000016", api_user=True),
], ids=["care-home-user", "care-home-approver", "council-user", "council-approver", "broker", "champion",
        "reporting-and-alerts", "support-team", "api-user"])
def test_only_administrators_grant(identity_db, deps, create_user, principal, admin, revocations, recorded_events,
                                   actor_kind):
    actor = principal(create_user(email="actor@example.test", **actor_kind))
    user_id = create_user(email="sue@barnsley.gov.uk", organisation_id="la-E08000016")
    revocations.revoked.clear()
    with pytest.raises(Forbidden):
        call(identity_db, handlers.grant_permissions, deps, actor, user_id, {"roles": ["broker"]})
    assert user_row(identity_db, user_id).granted_roles == []
    assert recorded_events("identity.permissions_changed") == [] and revocations.revoked == {}


def test_api_users_are_granted_nothing(identity_db, deps, create_user, admin):
    user_id = create_user(email="feed@barnsley.gov.uk", organisation_id="la-E08000016", api_user=True)
    with pytest.raises(Conflict):
        call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": ["broker"]})


def test_a_stored_grant_that_breaks_the_rule_is_never_in_effect_and_can_be_removed(
        identity_db, deps, create_user, principal, admin, revocations):
    user_id = create_user(email="pat@alder-care.example", organisation_id="prov-a", level="approver",
                          roles=["broker", "system_champion"])
    assert principal(user_id).roles == {Role.CARE_HOME_USER, Role.APPROVER}

    view = call(identity_db, handlers.grant_permissions, deps, admin, user_id, {"roles": []})
    assert view["roles"] == ["approver", "care_home_user"]
    assert user_row(identity_db, user_id).granted_roles == []
    assert list(revocations.revoked) == [user_id]


# -- the operator command -------------------------------------------------------------------------------

def breaching_grants(create_user):
    create_user(email="pat@alder-care.example", name="Pat Home", organisation_id="prov-a", roles=["broker"])
    create_user(email="sam@nhs.net", name="Sam Trust", organisation_id="trust-rr",
                roles=["system_champion", "extended_reporting"])
    create_user(email="sue@barnsley.gov.uk", name="Sue Council", organisation_id="la-E08000016",
                roles=["broker", "manage_alerts", "system_champion", "extended_reporting"])
    create_user(email="ann@alder-care.example", name="Ann Gone", organisation_id="prov-a", status="deactivated",
                roles=["manage_alerts"])


def test_breaches_are_listed_person_organisation_and_permission(identity_db, create_user, organisations):
    breaching_grants(create_user)
    with identity_db.unit_of_work() as uow:
        found = handlers.permission_breaches(uow)
    assert [(b["email"], b["organisation_id"], b["organisation_kind"], b["permission"], b["status"])
            for b in found] == [
        ("ann@alder-care.example", "prov-a", "care_provider", "manage_alerts", "deactivated"),
        ("pat@alder-care.example", "prov-a", "care_provider", "broker", "active"),
        ("sam@nhs.net", "trust-rr", "nhs_trust", "extended_reporting", "active")]
    assert found[2]["organisation_name"] == "Riverside Hospitals NHS Trust"
    assert found[2]["problem"] == ("Extended reporting may be held only by people of a Local Authority or a "
                                   "Sub-ICB, not an NHS trust.")


def run_command(identity_database_url):
    env = {**os.environ, "DATABASE_URL_TEMPLATE": identity_database_url}
    return subprocess.run([sys.executable, "-m", "identity.manage", "permission-breaches"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_the_command_lists_breaches_and_fails(identity_db, identity_database_url, create_user, organisations):
    breaching_grants(create_user)
    done = run_command(identity_database_url)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("pat@alder-care.example (Pat Home, active, user ")
    assert "of Alder Care (prov-a, care_provider) holds broker: Broker may be held only by people of" in lines[1]
    assert "sam@nhs.net" in lines[2] and "holds extended_reporting" in lines[2]
    assert "3 granted permission(s) break the permission holders rule" in done.stderr


def test_the_command_passes_when_every_grant_keeps_the_rule(identity_db, identity_database_url, create_user,
                                                            organisations):
    create_user(email="sue@barnsley.gov.uk", organisation_id="la-E08000016", roles=["broker", "manage_alerts"])
    done = run_command(identity_database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "identity: every granted permission is held by an organisation that may hold it"
