"""Every event that crosses the bus: its name, the schema of its data, and
which services consume it.

An event is an envelope (id, type, time, actor, correlation id, data). The
producer validates it before writing it to its outbox; the consumer validates
it again on receipt and dead-letters what does not conform.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate

from .vocabulary import COMMISSIONER_KINDS, LOCATION_KINDS


class _Data(Schema):
    """Base for event data: unknown fields are refused at both ends."""


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


class OrganisationUpdated(_Data):
    """Providers' snapshot of an organisation (what identity needs of it)."""

    organisation_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    email_domains = fields.List(fields.String(), required=True)
    # For a Local Authority or Sub-ICB: its own ONS code.
    ons_code = fields.String(allow_none=True, load_default=None)
    la_code = fields.String(allow_none=True, load_default=None)
    sub_icb_code = fields.String(allow_none=True, load_default=None)


class _Note(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    author_id = fields.String(allow_none=True, load_default=None)
    updated_at = fields.AwareDateTime(required=True)


class _Contract(Schema):
    commissioner_kind = fields.String(required=True, validate=validate.OneOf(COMMISSIONER_KINDS))
    commissioner_code = fields.String(required=True)


def _strings(**kw):
    return fields.List(fields.String(), **kw)


class LocationUpdated(_Data):
    """The providers service's versioned snapshot of a location: all a read
    model needs, so that no consumer ever calls back. Consumers apply a
    snapshot only when its version is newer than the one they hold."""

    location_id = fields.String(required=True)
    version = fields.Integer(required=True)
    organisation_id = fields.String(required=True)  # the provider
    name = fields.String(required=True)
    postcode = fields.String(required=True)
    la_code = fields.String(required=True, allow_none=True)
    sub_icb_code = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    # The rest of the profile (optional so that a producer of an older
    # contract still validates; the providers service always sends them).
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))
    provider_name = fields.String()
    brand_id = fields.String(allow_none=True)
    brand_name = fields.String(allow_none=True)
    street_address = fields.String()
    address_line_2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    county = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    geocoded_by = fields.String(allow_none=True)
    icb_code = fields.String(allow_none=True)
    nhs_region_code = fields.String(allow_none=True)
    telephone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    registered_beds = fields.Integer(allow_none=True)
    overall_rating = fields.String(allow_none=True)
    rating_published = fields.Date(allow_none=True)
    regulated_activities = _strings()
    service_types = _strings()
    service_user_bands = _strings()
    specialisms = _strings()
    dormant = fields.Boolean()
    cqc_refreshed_at = fields.AwareDateTime(allow_none=True)
    care_types = _strings()
    funding_sources = _strings()
    out_of_hours_admissions = fields.Boolean(allow_none=True)
    manager = fields.Dict()
    rooms = fields.Dict()
    short_stay_services = _strings(allow_none=True)
    long_term_vacancy_types = _strings()
    languages = _strings()
    reminders_enabled = fields.Boolean()
    approved_contracts = fields.List(fields.Nested(_Contract))
    notes = fields.List(fields.Nested(_Note))
    updated_at = fields.AwareDateTime(allow_none=True)


class PostcodesPublished(_Data):
    """One part of the providers' postcode directory, announced after each
    import so that a service can geocode without calling back. Rows are
    compact tuples; `directory_version` orders directories (a newer one
    replaces an older one once all its `parts` have arrived)."""

    directory_version = fields.Integer(required=True, validate=validate.Range(min=1))
    part = fields.Integer(required=True, validate=validate.Range(min=1))
    parts = fields.Integer(required=True, validate=validate.Range(min=1))
    # (postcode "S70 1AA", latitude, longitude, la_code, sub_icb_code)
    postcodes = fields.List(fields.Tuple((
        fields.String(validate=validate.Length(min=5, max=8)), fields.Float(), fields.Float(),
        fields.String(allow_none=True, validate=validate.Length(max=9)),
        fields.String(allow_none=True, validate=validate.Length(max=9)))), required=True)
    # (outcode "S70", latitude, longitude): district centroids, in part 1 only
    outcodes = fields.List(fields.Tuple((fields.String(validate=validate.Length(min=2, max=4)), fields.Float(),
                                         fields.Float())), required=True)


