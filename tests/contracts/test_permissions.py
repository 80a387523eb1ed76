"""Unit tests for the permission matrix (tracker_common.contracts.permissions).

The expected matrix below is written out by hand from /work/shared/DOMAIN.md,
section "Users, roles and approvals" (the permission matrix table). It is
deliberately *not* derived from `permissions.MATRIX`: the point is to check the
code against the product requirement, not against itself.
"""
from __future__ import annotations

import pytest

from tracker_common.contracts.permissions import (
    GRANTABLE_ROLES,
    Action,
    Principal,
    Role,
    Target,
    may,
)

from .permission_world import (ALIGNED_LOCATION, BARNSLEY_LA, BARNSLEY_LA_ORG, BARNSLEY_SUB_ICB,
                               CARE_HOME_ORG, ELSEWHERE_LOCATION, OWN_LOCATION, natural_principal,
                               natural_target, principal)

R, A = Role, Action

# ---------------------------------------------------------------------------
# DOMAIN.md permission matrix, restated by hand: row -> roles holding it.
# Table columns: care home user | approver | non care home user | broker |
#                system champion | extended reporting | manage alerts | admin
# ---------------------------------------------------------------------------
DOMAIN_TABLE: dict[str, set[Role]] = {
    "approve new users in own organisation": {R.APPROVER, R.SYSTEM_CHAMPION, R.ADMIN},
    # system champion marked "(x)" in the table: holds it (for aligned locations).
    "manage users for own organisation (+ aligned locations)": {
        R.APPROVER, R.SYSTEM_CHAMPION, R.ADMIN,
    },
    "edit own location details, costs, capacities": {R.CARE_HOME_USER, R.BROKER, R.ADMIN},
    "edit details, costs, capacities of aligned locations": {R.BROKER, R.ADMIN},
    "find capacity (search)": {R.NON_CARE_HOME_USER, R.BROKER, R.SYSTEM_CHAMPION, R.ADMIN},
    "last login and last modified capacity reports": {
        R.CARE_HOME_USER, R.NON_CARE_HOME_USER, R.BROKER, R.SYSTEM_CHAMPION, R.ADMIN,
    },
    "full reporting suite": {R.NON_CARE_HOME_USER, R.BROKER, R.SYSTEM_CHAMPION, R.ADMIN},
    "data export for aligned locations": {R.EXTENDED_REPORTING, R.ADMIN},
    "reset passwords in own organisation": {R.APPROVER, R.SYSTEM_CHAMPION, R.ADMIN},
    "deactivate a location": {R.BROKER, R.ADMIN},
    "switch off automatic reminder emails": {R.APPROVER, R.BROKER, R.ADMIN},
    "set alerts for locations": {R.MANAGE_ALERTS, R.ADMIN},
    "grant broker / champion / reporting / alerts permissions": {R.ADMIN},
}

ROW_TO_ACTION: dict[str, Action] = {
    "approve new users in own organisation": A.APPROVE_USERS,
    "manage users for own organisation (+ aligned locations)": A.MANAGE_USERS,
    "edit own location details, costs, capacities": A.EDIT_LOCATION,
    "edit details, costs, capacities of aligned locations": A.EDIT_LOCATION,
    "find capacity (search)": A.FIND_CAPACITY,
    "last login and last modified capacity reports": A.VIEW_ACTIVITY_REPORTS,
    "full reporting suite": A.VIEW_FULL_REPORTS,
    "data export for aligned locations": A.EXPORT_DATA,
    "reset passwords in own organisation": A.RESET_PASSWORDS,
    "deactivate a location": A.DEACTIVATE_LOCATION,
    "switch off automatic reminder emails": A.SWITCH_OFF_REMINDERS,
    "set alerts for locations": A.SET_ALERTS,
    "grant broker / champion / reporting / alerts permissions": A.GRANT_PERMISSIONS,
}

