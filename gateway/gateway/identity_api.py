"""`/api/v1` endpoints answered by the identity service."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from tracker_common.contracts import identity as bodies
from tracker_common.contracts.permissions import Action

from . import limits
from .auth import client_of_request, require_permission
from .docs import errors, secured
from .idempotency import idempotent

blp = Blueprint("identity", __name__, url_prefix="/api/v1",
                description="Accounts, registration and approvals, login, passwords, API keys")


def identity(method: str, **kwargs):
    return current_app.extensions["tracker"].call("identity", method, **kwargs)


def actor() -> dict:
    return g.claims


# -- public: login, registration, password change ---------------------------
@blp.route("/auth/token", methods=["POST"])
@limits.sign_in
@blp.arguments(bodies.TokenRequest)
@blp.response(200, bodies.TokenResponse)
@errors(blp, 400, 401, 403, 415, 422, 423, 429)
def create_token(payload):
    """Log in: exchange email and password for a short-lived access token.

    403 with code `password_change_required` on first login or after expiry
    (change it at POST /auth/password); `terms_acceptance_required` when new
    Terms of Use must be accepted (send `accept_terms_version`);
    `disclaimer_acknowledgement_required` for generic accounts. 423 while locked.

    Approvers, System Champions and administrators (MFA_REQUIRED_FOR), and
    anyone who has set up an authenticator app, also need its code: send
    `code` (6 digits, or a recovery code) with the password; without it the
    answer is 403 `mfa_required` with an `mfa_token` for POST /auth/mfa
    (valid 5 minutes), or 403 `mfa_enrolment_required` with an `mfa_token`
    to set one up (POST /auth/mfa/enrolment, then .../confirmation). A wrong
    code is 401 `invalid_mfa_code` and counts as a wrong password. API
    keys (ctk_...) need no code.
    """
    return identity("authenticate", payload=payload, client=client_of_request())


@blp.route("/auth/mfa", methods=["POST"])
@limits.sign_in
@blp.arguments(bodies.MfaCodeRequest)
@blp.response(200, bodies.TokenResponse)
@errors(blp, 400, 401, 409, 415, 422, 423, 429)
def complete_sign_in(payload):
    """Log in, second step: the `mfa_token` of a 403 `mfa_required` and the
    code from the authenticator app (or a recovery code, once each)."""
    return identity("complete_sign_in", payload=payload, client=client_of_request())


@blp.route("/auth/mfa/enrolment", methods=["POST"])
@limits.sign_in
@blp.arguments(bodies.MfaTokenRequest)
@blp.response(200, bodies.MfaEnrolmentOut)
@errors(blp, 400, 401, 409, 415, 422, 423, 429)
def begin_mfa_enrolment(payload):
    """Set up an authenticator app (after 403 `mfa_enrolment_required`): its
    key, typed or as an otpauth:// URI for a QR code. Asking again gives
    the same key until it is confirmed."""
    return identity("begin_mfa_enrolment", payload=payload)


@blp.route("/auth/mfa/enrolment/confirmation", methods=["POST"])
@limits.sign_in
@blp.arguments(bodies.MfaCodeRequest)
@blp.response(200, bodies.TokenResponse)
@errors(blp, 400, 401, 409, 415, 422, 423, 429)
def confirm_mfa_enrolment(payload):
    """The app's first code turns the second factor on and completes the
    login: the access token, and ten recovery codes shown this once."""
    return identity("confirm_mfa_enrolment", payload=payload, client=client_of_request())


@blp.route("/auth/password", methods=["POST"])
@limits.sign_in
@blp.arguments(bodies.PasswordChangeRequest)
@blp.response(204)
@errors(blp, 400, 401, 415, 422, 423, 429)
def change_password(payload):
    """Change a password, knowing the current one (works before first login)."""
    identity("change_password", payload=payload, client=client_of_request())


@blp.route("/auth/password-reset-links", methods=["POST"])
@limits.password_reset
@blp.arguments(bodies.PasswordResetLinkRequest)
@blp.response(202, bodies.PasswordResetLinkSent)
@errors(blp, 400, 415, 422, 429)
def request_password_reset(payload):
    """Forgotten password: a link to choose a new one is emailed to the
    address, if an account uses it; it works once, for an hour. The answer
    is the same whether or not an account uses the address."""
    identity("request_password_reset", payload=payload, client=client_of_request())
    return {"detail": bodies.RESET_LINK_SENT}


@blp.route("/auth/password-reset", methods=["POST"])
@limits.password_reset
@blp.arguments(bodies.PasswordResetRequest)
@blp.response(200, bodies.PasswordResetOut)
@errors(blp, 400, 415, 422, 429)
def reset_password_with_link(payload):
    """Choose a new password with the `token` of the emailed link. Every
    access token of the account stops working; sign in with the new
    password. 422 naming `token` when the link has expired or been used,
    `new_password` when the password breaks the policy."""
    return identity("reset_password_with_link", payload=payload, client=client_of_request())


@blp.route("/auth/terms", methods=["GET"])
@blp.response(200, bodies.TermsOut)
@errors(blp, 404)
def current_terms():
    """The current Terms of Use."""
    return identity("current_terms")


@blp.route("/registrations", methods=["POST"])
@limits.registration
@idempotent(blp)
@blp.arguments(bodies.RegistrationRequest)
@blp.response(201, bodies.ApplicationOut)
@errors(blp, 400, 409, 415, 422, 429)
def register(payload):
    """Apply for an account. The application goes to the organisation's
    approvers, else the System Champions of its area, else the administrators."""
    return identity("register", payload=payload)


# -- applications ---------------------------------------------------------------
@blp.route("/applications", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.Applications)
@errors(blp, 401)
def list_applications():
    """Pending applications you may decide."""
    return {"applications": identity("list_pending_applications", actor=actor())}


@blp.route("/applications/<application_id>/decision", methods=["POST"])
@secured(blp)
@blp.arguments(bodies.DecisionRequest)
@blp.response(200, bodies.ApplicationOut)
@errors(blp, 400, 401, 403, 404, 409, 415, 422)
def decide_application(payload, application_id):
    """Approve (the applicant is emailed a one-time password) or reject with a reason."""
    return identity("decide_application", actor=actor(), application_id=application_id, payload=payload)


# -- me ---------------------------------------------------------------------------
@blp.route("/me", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.UserOut)
@errors(blp, 401, 404)
def me():
    """Your account, roles and locations."""
    return identity("me", actor=actor())


@blp.route("/me/mfa", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.MfaStatusOut)
@errors(blp, 401, 404)
def mfa_status():
    """Your second factor: set up or not, required or not, recovery codes left."""
    return identity("mfa_status", actor=actor())


@blp.route("/me/mfa/recovery-codes", methods=["POST"])
@secured(blp)
@limits.sign_in
@blp.arguments(bodies.RecoveryCodesRequest)
@blp.response(200, bodies.RecoveryCodesOut)
@errors(blp, 400, 401, 409, 415, 422, 423, 429)
def regenerate_recovery_codes(payload):
    """Ten new recovery codes, given a current code from your app; the old
    ones stop working. Shown in this answer only."""
    return identity("regenerate_recovery_codes", actor=actor(), payload=payload)


@blp.route("/me/location-access", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.AccessRequest)
@blp.response(201, bodies.ApplicationOut)
@errors(blp, 400, 401, 403, 409, 415, 422)
def request_location_access(payload):
    """Ask for access to further locations; reviewed like a registration."""
    return identity("request_location_access", actor=actor(), payload=payload)


# -- managing users ---------------------------------------------------------------
@blp.route("/organisations/<organisation_id>/users", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.Users)
@errors(blp, 401)
def list_users(organisation_id):
    """The users of an organisation that you may manage."""
    return {"users": identity("list_users", actor=actor(), organisation_id=organisation_id)}


@blp.route("/users/<user_id>/password-reset", methods=["POST"])
@secured(blp)
@blp.response(200, bodies.UserOut)
@errors(blp, 401, 404, 409)
def reset_password(user_id):
    """Reset a user's password: a new one-time password is emailed to them."""
    return identity("reset_password", actor=actor(), user_id=user_id)


