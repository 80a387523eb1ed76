"""Error types that cross RPC and come back as themselves.

Each error carries its body as one JSON string (nameko would stringify any
number inside a dict) so the gateway can rebuild it exactly
(`deserialize_to_instance`) and map it to HTTP with one table (`HTTP_STATUS`).
"""
from __future__ import annotations

import json

from marshmallow import INCLUDE, Schema, fields
from nameko.exceptions import deserialize_to_instance


class TrackerError(Exception):
    code = "error"
    title = "Error"

    def __init__(self, detail: str = "", *, fields: dict | None = None, **extra):
        if detail.startswith("{"):  # rebuilt on the caller's side from the serialised form
            body = json.loads(detail)
        else:
            body = {"detail": detail or self.title, **extra}
            if fields:
                body["errors"] = fields
        body.setdefault("code", self.code)
        super().__init__(json.dumps(body))
        self.body = body

    @property
    def detail(self) -> str:
        return self.body.get("detail", self.title)

    @property
    def fields(self) -> dict:
        return self.body.get("errors", {})

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


def _register(cls):
    return deserialize_to_instance(cls)


@_register
class InvalidInput(TrackerError):
    code = "invalid_input"
    title = "The request has invalid fields"


@_register
class NotAuthenticated(TrackerError):
    code = "not_authenticated"
    title = "Authentication is required"


@_register
class InvalidCredentials(TrackerError):
    code = "invalid_credentials"
    title = "The email address or password is not correct"

    def __init__(self, detail: str = "", **kwargs):
        super().__init__(detail or "The email address or password is not correct. After 5 wrong "
                                   "passwords in a row the account is locked for 24 hours.", **kwargs)


@_register
class AccountLocked(TrackerError):
    code = "account_locked"
    title = "The account is locked"


@_register
class PasswordChangeRequired(TrackerError):
    code = "password_change_required"
    title = "The password must be changed before logging in"


@_register
class TermsAcceptanceRequired(TrackerError):
    code = "terms_acceptance_required"
    title = "The current Terms of Use must be accepted"


@_register
class DisclaimerAcknowledgementRequired(TrackerError):
    code = "disclaimer_acknowledgement_required"
    title = "Generic accounts must acknowledge the disclaimer at every login"


@_register
class MfaRequired(TrackerError):
    """The password was right; the code of the second factor is needed too
    (send it with `mfa_token`, or with the password as `code`)."""

    code = "mfa_required"
    title = "Enter the code from your authenticator app"


@_register
class MfaEnrolmentRequired(TrackerError):
    """The password was right; this account must set up a second factor
    before it can sign in (with `mfa_token`)."""

    code = "mfa_enrolment_required"
    title = "Set up a second factor to sign in"


@_register
class InvalidMfaCode(InvalidCredentials):
    code = "invalid_mfa_code"
    title = "The code is not correct"

    def __init__(self, detail: str = "", **kwargs):
        super().__init__(detail or "The code is not correct, or has been used already. Wrong codes count "
                                   "with wrong passwords: after 5 in a row the account is locked for 24 hours.",
                         **kwargs)


@_register
class Forbidden(TrackerError):
    code = "forbidden"
    title = "You do not have permission to do this"


@_register
class NotFound(TrackerError):
    code = "not_found"
    title = "Not found"


@_register
class Conflict(TrackerError):
    code = "conflict"
    title = "The request conflicts with the current state"


HTTP_STATUS: dict[type[TrackerError], int] = {
    InvalidInput: 422,
    NotAuthenticated: 401,
    InvalidCredentials: 401,
    AccountLocked: 423,
    PasswordChangeRequired: 403,
    TermsAcceptanceRequired: 403,
    DisclaimerAcknowledgementRequired: 403,
    MfaRequired: 403,
    MfaEnrolmentRequired: 403,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
}


def http_status(error: TrackerError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


class Problem(Schema):
    """The body of every error answer of the HTTP API (RFC 7807 problem details)."""

    class Meta:  # RFC 7807 extension members: locked_until, rule, terms_version...
        unknown = INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Machine-readable error code"})
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Field name -> list of messages"})
    correlation_id = fields.String()
