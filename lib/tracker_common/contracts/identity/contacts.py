"""Whom to email, as identity knows it now: asked by the other services."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .values import CONTACT_MODES, MAX_CONTACT_IDS, ONS_CODE, ROUTES, Identifier


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
