"""`/api/v1` endpoints answered by the capacity service.

A return's body is checked here with its contracts schema (400, 415, or 422
naming each bad field, before any call) and passed on as it was received:
the capacity service loads it with the same schema, once."""
from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint

from tracker_common.contracts import capacity as bodies
from tracker_common.contracts.capacity import (BulkUploadForm, BulkUploadOut, OtherReturnOut, ReturnHistory,
                                               ReturnOut, StaleList, StaleQuery, StillTrueOut)
from tracker_common.contracts.permissions import Action

from .auth import require_permission
from .docs import errors, secured
from .idempotency import idempotent

blp = Blueprint("capacity", __name__, url_prefix="/api/v1",
                description="Capacity returns and their history; workforce, visiting and home care returns")


def capacity(method: str, **kwargs):
    return current_app.extensions["tracker"].call("capacity", method, **kwargs)


def as_received() -> dict:
    """The JSON body as the client sent it (already checked by the route's schema)."""
    return request.get_json()


@blp.route("/locations/<location_id>/capacity-returns", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.CapacityReturnRequest)
@blp.response(201, ReturnOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def submit_capacity_return(_checked, location_id):
    """Submit the capacity return of a location: every vacancy type it
    offers, short stay prices; unchanged figures are a valid "still true"
    refresh. Each rule broken is named in `errors`; nothing is saved then."""
    return capacity("submit_capacity_return", actor=g.claims, location_id=location_id, payload=as_received())


@blp.route("/locations/<location_id>/capacity-returns/still-true", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.response(201, ReturnOut)
@errors(blp, 400, 401, 403, 404, 422)
def confirm_still_true(location_id):
    """Nothing has changed: the location's current capacity return is saved
    again as it is, stamped now and marked `still_true` (the same rules as a
    return sent again unchanged). 422 when it has no return yet, or when its
    figures no longer fit its services (send a new return then)."""
    return capacity("confirm_still_true", actor=g.claims, location_id=location_id)


@blp.route("/capacity-returns/still-true", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.StillTrueRequest, required=False)  # no body: all of your own
@blp.response(200, StillTrueOut)
@errors(blp, 400, 401, 415, 422)
def confirm_still_true_many(payload):
    """Nothing has changed at several locations (or, without `location_ids`,
    at all of your own that have a return): each one's current return saved
    again as it is, all or nothing for each location."""
    return capacity("confirm_still_true_many", actor=g.claims, payload=bodies.StillTrueRequest().dump(payload))


@blp.route("/locations/<location_id>/capacity-returns/current", methods=["GET"])
@secured(blp)
@blp.response(200, ReturnOut)
@errors(blp, 401, 404)
def current_return(location_id):
    """The location's latest capacity return."""
    return capacity("current_return", actor=g.claims, location_id=location_id)


@blp.route("/locations/<location_id>/capacity-returns", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.HistoryQuery, location="query")
@blp.response(200, ReturnHistory)
@errors(blp, 401, 404, 422)
def return_history(query, location_id):
    """Every capacity return of the location (optionally in a time range), newest first."""
    return capacity("return_history", actor=g.claims, location_id=location_id,
                    query=bodies.HistoryQuery().dump(query))


def _other(kind: str, schema, summary: str):
    def submit(_checked, location_id):
        return capacity("submit_other_return", actor=g.claims, location_id=location_id, kind=kind,
                        payload=as_received())
    submit.__doc__ = summary
    submit.__name__ = f"submit_{kind}_return"
    return blp.route(f"/locations/<location_id>/{kind.replace('_', '-')}-returns", methods=["POST"])(
        secured(blp)(idempotent(blp)(blp.arguments(schema)(blp.response(201, OtherReturnOut)(
            errors(blp, 400, 401, 403, 404, 415, 422)(submit))))))


_other("workforce", bodies.WorkforceReturnRequest,
       "Workforce headcount (the 2024 shape): staff employed, visa holders under the organisation's own "
       "sponsor licence, absences, agency and bank staff.")
_other("visiting", bodies.VisitingReturnRequest, "Visiting: are visits in and out of the home possible?")
_other("home_care", bodies.HomeCareReturnRequest,
       "The home care return: people using the service, staff delivering care, extra care hours "
       "available per week, issues.")


@blp.route("/capacity/stale", methods=["GET"])
@secured(blp)
@blp.arguments(StaleQuery, location="query")
@blp.response(200, StaleList)
@errors(blp, 401, 403, 422)
def stale_locations(query):
    """Locations whose latest return is older than `older_than_hours` (24 by default) or that never sent one."""
    require_permission(Action.VIEW_FULL_REPORTS)
    return {"locations": capacity("stale_locations", query=query)}


# -- bulk updates ----------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMIT = 6 * 1024 * 1024


@blp.route("/capacity/bulk-template", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.BulkTemplateQuery, location="query")
@blp.response(200, content_type=XLSX, description="The .xlsx template")
@errors(blp, 401, 404, 422)
def bulk_template(query):
    """Download the bulk update template (tabs Instructions, Capacities, Care
    Homes) for the care homes you may update, pre-filled with their current figures."""
    import base64

    from flask import Response
    template = capacity("bulk_template", actor=g.claims, query=query)
    return Response(base64.b64decode(template["content"]), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{template["file_name"]}"'})


@blp.route("/capacity/bulk-uploads", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(BulkUploadForm, location="form", content_type="multipart/form-data")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "declaration"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   "declaration": {"type": "boolean", "enum": [True],
                                   "description": "true: the figures are correct to the best of your knowledge"}}}}}})
@blp.response(202, BulkUploadOut)
@errors(blp, 400, 401, 403, 413, 415, 422)
def upload_bulk_update(form):
    """Upload a completed template (multipart: `file`, `declaration=true`). It
    is processed in the background; follow it at /capacity/bulk-uploads/{id}
    (the uploader is emailed the outcome too)."""
    import base64

    from flask import request
    from tracker_common.contracts.errors import InvalidInput
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(fields={"file": ["Select the completed template to upload."]})
    content = upload.read(UPLOAD_LIMIT + 1)
    return capacity("receive_bulk_upload", actor=g.claims, payload={
        "file_name": upload.filename[-200:], "content": base64.b64encode(content).decode(),
        "declaration": form["declaration"]})


@blp.route("/capacity/bulk-uploads/<upload_id>", methods=["GET"])
@secured(blp)
@blp.response(200, BulkUploadOut)
@errors(blp, 401, 404)
def bulk_upload_status(upload_id):
    """Where an upload is: received, processed (with per-location results and row errors) or refused."""
    return capacity("bulk_upload_status", actor=g.claims, upload_id=upload_id)
