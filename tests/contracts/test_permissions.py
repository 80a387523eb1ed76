"""Unit tests for the permission matrix (tracker_common.contracts.permissions).

The expected matrix below is written out by hand from /work/shared/DOMAIN.md,
section "Users, roles and approvals" (the permission matrix table). It is
deliberately *not* derived from `permissions.MATRIX`: the point is to check the
code against the product requirement, not against itself.
"""
from __future__ import annotations

import json

import pytest

from tracker_common.contracts.permissions import (
    GRANTABLE_ROLES,
    Action,
    Principal,
    Role,
    Target,
    may,
)

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
# Fixtures of the world: organisations, geography (real ONS codes).
# ---------------------------------------------------------------------------
BARNSLEY_LA = "E08000016"       # Barnsley Metropolitan Borough Council
BARNSLEY_SUB_ICB = "E38000006"  # NHS South Yorkshire ICB - 02P Barnsley
LEEDS_LA = "E08000035"
LEEDS_SUB_ICB = "E38000225"
CORNWALL_LA = "E06000052"
CORNWALL_SUB_ICB = "E38000089"

CARE_HOME_ORG = "ORG-CAREHOME-A"   # a provider with several care homes in Barnsley
OTHER_CARE_HOME_ORG = "ORG-CAREHOME-B"
BARNSLEY_LA_ORG = "ORG-LA-BARNSLEY"
NATIONAL_ORG = "ORG-DHSC"

# A location of CARE_HOME_ORG, in Barnsley.
OWN_LOCATION = Target(
    organisation_id=CARE_HOME_ORG, location_id="1-000000001",
    la_code=BARNSLEY_LA, sub_icb_code=BARNSLEY_SUB_ICB,
)
# Another location of the same organisation, also in Barnsley.
OWN_OTHER_LOCATION = Target(
    organisation_id=CARE_HOME_ORG, location_id="1-000000002",
    la_code=BARNSLEY_LA, sub_icb_code=BARNSLEY_SUB_ICB,
)
# A location of a different provider, aligned to Barnsley LA / Sub-ICB.
ALIGNED_LOCATION = Target(
    organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000101",
    la_code=BARNSLEY_LA, sub_icb_code=BARNSLEY_SUB_ICB,
)
# A location of a different provider, far away (Cornwall).
ELSEWHERE_LOCATION = Target(
    organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000901",
    la_code=CORNWALL_LA, sub_icb_code=CORNWALL_SUB_ICB,
)


def principal(*roles: Role, **kw) -> Principal:
    kw.setdefault("user_id", "user-1")
    kw.setdefault("organisation_id", CARE_HOME_ORG)
    return Principal(roles=frozenset(roles), **kw)


def natural_principal(role: Role) -> Principal:
    """A principal holding only `role`, in the organisation such a user sits in."""
    if role in (R.CARE_HOME_USER, R.APPROVER):
        # Staff (or the approver) of a care home provider; not a commissioner.
        return principal(role, organisation_id=CARE_HOME_ORG)
    if role is R.ADMIN:
        return principal(role, organisation_id=NATIONAL_ORG)
    # Commissioner-side users (LA staff, brokers, champions, reporting, alerts).
    return principal(
        role, organisation_id=BARNSLEY_LA_ORG,
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    )


def natural_target(role: Role, action: Action) -> Target:
    """A target inside the role's natural scope, so only the role column decides."""
    if action is A.FIND_CAPACITY:
        return Target()  # a search has no target
    if role in (R.CARE_HOME_USER, R.APPROVER):
        return OWN_LOCATION
    if role is R.ADMIN:
        return ELSEWHERE_LOCATION  # admin is not bounded by organisation or area
    return ALIGNED_LOCATION


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


# ---------------------------------------------------------------------------
# 2. Scopes.
# ---------------------------------------------------------------------------

# -- care home user / EDIT_LOCATION (OWN) ------------------------------------

def test_care_home_user_may_edit_location_of_own_organisation():
    p = principal(R.CARE_HOME_USER)
    assert may(p, A.EDIT_LOCATION, OWN_LOCATION)
    assert may(p, A.EDIT_LOCATION, OWN_OTHER_LOCATION)


@pytest.mark.parametrize(
    "target", [ALIGNED_LOCATION, ELSEWHERE_LOCATION], ids=["same-area", "elsewhere"],
)
def test_care_home_user_may_not_edit_another_organisations_location(target: Target):
    # The 403 case: same LA or not, another provider's location is not "own".
    p = principal(R.CARE_HOME_USER)
    assert not may(p, A.EDIT_LOCATION, target)


