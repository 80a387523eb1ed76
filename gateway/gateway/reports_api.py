"""`/api/v1/reports` endpoints answered by the reporting service:
utilisation (any two dimensions, over months), last modified capacity, the
public bed state of one area, and the data export."""
from __future__ import annotations

import base64

from flask import Response, current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from tracker_common.contracts.identity import LastLoginPage, LastLoginQuery
from tracker_common.contracts.permissions import Action
from tracker_common.contracts.reporting import (COMPLIANCE_STATUSES, EXPORT_LIMIT, BedStateQuery, ComplianceQuery,
                                                ExportQuery, LastModifiedQuery, UtilisationQuery)

from . import limits
from .auth import require_some_scope
from .docs import errors, secured

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Utilisation over months, last modified capacity, the public bed state, data export")
UTILISATION, LAST_MODIFIED, BED_STATE, EXPORT = UtilisationQuery(), LastModifiedQuery(), BedStateQuery(), ExportQuery()
COMPLIANCE = ComplianceQuery()


def reporting(method: str, **kwargs):
    return current_app.extensions["tracker"].call("reporting", method, **kwargs)


class Figures(Schema):
    locations = fields.Integer(metadata={"description": "Locations counted (each once)"})
    maximum_capacity = fields.Integer()
    occupied = fields.Integer(metadata={"description": "Beds used"})
    vacant = fields.Integer(metadata={"description": "Beds spare: reserved, accepting or not available"})
    utilisation_percent = fields.Float(allow_none=True, metadata={"description": "Occupied / maximum capacity"})


class Column(Schema):
    key = fields.String(allow_none=True, metadata={"description": "None: not known (a location not aligned)"})
    name = fields.String()
    total = fields.Nested(Figures)


class Row(Column):
    cells = fields.List(fields.Nested(Figures, allow_none=True),
                        metadata={"description": "One a column, in the columns' order (null: nothing there)"})


class AreaFilter(Schema):
    filter = fields.String()
    code = fields.String()
    name = fields.String(allow_none=True)


class Utilisation(Schema):
    rows_by = fields.String()
    columns_by = fields.String(allow_none=True)
    from_month = fields.String()
    to_month = fields.String()
    areas = fields.List(fields.Nested(AreaFilter))
    columns = fields.List(fields.Nested(Column))
    rows = fields.List(fields.Nested(Row))
    total = fields.Nested(Figures)
    page = fields.Integer()
    per_page = fields.Integer()
    total_rows = fields.Integer()
    has_more = fields.Boolean()


class LastModifiedLocation(Schema):
    location_id = fields.String()
    name = fields.String()
    provider_name = fields.String(allow_none=True)
    la_code = fields.String(allow_none=True)
    la_name = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    sub_icb_name = fields.String(allow_none=True)
    last_updated_at = fields.String(allow_none=True)
    staleness = fields.String(metadata={"description": "never | fresh | stale_24h | stale_48h"})
    reminders_enabled = fields.Boolean()


class LastModified(Schema):
    locations = fields.List(fields.Nested(LastModifiedLocation))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    has_more = fields.Boolean()
    generated_at = fields.String()


class _BedStateVacancy(Schema):
    vacancy_type = fields.String()
    vacant_accepting = fields.Integer()
    flexible = fields.Boolean()


class _BedStateHome(Schema):
    location_id = fields.String()
    name = fields.String()
    postcode = fields.String(allow_none=True)
    last_updated_at = fields.String(allow_none=True)
    staleness = fields.String()
    admission_status = fields.String(allow_none=True)
    vacancies = fields.List(fields.Nested(_BedStateVacancy))
    total_accepting = fields.Integer()


class _Total(Schema):
    vacancy_type = fields.String()
    vacant_accepting = fields.Integer()


class BedState(Schema):
    area = fields.Dict(metadata={"description": "code, kind, name"})
    generated_at = fields.String()
    locations = fields.List(fields.Nested(_BedStateHome))
    totals = fields.List(fields.Nested(_Total))
    total_accepting = fields.Integer()


class _ComplianceMonth(Schema):
    month = fields.String(metadata={"example": "2026-11"})
    status = fields.String(metadata={"enum": list(COMPLIANCE_STATUSES), "description":
                                     "submitted (within the window), missed (the window closed without one), open "
                                     "(this month's window has not closed), not_required (before the location "
                                     "appeared)"})
    submitted_at = fields.String(allow_none=True, metadata={"description": "The first return within the window"})


class _ComplianceLocation(Schema):
    location_id = fields.String()
    name = fields.String()
    provider_name = fields.String(allow_none=True)
    la_code = fields.String(allow_none=True)
    la_name = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    sub_icb_name = fields.String(allow_none=True)
    required_from = fields.String(allow_none=True, metadata={"description": "The first month it had to send"})
    months = fields.List(fields.Nested(_ComplianceMonth))
    missed_in_last_12 = fields.Integer()
    formal_notice = fields.String(allow_none=True, metadata={"enum": ["consecutive", "in_year", None], "description":
                                                             "consecutive: 3 months missed in a row; in_year: 4 of "
                                                             "the last 12; null: not flagged"})


class _ComplianceSummary(Schema):
    locations = fields.Integer()
    flagged = fields.Integer(metadata={"description": "Locations flagged for the formal notice"})
    latest_month = fields.String(allow_none=True, metadata={"description": "The newest month shown whose window "
                                                                           "has closed"})
    submitted_in_latest = fields.Integer()
    missed_in_latest = fields.Integer()


