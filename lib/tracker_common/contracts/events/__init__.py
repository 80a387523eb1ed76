"""Every event that crosses the bus: its name, the schema of its data, and
which services consume it.

An event is an envelope (id, type, time, actor, correlation id, data). The
producer serialises it with its schema and checks its shape (what our own code
builds from typed columns needs no more) before writing it to its outbox; the
consumer validates it in full on receipt and dead-letters what does not
conform.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, missing, validate

from .capacity import (BulkUploadProcessed, BulkUploadReceived, OtherReturnSubmitted,
                       ReturnSubmitted)
from .identity import (AccountLocked, ApplicationRejected, ApplicationSubmitted, LocationAccessApproved,
                       MfaReset, PasswordChanged, PasswordExpiring, PasswordReset, PasswordResetCompleted,
                       PasswordResetRequested, PermissionsChanged, UserApproved, UserDeactivated,
                       UserLoggedIn)
from .providers import (ContractDecided, ContractRequested, GeographyPublished, LocationUpdated,
                        OrganisationUpdated, PostcodesPublished)

EVENTS: dict[str, type[Schema]] = {
    "identity.registration_submitted": ApplicationSubmitted,
    "identity.access_requested": ApplicationSubmitted,
    "identity.user_approved": UserApproved,
    "identity.user_rejected": ApplicationRejected,
    "identity.access_approved": LocationAccessApproved,
    "identity.access_rejected": ApplicationRejected,
    "identity.account_locked": AccountLocked,
    "identity.password_changed": PasswordChanged,
    "identity.password_reset": PasswordReset,
    "identity.password_expiring": PasswordExpiring,
    "identity.password_reset_requested": PasswordResetRequested,
    "identity.password_reset_completed": PasswordResetCompleted,
    "identity.mfa_reset": MfaReset,
    "identity.user_deactivated": UserDeactivated,
    "identity.user_logged_in": UserLoggedIn,
    "identity.permissions_changed": PermissionsChanged,
    "providers.organisation_updated": OrganisationUpdated,
    "providers.location_updated": LocationUpdated,
    "providers.postcodes_published": PostcodesPublished,
    "providers.geography_published": GeographyPublished,
    "providers.contract_requested": ContractRequested,
    "providers.contract_decided": ContractDecided,
    "capacity.return_submitted": ReturnSubmitted,
    "capacity.other_return_submitted": OtherReturnSubmitted,
    "capacity.bulk_upload_received": BulkUploadReceived,
    "capacity.bulk_upload_processed": BulkUploadProcessed,
}

# Which service consumes which events. Every queue here is declared before any
# event is published, so no event is dropped for want of a queue; a service
# cannot subscribe to an event not listed here.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "identity": ("providers.organisation_updated", "providers.location_updated"),
    # capacity hands uploads to its own worker through the bus
    "capacity": ("providers.location_updated", "capacity.bulk_upload_received"),
    # search's read model: locations, their returns, and the postcode directory
    "search": ("providers.location_updated", "capacity.return_submitted", "providers.postcodes_published"),
    # notifications: every event that asks for an email, and what it needs of locations
    "notifications": (
        "identity.registration_submitted", "identity.access_requested", "identity.user_approved",
        "identity.user_rejected", "identity.access_approved", "identity.access_rejected",
        "identity.password_reset", "identity.password_expiring", "identity.account_locked",
        "identity.password_reset_requested", "identity.password_reset_completed",
        "identity.mfa_reset",
        "providers.contract_requested", "providers.contract_decided", "capacity.bulk_upload_processed",
        "providers.location_updated"),
    # reporting's read model: locations, every return (history) and the geography's names
    "reporting": ("providers.location_updated", "capacity.return_submitted", "providers.geography_published"),
}


class _Actor(Schema):
    user_id = fields.String(allow_none=True, load_default=None)
    generic = fields.Boolean(load_default=False)


class _Envelope(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(sorted(EVENTS)))
    occurred_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(_Actor, required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


_ENVELOPE = _Envelope()
_SCHEMAS: dict[str, Schema] = {}


def schema_of(event_type: str) -> Schema:
    """The (reusable) schema instance of an event type: building a marshmallow
    schema costs about a millisecond, too much to do per event."""
    if event_type not in _SCHEMAS:
        _SCHEMAS[event_type] = EVENTS[event_type]()
    return _SCHEMAS[event_type]


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    actor: dict
    correlation_id: str | None
    data: dict
    serialised: dict | None = None  # `data` as JSON-ready values, when already computed

    def to_message(self) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "data": self.serialised if self.serialised is not None else schema_of(self.type).dump(self.data),
        }


class ContractBroken(Exception):
    """Our own code built an event its contract refuses. That is a bug of
    the producer, never the caller's fault: it surfaces as a server error
    (5xx) and an error log, and the change it came with is rolled back."""


def new_event(type: str, data: dict, *, occurred_at: datetime, actor_id: str | None = None,
              generic_actor: bool = False, correlation_id: str | None = None) -> Event:
    """Build an event; data that does not match its contract raises ContractBroken.

    The data is serialised by its schema (which refuses a value of the wrong
    kind) and its shape checked (`shape_problems`): the producer builds it
    from typed columns, so a full validation here would only repeat, at twice
    the cost of the serialisation, what the consumer's `load_event` does."""
    if type not in EVENTS:
        raise ContractBroken(f"unknown event type {type!r}")
    schema = schema_of(type)
    try:
        dumped = _dump(schema, data)
    except (TypeError, ValueError, AttributeError) as wrong:  # a value of the wrong kind for its field
        raise ContractBroken(f"event {type} does not match its contract: {wrong}") from wrong
    problems = shape_problems(schema, dumped)
    if problems:
        raise ContractBroken(f"event {type} does not match its contract: {problems}")
    return Event(str(uuid.uuid4()), type, occurred_at,
                 {"user_id": actor_id, "generic": generic_actor}, correlation_id, data, dumped)