def test_care_home_user_limited_to_locations_may_not_edit_other_location_of_own_org():
    p = principal(
        R.CARE_HOME_USER, all_locations=False,
        location_ids=frozenset({OWN_LOCATION.location_id}),
    )
    assert may(p, A.EDIT_LOCATION, OWN_LOCATION)
    assert not may(p, A.EDIT_LOCATION, OWN_OTHER_LOCATION)


def test_care_home_user_limited_with_no_locations_may_edit_nothing():
    p = principal(R.CARE_HOME_USER, all_locations=False)
    assert not may(p, A.EDIT_LOCATION, OWN_LOCATION)


def test_care_home_user_may_edit_location_granted_individually_in_another_org():
    # Access to further locations (DOMAIN: "A user may ask for access to
    # further locations"), even of another organisation.
    p = principal(
        R.CARE_HOME_USER, location_ids=frozenset({ELSEWHERE_LOCATION.location_id}),
    )
    assert may(p, A.EDIT_LOCATION, ELSEWHERE_LOCATION)
    # ...but the grant is for that location only.
    other = Target(
        organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000902",
        la_code=CORNWALL_LA, sub_icb_code=CORNWALL_SUB_ICB,
    )
    assert not may(p, A.EDIT_LOCATION, other)


def test_care_home_user_sees_activity_reports_of_own_locations_only():
    # DOMAIN: "Care home users see only their own locations' data".
    p = principal(R.CARE_HOME_USER)
    assert may(p, A.VIEW_ACTIVITY_REPORTS, OWN_LOCATION)
    assert not may(p, A.VIEW_ACTIVITY_REPORTS, ALIGNED_LOCATION)
    assert not may(p, A.VIEW_ACTIVITY_REPORTS, ELSEWHERE_LOCATION)


def test_care_home_user_may_not_search():
    # DOMAIN: "cannot search other providers' capacity"; Search: "Any user
    # except care home users".
    p = principal(R.CARE_HOME_USER)
    assert not may(p, A.FIND_CAPACITY, Target())
    assert not may(p, A.FIND_CAPACITY, ALIGNED_LOCATION)


# -- broker (OWN_OR_ALIGNED for edit) ----------------------------------------

LA_BROKER = principal(
    R.BROKER, organisation_id=BARNSLEY_LA_ORG, aligned_codes=frozenset({BARNSLEY_LA}),
)
SUB_ICB_BROKER = principal(
    R.BROKER, organisation_id="ORG-SUBICB-BARNSLEY",
    aligned_codes=frozenset({BARNSLEY_SUB_ICB}),
)


def test_la_broker_may_edit_location_in_its_la():
    t = Target(
        organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000201",
        la_code=BARNSLEY_LA, sub_icb_code=None,
    )
    assert may(LA_BROKER, A.EDIT_LOCATION, t)


def test_broker_may_edit_location_whose_sub_icb_is_aligned():
    # la_code elsewhere, Sub-ICB aligned: the Sub-ICB code alone is enough.
    t = Target(
        organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000202",
        la_code=LEEDS_LA, sub_icb_code=BARNSLEY_SUB_ICB,
    )
    assert may(SUB_ICB_BROKER, A.EDIT_LOCATION, t)
    # A broker aligned to both an LA and a Sub-ICB code matches on either.
    both = principal(
        R.BROKER, organisation_id=BARNSLEY_LA_ORG,
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    )
    assert may(both, A.EDIT_LOCATION, t)


@pytest.mark.parametrize("broker", [LA_BROKER, SUB_ICB_BROKER], ids=["la", "sub-icb"])
def test_broker_may_not_edit_location_elsewhere(broker: Principal):
    assert not may(broker, A.EDIT_LOCATION, ELSEWHERE_LOCATION)
    leeds = Target(
        organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000301",
        la_code=LEEDS_LA, sub_icb_code=LEEDS_SUB_ICB,
    )
    assert not may(broker, A.EDIT_LOCATION, leeds)


def test_broker_with_no_aligned_codes_may_not_edit_unknown_area_location():
    p = principal(R.BROKER, organisation_id=BARNSLEY_LA_ORG)
    t = Target(organisation_id=OTHER_CARE_HOME_ORG, location_id="1-000000401")
    assert not may(p, A.EDIT_LOCATION, t)


def test_broker_may_deactivate_aligned_location_not_one_elsewhere():
    assert may(LA_BROKER, A.DEACTIVATE_LOCATION, ALIGNED_LOCATION)
    assert not may(LA_BROKER, A.DEACTIVATE_LOCATION, ELSEWHERE_LOCATION)


# -- system champion ----------------------------------------------------------