# The eight columns of the table (API_USER is described in prose, not a column).
TABLE_ROLES: tuple[Role, ...] = (
    R.CARE_HOME_USER, R.APPROVER, R.NON_CARE_HOME_USER, R.BROKER,
    R.SYSTEM_CHAMPION, R.EXTENDED_REPORTING, R.MANAGE_ALERTS, R.ADMIN,
)


def _expected_by_action() -> dict[Action, set[Role]]:
    """Fold table rows onto actions (two "edit" rows map to EDIT_LOCATION)."""
    out: dict[Action, set[Role]] = {}
    for row, roles in DOMAIN_TABLE.items():
        out.setdefault(ROW_TO_ACTION[row], set()).update(roles)
    return out


EXPECTED: dict[Action, set[Role]] = _expected_by_action()
TABLE_ACTIONS: tuple[Action, ...] = tuple(EXPECTED)


# ---------------------------------------------------------------------------
# 1. The role columns of the table.
# ---------------------------------------------------------------------------

def test_table_mapping_covers_every_action_but_those_beyond_the_table():
    # READ_API is the 2024 API user, described in prose rather than as a row;
    # VIEW_LOCATION, DECIDE_CONTRACTS and SEND_REMINDERS come from DOMAIN's
    # text (profiles seen in search results, contracts approved by the LA /
    # Sub-ICB, the report's reminder button); VIEW_NOTIFICATIONS is the
    # administrators' view of every email sent; VIEW_COMPLIANCE the ASC
    # collection's report, for an area's commissioners.
    assert set(TABLE_ACTIONS) == set(Action) - {A.READ_API, A.VIEW_LOCATION, A.DECIDE_CONTRACTS,
                                                A.SEND_REMINDERS, A.VIEW_NOTIFICATIONS, A.VIEW_COMPLIANCE}


def test_collection_compliance_is_for_an_areas_commissioners_and_administrators():
    from tracker_common.contracts.reporting import sees_compliance
    council = Principal("u", "la-x", frozenset({R.NON_CARE_HOME_USER}), aligned_codes=frozenset({"E08000016"}))
    trust = Principal("u", "trust-x", frozenset({R.NON_CARE_HOME_USER, R.SYSTEM_CHAMPION}))
    carer = Principal("u", "prov-a", frozenset({R.CARE_HOME_USER, R.APPROVER}), aligned_codes=frozenset({"E08000016"}))
    admin = Principal("u", "national", frozenset({R.ADMIN}))
    assert sees_compliance(council) and sees_compliance(admin)
    assert not sees_compliance(trust) and not sees_compliance(carer)
    assert may(council, A.VIEW_COMPLIANCE, ALIGNED_LOCATION) and not may(council, A.VIEW_COMPLIANCE,
                                                                          ELSEWHERE_LOCATION)


def test_reminders_are_sent_by_commissioners_for_their_area_and_never_by_care_homes():
    council = Principal("u", "la-x", frozenset({R.NON_CARE_HOME_USER}), aligned_codes=frozenset({"E08000016"}))
    carer = Principal("u", "prov-a", frozenset({R.CARE_HOME_USER, R.APPROVER}))
    admin = Principal("u", "admin-org", frozenset({R.ADMIN}))
    home_in_barnsley = Target(organisation_id="prov-a", location_id="1-1", la_code="E08000016")
    assert may(council, A.SEND_REMINDERS, home_in_barnsley)
    assert not may(council, A.SEND_REMINDERS, Target(organisation_id="prov-b", la_code="E09000001"))
    assert not may(carer, A.SEND_REMINDERS, home_in_barnsley)
    assert may(admin, A.SEND_REMINDERS, home_in_barnsley)
    assert not may(council, A.VIEW_NOTIFICATIONS) and may(admin, A.VIEW_NOTIFICATIONS)


