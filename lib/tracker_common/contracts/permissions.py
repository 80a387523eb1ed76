"""The permission matrix of the Capacity Tracker, as data, and the one
function every service and the gateway ask: `may(principal, action, target)`.

A principal's roles come from its organisation (care home user or not), its
level (approver) and the permissions an administrator granted. Each cell of
the matrix says in which *scope* a role holds an action:

- OWN: the principal's own organisation (all of it, or only the locations the
  principal is limited to), plus any location granted to the principal;
- ALIGNED: locations and organisations aligned to the principal's Local
  Authority or Sub-ICB;
- OWN_OR_ALIGNED: either;
- ANY: everywhere the action applies.

Which organisations' people may be granted each permission at all is a rule
of its own (PERMISSION_HOLDERS): identity refuses a grant that breaks it and
leaves such a grant out of a token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(str, Enum):
    CARE_HOME_USER = "care_home_user"
    NON_CARE_HOME_USER = "non_care_home_user"
    APPROVER = "approver"
    BROKER = "broker"
    SYSTEM_CHAMPION = "system_champion"
    EXTENDED_REPORTING = "extended_reporting"
    MANAGE_ALERTS = "manage_alerts"
    ADMIN = "admin"
    API_USER = "api_user"


# Permissions only an administrator may grant (DOMAIN, last row of the matrix).
GRANTABLE_ROLES = (Role.BROKER, Role.SYSTEM_CHAMPION, Role.EXTENDED_REPORTING, Role.MANAGE_ALERTS)


class OrganisationKind(str, Enum):
    CARE_PROVIDER = "care_provider"
    LOCAL_AUTHORITY = "local_authority"
    SUB_ICB = "sub_icb"
    ICB = "icb"
    NHS_REGION = "nhs_region"
    NHS_TRUST = "nhs_trust"
    NATIONAL = "national"  # the central administrators' organisation


ORGANISATION_KIND_NAMES = {
    OrganisationKind.CARE_PROVIDER: "a care provider", OrganisationKind.LOCAL_AUTHORITY: "a Local Authority",
    OrganisationKind.SUB_ICB: "a Sub-ICB", OrganisationKind.ICB: "an ICB", OrganisationKind.NHS_REGION:
    "an NHS region", OrganisationKind.NHS_TRUST: "an NHS trust",
    OrganisationKind.NATIONAL: "the central administrators' organisation",
}

K = OrganisationKind
# Whose people may hold each granted permission (the rule named below).
# Broker, extended reporting and manage alerts act on the locations aligned to
# the holder's organisation, and only a Local Authority or a Sub-ICB has
# aligned locations (alignment is by their own code): anywhere else the grant
# would reach nothing, or, through a care provider, its competitors. A system
# champion also looks after the people of their own organisation, so any
# system organisation may have one. A care provider's people hold none of them
# (they would search and edit their competitors); the central administrators
# act through the administrator permission, which already holds every action.
PERMISSION_HOLDERS: dict[Role, frozenset[OrganisationKind]] = {
    Role.BROKER: frozenset({K.LOCAL_AUTHORITY, K.SUB_ICB}),
    Role.SYSTEM_CHAMPION: frozenset({K.LOCAL_AUTHORITY, K.SUB_ICB, K.ICB, K.NHS_REGION, K.NHS_TRUST}),
    Role.EXTENDED_REPORTING: frozenset({K.LOCAL_AUTHORITY, K.SUB_ICB}),
    Role.MANAGE_ALERTS: frozenset({K.LOCAL_AUTHORITY, K.SUB_ICB}),
}
del K
PERMISSION_HOLDERS_RULE = "permission_holders"


def may_hold(role: Role, organisation_kind: str | None) -> bool:
    """Whether people of an organisation of this kind may be granted `role`.
    Unknown kinds (and no organisation) hold nothing: deny by default."""
    return any(kind.value == organisation_kind for kind in PERMISSION_HOLDERS.get(role, ()))


def permission_holders_text(role: Role) -> str:
    """The rule for one permission, as people read it: "Broker may be held
    only by people of a Local Authority or a Sub-ICB"."""
    names = [ORGANISATION_KIND_NAMES[kind] for kind in OrganisationKind if kind in PERMISSION_HOLDERS[role]]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"{role.value.replace('_', ' ').capitalize()} may be held only by people of {listed}"