class GeographyPublished(_Data):
    """England's geography with its names, as providers hold it, announced
    whenever it is loaded: reports roll up along it and show its names.
    Rows are compact tuples; `version` orders announcements (a newer one
    replaces what an older one said)."""

    version = fields.Integer(required=True, validate=validate.Range(min=1))
    # (code, name)
    nhs_regions = fields.List(fields.Tuple((fields.String(), fields.String())), required=True)
    # (code, name, nhs_region_code)
    icbs = fields.List(fields.Tuple((fields.String(), fields.String(), fields.String())), required=True)
    # (code, name, icb_code)
    sub_icbs = fields.List(fields.Tuple((fields.String(), fields.String(), fields.String())), required=True)
    # (code, name)
    local_authorities = fields.List(fields.Tuple((fields.String(), fields.String())), required=True)


class ContractRequested(_Data):
    contract_id = fields.String(required=True)
    location_id = fields.String(required=True)
    location_name = fields.String(required=True)
    commissioner_kind = fields.String(required=True, validate=validate.OneOf(COMMISSIONER_KINDS))
    commissioner_code = fields.String(required=True)
    commissioner_name = fields.String(required=True)


class ContractDecided(_Data):
    contract_id = fields.String(required=True)
    location_id = fields.String(required=True)
    location_name = fields.String(required=True)
    commissioner_kind = fields.String(required=True, validate=validate.OneOf(COMMISSIONER_KINDS))
    commissioner_code = fields.String(required=True)
    # Optional so that an older producer's event still validates.
    commissioner_name = fields.String(allow_none=True, load_default=None)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "declined"]))
    reason = fields.String(allow_none=True, load_default=None)


class _Vacancy(Schema):
    vacancy_type = fields.String(required=True)
    weekly_price_from = fields.String(required=True, metadata={"description": "£, a decimal string"})
    maximum_capacity = fields.Integer(required=True)
    occupied = fields.Integer(required=True)
    vacant_reserved = fields.Integer(required=True)
    vacant_accepting = fields.Integer(required=True)
    vacant_not_available = fields.Integer(required=True)
    not_available_reason = fields.String(allow_none=True, load_default=None)
    flexible = fields.Boolean(required=True)


class ReturnSubmitted(_Data):
    """A location's capacity return: the full snapshot, versioned by its
    sequence, so read models stay right under redelivery and reordering."""

    return_id = fields.String(required=True)
    location_id = fields.String(required=True)
    sequence = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    still_true = fields.Boolean(required=True, metadata={"description": "The same figures as before, re-stamped"})
    source = fields.String(required=True, validate=validate.OneOf(["form", "bulk"]))
    provider_id = fields.String(required=True)
    la_code = fields.String(required=True, allow_none=True)
    sub_icb_code = fields.String(required=True, allow_none=True)
    vacancies = fields.List(fields.Nested(_Vacancy), required=True)
    short_stay_prices = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    admission_status = fields.String(required=True, validate=validate.OneOf(["accepting", "not_accepting"]))
    residents = fields.Integer(required=True)
    over_registered_capacity = fields.Boolean(required=True)


class OtherReturnSubmitted(_Data):
    return_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["workforce", "visiting", "home_care"]))
    location_id = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    provider_id = fields.String(required=True)
    la_code = fields.String(required=True, allow_none=True)
    sub_icb_code = fields.String(required=True, allow_none=True)
    figures = fields.Dict(required=True)


class BulkUploadReceived(_Data):
    upload_id = fields.String(required=True)


class BulkUploadProcessed(_Data):
    upload_id = fields.String(required=True)
    uploaded_by = fields.String(required=True)
    file_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["processed", "refused"]))
    applied = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    reason = fields.String(allow_none=True, load_default=None)


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
    """Build an event; data that does not match its contract raises ContractBroken."""
    if type not in EVENTS:
        raise ContractBroken(f"unknown event type {type!r}")
    schema = schema_of(type)
    try:
        dumped = schema.dump(data)
    except (TypeError, ValueError) as wrong:  # a value of the wrong kind for its field
        raise ContractBroken(f"event {type} does not match its contract: {wrong}") from wrong
    errors = schema.validate(dumped)
    if errors:
        raise ContractBroken(f"event {type} does not match its contract: {errors}")
    return Event(str(uuid.uuid4()), type, occurred_at,
                 {"user_id": actor_id, "generic": generic_actor}, correlation_id, data, dumped)


def load_event(message: dict) -> Event:
    """Validate a received message against the envelope and its type's schema.
    Raises marshmallow.ValidationError."""
    envelope = _ENVELOPE.load(message)
    data = schema_of(envelope["type"]).load(envelope["data"])
    return Event(str(envelope["id"]), envelope["type"], envelope["occurred_at"],
                 envelope["actor"], envelope["correlation_id"], data)


__all__ = ["EVENTS", "SUBSCRIPTIONS", "ContractBroken", "Event", "new_event", "load_event", "ValidationError"]