CHAMPION = principal(
    R.SYSTEM_CHAMPION, organisation_id=BARNSLEY_LA_ORG,
    aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
)


@pytest.mark.parametrize(
    "action", [A.APPROVE_USERS, A.MANAGE_USERS, A.RESET_PASSWORDS], ids=lambda a: a.value,
)
def test_system_champion_user_admin_for_aligned_location_not_elsewhere(action: Action):
    # DOMAIN: applications go to the System Champions of the location's LA / Sub-ICB.
    assert may(CHAMPION, action, ALIGNED_LOCATION)
    assert not may(CHAMPION, action, ELSEWHERE_LOCATION)


def test_system_champion_may_find_capacity():
    # The table gives "find capacity (search)" to the system champion.
    assert may(CHAMPION, A.FIND_CAPACITY, Target())


@pytest.mark.parametrize(
    "action",
    [A.EDIT_LOCATION, A.EXPORT_DATA, A.DEACTIVATE_LOCATION, A.SWITCH_OFF_REMINDERS,
     A.SET_ALERTS, A.GRANT_PERMISSIONS],
    ids=lambda a: a.value,
)
def test_system_champion_may_not_do_what_the_table_withholds(action: Action):
    assert not may(CHAMPION, action, ALIGNED_LOCATION)


# -- approver (OWN) -----------------------------------------------------------

@pytest.mark.parametrize(
    "action",
    [A.APPROVE_USERS, A.MANAGE_USERS, A.RESET_PASSWORDS, A.SWITCH_OFF_REMINDERS],
    ids=lambda a: a.value,
)
def test_approver_acts_in_own_organisation_only(action: Action):
    p = principal(R.APPROVER, organisation_id=CARE_HOME_ORG)
    own_user = Target(organisation_id=CARE_HOME_ORG)
    other_user = Target(organisation_id=OTHER_CARE_HOME_ORG)
    assert may(p, action, own_user)
    assert may(p, action, OWN_LOCATION)
    assert not may(p, action, other_user)
    assert not may(p, action, ALIGNED_LOCATION)


@pytest.mark.parametrize(
    "action",
    [A.APPROVE_USERS, A.MANAGE_USERS, A.RESET_PASSWORDS, A.SWITCH_OFF_REMINDERS],
    ids=lambda a: a.value,
)
def test_approver_of_a_commissioner_does_not_reach_aligned_providers(action: Action):
    # An approver at an LA has aligned codes, but approver rights are "in own
    # organisation": a care home aligned to that LA is someone else's.
    p = principal(
        R.APPROVER, organisation_id=BARNSLEY_LA_ORG,
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    )
    assert may(p, action, Target(organisation_id=BARNSLEY_LA_ORG))
    assert not may(p, action, ALIGNED_LOCATION)
    assert not may(p, action, Target(organisation_id=OTHER_CARE_HOME_ORG,
                                      la_code=BARNSLEY_LA))


# -- extended reporting / manage alerts -----------------------------------------

def test_extended_reporting_exports_aligned_locations_only():
    p = principal(
        R.EXTENDED_REPORTING, organisation_id=BARNSLEY_LA_ORG,
        aligned_codes=frozenset({BARNSLEY_LA}),
    )
    assert may(p, A.EXPORT_DATA, ALIGNED_LOCATION)
    assert not may(p, A.EXPORT_DATA, ELSEWHERE_LOCATION)


def test_manage_alerts_for_aligned_locations_not_elsewhere():
    p = principal(
        R.MANAGE_ALERTS, organisation_id=BARNSLEY_LA_ORG,
        aligned_codes=frozenset({BARNSLEY_LA}),
    )
    assert may(p, A.SET_ALERTS, ALIGNED_LOCATION)
    assert not may(p, A.SET_ALERTS, ELSEWHERE_LOCATION)


# -- admin / nobody -----------------------------------------------------------

ALL_TARGETS = [
    Target(), OWN_LOCATION, ALIGNED_LOCATION, ELSEWHERE_LOCATION,
    Target(organisation_id=OTHER_CARE_HOME_ORG),
    Target(location_id="1-999999999"),
]
TARGET_IDS = ["empty", "own", "aligned", "elsewhere", "other-org", "unknown-location"]


