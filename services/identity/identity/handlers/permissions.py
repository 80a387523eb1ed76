"""The permissions administrators grant (broker, system champion, extended
reporting, manage alerts), held only by the people of the organisations the
permission holders rule allows."""
from __future__ import annotations

from tracker_common.contracts.errors import Conflict, InvalidInput
from tracker_common.contracts.permissions import (PERMISSION_HOLDERS_RULE, Action, Principal,
                                                  grant_problems)

from .. import repository as repo
from ..rules import require
from .common import IdentityDeps, audit, revoke_tokens, user_for_action, user_view


def grant_permissions(uow, deps: IdentityDeps, actor: Principal, user_id: str, command: dict) -> dict:
    """Administrators set the broker / champion / extended reporting / manage
    alerts permissions of a user (the full set).

    Raises Forbidden (not an administrator), NotFound, Conflict (an API
    user), InvalidInput on `roles` (a permission the user's organisation may
    not hold: the permission holders rule); a refused grant changes nothing."""
    require(actor, Action.GRANT_PERMISSIONS)
    user = user_for_action(uow, actor, Action.GRANT_PERMISSIONS, user_id)
    if user.api_user:
        raise Conflict("API users hold only the API permission.")
    before = sorted(user.granted_roles or [])
    after = sorted(set(command["roles"]))
    organisation = repo.get_organisation(uow.session, user.organisation_id)
    problems = grant_problems(after, organisation.kind if organisation else None)
    if problems:
        raise InvalidInput("These permissions cannot be held by people of this organisation "
                           f"(the {PERMISSION_HOLDERS_RULE} rule).",
                           fields={"roles": problems}, rule=PERMISSION_HOLDERS_RULE)
    if after != before:
        revoke_tokens(uow, deps, user)  # the next token carries the new set
        user.granted_roles = after
        uow.record_event("identity.permissions_changed", {"user_id": user.id, "roles": after},
                         actor_id=actor.user_id, generic_actor=actor.generic)
        audit(uow, actor, "permissions_changed", user, before=before, after=after)
    return user_view(uow, user, deps.policy)


def permission_breaches(uow) -> list[dict]:
    """Granted permissions that break the permission holders rule (granted
    before it was enforced, or the organisation changed kind): one row per
    person and permission. Such grants are already left out of tokens."""
    breaches = []
    for user, organisation in repo.users_with_granted_permissions(uow.session):
        kind = organisation.kind if organisation else None
        for role in sorted(set(user.granted_roles)):
            for problem in grant_problems([role], kind):
                breaches.append({
                    "user_id": user.id, "name": user.name, "email": user.email, "status": user.status,
                    "organisation_id": user.organisation_id,
                    "organisation_name": organisation.name if organisation else None,
                    "organisation_kind": kind, "permission": role, "problem": problem})
    return breaches
