"""Bodies of the identity API: validated by the gateway on the way in and by
the identity service again on receipt."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .capacity import Instant
from .permissions import GRANTABLE_ROLES

# Letters (any script), spaces, apostrophes, hyphens and full stops: enough for
# "Siobhán O'Brien-Smith Jr.", not for markup or SQL.
PERSON_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’.\-])*$")
ORGANISATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,63}$")
LEVELS = ("standard", "approver")
# A Local Authority's or Sub-ICB's own code (E08000016, E38000006).
ONS_CODE = validate.Regexp(r"^E\d{8}$", error="Not an ONS code (E followed by 8 digits).")
CONTACT_MODES = ("user_ids", "location_ids", "commissioner_code")
MAX_CONTACT_IDS = 1000
ROUTES = ("approvers", "system_champions", "administrators")


# Spaces around a name are forgiven (and written in the document: a
# Regexp validator is documented as the field's pattern).
_person_name = validate.Regexp(rf"^ *{PERSON_NAME.pattern[1:]}",
                               error="Use letters, spaces, apostrophes, hyphens and full stops only.")
_identifier = validate.Regexp(ORGANISATION_ID, error="Not a valid identifier.")


def Name(**kw):
    return fields.String(validate=[validate.Length(min=1, max=100), _person_name], **kw)


def Identifier(**kw):
    return fields.String(validate=[validate.Length(min=1, max=64), _identifier], **kw)


def Email(**kw):
    return fields.Email(validate=validate.Length(max=254), **kw)


def Password(**kw):
    # The policy (length, deny list...) is checked by identity; this only
    # bounds the size so nothing huge is hashed.
    return fields.String(validate=validate.Length(min=1, max=200), **kw)


class RegistrationRequest(Schema):
    name = Name(required=True)
    email = Email(required=True)
    organisation_id = Identifier(required=True)
    location_id = Identifier(load_default=None, allow_none=True,
                             metadata={"description": "One location ('My Care Home'); blank for all."})
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    generic = fields.Boolean(load_default=False,
                             metadata={"description": "A shared account: a disclaimer at every login."})
    job_title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


def MfaCode(**kw):
    # Six digits from an authenticator app, or a recovery code (hyphens and spaces allowed).
    kw.setdefault("metadata", {"example": "123456"})
    return fields.String(validate=[validate.Length(min=6, max=20), validate.Regexp(
        r"^[0-9A-Za-z][0-9A-Za-z \-]*$", error="Enter the 6-digit code or a recovery code.")], **kw)


def MfaToken(**kw):
    return fields.String(validate=validate.Length(min=1, max=1000),
                         metadata={"description": "From the 403 `mfa_required` / `mfa_enrolment_required` "
                                                  "answer; valid for 5 minutes."}, **kw)


class TokenRequest(Schema):
    email = Email(required=True)
    password = Password(required=True)
    accept_terms_version = fields.Integer(load_default=None, allow_none=True, strict=True,
                                          validate=validate.Range(min=1))
    acknowledge_disclaimer = fields.Boolean(load_default=False)
    code = MfaCode(load_default=None, allow_none=True,
                   metadata={"description": "The second factor, when the account has one: a code from the "
                                            "authenticator app or a recovery code (else 403 mfa_required)."})


class MfaCodeRequest(Schema):
    """The second step of signing in (or of setting up MFA): the challenge
    and the code."""

    mfa_token = MfaToken(required=True)
    code = MfaCode(required=True)


class MfaTokenRequest(Schema):
    mfa_token = MfaToken(required=True)


class MfaEnrolmentOut(Schema):
    secret = fields.String(metadata={"description": "The key, base32, to type into an authenticator app."})
    otpauth_uri = fields.String(metadata={"description": "otpauth://totp/... for a QR code."})


class MfaStatusOut(Schema):
    enabled = fields.Boolean()
    enabled_at = fields.String(allow_none=True)
    required = fields.Boolean()
    recovery_codes_left = fields.Integer()


class RecoveryCodesRequest(Schema):
    code = MfaCode(required=True, metadata={"description": "A current code from the authenticator app."})


class RecoveryCodesOut(Schema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "Shown once: each works once."})


class TokenResponse(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    disclaimer = fields.String(metadata={"description": "Shown to generic accounts."})
    recovery_codes = fields.List(fields.String(), metadata={
        "description": "Only when MFA has just been set up: ten one-time codes, shown this once."})


class PasswordChangeRequest(Schema):
    email = Email(required=True)
    current_password = Password(required=True)
    new_password = Password(required=True)


class PasswordResetLinkRequest(Schema):
    """Forgotten password: a link is emailed to this address if an account uses it."""

    email = Email(required=True)


class PasswordResetRequest(Schema):
    """A new password, with the token from the emailed link."""

    token = fields.String(required=True, validate=validate.Length(min=20, max=200),
                          metadata={"description": "The `token` of the emailed link."})
    new_password = Password(required=True)


class PasswordResetOut(Schema):
    email = fields.String(metadata={"description": "The account whose password was reset: sign in with it."})


class ClientInfo(Schema):
    """Who is asking, as the gateway saw them: kept in the audit of sign-ins."""

    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=45))
    user_agent = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


# What the audit of sign-ins records: password outcomes, the second factor's,
# and forgotten-password links asked for and used.
SIGN_IN_OUTCOMES = ("succeeded", "failed", "locked", "mfa_passed", "mfa_failed", "reset_link_requested",
                    "password_reset_by_link")
AUDIT_KINDS = ("access", "sign_ins")
# What the audit of access-control changes records (its `action`).
ACCESS_ACTIONS = ("account_locked", "administrator_created", "api_key_created", "api_key_revoked",
                  "api_user_created", "location_access_approved", "location_access_rejected",
                  "location_access_requested", "mfa_enabled", "mfa_recovery_codes_regenerated", "mfa_reset",
                  "password_changed", "password_reset", "permissions_changed", "registration_approved",
                  "registration_rejected", "registration_submitted", "terms_accepted", "terms_published",
                  "user_deactivated")


class AuditQuery(Schema):
    kind = fields.String(load_default="access", validate=validate.OneOf(AUDIT_KINDS),
                         metadata={"description": "`access`: access-control changes; `sign_ins`: every "
                                                  "sign-in (administrators, or a person's own)."})
    outcome = fields.String(validate=validate.OneOf(SIGN_IN_OUTCOMES),
                            metadata={"description": "Sign-ins with this outcome only."})
    client_address = fields.String(validate=validate.Length(min=1, max=45),
                                   metadata={"description": "Sign-ins from this address only."})
    action = fields.String(validate=validate.OneOf(ACCESS_ACTIONS),
                           metadata={"description": "Access-control changes of this kind only."})
    actor_email = Email(metadata={"description": "Only what the account with this email address did (for "
                                                 "sign-ins: its own sign-ins)."})
    subject_email = Email(metadata={"description": "Only what concerned the account with this email address."})
    since = Instant(metadata={"description": "At or after this time (RFC 3339)."})
    until = Instant(metadata={"description": "Before this time (RFC 3339)."})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "Entries on a page."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))

    @validates_schema
    def since_before_until(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("Must be later than `since`.", "until")


class DecisionRequest(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=1000))
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LEVELS),
                          metadata={"description": "Administrators may change the level before approval."})

    @validates_schema
    def reason_for_rejection(self, data, **kwargs):
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            raise ValidationError("A reason is required to reject an application.", "reason")


class AccessRequest(Schema):
    location_ids = fields.List(Identifier(), required=True, validate=validate.Length(min=1, max=50))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class GrantRequest(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf([r.value for r in GRANTABLE_ROLES])),
                        required=True, validate=validate.Length(max=len(GRANTABLE_ROLES)),
                        metadata={"description": "The full set of granted permissions (replaces the old set)."})


class TermsRequest(Schema):
    # 50,000 characters: within the 1 MB a request may be, however each is written in JSON
    text = fields.String(required=True, validate=validate.Length(min=10, max=50_000))


class ApiUserRequest(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100)])
    email = Email(required=True)
    organisation_id = Identifier(required=True)


class ApiKeyRequest(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ContactsQuery(Schema):
    """Whom to email, as identity knows it now: exactly one of the users
    among `user_ids`, those who can act for `location_ids`, or whom a
    contract approval request for the LA / Sub-ICB `commissioner_code` goes to."""

    user_ids = fields.List(Identifier(), validate=validate.Length(min=1, max=MAX_CONTACT_IDS))
    location_ids = fields.List(Identifier(), validate=validate.Length(min=1, max=MAX_CONTACT_IDS))
    commissioner_code = fields.String(validate=[validate.Length(max=9), ONS_CODE])

    @validates_schema
    def exactly_one_mode(self, data, **kwargs):
        given = [mode for mode in CONTACT_MODES if mode in data]
        if len(given) == 1:
            return
        choice = ", ".join(CONTACT_MODES[:-1]) + f" or {CONTACT_MODES[-1]}"
        if not given:
            raise ValidationError({mode: [f"One of {choice} is required."] for mode in CONTACT_MODES})
        raise ValidationError({mode: [f"Give only one of {choice}."] for mode in given})


class LastLoginQuery(Schema):
    """The last login report: the people of one organisation (your own;
    administrators may name another), those who never signed in first,
    then the longest ago."""

    organisation_id = fields.String(validate=validate.Length(min=1, max=64))
    not_logged_in_for_days = fields.Integer(validate=validate.Range(min=1, max=3660),
                                            metadata={"description": "Only those not signed in for this long"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class LastLogin(Schema):
    user_id = fields.String()
    name = fields.String()
    email = fields.String()
    level = fields.String()
    status = fields.String(metadata={"description": "active | pending | rejected | deactivated"})
    generic = fields.Boolean()
    last_login_at = fields.String(allow_none=True, metadata={"description": "None: never signed in"})


class LastLoginPage(Schema):
    organisation_id = fields.String()
    organisation_name = fields.String(allow_none=True)
    users = fields.List(fields.Nested(LastLogin))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    has_more = fields.Boolean()


class Contact(Schema):
    user_id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    location_ids = fields.List(fields.String(), required=True,
                               metadata={"description": "Which of the asked locations they can act for."})


class ContactList(Schema):
    """The answer to a `ContactsQuery`: each email once, sorted by email."""

    contacts = fields.List(fields.Nested(Contact), required=True)
    routed_to = fields.String(required=True, allow_none=True, validate=validate.OneOf(ROUTES),
                              metadata={"description": "For a commissioner_code: who the request goes to."})


class ApplicationOut(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    user_id = fields.String()
    name = fields.String()
    email = fields.String()
    organisation_id = fields.String()
    location_ids = fields.List(fields.String())
    level = fields.String()
    generic = fields.Boolean()
    flags = fields.List(fields.String())
    routed_to = fields.String()
    submitted_at = fields.String()
    decided_at = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class UserOut(Schema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    organisation_id = fields.String()
    organisation_kind = fields.String(allow_none=True, metadata={
        "description": "care_provider, local_authority, sub_icb, icb, nhs_region, nhs_trust or national: "
                       "which permissions its people may be granted"})
    organisation_name = fields.String(allow_none=True)
    level = fields.String()
    status = fields.String()
    generic = fields.Boolean()
    api_user = fields.Boolean()
    roles = fields.List(fields.String())
    all_locations = fields.Boolean()
    location_ids = fields.List(fields.String())
    last_login_at = fields.String(allow_none=True)
    password_expires_at = fields.String(allow_none=True)
    locked_until = fields.String(allow_none=True)
    mfa_enabled = fields.Boolean(metadata={"description": "Has set up a second factor (TOTP)."})


class ApiKeyOut(Schema):
    id = fields.String()
    label = fields.String()
    prefix = fields.String()
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)
    key = fields.String(metadata={"description": "Shown once, at creation."})


class AuditOut(Schema):
    id = fields.Integer()
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_email = fields.String(allow_none=True, metadata={"description": "null: the system itself"})
    subject_email = fields.String(allow_none=True)
    actor_generic = fields.Boolean()
    action = fields.String()
    subject_user_id = fields.String(allow_none=True)
    details = fields.Dict()


class TermsOut(Schema):
    version = fields.Integer()
    text = fields.String()
    published_at = fields.String()