class Compliance(Schema):
    months = fields.List(fields.String())
    to_month = fields.String()
    summary = fields.Nested(_ComplianceSummary)
    areas = fields.List(fields.Nested(AreaFilter))
    locations = fields.List(fields.Nested(_ComplianceLocation))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    has_more = fields.Boolean()
    flagged_only = fields.Boolean()


class _Area(Schema):
    code = fields.String()
    name = fields.String()
    parent_code = fields.String(allow_none=True)


class Areas(Schema):
    nhs_regions = fields.List(fields.Nested(_Area))
    icbs = fields.List(fields.Nested(_Area))
    sub_icbs = fields.List(fields.Nested(_Area))
    local_authorities = fields.List(fields.Nested(_Area))


@blp.route("/areas", methods=["GET"])
@limits.public
@blp.response(200, Areas)
@errors(blp, 429)
def areas():
    """Public: the NHS regions, ICBs, Sub-ICBs and Local Authorities reports
    can be limited to, with their names."""
    return reporting("areas")


@blp.route("/utilisation", methods=["GET"])
@secured(blp)
@blp.arguments(UTILISATION, location="query", unknown=RAISE)
@blp.response(200, Utilisation)
@errors(blp, 401, 403, 422)
def utilisation(query):
    """Capacity, beds used and spare, and utilisation: `rows` by one
    dimension against `columns` by another (month, vacancy_type, location,
    provider, kind, local_authority, sub_icb, icb, nhs_region), for a month
    or, with month on the rows or columns, a range of months (the chart over
    time: rows=month&columns=vacancy_type). A location counts in a month by
    its last return that month. Care home users cannot see it."""
    require_some_scope(Action.VIEW_FULL_REPORTS)
    return reporting("utilisation", actor=g.claims, query=UTILISATION.dump(query))


@blp.route("/last-modified", methods=["GET"])
@secured(blp)
@blp.arguments(LAST_MODIFIED, location="query", unknown=RAISE)
@blp.response(200, LastModified)
@errors(blp, 401, 403, 422)
def last_modified(query):
    """When each location last updated its capacity, never and oldest first
    (care home users see their own locations). Send reminders with
    `POST /api/v1/notifications/reminders`."""
    require_some_scope(Action.VIEW_ACTIVITY_REPORTS)
    return reporting("last_modified", actor=g.claims, query=LAST_MODIFIED.dump(query))


@blp.route("/last-login", methods=["GET"])
@secured(blp)
@blp.arguments(LastLoginQuery, location="query", unknown=RAISE)
@blp.response(200, LastLoginPage)
@errors(blp, 401, 403, 404, 422)
def last_login(query):
    """When each person of your organisation last signed in, those who
    never did first (administrators may ask for any `organisation_id`)."""
    require_some_scope(Action.VIEW_ACTIVITY_REPORTS)
    return current_app.extensions["tracker"].call("identity", "last_logins", actor=g.claims, query=query)


@blp.route("/collection-compliance", methods=["GET"])
@secured(blp)
@blp.arguments(COMPLIANCE, location="query", unknown=RAISE)
@blp.response(200, Compliance)
@errors(blp, 401, 403, 422)
def collection_compliance(query):
    """The ASC collection: for each active location and month, whether it
    sent its capacity within the collection window (the 8th to the 14th, UK
    time), the months it missed in the last 12, and the formal notice's flag
    (3 months missed in a row, or 4 of the last 12). Months before a location
    appeared are not required. For administrators, and for commissioners of
    their own area (a Local Authority, Sub-ICB, ICB or region, or an area
    within it); anyone else, or another area, is refused (403)."""
    require_some_scope(Action.VIEW_COMPLIANCE)
    return reporting("collection_compliance", actor=g.claims, query=COMPLIANCE.dump(query))


@blp.route("/bed-state", methods=["GET"])
@limits.public
@blp.arguments(BED_STATE, location="query", unknown=RAISE)
@blp.response(200, BedState)
@errors(blp, 404, 422, 429)
def bed_state(query):
    """Public, no sign-in: the latest vacancies of every active care home of
    one Local Authority (`la_code`) or Sub-ICB (`sub_icb_code`), to publish."""
    return reporting("bed_state", query=BED_STATE.dump(query))


@blp.route("/capacity-export", methods=["GET"])
@secured(blp)
@blp.arguments(EXPORT, location="query", unknown=RAISE)
@blp.response(200, description=f"CSV or Excel (.xlsx): a row per location and vacancy type, up to {EXPORT_LIMIT} "
                               "locations", content_type="text/csv")
@errors(blp, 401, 403, 422)
def export_capacity(query):
    """The latest capacity of every location aligned to you (extended
    reporting; administrators: all), `format=csv` or `format=xlsx`."""
    require_some_scope(Action.EXPORT_DATA)
    exported = reporting("export_capacity", actor=g.claims, query=EXPORT.dump(query))
    return Response(base64.b64decode(exported["content"]), mimetype=exported["content_type"], headers={
        "Content-Disposition": f'attachment; filename="{exported["file_name"]}"',
        "X-Locations": str(exported["locations"]), "X-Truncated": "true" if exported["truncated"] else "false"})
