"""The second factor: TOTP codes (or one-time recovery codes) after the
password, for everyone MFA_REQUIRED_FOR names (approvers, System Champions
and administrators by default) and for anyone who has set one up.

Signing in: `authenticate` checks the password and everything else, then
`second_factor` either takes the `code` sent with the password or answers
MfaRequired / MfaEnrolmentRequired with an `mfa_token` (a sealed challenge,
valid for a few minutes) for `complete_sign_in` or `begin_enrolment` then
`confirm_enrolment`. Every wrong code counts towards the lockout as a wrong
password does; a code is accepted once only.

Every outcome of a code passes through `mfa_outcome`, which keeps it in
the audit of sign-ins."""
from __future__ import annotations

from tracker_common.contracts.errors import (Conflict, Forbidden, InvalidMfaCode, MfaEnrolmentRequired,
                                             MfaRequired, NotAuthenticated, NotFound)
from tracker_common.contracts.permissions import Action, Principal, Role
from tracker_common.logs import get_logger

from .. import repository as repo
from .. import second_factor as factor
from ..models import MfaCredential, RecoveryCode, User
from ..rules import iso, mfa_enabled
from . import accounts
from .common import IdentityDeps, audit, principal_of, revoke_tokens, user_for_action, user_view
from .sign_ins import record_sign_in

log = get_logger(__name__)


def mfa_outcome(uow, user: User, client: dict | None, *, passed: bool, method: str, stage: str) -> None:
    """A code was checked: `method` totp | recovery_code, `stage` sign_in |
    enrolment | recovery_codes. Logged (never the code) and kept in the
    audit of sign-ins."""
    log.info("second factor checked", user_id=user.id, passed=passed, method=method, stage=stage)
    record_sign_in(uow, user, "mfa_passed" if passed else "mfa_failed", client, method=method, stage=stage)


def _credential(uow, user_id: str) -> MfaCredential | None:
    return repo.get_mfa_credential(uow.session, user_id, for_update=True)


def required(deps: IdentityDeps, uow, user: User) -> bool:
    return deps.mfa_policy.requires(principal_of(uow, user).roles)


def must_set_up_mfa(uow, deps: IdentityDeps, user: User) -> bool:
    return required(deps, uow, user) and not mfa_enabled(repo.get_mfa_credential(uow.session, user.id))


def _challenge(uow, deps: IdentityDeps, user: User) -> dict:
    return {"mfa_token": factor.seal_challenge(deps.mfa_keys, user_id=user.id,
                                              password_changed_at=user.password_changed_at, now=uow.now()),
            "expires_in": deps.mfa_policy.challenge_seconds}


def second_factor(uow, deps: IdentityDeps, user: User, code: str | None, client: dict | None = None) -> None:
    """At sign-in, after every other check: return when the second factor
    is satisfied (or not needed); else raise MfaRequired (no code sent),
    MfaEnrolmentRequired (none set up yet, but required), InvalidMfaCode,
    AccountLocked."""
    credential = _credential(uow, user.id)
    if mfa_enabled(credential):
        if code is None:
            uow.commit()
            raise MfaRequired("Enter the code from your authenticator app (or a recovery code): send `code` "
                              "with the password, or `code` and `mfa_token` to POST /api/v1/auth/mfa.",
                              **_challenge(uow, deps, user))
        _check_code(uow, deps, user, credential, code, client, stage="sign_in")
    elif required(deps, uow, user):
        uow.commit()
        raise MfaEnrolmentRequired("Your account needs a second factor: set up an authenticator app "
                                   "(POST /api/v1/auth/mfa/enrolment with mfa_token).",
                                   **_challenge(uow, deps, user))


