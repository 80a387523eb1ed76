"""`/api/v1/reports` endpoints answered by the reporting service:
utilisation (any two dimensions, over months), last modified capacity, the
public bed state of one area, and the data export."""
from __future__ import annotations

import base64

from flask import Response, current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE

from tracker_common.contracts.identity import LastLoginPage, LastLoginQuery
from tracker_common.contracts.permissions import Action
from tracker_common.contracts.reporting import (EXPORT_LIMIT, Areas, BedState, BedStateQuery, Compliance,
                                                ComplianceQuery, ExportQuery, LastModified, LastModifiedQuery,
                                                Utilisation, UtilisationQuery)

from . import limits
from .auth import require_some_scope
from .docs import errors, secured

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Utilisation over months, last modified capacity, the public bed state, data export")
UTILISATION, LAST_MODIFIED, BED_STATE, EXPORT = UtilisationQuery(), LastModifiedQuery(), BedStateQuery(), ExportQuery()
COMPLIANCE = ComplianceQuery()


def reporting(method: str, **kwargs):
    return current_app.extensions["tracker"].call("reporting", method, **kwargs)


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