_PLANS: dict[int, tuple | None] = {}


def _dump(schema: Schema, data) -> dict:
    """`schema.dump(data)`: for a dict and a plain schema (no hooks, no field
    with another attribute, a dump default or no attribute at all), each
    field's own serialisation called directly, without marshmallow's
    accessors around it (half the cost of a dump, the same result)."""
    plan = _PLANS.get(id(schema), False)
    if plan is False:
        plan = _PLANS[id(schema)] = _plan(schema)
    if plan is None or type(data) is not dict:
        return schema.dump(data)
    dumped = {}
    for name, key, field in plan[0]:
        value = data.get(name, missing)
        if value is not missing:
            dumped[key] = field._serialize(value, name, data)
    return dumped


def _plan(schema: Schema) -> tuple | None:
    """(name, key, field) of each field when `_dump` may go the short way."""
    if schema.many or any(schema._hooks.values()) or type(schema).get_attribute is not Schema.get_attribute \
            or schema.dict_class is not dict:
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        if (field.attribute is not None or field.dump_default is not missing or not field._CHECK_ATTRIBUTE
                or "." in name or hasattr(dict, name)):
            return None
        plan.append((name, field.data_key or name, field))
    return tuple(plan), schema


_SHAPES: dict[int, tuple] = {}


def _shape(schema: Schema) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, Schema, bool], ...]]:
    """(required keys, keys that may not be None, nested schemas as (key,
    schema, many)) of a schema's serialised form, worked out once."""
    found = _SHAPES.get(id(schema))
    if found is None:
        required, not_none, nested = [], [], []
        for name, field in schema.dump_fields.items():
            key = field.data_key or name
            if field.required:
                required.append(key)
            if not field.allow_none:
                not_none.append(key)
            inner, many = (field.inner, True) if isinstance(field, fields.List) else (field, False)
            if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
                nested.append((key, inner.schema, many or inner.many))
        found = _SHAPES[id(schema)] = (tuple(required), tuple(not_none), tuple(nested), schema)
    return found[:3]


def shape_problems(schema: Schema, dumped: dict, path: str = "") -> list[str]:
    """What a serialised event's data lacks: each required field missing and
    each None where its field allows none, nested data included (a cheap check,
    not a validation: ranges and choices are the consumer's to check)."""
    required, not_none, nested = _shape(schema)
    problems = [f"{path}{key}: missing" for key in required if key not in dumped]
    problems += [f"{path}{key}: None is not allowed" for key in not_none if key in dumped and dumped[key] is None]
    for key, inner, many in nested:
        value = dumped.get(key)
        if value is None:
            continue
        for index, item in enumerate(value) if many else ((None, value),):
            problems += shape_problems(inner, item, f"{path}{key}{'' if index is None else f'[{index}]'}.")
    return problems


def load_event(message: dict) -> Event:
    """Validate a received message against the envelope and its type's schema.
    Raises marshmallow.ValidationError."""
    envelope = _ENVELOPE.load(message)
    data = schema_of(envelope["type"]).load(envelope["data"])
    return Event(str(envelope["id"]), envelope["type"], envelope["occurred_at"],
                 envelope["actor"], envelope["correlation_id"], data)


__all__ = ["EVENTS", "SUBSCRIPTIONS", "ContractBroken", "Event", "new_event", "load_event", "shape_problems",
           "ValidationError"]