@blp.route("/users/<user_id>/mfa-reset", methods=["POST"])
@secured(blp)
@blp.response(200, bodies.UserOut)
@errors(blp, 401, 403, 404, 409)
def reset_mfa(user_id):
    """Administrators: remove a person's second factor (a lost phone). Their
    sessions end, they set up a new one at their next login, and they are
    emailed."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("reset_mfa", actor=actor(), user_id=user_id)


@blp.route("/users/<user_id>/deactivation", methods=["POST"])
@secured(blp)
@blp.response(200, bodies.UserOut)
@errors(blp, 401, 404, 409)
def deactivate_user(user_id):
    """Deactivate a leaver: their tokens and API keys stop working at once."""
    return identity("deactivate_user", actor=actor(), user_id=user_id)


@blp.route("/users/<user_id>/permissions", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.GrantRequest)
@blp.response(200, bodies.UserOut)
@errors(blp, 400, 401, 403, 404, 409, 415, 422)
def grant_permissions(payload, user_id):
    """Administrators: set broker / system champion / extended reporting / manage alerts.

    Each is held only by people of the organisations the permission holders
    rule allows: broker, extended reporting and manage alerts by a Local
    Authority's or a Sub-ICB's, system champion also by an ICB's, an NHS
    region's or an NHS trust's; a care provider's people hold none. Outside
    it: 422 with `rule: permission_holders` and a message per refused
    permission under `errors.roles`; nothing is changed."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("grant_permissions", actor=actor(), user_id=user_id, payload=payload)