def _check_code(uow, deps: IdentityDeps, user: User, credential: MfaCredential, code: str,
                client: dict | None = None, *, stage: str) -> str:
    """Accept a TOTP code (once) or an unused recovery code; else count the
    failure and raise InvalidMfaCode (AccountLocked at the limit). Returns
    the method that passed."""
    now = uow.now()
    if factor.is_totp_code(code):
        method = "totp"
        secret = deps.mfa_keys.secrets.decrypt(credential.secret_sealed.encode()).decode()
        step = factor.matching_step(secret, code, now, credential.last_used_step)
        passed = step is not None
        if passed:
            credential.last_used_step = step
    else:
        method = "recovery_code"
        unused = repo.unused_recovery_code(uow.session, user.id,
                                               factor.recovery_code_hash(deps.mfa_keys.recovery, code))
        passed = unused is not None
        if passed:
            unused.used_at = now
    if not passed:
        mfa_outcome(uow, user, client, passed=False, method=method, stage=stage)
        accounts.count_failed_sign_in(deps, uow, user)
        raise InvalidMfaCode()
    mfa_outcome(uow, user, client, passed=True, method=method, stage=stage)
    return method


def _challenged_user(uow, deps: IdentityDeps, token: str) -> User:
    """The account a challenge was handed to, if it still may sign in as it
    could then (the same password, active, not locked)."""
    body = factor.open_challenge(deps.mfa_keys, token, now=uow.now(), ttl_seconds=deps.mfa_policy.challenge_seconds)
    user = repo.get_user(uow.session, body["sub"], for_update=True) if body else None
    if user is None or user.status != "active" or user.api_user or \
            body["pwd"] != iso(user.password_changed_at):
        raise NotAuthenticated("This sign-in has expired. Sign in again with your password.")
    accounts.check_not_locked(uow, user)
    return user


