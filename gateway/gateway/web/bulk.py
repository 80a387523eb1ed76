"""A care group's bulk update on the web: download the spreadsheet template
for the locations one may update, upload it filled with the declaration
ticked, then follow it while the capacity service's worker applies it (the
results page, `/capacity/bulk-uploads/<id>`, is in capacity.py)."""
from __future__ import annotations

import base64
import re

from flask import Response, g, jsonify, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, Scope, scopes

from . import blp, by_field, call, error_page, field_errors, form_once, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMIT = 5 * 1024 * 1024  # as the capacity service's (its request limit is a little above: app.py)
PROVIDER_ID = re.compile(r"^[A-Za-z0-9-]{1,20}$")
LA_CODE = re.compile(r"^E\d{8}$")
LABELS = {("file",): ("file", "Completed template"), ("declaration",): ("declaration", "Declaration"),
          ("provider_id",): ("provider_id", "Provider ID"), ("la_code",): ("la_code", "Local Authority code")}
MISSING_FILE = "Select the completed bulk update template"
NOT_XLSX = "The selected file must be an Excel spreadsheet (.xlsx): the template you downloaded, filled in"
TOO_BIG = f"The selected file must be smaller than {UPLOAD_LIMIT // 2**20}MB"
EMPTY = "The selected file is empty"
NO_DECLARATION = "Tick the box to confirm the declaration before uploading"


def _may_update() -> bool:
    return bool(scopes(g.principal, Action.EDIT_LOCATION))


def _narrows() -> bool:
    """Brokers and administrators may update many locations: they can narrow
    the template to a provider or a Local Authority."""
    return bool(scopes(g.principal, Action.EDIT_LOCATION) - {Scope.OWN})


def _page(errors=(), status=200, narrowing=None):
    return render_template("web/bulk_update.html", errors=list(errors), messages=by_field(list(errors)),
                           narrows=_narrows(), narrowing=narrowing or {}, limit_mb=UPLOAD_LIMIT // 2**20), status


@blp.route("/capacity/bulk-update", methods=["GET", "POST"])
@signed_in
@form_once
def bulk_update():
    """The page of the bulk update: the template to download, the form to upload it."""
    if not _may_update():
        return error_page(Forbidden())
    if request.method == "GET":
        return _page()
    errors = []
    upload = request.files.get("file")
    content = b""
    if upload is None or not upload.filename:
        errors.append(("file", MISSING_FILE))
    elif not upload.filename.lower().endswith(".xlsx"):
        errors.append(("file", NOT_XLSX))
    else:
        content = upload.read(UPLOAD_LIMIT + 1)
        if len(content) > UPLOAD_LIMIT:
            errors.append(("file", TOO_BIG))
        elif not content:
            errors.append(("file", EMPTY))
    if request.form.get("declaration") != "yes":
        errors.append(("declaration", NO_DECLARATION))
    if errors:  # nothing is sent: each problem named by its field
        return _page([{"id": field, "text": message, "message": message} for field, message in errors], 422)
    try:
        received = call("capacity", "receive_bulk_upload", actor=g.claims, payload={
            "file_name": upload.filename[-200:], "content": base64.b64encode(content).decode(),
            "declaration": True})
    except InvalidInput as refused:  # not a workbook after all, macro-enabled, encrypted...
        return _page(field_errors(refused, LABELS), 422)
    except TrackerError as refused:
        return error_page(refused)
    return redirect(url_for("web.bulk_upload", upload_id=received["id"]), 303)


@blp.route("/capacity/bulk-update/template.xlsx")
@signed_in
def bulk_update_template():
    """The .xlsx template for the locations the person may update, filled with
    their current figures (narrowed to a provider or an LA when asked)."""
    if not _may_update():
        return error_page(Forbidden())
    narrowing = {name: request.args.get(name, "").strip() for name in ("provider_id", "la_code")}
    narrowing = {name: value for name, value in narrowing.items() if value}
    errors = []
    if narrowing.get("provider_id") and not PROVIDER_ID.match(narrowing["provider_id"]):
        errors.append(("provider_id", "Enter a CQC provider ID, like 1-101641521"))
    if narrowing.get("la_code") and not LA_CODE.match(narrowing["la_code"]):
        errors.append(("la_code", "Enter a Local Authority's ONS code: E and 8 digits, like E08000016"))
    if errors:
        return _page([{"id": f, "text": m, "message": m} for f, m in errors], 422, narrowing)
    try:
        template = call("capacity", "bulk_template", actor=g.claims, query=narrowing)
    except NotFound:
        message = ("None of the locations you may update matches: check the provider ID or Local Authority code"
                   if narrowing else "There are no care homes on your account to update")
        return _page([{"id": None, "text": message, "message": message}], 404, narrowing)
    except InvalidInput as refused:  # too many for one spreadsheet: narrow it
        errors = field_errors(refused, LABELS)
        for entry in errors:
            if entry["id"] == "provider_id":
                entry["text"] = entry["message"] = (f"{refused.detail} Enter a provider ID or a Local Authority code "
                                                    "to download the template for fewer locations.")
        return _page(errors, 422, narrowing)
    except TrackerError as refused:
        return error_page(refused)
    file_name = re.sub(r"[^A-Za-z0-9._-]", "-", template["file_name"])[:100]
    return Response(base64.b64decode(template["content"]), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@blp.route("/capacity/bulk-uploads/<upload_id>/status")
@signed_in
def bulk_upload_progress(upload_id: str):
    """Where an upload is, for the results page's script to know when to
    show the results (the page itself works without it)."""
    try:
        upload = call("capacity", "bulk_upload_status", actor=g.claims, upload_id=upload_id)
    except NotFound:
        return jsonify({"status": "not_found"}), 404
    except TrackerError as refused:
        return error_page(refused)
    return jsonify({"status": upload["status"]})
