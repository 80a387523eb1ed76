"""The audit of sign-ins: every attempt (succeeded, failed, locked, the
second factor passed or failed) and every forgotten-password link asked for
and used, with the time, the client's address and its user agent."""
from __future__ import annotations

from datetime import timedelta

from tracker_common.contracts.errors import Forbidden, NotFound
from tracker_common.contracts.identity import SIGN_IN_OUTCOMES
from tracker_common.contracts.permissions import Action, Principal, Role, may

from .. import repository as repo
from ..models import SignIn, User
from ..rules import iso
from .common import IdentityDeps, target_of_user

USER_AGENT_LENGTH = 300


def record_sign_in(uow, user: User | None, outcome: str, client: dict | None = None, **details) -> None:
    """Keep one sign-in attempt in the audit (committed with the caller's
    unit of work: commit before raising the answer). `user` is None when no
    account has the email given; `client` is the gateway's `ClientInfo`
    ({"address", "user_agent"}), None when unknown; `outcome` one of
    SIGN_IN_OUTCOMES; `details` anything else worth keeping (no secrets)."""
    if outcome not in SIGN_IN_OUTCOMES:
        raise ValueError(f"unknown sign-in outcome {outcome!r}")
    client = client or {}
    repo.add_sign_in(uow.session, SignIn(
        at=uow.now(), user_id=user.id if user else None, outcome=outcome,
        client_address=client.get("address") or None,
        user_agent=(client.get("user_agent") or "")[:USER_AGENT_LENGTH] or None, details=details))


def sign_in_audit(uow, actor: Principal, user_id: str | None, query: dict) -> list[dict]:
    """The latest sign-ins, newest first, as audit entries (the action is the
    outcome). Everyone's: administrators only; a person's: administrators
    and the person. Raises Forbidden, or NotFound for a user the actor may
    not even see (so ids cannot be probed)."""
    administrator = Role.ADMIN in actor.roles
    if user_id is None and not administrator:
        raise Forbidden("Only administrators can see everyone's sign-ins.")
    if user_id is not None and user_id != actor.user_id and not administrator:
        user = repo.get_user(uow.session, user_id)
        if user is None or not may(actor, Action.MANAGE_USERS, target_of_user(uow, user)):
            raise NotFound("No such user.")
        raise Forbidden("Only administrators can see other people's sign-ins.")
    if user_id is not None and repo.get_user(uow.session, user_id) is None:
        raise NotFound("No such user.")
    # Who signed in is both who acted and whom it concerned.
    for name in ("actor_email", "subject_email"):
        if query.get(name):
            person = repo.get_user_by_email(uow.session, query[name])
            if person is None or (user_id is not None and person.id != user_id):
                return []
            user_id = person.id
    limit = query["limit"]
    entries = repo.sign_ins(uow.session, user_id=user_id, outcome=query.get("outcome"),
                                client_address=query.get("client_address"), limit=limit,
                                since=query.get("since"), until=query.get("until"),
                                offset=(query.get("page", 1) - 1) * limit)
    emails = repo.emails_of_users(uow.session, {e.user_id for e in entries})
    return [{"id": e.id, "at": iso(e.at), "actor_id": e.user_id, "actor_email": emails.get(e.user_id),
             "actor_generic": False, "action": e.outcome, "subject_user_id": e.user_id,
             "subject_email": emails.get(e.user_id),
             "details": {**e.details, "client_address": e.client_address, "user_agent": e.user_agent}}
            for e in entries]


def forget_old_sign_ins(uow, deps: IdentityDeps) -> int:
    """Delete sign-ins older than SIGN_IN_AUDIT_DAYS (client addresses are
    personal data: kept as long as an investigation needs, no longer), and
    forgotten-password links spent or expired a day ago. Returns how many
    sign-ins went."""
    now = uow.now()
    repo.delete_password_reset_links_expired_before(uow.session, now - timedelta(days=1))
    return repo.delete_sign_ins_before(uow.session, now - timedelta(days=deps.sign_in_audit_days))
