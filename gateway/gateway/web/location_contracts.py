"""A location tells the tracker about its contracts: it names the Local
Authority or Sub-ICB, which is asked to confirm (the contract counts in
search once approved); it withdraws one that has ended."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, InvalidInput, TrackerError
from tracker_common.contracts.permissions import Action

from . import blp, by_field, call, error_page, field_errors, form_once, signed_in
from .locations import location_for

KINDS = {"la_code": "local_authority", "sub_icb_code": "sub_icb"}
LABELS = {("commissioner_code",): ("area", "Local Authority or Sub-ICB"),
          ("commissioner_kind",): ("area", "Local Authority or Sub-ICB")}


def _commissioners() -> dict:
    """Local Authorities and Sub-ICBs to choose from (empty lists if the
    reporting service, which names them, cannot answer)."""
    try:
        areas = call("reporting", "areas")
    except TrackerError:
        areas = {}
    return {"local_authorities": areas.get("local_authorities", []), "sub_icbs": areas.get("sub_icbs", []),
            "nhs_regions": [], "icbs": []}


@blp.route("/locations/<location_id>/contracts/new", methods=["GET", "POST"])
@signed_in
@form_once
def request_contract(location_id: str):
    try:
        location = location_for(location_id, Action.EDIT_LOCATION)
    except TrackerError as refused:
        return error_page(refused)
    chosen = request.form.get("area", "")
    context = {"location": location, "areas": _commissioners(), "area": chosen, "errors": [], "messages": {}}
    if request.method == "GET":
        return render_template("web/location_contract.html", **context)
    kind, _, code = chosen.partition(":")
    try:
        if kind not in KINDS or not code:
            raise InvalidInput(fields={"commissioner_code": ["Choose the Local Authority or Sub-ICB"]})
        call("providers", "request_contract", actor=g.claims, location_id=location_id,
             payload={"commissioner_kind": KINDS[kind], "commissioner_code": code})
    except (InvalidInput, Conflict) as refused:
        fields = refused.fields if isinstance(refused, InvalidInput) else {"commissioner_code": [refused.detail]}
        errors = field_errors(InvalidInput(fields=fields), LABELS)
        return render_template("web/location_contract.html", **{**context, "errors": errors,
                                                                "messages": by_field(errors)}), 422
    except TrackerError as refused:
        return error_page(refused)
    flash("Contract sent to be confirmed: it shows in search once they approve it.")
    return redirect(url_for("web.location_page", location_id=location_id) + "#services")


@blp.route("/locations/<location_id>/contracts/<contract_id>/withdrawal", methods=["POST"])
@signed_in
def withdraw_contract(location_id: str, contract_id: str):
    try:
        location_for(location_id, Action.EDIT_LOCATION)
        call("providers", "withdraw_contract", actor=g.claims, location_id=location_id, contract_id=contract_id)
    except Conflict as refused:  # already withdrawn or decided: say so, on the page
        flash(refused.detail)
    except TrackerError as refused:
        return error_page(refused)
    else:
        flash("Contract withdrawn: it no longer shows in search.")
    return redirect(url_for("web.location_page", location_id=location_id) + "#services")