def complete_sign_in(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> dict:
    """The second step of signing in: the challenge and a code. Returns the
    access token (as `authenticate`). Raises NotAuthenticated (challenge
    expired or void), InvalidMfaCode, AccountLocked, Conflict (no second
    factor set up: enrol instead)."""
    user = _challenged_user(uow, deps, command["mfa_token"])
    credential = _credential(uow, user.id)
    if not mfa_enabled(credential):
        raise Conflict("This account has no second factor yet: set one up (POST /api/v1/auth/mfa/enrolment).")
    _check_code(uow, deps, user, credential, command["code"], client, stage="sign_in")
    return accounts.issue_sign_in_token(uow, deps, user, client)


def begin_enrolment(uow, deps: IdentityDeps, command: dict) -> dict:
    """A new TOTP key for the challenged account, kept sealed until a first
    code confirms it (asking again shows the same key). Raises
    NotAuthenticated, Conflict (already set up)."""
    user = _challenged_user(uow, deps, command["mfa_token"])
    credential = _credential(uow, user.id)
    if mfa_enabled(credential):
        raise Conflict("A second factor is already set up: sign in with its code.")
    if credential is None:
        secret = factor.new_secret()
        repo.add_mfa_credential(uow.session, MfaCredential(
            user_id=user.id, secret_sealed=deps.mfa_keys.secrets.encrypt(secret.encode()).decode(),
            created_at=uow.now()))
        uow.commit()
    else:
        secret = deps.mfa_keys.secrets.decrypt(credential.secret_sealed.encode()).decode()
    return {"secret": secret, "otpauth_uri": factor.provisioning_uri(secret, user.email)}


def _new_recovery_codes(uow, deps: IdentityDeps, user: User) -> list[str]:
    repo.delete_recovery_codes(uow.session, user.id)
    codes = factor.new_recovery_codes()
    repo.add_recovery_codes(uow.session, (RecoveryCode(
        user_id=user.id, code_hash=factor.recovery_code_hash(deps.mfa_keys.recovery, c), created_at=uow.now())
        for c in codes))
    return codes


def confirm_enrolment(uow, deps: IdentityDeps, command: dict, client: dict | None = None) -> dict:
    """The first code from the app confirms the key: the second factor is on,
    ten recovery codes are made (shown in this answer only) and the sign-in
    completes. Raises NotAuthenticated, Conflict, InvalidMfaCode, AccountLocked."""
    user = _challenged_user(uow, deps, command["mfa_token"])
    credential = _credential(uow, user.id)
    if credential is None or mfa_enabled(credential):
        raise Conflict("Start setting up the authenticator app first." if credential is None else
                       "A second factor is already set up: sign in with its code.")
    if not factor.is_totp_code(command["code"]):
        raise InvalidMfaCode("Enter the 6-digit code your authenticator app shows.")
    _check_code(uow, deps, user, credential, command["code"], client, stage="enrolment")
    credential.confirmed_at = uow.now()
    codes = _new_recovery_codes(uow, deps, user)
    audit(uow, principal_of(uow, user), "mfa_enabled", user)
    return {**accounts.issue_sign_in_token(uow, deps, user, client), "recovery_codes": codes}


def _status(uow, deps: IdentityDeps, user: User, credential: MfaCredential | None) -> dict:
    left = repo.count_unused_recovery_codes(uow.session, user.id) if mfa_enabled(credential) else 0
    return {"enabled": mfa_enabled(credential), "enabled_at": iso(credential.confirmed_at) if credential else None,
            "required": required(deps, uow, user), "recovery_codes_left": left}


def _own_account(uow, actor: Principal) -> User:
    user = repo.get_user(uow.session, actor.user_id, for_update=True)
    if user is None or user.api_user:
        raise NotFound("No such user.")
    return user


def mfa_status(uow, deps: IdentityDeps, actor: Principal) -> dict:
    """The actor's own second factor: on or not, and recovery codes left."""
    user = _own_account(uow, actor)
    return _status(uow, deps, user, repo.get_mfa_credential(uow.session, user.id))


def regenerate_recovery_codes(uow, deps: IdentityDeps, actor: Principal, command: dict) -> dict:
    """Ten new recovery codes for the actor (the old ones stop working),
    given a current code from the app. Raises Conflict (no second factor),
    InvalidMfaCode, AccountLocked."""
    user = _own_account(uow, actor)
    credential = _credential(uow, user.id)
    if not mfa_enabled(credential):
        raise Conflict("Set up an authenticator app first: recovery codes come with it.")
    accounts.check_not_locked(uow, user)
    if not factor.is_totp_code(command["code"]):
        raise InvalidMfaCode("Enter the 6-digit code your authenticator app shows.")
    _check_code(uow, deps, user, credential, command["code"], stage="recovery_codes")
    codes = _new_recovery_codes(uow, deps, user)
    audit(uow, actor, "mfa_recovery_codes_regenerated", user)
    return {"recovery_codes": codes}


def reset_mfa(uow, deps: IdentityDeps, actor: Principal, user_id: str) -> dict:
    """An administrator removes a person's second factor (a lost phone):
    their sessions end, they set up a new one at their next sign-in, and
    they are emailed. Administrators only, never their own (another
    administrator does that). Raises Forbidden, NotFound, Conflict."""
    if Role.ADMIN not in actor.roles:
        raise Forbidden("Only administrators can reset a second factor.")
    user = user_for_action(uow, actor, Action.MANAGE_USERS, user_id)
    if user.id == actor.user_id:
        raise Conflict("You cannot reset your own second factor: ask another administrator.")
    _remove_second_factor(uow, deps, user, actor)
    return user_view(uow, user, deps.policy)


def reset_mfa_by_operator(uow, deps: IdentityDeps, email: str) -> None:
    """The operator's way (identity.manage reset-mfa), for when no other
    administrator can: the last administrator's lost phone. Raises NotFound,
    Conflict."""
    user = repo.get_user_by_email(uow.session, email, for_update=True)
    if user is None or user.api_user:
        raise NotFound(f"No account uses {email}.")
    _remove_second_factor(uow, deps, user, None)


def _remove_second_factor(uow, deps: IdentityDeps, user: User, actor: Principal | None) -> None:
    credential = _credential(uow, user.id)
    if credential is None:
        raise Conflict(f"{user.name} has no second factor to reset.")
    revoke_tokens(uow, deps, user)
    repo.delete_mfa_credential(uow.session, credential)
    repo.delete_recovery_codes(uow.session, user.id)
    uow.record_event("identity.mfa_reset", {"user_id": user.id, "email": user.email, "name": user.name},
                     actor_id=actor.user_id if actor else None, generic_actor=bool(actor and actor.generic))
    audit(uow, actor, "mfa_reset", user, confirmed=credential.confirmed_at is not None,
          **({} if actor else {"by": "operator"}))


def has_mfa(uow, user_id: str) -> bool:
    return mfa_enabled(repo.get_mfa_credential(uow.session, user_id))
