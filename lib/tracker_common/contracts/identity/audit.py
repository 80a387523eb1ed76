"""The audit of access-control changes and of sign-ins, and the last login
report."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..capacity import Instant
from .values import ACCESS_ACTIONS, AUDIT_KINDS, SIGN_IN_OUTCOMES, Email


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


class AuditEntries(Schema):
    entries = fields.List(fields.Nested(AuditOut))


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
