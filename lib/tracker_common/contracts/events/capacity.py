"""The events capacity publishes: returns and bulk uploads."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .base import Data as _Data

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

