"""Bodies of the providers API: validated by the gateway and again by the
providers service."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .identity import Email, Identifier, Name
from .vocabulary import (ACCESSIBILITY, CARE_TYPES, COMMISSIONER_KINDS, FUNDING_SOURCES,
                         LONG_TERM_VACANCY_TYPES, ROOM_EQUIPMENT, SHORT_STAY_SERVICES)

PHONE = validate.Regexp(r"^\+?[0-9 ()\-]{6,20}$", error="Not a valid telephone number.")
ONS_CODE = validate.Regexp(r"^E\d{8}$", error="Not an ONS code (E followed by 8 digits).")


def _choices(options, **kw):
    return fields.List(fields.String(validate=validate.OneOf(options)), **kw)


class Manager(Schema):
    name = Name(allow_none=True)
    email = Email(allow_none=True)
    phone = fields.String(allow_none=True, validate=PHONE)
    # An address (any case) at nhs.net: a pattern, so the document says it too.
    nhsmail = fields.String(allow_none=True, metadata={"description": "NHSmail address (…@nhs.net)"}, validate=[
        validate.Length(max=254), validate.Email(),
        validate.Regexp(r"^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@[Nn][Hh][Ss]\.[Nn][Ee][Tt]$",
                        error="An NHSmail address ends with @nhs.net.")])


class Rooms(Schema):
    en_suite = fields.Boolean(allow_none=True)
    equipment = _choices(ROOM_EQUIPMENT, validate=validate.Length(max=len(ROOM_EQUIPMENT)))
    accessibility = _choices(ACCESSIBILITY, validate=validate.Length(max=len(ACCESSIBILITY)))


class ProfileUpdate(Schema):
    """The parts of a location's profile its users own (all optional: send
    what changes). Name, address and CQC data come from CQC."""

    care_types = _choices(CARE_TYPES, validate=validate.Length(max=len(CARE_TYPES)))
    funding_sources = _choices(FUNDING_SOURCES, validate=validate.Length(max=len(FUNDING_SOURCES)))
    out_of_hours_admissions = fields.Boolean(allow_none=True,
                                             metadata={"description": "Admits outside 9–5 Monday to Friday"})
    manager = fields.Nested(Manager)
    rooms = fields.Nested(Rooms)

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class ServicesUpdate(Schema):
    short_stay_services = _choices(SHORT_STAY_SERVICES, required=True,
                                   validate=validate.Length(max=len(SHORT_STAY_SERVICES)),
                                   metadata={"description": "An empty list means 'not provided'."})
    long_term_vacancy_types = _choices(LONG_TERM_VACANCY_TYPES, required=True, validate=validate.Length(
        min=1, max=len(LONG_TERM_VACANCY_TYPES), error="Choose at least one long term vacancy type."))
    languages = fields.List(fields.String(validate=[validate.Length(min=2, max=40),
                                                    validate.Regexp(r"^[^\W\d_][\w '\-()]*$")]),
                            load_default=list, validate=validate.Length(max=50),
                            metadata={"description": "English is always included."})


class ReminderSetting(Schema):
    reminders_enabled = fields.Boolean(required=True)


class NoteBody(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ContactBody(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = Name(required=True)
    email = Email(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None, validate=PHONE)


class ContractRequest(Schema):
    commissioner_kind = fields.String(required=True, validate=validate.OneOf(COMMISSIONER_KINDS))
    commissioner_code = fields.String(required=True, validate=ONS_CODE)


class ContractDecision(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "decline"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def reason_to_decline(self, data, **kwargs):
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            raise ValidationError("Give a reason to decline.", "reason")


class LocationQuery(Schema):
    la_code = fields.String(validate=ONS_CODE)
    sub_icb_code = fields.String(validate=ONS_CODE)
    provider_id = Identifier()
    brand_id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9-]{1,20}$"), metadata={
        "description": "The CQC brand id (BD...): the locations of every provider of that brand"})
    kind = fields.String(validate=validate.OneOf(["care_home", "home_care", "hospice", "substance_misuse",
                                                  "community"]))
    active = fields.Boolean(load_default=True)
    order = fields.String(load_default="id", validate=validate.OneOf(["id", "name"]),
                          metadata={"description": "id (the default) or name, A to Z"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SnapshotPage(Schema):
    after = fields.String(load_default="", validate=validate.Length(max=20))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class Postcode(Schema):
    """A postcode (or postcode district) as a user typed it: the service
    parses it (a malformed one is InvalidInput naming `postcode`)."""

    postcode = fields.String(required=True)


class PostcodePage(Schema):
    """A page of the postcode directory, for a read model that missed its
    events: `after` the last postcode of the previous page."""

    after = fields.String(load_default="", validate=validate.Length(max=8))
    limit = fields.Integer(load_default=5000, validate=validate.Range(min=1, max=10000))


# -- what the API answers --------------------------------------------------------------
class _NoteOut(Schema):
    id = fields.String()
    text = fields.String()
    author_id = fields.String(allow_none=True)
    updated_at = fields.String()


class _ContractOut(Schema):
    id = fields.String()
    location_id = fields.String()
    commissioner_kind = fields.String()
    commissioner_code = fields.String()
    commissioner_name = fields.String(allow_none=True, metadata={"description": "The Local Authority's or Sub-ICB's name"})
    status = fields.String(metadata={"description": "requested | approved | declined | withdrawn"})
    requested_at = fields.String()
    location_name = fields.String(metadata={"description": "In the list of requests to decide"})
    decided_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class _ContactOut(Schema):
    id = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class LocationOut(Schema):
    location_id = fields.String()
    version = fields.Integer()
    organisation_id = fields.String(metadata={"description": "The CQC provider id"})
    provider_name = fields.String()
    brand_id = fields.String(allow_none=True)
    brand_name = fields.String(allow_none=True)
    kind = fields.String()
    active = fields.Boolean()
    deactivated_at = fields.String(allow_none=True)
    name = fields.String()
    street_address = fields.String()
    address_line_2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    county = fields.String(allow_none=True)
    postcode = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    geocoded_by = fields.String(allow_none=True, metadata={"description": "postcode | outcode | cqc"})
    la_code = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    icb_code = fields.String(allow_none=True)
    nhs_region_code = fields.String(allow_none=True)
    telephone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    registered_beds = fields.Integer(allow_none=True)
    overall_rating = fields.String(allow_none=True)
    rating_published = fields.String(allow_none=True)
    regulated_activities = fields.List(fields.String())
    service_types = fields.List(fields.String())
    service_user_bands = fields.List(fields.String())
    specialisms = fields.List(fields.String())
    dormant = fields.Boolean()
    cqc_refreshed_at = fields.String(allow_none=True)
    care_types = fields.List(fields.String())
    funding_sources = fields.List(fields.String())
    out_of_hours_admissions = fields.Boolean(allow_none=True)
    manager = fields.Dict()
    rooms = fields.Dict()
    short_stay_services = fields.List(fields.String(), allow_none=True)
    long_term_vacancy_types = fields.List(fields.String())
    languages = fields.List(fields.String())
    reminders_enabled = fields.Boolean()
    approved_contracts = fields.List(fields.Dict())
    notes = fields.List(fields.Nested(_NoteOut))
    contracts = fields.List(fields.Nested(_ContractOut))
    contacts = fields.List(fields.Nested(_ContactOut))
    updated_at = fields.String(allow_none=True)
    attribution = fields.String()


class _LocationSummary(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    postcode = fields.String()
    provider_id = fields.String()
    provider_name = fields.String()
    brand_id = fields.String(allow_none=True)
    brand_name = fields.String(allow_none=True)
    la_code = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    active = fields.Boolean()
    registered_beds = fields.Integer(allow_none=True)
    overall_rating = fields.String(allow_none=True)


class LocationPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    locations = fields.List(fields.Nested(_LocationSummary))


class ContractOut(_ContractOut):
    pass


class ContractList(Schema):
    contracts = fields.List(fields.Nested(_ContractOut))


class ChangeOut(Schema):
    at = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_generic = fields.Boolean()
    action = fields.String()
    changes = fields.Dict()


class History(Schema):
    changes = fields.List(fields.Nested(ChangeOut))


class PlaceOut(Schema):
    query = fields.String()
    postcode = fields.String(allow_none=True)
    outcode = fields.String()
    precision = fields.String(metadata={"description": "postcode, or outcode when the full postcode is not "
                                                      "in the directory (its district's centroid is used)"})
    latitude = fields.Float()
    longitude = fields.Float()
    la_code = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    icb_code = fields.String(allow_none=True)
    nhs_region_code = fields.String(allow_none=True)
    attribution = fields.String()
