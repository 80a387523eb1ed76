"""What approvers decide: applications for accounts (and for access to more
locations), and contracts locations ask their Local Authority or Sub-ICB
to approve."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, InvalidInput, TrackerError

from . import blp, by_field, call, error_page, field_errors, signed_in

DECISION_FIELDS = {("decision",): ("decision", "Decision"), ("reason",): ("reason", "Reason"),
                   ("level",): ("level", "Level")}


def _decide(kind: str, item_id: str, list_page: str, pending, decide, done: str):
    """Send one decision; a refused one is shown on the list again, with its
    errors next to the item it was about."""
    payload = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason", "").strip() or None}
    try:
        decide(payload)
    except (InvalidInput, Conflict) as refused:
        errors = [{**e, "id": e["id"] and f"{item_id}-{e['id']}"} for e in field_errors(refused, DECISION_FIELDS)]
        try:
            items = pending()
        except TrackerError as failed:
            return error_page(failed)
        return render_template(f"web/{kind}.html", items=items, errors=errors, messages=by_field(errors),
                               failed=item_id, values=request.form), 409 if isinstance(refused, Conflict) else 422
    except TrackerError as refused:
        return error_page(refused)
    flash(done)
    return redirect(url_for(list_page))


def _pending_applications():
    return call("identity", "list_pending_applications", actor=g.claims)


def _pending_contracts():
    return call("providers", "pending_contracts", actor=g.claims)


@blp.route("/applications")
@signed_in
def applications():
    try:
        items = _pending_applications()
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/applications.html", items=items, errors=[], messages={}, failed=None, values={})


@blp.route("/applications/<application_id>/decision", methods=["POST"])
@signed_in
def decide_application(application_id: str):
    decision = request.form.get("decision")
    name = request.form.get("name", "The applicant")
    return _decide("applications", application_id, "web.applications", _pending_applications,
                   lambda payload: call("identity", "decide_application", actor=g.claims,
                                        application_id=application_id, payload=payload),
                   f"{name} approved: they have been emailed how to sign in." if decision == "approve" else
                   f"{name} rejected: they have been emailed the reason.")


@blp.route("/contracts")
@signed_in
def contracts():
    try:
        items = _pending_contracts()
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/contracts.html", items=items, errors=[], messages={}, failed=None, values={})


@blp.route("/contracts/<contract_id>/decision", methods=["POST"])
@signed_in
def decide_contract(contract_id: str):
    decision = request.form.get("decision")
    name = request.form.get("name", "The location")
    return _decide("contracts", contract_id, "web.contracts", _pending_contracts,
                   lambda payload: call("providers", "decide_contract", actor=g.claims,
                                        contract_id=contract_id, payload=payload),
                   f"Contract with {name} approved: it now counts in search." if decision == "approve" else
                   f"Contract with {name} declined: the location has been emailed the reason.")
