"""Reading and editing a location's profile, services, notes and contacts.

Who may do what comes from the one permission check (`may`): a care home
user edits only their own locations, a broker those aligned to their LA /
Sub-ICB, administrators all; a location the actor may not see is "not found"
so ids cannot be probed."""
from __future__ import annotations

import uuid

from tracker_common.contracts.errors import Conflict, Forbidden, NotFound
from tracker_common.contracts.permissions import Action, Principal, Scope, may, scopes

from .. import repository
from ..models import Location, LocationChange, LocationContact, LocationNote, Provider
from ..rules import apply_changes, profile_values, services_values, target_of
from .geography import OGL_ATTRIBUTION
from .snapshots import location_snapshot, publish_location


def location_for(uow, actor: Principal, location_id: str, action: Action, *, lock: bool = False) -> Location:
    """The location, if `actor` may do `action` to it. Not found when the actor
    may not even see it; forbidden when they may see it but not do this."""
    location = repository.location(uow.session, location_id, lock=lock)
    if location is None or not may(actor, Action.VIEW_LOCATION, target_of(location)):
        raise NotFound("No such location.")
    if not may(actor, action, target_of(location)):
        raise Forbidden()
    return location


def _iso(value):
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def location_view(uow, location: Location) -> dict:
    view = {k: _iso(v) for k, v in location_snapshot(uow.session, location).items()}
    contracts = repository.contracts_of(uow.session, location.id)
    names = repository.commissioner_names(uow.session, (c.commissioner_code for c in contracts))
    view["contracts"] = [
        {"id": c.id, "commissioner_kind": c.commissioner_kind, "commissioner_code": c.commissioner_code,
         "commissioner_name": names.get(c.commissioner_code), "status": c.status,
         "requested_at": _iso(c.requested_at), "decided_at": _iso(c.decided_at), "reason": c.reason}
        for c in contracts]
    view["contacts"] = [
        {"id": c.id, "role": c.role, "name": c.name, "email": c.email, "phone": c.phone}
        for c in repository.contacts_of(uow.session, location.id)]
    # the notes' dates too: an answer carries only plain JSON values (a
    # datetime would reach the gateway as an object, not the ISO text it reads)
    view["notes"] = [{**note, "updated_at": _iso(note.get("updated_at"))} for note in view.get("notes") or []]
    view["deactivated_at"] = _iso(location.deactivated_at)
    view["attribution"] = OGL_ATTRIBUTION
    return view


def get_location(uow, actor: Principal, location_id: str) -> dict:
    return location_view(uow, location_for(uow, actor, location_id, Action.VIEW_LOCATION))


def list_locations(uow, actor: Principal, query: dict) -> dict:
    """A page of locations the actor may see, in id order."""
    visible_to = None
    if Scope.ANY not in scopes(actor, Action.VIEW_LOCATION):
        # Care home users: their organisation's locations, or those granted.
        visible_to = (actor.all_locations, actor.organisation_id, sorted(actor.location_ids))
    page, per_page = query["page"], query["per_page"]
    total, rows = repository.locations_page(
        uow.session, active=query["active"], visible_to=visible_to,
        equal={field: query[field] for field in ("la_code", "sub_icb_code", "provider_id", "kind")
               if query.get(field)},
        # a brand (CQC's) groups providers: its page lists all their locations
        brand_id=query.get("brand_id"), by_name=query.get("order") == "name", page=page, per_page=per_page)
    return {"total": total, "page": page, "per_page": per_page,
            "locations": [_summary(location, provider) for location, provider in rows]}


def _summary(location: Location, provider: Provider) -> dict:
    return {"id": location.id, "name": location.name, "kind": location.kind, "postcode": location.postcode,
            "provider_id": location.provider_id, "provider_name": provider.name, "brand_id": provider.brand_id,
            "brand_name": provider.brand_name, "la_code": location.la_code,
            "sub_icb_code": location.sub_icb_code, "active": location.active,
            "registered_beds": location.registered_beds, "overall_rating": location.overall_rating}


def _edit(uow, actor: Principal, location: Location, values: dict, action: str) -> dict:
    changes = apply_changes(location, values)
    if changes:
        publish_location(uow, location, action=action, changes=changes, actor_id=actor.user_id,
                         actor_generic=actor.generic)
    return location_view(uow, location)


