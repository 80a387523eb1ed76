"""The permission holders rule on its own: which organisations' people may be
granted each permission (tracker_common.contracts.permissions).

The expected table is written out by hand, not read from PERMISSION_HOLDERS:
broker, extended reporting and manage alerts act on aligned locations, which
only a Local Authority or a Sub-ICB has; a system champion may be had by any
system organisation; a care provider and the central administrators'
organisation hold none of them.
"""
from __future__ import annotations

import pytest

from tracker_common.contracts.permissions import (GRANTABLE_ROLES, PERMISSION_HOLDERS_RULE, OrganisationKind,
                                                  Role, grant_problems, may_hold)

KINDS = ("care_provider", "local_authority", "sub_icb", "icb", "nhs_region", "nhs_trust", "national")
EXPECTED = {
    "broker": {"local_authority", "sub_icb"},
    "system_champion": {"local_authority", "sub_icb", "icb", "nhs_region", "nhs_trust"},
    "extended_reporting": {"local_authority", "sub_icb"},
    "manage_alerts": {"local_authority", "sub_icb"},
}


def test_every_organisation_kind_and_grantable_permission_is_covered():
    assert {kind.value for kind in OrganisationKind} == set(KINDS)
    assert {role.value for role in GRANTABLE_ROLES} == set(EXPECTED)


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("kind", KINDS)
def test_who_may_hold_each_permission(role, kind):
    allowed = kind in EXPECTED[role]
    assert may_hold(Role(role), kind) is allowed
    assert (grant_problems([role], kind) == []) is allowed


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_a_care_providers_people_hold_no_granted_permission(role):
    assert grant_problems([role], "care_provider") == [
        f"{role.replace('_', ' ').capitalize()} may be held only by people of "
        + ("a Local Authority or a Sub-ICB" if role != "system_champion"
           else "a Local Authority, a Sub-ICB, an ICB, an NHS region or an NHS trust")
        + ", not a care provider."]


@pytest.mark.parametrize("kind", [None, "", "hospital", "CARE_PROVIDER"])
def test_no_organisation_or_an_unknown_kind_holds_nothing(kind):
    for role in GRANTABLE_ROLES:
        assert not may_hold(role, kind)
    assert grant_problems(["broker"], kind) == [
        "Broker may be held only by people of a Local Authority or a Sub-ICB, not an organisation of unknown kind."]


def test_every_refused_permission_is_named_once_and_allowed_ones_not_at_all():
    problems = grant_problems(["system_champion", "broker", "broker"], "nhs_trust")
    assert problems == ["Broker may be held only by people of a Local Authority or a Sub-ICB, not an NHS trust."]
    assert grant_problems(["broker", "system_champion", "extended_reporting", "manage_alerts"], "sub_icb") == []
    assert grant_problems([], "care_provider") == []


@pytest.mark.parametrize("role", ["admin", "api_user", "approver", "care_home_user", "superuser"])
def test_what_is_not_granted_is_never_held_by_a_grant(role):
    assert not may_hold(role, "local_authority")
    assert grant_problems([role], "local_authority") == [f"{role} is not a permission that is granted."]


def test_the_rule_has_a_name_errors_can_carry():
    assert PERMISSION_HOLDERS_RULE == "permission_holders"
