"""`/api/v1` endpoints answered by the providers service."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint

from tracker_common.contracts import providers as bodies

from .docs import errors, secured
from .idempotency import idempotent

blp = Blueprint("providers", __name__, url_prefix="/api/v1",
                description="Locations, their profiles, services, notes, contacts and contracts; postcodes")


def providers(method: str, **kwargs):
    return current_app.extensions["tracker"].call("providers", method, **kwargs)


def actor() -> dict:
    return g.claims


@blp.route("/postcodes/<postcode>", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.PlaceOut)
@errors(blp, 401, 404, 422)
def locate_postcode(postcode):
    """Where a postcode is: its own coordinates, or its district's centroid
    when the directory does not know it (`precision` says which)."""
    return providers("locate_postcode", postcode=postcode)


@blp.route("/locations", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.LocationQuery, location="query")
@blp.response(200, bodies.LocationPage)
@errors(blp, 401, 422)
def list_locations(query):
    """Locations you may see (care home users: their own), a page at a time."""
    return providers("list_locations", actor=actor(), query=query)


@blp.route("/locations/<location_id>", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.LocationOut)
@errors(blp, 401, 404)
def get_location(location_id):
    """A location's whole profile: CQC data (read-only), services, notes, contacts, contracts."""
    return providers("get_location", actor=actor(), location_id=location_id)


@blp.route("/locations/<location_id>/profile", methods=["PATCH"])
@secured(blp)
@blp.arguments(bodies.ProfileUpdate)
@blp.response(200, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def update_profile(payload, location_id):
    """Change care types, funding sources, out-of-hours admissions, manager contact, rooms."""
    return providers("update_profile", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/services", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.ServicesUpdate)
@blp.response(200, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def update_services(payload, location_id):
    """Short stay services (an empty list: not provided), long term vacancy types (at least one), languages."""
    return providers("update_services", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/reminders", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.ReminderSetting)
@blp.response(200, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def set_reminders(payload, location_id):
    """Switch the weekly capacity reminder emails on or off (approvers, brokers)."""
    return providers("set_reminders", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/deactivation", methods=["POST"])
@secured(blp)
@blp.response(200, bodies.LocationOut)
@errors(blp, 401, 403, 404, 409)
def deactivate_location(location_id):
    """Deactivate a location (brokers for their area, administrators)."""
    return providers("deactivate_location", actor=actor(), location_id=location_id)


@blp.route("/locations/<location_id>/history", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.History)
@errors(blp, 401, 403, 404)
def location_history(location_id):
    """Every change to the location: who, when, what."""
    return {"changes": providers("location_history", actor=actor(), location_id=location_id)}


@blp.route("/locations/<location_id>/notes", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.NoteBody)
@blp.response(201, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def add_note(payload, location_id):
    """Add a dated note (shown in search results)."""
    return providers("add_note", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/notes/<note_id>", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.NoteBody)
@blp.response(200, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def edit_note(payload, location_id, note_id):
    """Edit a note."""
    return providers("edit_note", actor=actor(), location_id=location_id, note_id=note_id, payload=payload)


@blp.route("/locations/<location_id>/notes/<note_id>", methods=["DELETE"])
@secured(blp)
@blp.response(200, bodies.LocationOut)
@errors(blp, 401, 403, 404)
def delete_note(location_id, note_id):
    """Delete a note."""
    return providers("delete_note", actor=actor(), location_id=location_id, note_id=note_id)


@blp.route("/locations/<location_id>/contacts", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.ContactBody)
@blp.response(201, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def add_contact(payload, location_id):
    """Add someone to the location's contact directory."""
    return providers("add_contact", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/contacts/<contact_id>", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.ContactBody)
@blp.response(200, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def update_contact(payload, location_id, contact_id):
    """Change someone's entry in the contact directory."""
    return providers("update_contact", actor=actor(), location_id=location_id, contact_id=contact_id,
                     payload=payload)


@blp.route("/locations/<location_id>/contacts/<contact_id>", methods=["DELETE"])
@secured(blp)
@blp.response(200, bodies.LocationOut)
@errors(blp, 401, 403, 404)
def delete_contact(location_id, contact_id):
    """Remove someone from the contact directory."""
    return providers("delete_contact", actor=actor(), location_id=location_id, contact_id=contact_id)


@blp.route("/locations/<location_id>/contracts", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.ContractRequest)
@blp.response(201, bodies.LocationOut)
@errors(blp, 400, 401, 403, 404, 409, 415, 422)
def request_contract(payload, location_id):
    """Ask a Local Authority or Sub-ICB to confirm a contract; it counts in search once approved."""
    return providers("request_contract", actor=actor(), location_id=location_id, payload=payload)


@blp.route("/locations/<location_id>/contracts/<contract_id>", methods=["DELETE"])
@secured(blp)
@blp.response(200, bodies.LocationOut)
@errors(blp, 401, 403, 404, 409)
def withdraw_contract(location_id, contract_id):
    """Withdraw a contract request, or end an approved contract."""
    return providers("withdraw_contract", actor=actor(), location_id=location_id, contract_id=contract_id)


@blp.route("/contracts/pending", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.ContractList)
@errors(blp, 401)
def pending_contracts():
    """Contract requests your Local Authority or Sub-ICB may decide."""
    return {"contracts": providers("pending_contracts", actor=actor())}


@blp.route("/contracts/<contract_id>/decision", methods=["POST"])
@secured(blp)
@blp.arguments(bodies.ContractDecision)
@blp.response(200, bodies.ContractOut)
@errors(blp, 400, 401, 404, 409, 415, 422)
def decide_contract(payload, contract_id):
    """Approve or decline (with a reason) a contract request."""
    return providers("decide_contract", actor=actor(), contract_id=contract_id, payload=payload)
