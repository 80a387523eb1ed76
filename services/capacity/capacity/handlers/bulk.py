"""Bulk updates: a spreadsheet template for the locations a user may update,
and uploads processed in the background (not in the web request), each
location's rows applied all-or-nothing, the outcome kept and announced."""
from __future__ import annotations

import base64
import uuid

from tracker_common.contracts.capacity import CapacityReturnRequest
from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Action, Principal, Role, Scope, may, scopes
from tracker_common.schemas import load

from .. import repository
from ..models import BulkUpload, KnownLocation
from ..spreadsheet import (MAX_UPLOAD_BYTES, TemplateLocation, UploadRefused, build_template, check_container,
                           read_upload, rule_errors_as_rows)
from .locations import target_of
from ..rules import request_as_loaded
from .returns import record_capacity_returns

MAX_TEMPLATE_LOCATIONS = 2000
REQUEST = CapacityReturnRequest()  # built once: a schema costs about a millisecond to build


def editable_locations(uow, actor: Principal, *, provider_id: str | None = None,
                       la_code: str | None = None) -> list[KnownLocation]:
    """Active locations the actor may update (optionally narrowed)."""
    # narrowed in SQL to what the actor's scopes can reach; `may` decides each
    anywhere = Scope.ANY in scopes(actor, Action.EDIT_LOCATION)
    found = repository.updatable_locations(uow.session, provider_id=provider_id, la_code=la_code,
                                           reachable_by=None if anywhere else actor)
    return [f for f in found if may(actor, Action.EDIT_LOCATION, target_of(f))]


def bulk_template(uow, actor: Principal, query: dict) -> dict:
    """The .xlsx template (base64) for the locations the actor may update,
    pre-filled with their current returns."""
    locations = editable_locations(uow, actor, provider_id=query.get("provider_id"), la_code=query.get("la_code"))
    if not locations:
        raise NotFound("You may not update any care home's capacity (or none matches).")
    if len(locations) > MAX_TEMPLATE_LOCATIONS:
        raise InvalidInput(f"{len(locations)} locations: choose a provider_id or la_code to narrow the template "
                           f"to at most {MAX_TEMPLATE_LOCATIONS}.", fields={"provider_id": ["Narrow the template."]})
    current = repository.current_figures(uow.session, [f.location_id for f in locations])
    content = build_template([
        TemplateLocation(location_id=f.location_id, name=f.name, postcode=f.postcode,
                         long_term_vacancy_types=tuple(f.long_term_vacancy_types or ()),
                         short_stay_services=tuple(f.short_stay_services or ()),
                         out_of_hours_admissions=f.out_of_hours_admissions, current=current.get(f.location_id))
        for f in locations], generated_at=uow.now())
    return {"file_name": f"capacity-tracker-bulk-update-{uow.now():%Y-%m-%d}.xlsx",
            "content": base64.b64encode(content).decode(), "locations": len(locations)}


def receive_bulk_upload(uow, actor: Principal, command: dict) -> dict:
    """Keep an upload for the worker. Refuses at once (422, nothing kept) a
    file that is not an .xlsx at all, too large, macro-enabled, encrypted..."""
    if actor.roles == {Role.API_USER} or not (actor.roles & {Role.CARE_HOME_USER, Role.BROKER, Role.ADMIN}):
        raise Forbidden("Only those who may update care homes' capacity may upload a bulk update.")
    if not command["declaration"]:
        raise InvalidInput(fields={"declaration": [
            "Confirm that the figures are correct to the best of your knowledge."]})
    try:
        content = base64.b64decode(command["content"], validate=True)
    except (ValueError, TypeError):
        raise InvalidInput(fields={"file": ["The file could not be read."]})
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(fields={"file": [f"The selected file must be smaller than {MAX_UPLOAD_BYTES // 2**20}MB."]})
    try:
        check_container(content)
    except UploadRefused as refused:
        raise InvalidInput(fields={"file": [str(refused)]})
    upload = BulkUpload(id=str(uuid.uuid4()), uploaded_by=actor.user_id, uploaded_by_generic=actor.generic,
                        claims=actor.to_claims(), uploaded_at=uow.now(), file_name=command["file_name"],
                        size=len(content), content=content, status="received", results={})
    repository.add_upload(uow.session, upload)
    uow.record_event("capacity.bulk_upload_received", {"upload_id": upload.id},
                     actor_id=actor.user_id, generic_actor=actor.generic)
    return upload_view(upload)


def upload_view(upload: BulkUpload) -> dict:
    return {"id": upload.id, "file_name": upload.file_name, "size": upload.size, "status": upload.status,
            "uploaded_at": upload.uploaded_at.isoformat(),
            "processed_at": upload.processed_at.isoformat() if upload.processed_at else None,
            "results": upload.results}