@blp.route("/users/<user_id>/audit", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.AuditQuery, location="query")
@blp.response(200, bodies.AuditEntries)
@errors(blp, 400, 401, 403, 404, 422)
def user_audit(query, user_id):
    """Access-control changes concerning a user (who, when, what); with
    `kind=sign_ins`, their sign-ins (the action is the outcome; the details
    hold the client address and user agent): administrators, or the person."""
    return {"entries": identity("audit_trail", actor=actor(), user_id=user_id, query=bodies.AuditQuery().dump(query))}


@blp.route("/audit", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.AuditQuery, location="query")
@blp.response(200, bodies.AuditEntries)
@errors(blp, 400, 401, 403, 422)
def audit(query):
    """Administrators: the latest access-control changes, or with
    `kind=sign_ins` everyone's sign-ins (filtered by `outcome`, `client_address`),
    newest first, `limit` a page. Both filtered by who acted (`actor_email`),
    whom it concerned (`subject_email`), `action`, and time (`since`, `until`;
    422 when `until` is not later than `since`)."""
    require_permission(Action.GRANT_PERMISSIONS)
    return {"entries": identity("audit_trail", actor=actor(), query=bodies.AuditQuery().dump(query))}


@blp.route("/terms", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.TermsRequest)
@blp.response(201, bodies.TermsOut)
@errors(blp, 400, 401, 403, 415, 422)
def publish_terms(payload):
    """Administrators: publish new Terms of Use, accepted by everyone at next login."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("publish_terms", actor=actor(), payload=payload)


# -- API users ---------------------------------------------------------------------
@blp.route("/api-users", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.ApiUserRequest)
@blp.response(201, bodies.UserOut)
@errors(blp, 400, 401, 403, 409, 415, 422)
def create_api_user(payload):
    """Administrators: an account for a system reading data through the API."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("create_api_user", actor=actor(), payload=payload)


@blp.route("/api-users/<user_id>/keys", methods=["POST"])
@secured(blp)
@blp.arguments(bodies.ApiKeyRequest)
@blp.response(201, bodies.ApiKeyOut)
@errors(blp, 400, 401, 403, 404, 409, 415, 422)
def create_api_key(payload, user_id):
    """Administrators: a new API key. The key is shown in this answer only."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("create_api_key", actor=actor(), user_id=user_id, payload=payload)


@blp.route("/api-users/<user_id>/keys", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.ApiKeys)
@errors(blp, 401, 403)
def list_api_keys(user_id):
    """Administrators: an API user's keys (never the keys themselves)."""
    require_permission(Action.GRANT_PERMISSIONS)
    return {"api_keys": identity("list_api_keys", actor=actor(), user_id=user_id)}


@blp.route("/api-users/<user_id>/keys/<key_id>", methods=["DELETE"])
@secured(blp)
@blp.response(200, bodies.ApiKeyOut)
@errors(blp, 401, 403, 404)
def revoke_api_key(user_id, key_id):
    """Administrators: revoke an API key; it stops working at once."""
    require_permission(Action.GRANT_PERMISSIONS)
    return identity("revoke_api_key", actor=actor(), user_id=user_id, key_id=key_id)