def grant_problems(roles, organisation_kind: str | None) -> list[str]:
    """What breaks the permission holders rule when people of an organisation
    of `organisation_kind` are granted `roles` (empty: nothing)."""
    try:
        name = ORGANISATION_KIND_NAMES[OrganisationKind(organisation_kind)]
    except ValueError:
        name = "an organisation of unknown kind"
    return [f"{permission_holders_text(Role(role))}, not {name}." if role in PERMISSION_HOLDERS
            else f"{role} is not a permission that is granted." for role in sorted(set(roles))
            if role not in PERMISSION_HOLDERS or not may_hold(Role(role), organisation_kind)]


class Action(str, Enum):
    APPROVE_USERS = "approve_users"
    MANAGE_USERS = "manage_users"
    EDIT_LOCATION = "edit_location"  # details, costs, capacities
    FIND_CAPACITY = "find_capacity"
    VIEW_ACTIVITY_REPORTS = "view_activity_reports"  # last login, last modified capacity
    VIEW_FULL_REPORTS = "view_full_reports"
    EXPORT_DATA = "export_data"
    RESET_PASSWORDS = "reset_passwords"
    DEACTIVATE_LOCATION = "deactivate_location"
    SWITCH_OFF_REMINDERS = "switch_off_reminders"
    SET_ALERTS = "set_alerts"
    GRANT_PERMISSIONS = "grant_permissions"
    READ_API = "read_api"
    VIEW_LOCATION = "view_location"
    DECIDE_CONTRACTS = "decide_contracts"
    SEND_REMINDERS = "send_reminders"  # from the "last modified capacity" report
    VIEW_NOTIFICATIONS = "view_notifications"  # every email sent, and templates
    # The ASC collection's compliance: commissioners of an area (their own
    # Local Authority / Sub-ICB / ICB / region, held as aligned codes) and
    # administrators. A discharge team (no area of its own) holds it in no area.
    VIEW_COMPLIANCE = "view_compliance"


class Scope(str, Enum):
    OWN = "own"
    ALIGNED = "aligned"
    OWN_OR_ALIGNED = "own_or_aligned"
    ANY = "any"


