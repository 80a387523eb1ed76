"""What every identity use case shares: its dependencies, the principal of a
user, the audit trail and the shapes returned to callers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tracker_common.contracts.errors import NotFound
from tracker_common.contracts.permissions import Action, Principal, Target, may

from .. import repository as repo
from ..models import Application, AuditEntry, User
from ..passwords import PasswordPolicy
from ..rules import iso, mfa_enabled, password_expires_at, roles_of
from ..second_factor import MfaKeys, MfaPolicy


class Revocations(Protocol):
    def revoke_user_tokens(self, user_id: str, before_ms: int) -> None: ...

    def is_revoked(self, user_id: str, issued_at_ms: int) -> bool: ...


class Sealer(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class IdentityDeps:
    policy: PasswordPolicy
    signing_key: bytes
    sealer: Sealer
    revocations: Revocations
    token_lifetime_seconds: int
    verification_key: object = None  # identity's public key: checks a token brought back for renewal
    reset_link_minutes: int = 60  # how long a forgotten-password link works
    sign_in_audit_days: int = 400  # how long sign-ins (client addresses: personal data) are kept
    mfa_policy: MfaPolicy = MfaPolicy()  # who must have a second factor
    mfa_keys: MfaKeys | None = None  # seal TOTP secrets and challenges, key recovery-code hashes


def audit(uow, actor: Principal | None, action: str, subject: User | None, **details) -> None:
    repo.add_audit_entry(uow.session, AuditEntry(
        at=uow.now(), actor_id=actor.user_id if actor else None,
        actor_generic=bool(actor and actor.generic), action=action,
        subject_user_id=subject.id if subject else None, details=details))


def principal_of(uow, user: User) -> Principal:
    organisation = repo.get_organisation(uow.session, user.organisation_id)
    return Principal(
        user_id=user.id,
        organisation_id=user.organisation_id,
        roles=frozenset(roles_of(user, organisation)),
        all_locations=user.all_locations,
        location_ids=frozenset(repo.user_location_ids(uow.session, user.id)),
        aligned_codes=frozenset([organisation.ons_code] if organisation and organisation.ons_code else []),
        generic=user.generic,
    )


def target_of_user(uow, user: User) -> Target:
    """A user as the object of an action: their organisation and, when they
    are limited to one location, its alignment."""
    location_ids = repo.user_location_ids(uow.session, user.id)
    location = repo.get_location(uow.session, location_ids[0]) if len(location_ids) == 1 else None
    organisation = repo.get_organisation(uow.session, user.organisation_id)
    return Target(
        organisation_id=user.organisation_id,
        location_id=location.id if location else None,
        la_code=location.la_code if location else (organisation.la_code if organisation else None),
        sub_icb_code=location.sub_icb_code if location else (organisation.sub_icb_code if organisation else None),
    )


def user_for_action(uow, actor: Principal, action: Action, user_id: str) -> User:
    """The user `actor` may act on, locked for update. A user the actor may
    not see is reported as not found, so ids cannot be probed."""
    user = repo.get_user(uow.session, user_id, for_update=True)
    if user is None or not may(actor, action, target_of_user(uow, user)):
        raise NotFound("No such user.")
    return user


def user_view(uow, user: User, policy: PasswordPolicy) -> dict:
    organisation = repo.get_organisation(uow.session, user.organisation_id)
    return {
        "id": user.id, "name": user.name, "email": user.email,
        "organisation_id": user.organisation_id, "organisation_kind": organisation.kind if organisation else None,
        "organisation_name": organisation.name if organisation else None, "level": user.level, "status": user.status,
        "generic": user.generic, "api_user": user.api_user,
        "roles": sorted(r.value for r in roles_of(user, organisation)),
        "all_locations": user.all_locations,
        "location_ids": repo.user_location_ids(uow.session, user.id),
        "last_login_at": iso(user.last_login_at),
        "password_expires_at": iso(password_expires_at(user, policy)),
        "locked_until": iso(user.locked_until),
        "mfa_enabled": mfa_enabled(repo.get_mfa_credential(uow.session, user.id)),
    }


def application_view(uow, application: Application) -> dict:
    user = repo.get_user(uow.session, application.user_id)
    return {
        "id": application.id, "kind": application.kind, "status": application.status,
        "user_id": application.user_id, "name": user.name, "email": user.email,
        "organisation_id": application.organisation_id, "location_ids": application.location_ids,
        "level": application.level, "generic": user.generic, "flags": application.flags,
        "routed_to": application.routed_to, "submitted_at": iso(application.submitted_at),
        "decided_at": iso(application.decided_at), "decided_by": application.decided_by,
        "reason": application.decision_reason,
    }


def revoke_tokens(uow, deps: IdentityDeps, user: User) -> None:
    """Void every token issued to `user` until now. Done before the commit:
    if the commit then fails the user merely logs in again (fail closed)."""
    deps.revocations.revoke_user_tokens(user.id, int(uow.now().timestamp() * 1000))
