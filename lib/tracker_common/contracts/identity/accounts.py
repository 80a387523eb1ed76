"""Accounts: applying for one (and the places to apply to), the decision on
an application, the people and their permissions, API users and their keys,
the Terms of Use."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..permissions import GRANTABLE_ROLES
from .values import LEVELS, Email, Identifier, Name


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


class PlaceQuery(Schema):
    """Care homes (by name or postcode) and organisations (by name) to apply to."""

    text = fields.String(required=True, validate=validate.Length(min=2, max=100))


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


class Applications(Schema):
    applications = fields.List(fields.Nested(ApplicationOut))


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


class Users(Schema):
    users = fields.List(fields.Nested(UserOut))


class ApiKeyOut(Schema):
    id = fields.String()
    label = fields.String()
    prefix = fields.String()
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)
    key = fields.String(metadata={"description": "Shown once, at creation."})


class ApiKeys(Schema):
    api_keys = fields.List(fields.Nested(ApiKeyOut))


class TermsOut(Schema):
    version = fields.Integer()
    text = fields.String()
    published_at = fields.String()
