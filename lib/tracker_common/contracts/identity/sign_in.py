"""Signing in: the password, the second factor, changing a password and
the forgotten-password link; the tokens and API keys the gateway checks."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .values import Email, MfaCode, MfaToken, Password


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


# How an API key begins (an access token never does): the gateway tells them apart by it.
API_KEY_PREFIX = "ctk_"


class TokenRenewal(Schema):
    """A valid access token, to be exchanged for a fresh one (web sessions)."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class ApiKeyCheck(Schema):
    """An API key the gateway was shown, for identity to check."""

    key = fields.String(required=True)


class PasswordChangeRequest(Schema):
    email = Email(required=True)
    current_password = Password(required=True)
    new_password = Password(required=True)


class PasswordResetLinkRequest(Schema):
    """Forgotten password: a link is emailed to this address if an account uses it."""

    email = Email(required=True)


RESET_LINK_SENT = ("If an account uses this email address, we have sent it a link to choose a new password. "
                   "The link works once, for an hour.")


class PasswordResetLinkSent(Schema):
    detail = fields.String(metadata={"example": RESET_LINK_SENT})


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