@pytest.mark.parametrize("target", ALL_TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_admin_may_everything(action: Action, target: Target):
    assert may(principal(R.ADMIN, organisation_id=NATIONAL_ORG), action, target)


@pytest.mark.parametrize("target", ALL_TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_principal_without_roles_may_nothing(action: Action, target: Target):
    p = principal(
        organisation_id=CARE_HOME_ORG,
        location_ids=frozenset({OWN_LOCATION.location_id}),
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    )
    assert not may(p, action, target)


def test_default_target_is_empty():
    # may() without a target: ANY-scoped actions hold, OWN-scoped do not.
    assert may(principal(R.NON_CARE_HOME_USER), A.FIND_CAPACITY)
    assert not may(principal(R.CARE_HOME_USER), A.EDIT_LOCATION)


# -- empty / unknown targets for OWN-scoped actions -------------------------------

OWN_SCOPED = [
    (R.CARE_HOME_USER, A.EDIT_LOCATION),
    (R.CARE_HOME_USER, A.VIEW_ACTIVITY_REPORTS),
    (R.APPROVER, A.APPROVE_USERS),
    (R.APPROVER, A.MANAGE_USERS),
    (R.APPROVER, A.RESET_PASSWORDS),
    (R.APPROVER, A.SWITCH_OFF_REMINDERS),
]
UNKNOWN_TARGETS = [
    Target(),
    Target(location_id="1-999999999"),  # a location we know nothing of
    Target(la_code=BARNSLEY_LA),         # area only, no organisation
]


@pytest.mark.parametrize("target", UNKNOWN_TARGETS, ids=["empty", "unknown-location", "area-only"])
@pytest.mark.parametrize("role,action", OWN_SCOPED, ids=lambda x: x.value)
def test_own_scoped_action_on_empty_or_unknown_target_is_denied(
    role: Role, action: Action, target: Target,
):
    p = principal(role, organisation_id=CARE_HOME_ORG)
    assert not may(p, action, target)


# ---------------------------------------------------------------------------
# 3. Claims round trip.
# ---------------------------------------------------------------------------

ROUND_TRIP_PRINCIPALS = [
    Principal(
        user_id="u-1", organisation_id=CARE_HOME_ORG,
        roles=frozenset({R.CARE_HOME_USER, R.APPROVER}),
    ),
    Principal(
        user_id="u-2", organisation_id=CARE_HOME_ORG,
        roles=frozenset({R.CARE_HOME_USER}), all_locations=False,
        location_ids=frozenset({"1-000000001", "1-000000901"}), generic=True,
    ),
    Principal(
        user_id="u-3", organisation_id=BARNSLEY_LA_ORG,
        roles=frozenset({R.NON_CARE_HOME_USER, R.BROKER, R.SYSTEM_CHAMPION,
                         R.EXTENDED_REPORTING, R.MANAGE_ALERTS}),
        aligned_codes=frozenset({BARNSLEY_LA, BARNSLEY_SUB_ICB}),
    ),
    Principal(user_id="u-4", organisation_id=NATIONAL_ORG, roles=frozenset(set(Role))),
    Principal(user_id="u-5", organisation_id=NATIONAL_ORG, roles=frozenset()),
]


@pytest.mark.parametrize("p", ROUND_TRIP_PRINCIPALS, ids=lambda p: p.user_id)
def test_claims_round_trip(p: Principal):
    assert Principal.from_claims(p.to_claims()) == p


@pytest.mark.parametrize("p", ROUND_TRIP_PRINCIPALS, ids=lambda p: p.user_id)
def test_claims_round_trip_through_json(p: Principal):
    # Claims travel in a token: they must survive JSON.
    claims = json.loads(json.dumps(p.to_claims()))
    assert Principal.from_claims(claims) == p


def test_to_claims_shape():
    p = ROUND_TRIP_PRINCIPALS[1]
    assert p.to_claims() == {
        "sub": "u-2",
        "org": CARE_HOME_ORG,
        "roles": ["care_home_user"],
        "all_locations": False,
        "locations": ["1-000000001", "1-000000901"],
        "aligned": [],
        "generic": True,
    }


def test_to_claims_is_deterministic():
    p = ROUND_TRIP_PRINCIPALS[2]
    assert p.to_claims()["roles"] == sorted(r.value for r in p.roles)
    assert p.to_claims()["aligned"] == [BARNSLEY_LA, BARNSLEY_SUB_ICB]


def test_from_claims_minimal_fails_closed():
    # Missing optional claims give the narrowest principal: no roles, limited
    # to no locations, nothing aligned.
    p = Principal.from_claims({"sub": "u-9", "org": CARE_HOME_ORG})
    assert p.roles == frozenset()
    assert p.all_locations is False
    assert p.location_ids == frozenset()
    assert p.aligned_codes == frozenset()
    assert p.generic is False
    for action in Action:
        assert not may(p, action, OWN_LOCATION)


def test_from_claims_rejects_unknown_role():
    with pytest.raises(ValueError):
        Principal.from_claims({"sub": "u-9", "org": CARE_HOME_ORG, "roles": ["superuser"]})
