"""Unit tests for the permission matrix: the scopes (own organisation, aligned
area, individually granted locations) and the claims a token carries.
(The matrix itself, against DOMAIN.md's table: test_permissions.py.)"""
from __future__ import annotations

import json

import pytest

from tracker_common.contracts.permissions import Action, Principal, Role, Target, may

from .permission_world import (ALIGNED_LOCATION, BARNSLEY_LA, BARNSLEY_LA_ORG, BARNSLEY_SUB_ICB,
                               CARE_HOME_ORG, CORNWALL_LA, CORNWALL_SUB_ICB, ELSEWHERE_LOCATION, LEEDS_LA,
                               LEEDS_SUB_ICB, NATIONAL_ORG, OTHER_CARE_HOME_ORG, OWN_LOCATION,
                               OWN_OTHER_LOCATION, principal)

R, A = Role, Action

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
