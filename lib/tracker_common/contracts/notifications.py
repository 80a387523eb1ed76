"""Bodies of the notifications service's API (its RPCs and the gateway's
`/api/v1/notifications`)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

STATUSES = ("created", "sending", "delivered", "permanent-failure", "temporary-failure", "technical-failure")
MAX_PERSONALISATION = 100
MAX_LIST_ITEMS = 1000


def _is_value(value) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(str(value)) <= 10_000


class SendEmailRequest(Schema):
    """GOV.UK Notify's `send_email`: a template, a recipient, the values of
    the template's placeholders, and a reference (the same reference twice
    sends once)."""

    template = fields.String(required=True, validate=validate.Length(min=1, max=50))
    to = fields.Email(required=True, validate=validate.Length(max=254))
    personalisation = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                                  load_default=dict)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=300))

    @validates("personalisation")
    def values_are_text_or_lists(self, value, **kwargs):
        if len(value) > MAX_PERSONALISATION:
            raise ValidationError(f"At most {MAX_PERSONALISATION} values.")
        bad = sorted(key for key, item in value.items()
                     if not (item is None or _is_value(item) or (
                         isinstance(item, list) and len(item) <= MAX_LIST_ITEMS and all(_is_value(i) for i in item))))
        if bad:
            raise ValidationError("Values must be text, numbers, true/false or lists of them: " + ", ".join(bad))


class NotificationQuery(Schema):
    """Finding notifications: by recipient, by reference, by status."""

    to = fields.String(load_default=None, validate=validate.Length(min=3, max=254))
    reference = fields.String(load_default=None, validate=validate.Length(min=1, max=300))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    template = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TemplateVersionRequest(Schema):
    """New wording for a template (a new version)."""

    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class ReminderRequest(Schema):
    """Remind locations to update their capacity (from a report)."""

    location_ids = fields.List(fields.String(validate=validate.Length(min=1, max=20)), required=True,
                               validate=validate.Length(min=1, max=500))


# -- replies ----------------------------------------------------------------------------------
class _TemplateRef(Schema):
    id = fields.String()
    version = fields.Integer()


class _Attempt(Schema):
    attempt = fields.Integer()
    at = fields.String()
    outcome = fields.String(metadata={"description": "delivered, retry, or the final failure"})
    detail = fields.String(allow_none=True)


class NotificationOut(Schema):
    id = fields.String()
    reference = fields.String(allow_none=True)
    to = fields.String()
    template = fields.Nested(_TemplateRef)
    sender = fields.String(metadata={"description": "the service or user it was sent for"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    subject = fields.String()
    created_at = fields.String()
    sent_at = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    attempts = fields.Integer()
    provider = fields.String(allow_none=True)
    failure = fields.String(allow_none=True)
    body = fields.String(allow_none=True, metadata={"description": "as sent, secrets shown as (hidden)"})
    personalisation = fields.Dict()
    history = fields.List(fields.Nested(_Attempt))


class NotificationPage(Schema):
    notifications = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class _TemplateVersionOut(Schema):
    version = fields.Integer()
    subject = fields.String()
    body = fields.String()
    created_at = fields.String()
    created_by = fields.String(allow_none=True, metadata={"description": "null: shipped with the system"})


class TemplateOut(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    fields_ = fields.List(fields.String(), attribute="fields", data_key="fields",
                          metadata={"description": "the placeholders this template may use"})
    secret_fields = fields.List(fields.String())
    version = fields.Integer()
    current = fields.Nested(_TemplateVersionOut)
    versions = fields.List(fields.Nested(_TemplateVersionOut))


class TemplateList(Schema):
    templates = fields.List(fields.Nested(TemplateOut))


class _Reminded(Schema):
    location_id = fields.String()
    to = fields.String()
    notification_id = fields.String()
    already_reminded = fields.Boolean(metadata={"description": "reminded within this hour already: not sent again"})


class RemindersOut(Schema):
    reminded = fields.List(fields.Nested(_Reminded))
    locations_without_anyone = fields.List(fields.String())
