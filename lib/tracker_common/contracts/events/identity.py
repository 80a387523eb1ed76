"""The events identity publishes: its users' applications, accounts and sign-ins."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .base import Data as _Data


class _Reviewer(Schema):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)


class ApplicationSubmitted(_Data):
    application_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["registration", "location_access"]))
    user_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    organisation_id = fields.String(required=True)
    organisation_name = fields.String(required=True)
    location_ids = fields.List(fields.String(), required=True)
    level = fields.String(required=True)
    flags = fields.List(fields.String(), required=True)
    routed_to = fields.String(required=True, validate=validate.OneOf(["approvers", "system_champions", "administrators"]))
    reviewers = fields.List(fields.Nested(_Reviewer), required=True)


class UserApproved(_Data):
    application_id = fields.String(required=True)
    user_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    organisation_id = fields.String(required=True)
    # The one-time password, encrypted for the notifications service only
    # (Fernet, key MESSAGE_SECRET_KEY); never in plain text on the bus.
    one_time_password_sealed = fields.String(required=True)


class ApplicationRejected(_Data):
    application_id = fields.String(required=True)
    kind = fields.String(required=True)
    user_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    reason = fields.String(required=True)


class LocationAccessApproved(_Data):
    application_id = fields.String(required=True)
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    location_ids = fields.List(fields.String(), required=True)


class AccountLocked(_Data):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    locked_until = fields.AwareDateTime(required=True)


class PasswordChanged(_Data):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)


class PasswordReset(_Data):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    one_time_password_sealed = fields.String(required=True)


class MfaReset(_Data):
    """An administrator removed a person's second factor: they set up a new
    one at their next sign-in (and are told by email, in case it was not
    them who asked)."""

    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)


class PasswordResetRequested(_Data):
    """A forgotten-password link to email: the token sealed for the
    notifications service only (as one-time passwords are)."""

    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    reset_token_sealed = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class PasswordResetCompleted(_Data):
    """A password was reset by a link: its owner is told."""

    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    reset_at = fields.AwareDateTime(required=True)


class PasswordExpiring(_Data):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    days_left = fields.Integer(required=True)


class UserDeactivated(_Data):
    user_id = fields.String(required=True)
    email = fields.Email(required=True)
    organisation_id = fields.String(required=True)


class UserLoggedIn(_Data):
    user_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    generic = fields.Boolean(required=True)


class PermissionsChanged(_Data):
    user_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