def test_a_contract_is_decided_by_its_commissioner_only():
    la_approver = Principal("u", "la-x", frozenset({R.NON_CARE_HOME_USER, R.APPROVER}),
                            aligned_codes=frozenset({"E08000016"}))
    care_home_approver = Principal("u", "prov-a", frozenset({R.CARE_HOME_USER, R.APPROVER}))
    assert may(la_approver, A.DECIDE_CONTRACTS, Target(la_code="E08000016"))
    assert not may(la_approver, A.DECIDE_CONTRACTS, Target(la_code="E09000001"))
    assert not may(care_home_approver, A.DECIDE_CONTRACTS, Target(la_code="E08000016"))
    plain_la_user = Principal("u", "la-x", frozenset({R.NON_CARE_HOME_USER}), aligned_codes=frozenset({"E08000016"}))
    assert not may(plain_la_user, A.DECIDE_CONTRACTS, Target(la_code="E08000016"))


def test_a_care_home_user_views_only_its_own_locations_and_searchers_view_all():
    carer = Principal("u", "prov-a", frozenset({R.CARE_HOME_USER}))
    nurse = Principal("u", "trust-a", frozenset({R.NON_CARE_HOME_USER}))
    own, other = Target("prov-a", "1-1"), Target("prov-b", "1-2")
    assert may(carer, A.VIEW_LOCATION, own) and not may(carer, A.VIEW_LOCATION, other)
    assert may(nurse, A.VIEW_LOCATION, other)


def test_table_columns_cover_every_role_but_api_user():
    assert set(TABLE_ROLES) == set(Role) - {R.API_USER}


@pytest.mark.parametrize("role", TABLE_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("action", TABLE_ACTIONS, ids=lambda a: a.value)
def test_single_role_in_natural_scope_matches_domain_table(action: Action, role: Role):
    p = natural_principal(role)
    t = natural_target(role, action)
    assert may(p, action, t) is (role in EXPECTED[action])


@pytest.mark.parametrize("role", TABLE_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("action", TABLE_ACTIONS, ids=lambda a: a.value)
def test_single_role_with_target_both_own_and_aligned_matches_domain_table(
    action: Action, role: Role,
):
    """Target inside the principal's own organisation *and* its aligned area, so
    every scope holds and a denial can only come from the role column."""
    p = principal(
        role, organisation_id=CARE_HOME_ORG,
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    )
    assert may(p, action, OWN_LOCATION) is (role in EXPECTED[action])


def test_grantable_roles_are_those_of_the_grant_row():
    # "grant broker / champion / reporting / alerts permissions"
    assert set(GRANTABLE_ROLES) == {
        R.BROKER, R.SYSTEM_CHAMPION, R.EXTENDED_REPORTING, R.MANAGE_ALERTS,
    }


def test_care_home_approver_combines_both_columns():
    """A real approver at a care home has CARE_HOME_USER (organisation) and
    APPROVER (level): the union of both columns, still no search."""
    p = principal(R.CARE_HOME_USER, R.APPROVER, organisation_id=CARE_HOME_ORG)
    for action in TABLE_ACTIONS:
        expected = bool(EXPECTED[action] & {R.CARE_HOME_USER, R.APPROVER})
        t = Target() if action is A.FIND_CAPACITY else OWN_LOCATION
        assert may(p, action, t) is expected, action


def test_api_user_reads_the_api_and_changes_nothing():
    # DOMAIN: "API users read data through the API with a key."
    p = principal(R.API_USER, organisation_id=BARNSLEY_LA_ORG)
    assert may(p, A.READ_API, Target())
    for action in (
        A.APPROVE_USERS, A.MANAGE_USERS, A.EDIT_LOCATION, A.RESET_PASSWORDS,
        A.DEACTIVATE_LOCATION, A.SWITCH_OFF_REMINDERS, A.SET_ALERTS,
        A.GRANT_PERMISSIONS,
    ):
        assert not may(p, action, ALIGNED_LOCATION), action
