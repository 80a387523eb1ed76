"""Login, lockout, passwords (change, reset, expiry), terms of use, generic
accounts and deactivation (the permissions administrators grant: permissions.py)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from tracker_common.contracts.errors import (AccountLocked, Conflict, NotAuthenticated,
                                             DisclaimerAcknowledgementRequired, Forbidden,
                                             InvalidCredentials, InvalidInput, NotFound,
                                             PasswordChangeRequired, TermsAcceptanceRequired)
from tracker_common.contracts.permissions import Action, Principal, Role, may
from tracker_common.tokens import issue_access_token, verify_access_token

from .. import repository as repo
from ..models import TermsVersion, User
from ..passwords import (generate_one_time_password, hash_password, policy_problems,
                         verify_password)
from ..rules import (GENERIC_ACCOUNT_DISCLAIMER, expiry_reminders_due, expiry_window, is_locked, iso,
                     locks_account, may_renew_session, may_see_last_logins, may_sign_in_with_password,
                     password_expired, require, terms_to_accept)
from .common import (IdentityDeps, audit, principal_of, revoke_tokens, target_of_user, user_for_action,
                     user_view)
from .sign_ins import record_sign_in

# Verified when the email is unknown, so a wrong email costs as long as a
# wrong password and the answer does not reveal which addresses exist.
_DUMMY_HASH = hash_password(uuid.uuid4().hex)


def _check_password(deps: IdentityDeps, uow, user: User, password: str, client: dict | None = None) -> None:
    """Verify a password, counting failures; the last allowed failure locks
    the account for the lockout period. Failures are kept in the audit of
    sign-ins (`client`: who tried, as the gateway saw them)."""
    try:
        check_not_locked(uow, user)
    except AccountLocked:
        record_sign_in(uow, user, "locked", client)
        uow.commit()
        raise
    if verify_password(user.password_hash or _DUMMY_HASH, password):
        # The count is cleared by a whole sign-in (issue_sign_in_token), not
        # by the password alone: else the password would buy fresh guesses
        # at the second factor.
        return
    locks = locks_account(user.failed_logins + 1, deps.policy)
    record_sign_in(uow, user, "locked" if locks else "failed", client)
    count_failed_sign_in(deps, uow, user)
    # The same answer as for an unknown email, so it says nothing of which
    # addresses have accounts.
    raise InvalidCredentials()


def check_not_locked(uow, user: User) -> None:
    """AccountLocked while the lock lasts; once it has run out, a fresh start."""
    if is_locked(user, uow.now()):
        raise AccountLocked("The account is locked after too many wrong passwords.",
                            locked_until=iso(user.locked_until))
    if user.locked_until:
        user.locked_until, user.failed_logins = None, 0


def count_failed_sign_in(deps: IdentityDeps, uow, user: User) -> None:
    """Count a wrong password or second-factor code (committed, whatever the
    caller answers); the last allowed failure locks the account and raises
    AccountLocked."""
    now = uow.now()
    user.failed_logins += 1
    if locks_account(user.failed_logins, deps.policy):
        user.locked_until = now + timedelta(hours=deps.policy.lockout_hours)
        revoke_tokens(uow, deps, user)  # a locked account's tokens stop working at once
        uow.record_event("identity.account_locked",
                         {"user_id": user.id, "email": user.email, "name": user.name,
                          "locked_until": user.locked_until}, actor_id=user.id)
        audit(uow, None, "account_locked", user, locked_until=iso(user.locked_until))
        uow.commit()
        raise AccountLocked("The account is locked after too many wrong passwords.",
                            locked_until=iso(user.locked_until))
    uow.commit()


def _login_user(uow, email: str, client: dict | None = None) -> User:
    user = repo.get_user_by_email(uow.session, email, for_update=True)
    if not may_sign_in_with_password(user):
        verify_password(_DUMMY_HASH, "not the password")
        record_sign_in(uow, user, "failed", client)
        uow.commit()
        raise InvalidCredentials()
    return user


def authenticate(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> dict:
    """Exchange email and password for an access token.

    Raises InvalidCredentials (401), AccountLocked (423),
    PasswordChangeRequired (403, first login or expired), TermsAcceptanceRequired
    (403, new Terms of Use), DisclaimerAcknowledgementRequired (403, generic accounts),
    MfaRequired / MfaEnrolmentRequired (403, with an `mfa_token`: see handlers.mfa),
    InvalidMfaCode (401, a wrong `code`).
    """
    user = _login_user(uow, command["email"], client)
    _check_password(deps, uow, user, command["password"], client)
    expired = password_expired(user, uow.now(), deps.policy)
    if user.must_change_password or expired:
        uow.commit()
        raise PasswordChangeRequired(
            "Choose a new password before logging in.",
            reason="first_login" if user.must_change_password else "expired")
    terms = repo.current_terms(uow.session)
    if terms_to_accept(user, terms):
        if command.get("accept_terms_version") != terms.version:
            uow.commit()
            raise TermsAcceptanceRequired(
                "Read and accept the Terms of Use to continue: send accept_terms_version.",
                terms_version=terms.version, terms_text=terms.text)
        user.accepted_terms_version = terms.version
        audit(uow, principal_of(uow, user), "terms_accepted", user, version=terms.version)
    if user.generic and not command.get("acknowledge_disclaimer"):
        uow.commit()
        raise DisclaimerAcknowledgementRequired(
            "Generic accounts must acknowledge this disclaimer at every login: "
            "send acknowledge_disclaimer: true.", disclaimer=GENERIC_ACCOUNT_DISCLAIMER)
    from .mfa import second_factor  # (mfa imports this module)
    second_factor(uow, deps, user, command.get("code"), client)
    return issue_sign_in_token(uow, deps, user, client)


def issue_sign_in_token(uow, deps: IdentityDeps, user: User, client: dict | None = None) -> dict:
    """The access token of a sign-in that passed every check (committed),
    kept in the audit of sign-ins."""
    now = uow.now()
    record_sign_in(uow, user, "succeeded", client)
    user.last_login_at, user.failed_logins = now, 0
    principal = principal_of(uow, user)
    uow.record_event("identity.user_logged_in",
                     {"user_id": user.id, "organisation_id": user.organisation_id, "generic": user.generic},
                     actor_id=user.id, generic_actor=user.generic)
    token = issue_access_token(principal, private_key=deps.signing_key, now=now,
                               lifetime_seconds=deps.token_lifetime_seconds)
    uow.commit()
    response = {"access_token": token, "token_type": "bearer", "expires_in": deps.token_lifetime_seconds}
    if user.generic:
        response["disclaimer"] = GENERIC_ACCOUNT_DISCLAIMER
    return response


def renew_access_token(uow, deps: IdentityDeps, token: str) -> dict:
    """A fresh access token for the holder of a valid one (a web session
    kept alive while its person is active), with their permissions as they
    are now. Refused (NotAuthenticated: sign in again) when the token is not
    valid or has been revoked, or the account is no longer one that may
    sign in without its password: deactivated, locked, its password to be
    changed, new Terms of Use to accept, a second factor to set up."""
    now = uow.now()
    claims = verify_access_token(token, public_key=deps.verification_key, now=now)
    if deps.revocations.is_revoked(claims["sub"], int(claims["iat_ms"])):
        raise NotAuthenticated("This access token has been revoked; log in again.")
    user = repo.get_user(uow.session, claims["sub"])
    terms = repo.current_terms(uow.session)
    if not may_renew_session(user, terms, now, deps.policy):
        raise NotAuthenticated("Sign in again.")
    from .mfa import must_set_up_mfa  # (mfa imports this module)
    if must_set_up_mfa(uow, deps, user):  # a session from before it was required: set it up first
        raise NotAuthenticated("Sign in again.")
    return {"access_token": issue_access_token(principal_of(uow, user), private_key=deps.signing_key, now=now,
                                               lifetime_seconds=deps.token_lifetime_seconds),
            "token_type": "bearer", "expires_in": deps.token_lifetime_seconds}


def _set_password(uow, deps: IdentityDeps, user: User, new_password: str, *, field: str) -> None:
    # The history holds every chosen password, the current one first; a
    # one-time password is not in it and does not count.
    previous = repo.recent_password_hashes(uow.session, user.id, deps.policy.history)
    if user.password_hash and not user.must_change_password and user.password_hash not in previous:
        previous = [user.password_hash, *previous]
    problems = policy_problems(new_password, name=user.name, email=user.email,
                               previous_hashes=previous, policy=deps.policy)
    if user.password_hash and verify_password(user.password_hash, new_password):
        problems.append("The new password must differ from the current one.")
    if problems:
        raise InvalidInput("The new password does not meet the password policy.", fields={field: problems})
    revoke_tokens(uow, deps, user)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = uow.now()
    user.must_change_password = False
    repo.add_password_history(uow.session, user.id, user.password_hash, uow.now())
    uow.record_event("identity.password_changed", {"user_id": user.id, "email": user.email},
                     actor_id=user.id, generic_actor=user.generic)
    audit(uow, None, "password_changed", user)


def change_password(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> None:
    """Change a password knowing the current one (also the first-login and
    expired-password path, where no token can be had)."""
    user = _login_user(uow, command["email"], client)
    _check_password(deps, uow, user, command["current_password"], client)
    _set_password(uow, deps, user, command["new_password"], field="new_password")
    uow.commit()


def reset_password(uow, deps: IdentityDeps, actor: Principal, user_id: str) -> dict:
    """An approver (or champion, or administrator) resets a user's password:
    a new one-time password is emailed; the old tokens stop working."""
    user = user_for_action(uow, actor, Action.RESET_PASSWORDS, user_id)
    if user.status != "active" or user.api_user:
        raise Conflict("Only active people's passwords can be reset.")
    revoke_tokens(uow, deps, user)
    one_time_password = generate_one_time_password()
    user.password_hash = hash_password(one_time_password)
    user.password_changed_at = uow.now()
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    uow.record_event("identity.password_reset",
                     {"user_id": user.id, "email": user.email, "name": user.name,
                      "one_time_password_sealed": deps.sealer.encrypt(one_time_password.encode()).decode()},
                     actor_id=actor.user_id, generic_actor=actor.generic)
    audit(uow, actor, "password_reset", user)
    return user_view(uow, user, deps.policy)


def deactivate_user(uow, deps: IdentityDeps, actor: Principal, user_id: str) -> dict:
    """Deactivate a leaver: their tokens and API keys stop working at once."""
    user = user_for_action(uow, actor, Action.MANAGE_USERS, user_id)
    if user.id == actor.user_id:
        raise Conflict("You cannot deactivate your own account.")
    if user.status == "deactivated":
        return user_view(uow, user, deps.policy)
    revoke_tokens(uow, deps, user)
    user.status = "deactivated"
    user.deactivated_at = uow.now()
    for key in repo.api_keys_of_user(uow.session, user.id):
        key.revoked_at = key.revoked_at or uow.now()
    uow.record_event("identity.user_deactivated",
                     {"user_id": user.id, "email": user.email, "organisation_id": user.organisation_id},
                     actor_id=actor.user_id, generic_actor=actor.generic)
    audit(uow, actor, "user_deactivated", user)
    return user_view(uow, user, deps.policy)


def publish_terms(uow, actor: Principal, command: dict) -> dict:
    """A new version of the Terms of Use, to be accepted by everyone at their next login."""
    if Role.ADMIN not in actor.roles:
        raise Forbidden()
    terms = TermsVersion(version=repo.next_terms_version(uow.session), text=command["text"],
                         published_at=uow.now(), published_by=actor.user_id)
    repo.add_terms(uow.session, terms)
    audit(uow, actor, "terms_published", None, version=terms.version)
    return {"version": terms.version, "text": terms.text, "published_at": iso(terms.published_at)}


def current_terms(uow) -> dict:
    terms = repo.current_terms(uow.session)
    if terms is None:
        raise NotFound("No Terms of Use have been published.")
    return {"version": terms.version, "text": terms.text, "published_at": iso(terms.published_at)}


def send_password_expiry_reminders(uow, deps: IdentityDeps) -> int:
    """Record a reminder event for each password now within a reminder
    threshold (18/10/5/2/1 days by default) that has not had it. After a
    missed run only the latest threshold reached is sent, not a burst."""
    now, policy = uow.now(), deps.policy
    sent = 0
    for user in repo.users_with_password_changed_between(uow.session, *expiry_window(now, policy)):
        expires_at, days_left, due = expiry_reminders_due(user.password_changed_at, now, policy)
        already = repo.reminders_sent(uow.session, user.id, user.password_changed_at)
        if not due or min(due) in already:
            continue
        for days in due:
            if days not in already:
                repo.add_reminder_sent(uow.session, user.id, user.password_changed_at, days, now)
        uow.record_event("identity.password_expiring",
                         {"user_id": user.id, "email": user.email, "name": user.name,
                          "expires_at": expires_at, "days_left": days_left})
        sent += 1
    return sent


def me(uow, deps: IdentityDeps, actor: Principal) -> dict:
    user = repo.get_user(uow.session, actor.user_id)
    if user is None:
        raise NotFound("No such user.")
    return user_view(uow, user, deps.policy)


def list_users(uow, deps: IdentityDeps, actor: Principal, organisation_id: str) -> list[dict]:
    users = repo.users_of_organisation(uow.session, organisation_id)
    return [user_view(uow, u, deps.policy) for u in users
            if may(actor, Action.MANAGE_USERS, target_of_user(uow, u))]


def last_logins(uow, actor: Principal, query: dict) -> dict:
    """When each person of an organisation last signed in, those who never
    did first: for spotting accounts to close. Names and email addresses
    are personal data: everyone holding the report sees their own
    organisation's people, administrators any organisation's."""
    organisation_id = query.get("organisation_id") or actor.organisation_id
    if not may_see_last_logins(actor, organisation_id):
        raise Forbidden("You can see the last logins of your own organisation only.")
    organisation = repo.get_organisation(uow.session, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    since = uow.now() - timedelta(days=query["not_logged_in_for_days"]) if query.get("not_logged_in_for_days") else None
    total, users = repo.last_logins(uow.session, organisation_id, since, query["page"], query["per_page"])
    return {"organisation_id": organisation_id, "organisation_name": organisation.name,
            "users": [{"user_id": u.id, "name": u.name, "email": u.email, "level": u.level, "status": u.status,
                       "generic": u.generic, "last_login_at": iso(u.last_login_at)} for u in users],
            "page": query["page"], "per_page": query["per_page"], "total": total,
            "has_more": query["page"] * query["per_page"] < total}


def audit_trail(uow, actor: Principal, user_id: str | None, query: dict | None = None) -> list[dict]:
    """Access-control changes, newest first, a page of `limit` at a time,
    filtered as the `AuditQuery` says; each with the email addresses of who
    acted and whom it concerned."""
    query = {"limit": 200, "page": 1, **(query or {})}
    if user_id is None:
        require(actor, Action.GRANT_PERMISSIONS)  # the whole log: administrators only
    else:
        user_for_action(uow, actor, Action.MANAGE_USERS, user_id)
    people = people_named(uow, query)
    if people is None:
        return []
    if people.get("subject_email"):
        if user_id is not None and user_id != people["subject_email"]:
            return []
        user_id = people["subject_email"]
    entries = repo.audit_entries(uow.session, user_id, query["limit"], actor_id=people.get("actor_email"),
                                     action=query.get("action"), since=query.get("since"), until=query.get("until"),
                                     offset=(query["page"] - 1) * query["limit"])
    emails = repo.emails_of_users(uow.session, {e.actor_id for e in entries} | {e.subject_user_id for e in entries})
    return [{"id": e.id, "at": iso(e.at), "actor_id": e.actor_id, "actor_email": emails.get(e.actor_id),
             "actor_generic": e.actor_generic, "action": e.action, "subject_user_id": e.subject_user_id,
             "subject_email": emails.get(e.subject_user_id), "details": e.details}
            for e in entries]


def people_named(uow, query: dict) -> dict | None:
    """The user ids of the `actor_email` and `subject_email` a query names
    ({name: id}); None when one names no account (nothing can match)."""
    found = {}
    for name in ("actor_email", "subject_email"):
        if query.get(name):
            user = repo.get_user_by_email(uow.session, query[name])
            if user is None:
                return None
            found[name] = user.id
    return found


def ensure_administrator(uow, deps: IdentityDeps, *, email: str, name: str, password: str,
                         organisation_id: str) -> tuple[str, bool]:
    """Create the first administrator (idempotent: an existing account with
    this email is left as it is). Returns (user id, created)."""
    existing = repo.get_user_by_email(uow.session, email)
    if existing is not None:
        return existing.id, False
    problems = policy_problems(password, name=name, email=email, previous_hashes=[], policy=deps.policy)
    if problems:
        raise InvalidInput("ADMIN_PASSWORD does not meet the password policy.",
                           fields={"ADMIN_PASSWORD": problems})
    user = User(id=str(uuid.uuid4()), email=email.strip().lower(), name=name, organisation_id=organisation_id,
                level="approver", status="active", admin=True, granted_roles=[], all_locations=True,
                password_hash=hash_password(password), password_changed_at=uow.now(),
                must_change_password=False, created_at=uow.now())
    repo.add_user(uow.session, user)
    repo.add_password_history(uow.session, user.id, user.password_hash, uow.now())
    audit(uow, None, "administrator_created", user)
    return user.id, True
