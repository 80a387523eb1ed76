"""The world the permission tests are set in: organisations, real ONS codes,
locations (targets) and principals in their natural scope."""
from __future__ import annotations

from tracker_common.contracts.permissions import Action, Principal, Role, Target

R, A = Role, Action


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
