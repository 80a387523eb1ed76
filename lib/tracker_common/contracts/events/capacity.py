"""The events capacity publishes: returns and bulk uploads."""
from __future__ import annotations

from marshmallow import fields, validate

from ..capacity import ReturnFigures
from .base import Data as _Data


class ReturnSubmitted(_Data, ReturnFigures):
    """A location's capacity return: the full snapshot, versioned by its
    sequence, so read models stay right under redelivery and reordering.
    Its figures are `ReturnFigures` (prices: decimal strings on the bus,
    Decimals once loaded)."""

    return_id = fields.String(required=True)
    location_id = fields.String(required=True)
    sequence = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    still_true = fields.Boolean(required=True, metadata={"description": "The same figures as before, re-stamped"})
    source = fields.String(required=True, validate=validate.OneOf(["form", "bulk"]))
    provider_id = fields.String(required=True)
    la_code = fields.String(required=True, allow_none=True)
    sub_icb_code = fields.String(required=True, allow_none=True)


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

