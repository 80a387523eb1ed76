"""The events providers publishes: organisations, locations, the geography and contracts."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..vocabulary import COMMISSIONER_KINDS, LOCATION_KINDS
from .base import Data as _Data

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