def bulk_upload_status(uow, actor: Principal, upload_id: str) -> dict:
    upload = repository.bulk_upload(uow.session, upload_id)
    if upload is None or (upload.uploaded_by != actor.user_id and Role.ADMIN not in actor.roles):
        raise NotFound("No such upload.")
    return upload_view(upload)


def process_bulk_upload(uow, upload_id: str, *, parse=read_upload, set_out_of_hours=None) -> dict | None:
    """The worker: read the upload as its uploader (checked again now), apply
    each location's return all-or-nothing, record the outcome. Idempotent: an
    upload already processed is left alone.

    `set_out_of_hours(claims, location_id, value)` changes the out-of-hours
    answer of the Care Homes tab where it differs from what is known: that
    answer belongs to the location's profile, owned by the providers service."""
    upload = repository.bulk_upload(uow.session, upload_id, lock=True)
    if upload is None or upload.status != "received":
        return None
    actor = Principal.from_claims(upload.claims)
    allowed = {f.location_id: f for f in editable_locations(uow, actor)}
    try:
        parsed = parse(upload.content, allowed_location_ids=set(allowed))
    except UploadRefused as refused:
        return _finish(uow, upload, "refused", {"reason": str(refused), "applied": [], "refused": {}})
    applied, refused = [], {}
    row_errors = [_row_error(e) for e in parsed.errors]
    for location_id in sorted(parsed.locations_with_errors):
        refused[location_id] = ["Some of its rows have errors (listed with the errors in the spreadsheet); "
                                "nothing was changed for it."]
    wanted, schema_refused = [], {}
    for location_id in sorted(parsed.returns):
        figures = {k: v for k, v in parsed.returns[location_id].items() if k != "out_of_hours_admissions"}
        # Ticking the declaration confirms capacity above the CQC registered
        # beds too; such returns are still flagged for the System Champions.
        figures["confirm_over_registered_capacity"] = True
        command = request_as_loaded(figures)
        if command is None:  # not plainly as the reader writes it: the schema judges, naming each field
            try:
                command = load(REQUEST, figures)
            except InvalidInput as error:
                schema_refused[location_id] = error.fields
                continue
        wanted.append((allowed[location_id], command))
    rule_refused = record_capacity_returns(uow, actor, wanted, source="bulk")
    profile_changes = []
    for location_id in sorted(parsed.returns):
        errors = schema_refused.get(location_id, rule_refused.get(location_id))
        if errors is not None:
            errors = [_row_error(e) for e in rule_errors_as_rows(parsed, location_id, errors)]
            refused[location_id] = [e["message"] for e in errors]
            row_errors += errors
            continue
        applied.append(location_id)
        out_of_hours = parsed.returns[location_id].get("out_of_hours_admissions")
        if out_of_hours is not None and out_of_hours != allowed[location_id].out_of_hours_admissions:
            profile_changes.append((location_id, out_of_hours))
    profile = _change_profiles(set_out_of_hours, upload.claims, profile_changes)
    # the names people know their homes by, for the results page (ids alone say little)
    names = {location_id: allowed[location_id].name for location_id in [*applied, *refused] if location_id in allowed}
    return _finish(uow, upload, "processed", {"applied": applied, "refused": refused, "row_errors": row_errors[:500],
                                              "row_error_count": len(row_errors), "names": names, **profile})


def _change_profiles(set_out_of_hours, claims: dict, changes: list[tuple[str, bool]]) -> dict:
    """Ask the providers service for each out-of-hours change; a failure is
    reported for that location, the capacity figures stay applied."""
    if set_out_of_hours is None or not changes:
        return {"out_of_hours_updated": [], "out_of_hours_failed": {}}
    updated, failed = [], {}
    for location_id, value in changes:
        try:
            set_out_of_hours(claims, location_id, value)
            updated.append(location_id)
        except Exception as error:  # reported per location; the returns are already safe
            failed[location_id] = getattr(error, "detail", None) or error.__class__.__name__
    return {"out_of_hours_updated": updated, "out_of_hours_failed": failed}


def _row_error(error) -> dict:
    return {"sheet": error.sheet, "row": error.row, "column": error.column, "message": error.message}


def _finish(uow, upload: BulkUpload, status: str, results: dict) -> dict:
    upload.status, upload.processed_at, upload.results = status, uow.now(), results
    upload.content = None  # the figures are in the returns now; the file is not kept
    uow.record_event("capacity.bulk_upload_processed", {
        "upload_id": upload.id, "uploaded_by": upload.uploaded_by, "file_name": upload.file_name, "status": status,
        "applied": len(results.get("applied", [])), "refused": len(results.get("refused", {})),
        "reason": results.get("reason")}, actor_id=upload.uploaded_by, generic_actor=upload.uploaded_by_generic)
    return upload_view(upload)