def update_profile(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    return _edit(uow, actor, location, profile_values(location, command), "profile_updated")


def update_services(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    return _edit(uow, actor, location, services_values(command), "services_updated")


def set_reminders(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.SWITCH_OFF_REMINDERS, lock=True)
    return _edit(uow, actor, location, {"reminders_enabled": command["reminders_enabled"]}, "reminders_set")


def deactivate_location(uow, actor: Principal, location_id: str) -> dict:
    location = location_for(uow, actor, location_id, Action.DEACTIVATE_LOCATION, lock=True)
    if not location.active:
        raise Conflict("This location is already deactivated.")
    return _edit(uow, actor, location, {"active": False, "deactivated_at": uow.now()}, "deactivated")


# -- notes ------------------------------------------------------------------------------
def add_note(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    note = LocationNote(id=str(uuid.uuid4()), location_id=location.id, text=command["text"].strip(),
                        author_id=actor.user_id, created_at=uow.now(), updated_at=uow.now())
    repository.add_note(uow.session, note)
    publish_location(uow, location, action="note_added", changes={"note": [None, note.text]},
                     actor_id=actor.user_id, actor_generic=actor.generic)
    return location_view(uow, location)


def _note_for(uow, location: Location, note_id: str) -> LocationNote:
    note = repository.note(uow.session, note_id)
    if note is None or note.location_id != location.id or note.deleted_at is not None:
        raise NotFound("No such note.")
    return note


def edit_note(uow, actor: Principal, location_id: str, note_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    note = _note_for(uow, location, note_id)
    before, note.text, note.updated_at = note.text, command["text"].strip(), uow.now()
    if before != note.text:
        publish_location(uow, location, action="note_edited", changes={"note": [before, note.text]},
                         actor_id=actor.user_id, actor_generic=actor.generic)
    return location_view(uow, location)


def delete_note(uow, actor: Principal, location_id: str, note_id: str) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    note = _note_for(uow, location, note_id)
    note.deleted_at = uow.now()
    publish_location(uow, location, action="note_deleted", changes={"note": [note.text, None]},
                     actor_id=actor.user_id, actor_generic=actor.generic)
    return location_view(uow, location)


# -- contacts -----------------------------------------------------------------------------
def add_contact(uow, actor: Principal, location_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    contact = LocationContact(id=str(uuid.uuid4()), location_id=location.id, **command)
    repository.add_contact(uow.session, contact)
    repository.add_change(uow.session, LocationChange(
        location_id=location.id, at=uow.now(), actor_id=actor.user_id, actor_generic=actor.generic,
        action="contact_added", changes={"contact": [None, command]}))
    repository.flush(uow.session)
    return location_view(uow, location)


def update_contact(uow, actor: Principal, location_id: str, contact_id: str, command: dict) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    contact = repository.contact(uow.session, contact_id)
    if contact is None or contact.location_id != location.id:
        raise NotFound("No such contact.")
    before = {field: getattr(contact, field) for field in command}
    for field, value in command.items():
        setattr(contact, field, value)
    repository.add_change(uow.session, LocationChange(
        location_id=location.id, at=uow.now(), actor_id=actor.user_id, actor_generic=actor.generic,
        action="contact_updated", changes={"contact": [before, command]}))
    repository.flush(uow.session)
    return location_view(uow, location)


def delete_contact(uow, actor: Principal, location_id: str, contact_id: str) -> dict:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION, lock=True)
    contact = repository.contact(uow.session, contact_id)
    if contact is None or contact.location_id != location.id:
        raise NotFound("No such contact.")
    repository.delete_contact(uow.session, contact)
    repository.add_change(uow.session, LocationChange(
        location_id=location.id, at=uow.now(), actor_id=actor.user_id, actor_generic=actor.generic,
        action="contact_deleted", changes={"contact": [contact.name, None]}))
    repository.flush(uow.session)
    return location_view(uow, location)


def location_history(uow, actor: Principal, location_id: str) -> list[dict]:
    location = location_for(uow, actor, location_id, Action.EDIT_LOCATION)
    return [{"at": _iso(c.at), "actor_id": c.actor_id, "actor_generic": c.actor_generic, "action": c.action,
             "changes": c.changes}
            for c in repository.location_changes(uow.session, location.id, limit=200)]


def snapshot_page(uow, after: str, limit: int) -> dict:
    """Every location's snapshot, in id order, `limit` at a time after `after`
    (for rebuilding read models from scratch)."""
    rows = repository.locations_after(uow.session, after, limit)
    providers = repository.providers_by_id(uow.session, {r.provider_id for r in rows})
    ids = [r.id for r in rows]
    contracts = repository.approved_contracts_by_location(uow.session, ids)
    notes = repository.live_notes_by_location(uow.session, ids)
    snapshots = [location_snapshot(uow.session, r, providers.get(r.provider_id), contracts=contracts.get(r.id, []),
                                   notes=notes.get(r.id, [])) for r in rows]
    return {"snapshots": snapshots, "next": rows[-1].id if len(rows) == limit else None}
