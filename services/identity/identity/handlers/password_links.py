"""Forgotten passwords, self-service: a link emailed to the account's
address, good once and for an hour (only its hash is kept), then a new
password under the policy; every token of the account is revoked and its
owner told."""
from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta

from tracker_common.contracts.errors import InvalidInput

from .. import repository as repo
from ..models import PasswordResetLink
from .accounts import _set_password
from ..rules import sha256
from .common import IdentityDeps
from .sign_ins import record_sign_in

LINK_NOT_VALID = "This link has expired or has already been used. Ask for a new one."
# Asking for a link answers no sooner than this, whether or not the address
# has an account: the few milliseconds of writing a link and its email must
# not tell which addresses exist.
ANSWER_AFTER_SECONDS = 0.1


def request_password_reset(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> None:
    """Email a forgotten-password link to the account with this address, if
    there is one that may sign in; the caller is told the same, and waits
    about as long, whether there is or not. A new link replaces any earlier
    one. Commits."""
    answer_at = time.monotonic() + ANSWER_AFTER_SECONDS
    _send_link(uow, deps, command["email"], client)
    time.sleep(max(answer_at - time.monotonic(), 0))  # cooperative under eventlet


def _send_link(uow, deps: IdentityDeps, email: str, client: dict | None) -> None:
    user = repo.get_user_by_email(uow.session, email, for_update=True)
    if user is None or user.status != "active" or user.api_user:
        record_sign_in(uow, user, "reset_link_requested", client, sent=False)
        uow.commit()
        return
    now = uow.now()
    _close_links(uow, user.id)
    token = secrets.token_urlsafe(32)
    link = PasswordResetLink(id=str(uuid.uuid4()), user_id=user.id, token_hash=sha256(token), created_at=now,
                             expires_at=now + timedelta(minutes=deps.reset_link_minutes))
    repo.add_password_reset_link(uow.session, link)
    uow.record_event("identity.password_reset_requested",
                     {"user_id": user.id, "email": user.email, "name": user.name,
                      "reset_token_sealed": deps.sealer.encrypt(token.encode()).decode(),
                      "expires_at": link.expires_at}, actor_id=user.id, generic_actor=user.generic)
    record_sign_in(uow, user, "reset_link_requested", client, sent=True)
    uow.commit()


def reset_password_with_link(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> dict:
    """Set a new password with the token of a forgotten-password link. The
    link then stops working, the account is unlocked, every token issued
    to it is revoked and its owner emailed. Returns {"email"} to sign in
    with. Raises InvalidInput naming `token` (not valid: unknown, used,
    expired, the account closed) or `new_password` (against the policy:
    the link still works)."""
    now = uow.now()
    link = repo.password_reset_link_by_hash(uow.session, sha256(command["token"]))
    user = repo.get_user(uow.session, link.user_id, for_update=True) if link else None
    if link is None or link.used_at is not None or now >= link.expires_at or user is None \
            or user.status != "active" or user.api_user:
        raise InvalidInput(LINK_NOT_VALID, fields={"token": [LINK_NOT_VALID]})
    _set_password(uow, deps, user, command["new_password"], field="new_password")
    _close_links(uow, user.id)
    user.failed_logins, user.locked_until = 0, None
    uow.record_event("identity.password_reset_completed",
                     {"user_id": user.id, "email": user.email, "name": user.name, "reset_at": now},
                     actor_id=user.id, generic_actor=user.generic)
    record_sign_in(uow, user, "password_reset_by_link", client)
    uow.commit()
    return {"email": user.email}


def _close_links(uow, user_id: str) -> None:
    for link in repo.open_password_reset_links(uow.session, user_id):
        link.used_at = uow.now()