R, S = Role, Scope
MATRIX: dict[Action, dict[Role, Scope]] = {
    Action.APPROVE_USERS: {R.APPROVER: S.OWN, R.SYSTEM_CHAMPION: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.MANAGE_USERS: {R.APPROVER: S.OWN, R.SYSTEM_CHAMPION: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.EDIT_LOCATION: {R.CARE_HOME_USER: S.OWN, R.BROKER: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.FIND_CAPACITY: {
        R.NON_CARE_HOME_USER: S.ANY, R.BROKER: S.ANY, R.SYSTEM_CHAMPION: S.ANY, R.ADMIN: S.ANY,
        R.API_USER: S.ANY,
    },
    Action.VIEW_ACTIVITY_REPORTS: {
        R.CARE_HOME_USER: S.OWN, R.NON_CARE_HOME_USER: S.ANY, R.BROKER: S.ANY,
        R.SYSTEM_CHAMPION: S.ANY, R.ADMIN: S.ANY,
    },
    Action.VIEW_FULL_REPORTS: {
        R.NON_CARE_HOME_USER: S.ANY, R.BROKER: S.ANY, R.SYSTEM_CHAMPION: S.ANY, R.ADMIN: S.ANY,
        R.API_USER: S.ANY,
    },
    Action.EXPORT_DATA: {R.EXTENDED_REPORTING: S.ALIGNED, R.ADMIN: S.ANY},
    Action.RESET_PASSWORDS: {R.APPROVER: S.OWN, R.SYSTEM_CHAMPION: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.DEACTIVATE_LOCATION: {R.BROKER: S.ALIGNED, R.ADMIN: S.ANY},
    Action.SWITCH_OFF_REMINDERS: {R.APPROVER: S.OWN, R.BROKER: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.SET_ALERTS: {R.MANAGE_ALERTS: S.OWN_OR_ALIGNED, R.ADMIN: S.ANY},
    Action.GRANT_PERMISSIONS: {R.ADMIN: S.ANY},
    Action.READ_API: {R.API_USER: S.ANY, R.ADMIN: S.ANY},
    # Beyond seed 002's table: a location's profile is visible to its own
    # users and to everyone who may search (they see it in results), and a
    # contract is decided by the Local Authority / Sub-ICB it is with.
    Action.VIEW_LOCATION: {
        R.CARE_HOME_USER: S.OWN, R.NON_CARE_HOME_USER: S.ANY, R.BROKER: S.ANY, R.SYSTEM_CHAMPION: S.ANY,
        R.ADMIN: S.ANY, R.API_USER: S.ANY,
    },
    Action.DECIDE_CONTRACTS: {
        R.APPROVER: S.ALIGNED, R.SYSTEM_CHAMPION: S.ALIGNED, R.BROKER: S.ALIGNED, R.ADMIN: S.ANY,
    },
    Action.SEND_REMINDERS: {
        R.NON_CARE_HOME_USER: S.ALIGNED, R.BROKER: S.OWN_OR_ALIGNED, R.SYSTEM_CHAMPION: S.OWN_OR_ALIGNED,
        R.ADMIN: S.ANY,
    },
    Action.VIEW_NOTIFICATIONS: {R.ADMIN: S.ANY},
    Action.VIEW_COMPLIANCE: {
        R.NON_CARE_HOME_USER: S.ALIGNED, R.BROKER: S.ALIGNED, R.SYSTEM_CHAMPION: S.ALIGNED, R.ADMIN: S.ANY,
    },
}
del R, S


@dataclass(frozen=True)
class Principal:
    """Who is asking: built from a verified access token or API key."""

    user_id: str
    organisation_id: str
    roles: frozenset[Role]
    # all_locations: every location of the organisation; location_ids: the
    # locations granted one by one (registration, access requests).
    all_locations: bool = True
    location_ids: frozenset[str] = field(default_factory=frozenset)
    # The ONS codes of the LA / Sub-ICB the principal's organisation *is*
    # (for commissioners) -- what "aligned" is measured against.
    aligned_codes: frozenset[str] = field(default_factory=frozenset)
    generic: bool = False

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        return cls(
            user_id=claims["sub"],
            organisation_id=claims["org"],
            roles=frozenset(Role(r) for r in claims.get("roles", ())),
            all_locations=bool(claims.get("all_locations", False)),
            location_ids=frozenset(claims.get("locations", ())),
            aligned_codes=frozenset(claims.get("aligned", ())),
            generic=bool(claims.get("generic", False)),
        )

    def to_claims(self) -> dict:
        return {
            "sub": self.user_id,
            "org": self.organisation_id,
            "roles": sorted(r.value for r in self.roles),
            "all_locations": self.all_locations,
            "locations": sorted(self.location_ids),
            "aligned": sorted(self.aligned_codes),
            "generic": self.generic,
        }


@dataclass(frozen=True)
class Target:
    """What is acted on. Leave out what does not apply: a search has no target
    (`Target()`), a user has an organisation and maybe a location."""

    organisation_id: str | None = None
    location_id: str | None = None
    la_code: str | None = None
    sub_icb_code: str | None = None


def _in_own(principal: Principal, target: Target) -> bool:
    if target.location_id is not None and target.location_id in principal.location_ids:
        return True
    if target.organisation_id is None or target.organisation_id != principal.organisation_id:
        return False
    # A principal limited to some locations holds nothing organisation-wide.
    return principal.all_locations


def _in_aligned(principal: Principal, target: Target) -> bool:
    codes = {c for c in (target.la_code, target.sub_icb_code) if c}
    return bool(codes & principal.aligned_codes)


def _scope_holds(scope: Scope, principal: Principal, target: Target) -> bool:
    if scope is Scope.ANY:
        return True
    if scope is Scope.OWN:
        return _in_own(principal, target)
    if scope is Scope.ALIGNED:
        return _in_aligned(principal, target)
    return _in_own(principal, target) or _in_aligned(principal, target)


def may(principal: Principal, action: Action, target: Target = Target()) -> bool:
    """True when `principal` may do `action` to `target`. Deny by default."""
    grants = MATRIX.get(action, {})
    return any(
        _scope_holds(scope, principal, target)
        for role, scope in grants.items()
        if role in principal.roles
    )


def scopes(principal: Principal, action: Action) -> set[Scope]:
    """The scopes in which `principal` holds `action` (for building queries)."""
    grants = MATRIX.get(action, {})
    return {scope for role, scope in grants.items() if role in principal.roles}
