"""A location's own page: its profile, CQC facts, services, notes and
contacts, for everyone who may see the location; the forms that change the
profile, the notes, the contacts and the capacity reminder emails, for those
who may edit it.

Who may do what is asked of the permission matrix before a form is shown or
sent, so a read-only viewer is never offered an edit and a forged form never
reaches the service (which checks again)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from tracker_common.contracts.errors import Forbidden, InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, Target, may
from tracker_common.contracts.vocabulary import ACCESSIBILITY, CARE_TYPES, FUNDING_SOURCES, ROOM_EQUIPMENT

from . import blp, by_field, call, error_page, field_errors, form_once, kept_form, signed_in, when

CQC_LOCATION_URL = "https://www.cqc.org.uk/location/{}"
ANSWERS = {"yes": True, "no": False}
MANAGER = (("name", "Manager's name"), ("email", "Manager's email address"),
           ("phone", "Manager's telephone number"), ("nhsmail", "Manager's NHSmail address"))
# Boxes of ticks on the profile form: (field id, what to call it, the options).
CHOICES = (("care_types", "Care types", CARE_TYPES), ("funding_sources", "Funding sources", FUNDING_SOURCES),
           ("rooms-equipment", "Room equipment", ROOM_EQUIPMENT),
           ("rooms-accessibility", "Accessibility", ACCESSIBILITY))
EMPTY = {"Missing data for required field.", "Field may not be null.", "Shorter than minimum length 1."}
PLAIN_MESSAGES = {"Not a valid email address.": "Enter an email address in the correct format, like name@example.com",
                  "Not a valid telephone number.": "Enter a telephone number, like 0113 496 0000",
                  "Not a valid boolean.": "Choose yes or no",
                  "Longer than maximum length 2000.": "The note must be 2,000 characters or fewer"}
KEPT_NOTICE = "What you entered before signing in again is below: check it and save."


def _target(location: dict) -> Target:
    return Target(organisation_id=location.get("organisation_id"), location_id=location["location_id"],
                  la_code=location.get("la_code"), sub_icb_code=location.get("sub_icb_code"))


def location_for(location_id: str, action: Action) -> dict:
    """The location, if the person may do `action` to it (Forbidden if not;
    the service answers NotFound for one they may not even see)."""
    location = call("providers", "get_location", actor=g.claims, location_id=location_id)
    if not may(g.principal, action, _target(location)):
        raise Forbidden()
    return location


def _day(iso: str | None) -> str:
    """A date as GOV.UK writes it ("1 May 2024"; "" for none)."""
    if not iso:
        return ""
    day = date.fromisoformat(iso[:10])
    return f"{day.day} {day.strftime('%B %Y')}"


def _plainly(errors: list[dict], empty: dict[str, str] | None = None) -> list[dict]:
    """The service's messages in the words GOV.UK uses ("Enter the note"),
    an empty box's message named for the box."""
    for entry in errors:
        plain = (empty or {}).get(entry["id"]) if entry["message"] in EMPTY else None
        plain = plain or PLAIN_MESSAGES.get(entry["message"])
        if plain:
            entry["text"] = entry["text"].replace(entry["message"], plain)
            entry["message"] = plain
    return errors


# -- the location's page ------------------------------------------------------------------------
@blp.route("/locations/<location_id>")
@signed_in
def location_page(location_id: str):
    try:
        shown = location_for(location_id, Action.VIEW_LOCATION)
    except TrackerError as refused:
        return error_page(refused)
    # Newest first by the date each shows (an edited note is dated by its
    # edit); the service lists them oldest first, which breaks ties.
    notes = sorted(reversed(shown.get("notes") or []), reverse=True,
                   key=lambda note: datetime.fromisoformat(note["updated_at"]))
    target = _target(shown)
    return render_template(
        "web/location.html", location=shown, cqc_url=CQC_LOCATION_URL.format(shown["location_id"]),
        notes=[{**note, "when": when(note.get("updated_at")), "mine": note.get("author_id") == g.claims["sub"]}
               for note in notes],
        may_edit=may(g.principal, Action.EDIT_LOCATION, target),
        may_switch_reminders=may(g.principal, Action.SWITCH_OFF_REMINDERS, target),
        may_deactivate=may(g.principal, Action.DEACTIVATE_LOCATION, target),
        cqc_refreshed=when(shown.get("cqc_refreshed_at")), rating_published=_day(shown.get("rating_published")))


# -- the profile ---------------------------------------------------------------------------------
def _answer(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _profile_values(location: dict) -> MultiDict:
    """The profile form's fields, filled from the location."""
    manager, rooms = location.get("manager") or {}, location.get("rooms") or {}
    values = MultiDict({"out_of_hours_admissions": _answer(location.get("out_of_hours_admissions")),
                        "rooms-en_suite": _answer(rooms.get("en_suite")),
                        **{f"manager-{name}": manager.get(name) or "" for name, _ in MANAGER}})
    for name in ("care_types", "funding_sources"):
        values.setlist(name, location.get(name) or [])
    for name in ("equipment", "accessibility"):
        values.setlist(f"rooms-{name}", rooms.get(name) or [])
    return values


def _yes_or_no(form, name: str):
    """True / False for a yes-no question; None when it was not answered
    (radios cannot be unticked, so the answer kept is left alone); anything
    else as sent, for the service to name."""
    answer = form.get(name, "")
    return ANSWERS.get(answer, answer) if answer else None


def _profile_payload(form) -> dict:
    """The profile update the form describes: every box is sent, so an
    emptied box clears its value and an untick removes a choice."""
    payload = {"care_types": form.getlist("care_types"), "funding_sources": form.getlist("funding_sources"),
               "manager": {name: form.get(f"manager-{name}", "").strip() or None for name, _ in MANAGER},
               "rooms": {"equipment": form.getlist("rooms-equipment"),
                         "accessibility": form.getlist("rooms-accessibility")}}
    out_of_hours, en_suite = _yes_or_no(form, "out_of_hours_admissions"), _yes_or_no(form, "rooms-en_suite")
    if out_of_hours is not None:
        payload["out_of_hours_admissions"] = out_of_hours
    if en_suite is not None:
        payload["rooms"]["en_suite"] = en_suite
    return payload


def _profile_labels(form) -> dict:
    """Error paths of a profile update -> (field id, name in the summary)."""
    labels = {("out_of_hours_admissions",): ("out_of_hours_admissions", "Out-of-hours admissions"),
              ("rooms", "en_suite"): ("rooms-en_suite", "En-suite rooms"),
              **{("manager", name): (f"manager-{name}", title) for name, title in MANAGER}}
    for field_id, title, _ in CHOICES:
        path = tuple(field_id.split("-"))
        labels[path] = (field_id, title)
        labels.update({path + (str(i),): (field_id, title) for i in range(len(form.getlist(field_id)))})
    return labels


@blp.route("/locations/<location_id>/profile", methods=["GET", "POST"])
@signed_in
def edit_profile(location_id: str):
    try:
        location = location_for(location_id, Action.EDIT_LOCATION)
    except TrackerError as refused:
        return error_page(refused)
    context = {"location": location, "choices": CHOICES}
    if request.method == "GET":
        kept = kept_form()
        if kept:
            flash(KEPT_NOTICE)
        return render_template("web/location_profile.html", values=kept or _profile_values(location), errors=[],
                               messages={}, **context)
    try:
        call("providers", "update_profile", actor=g.claims, location_id=location_id,
             payload=_profile_payload(request.form))
    except InvalidInput as refused:
        errors = _plainly(field_errors(refused, _profile_labels(request.form)))
        return render_template("web/location_profile.html", values=request.form, errors=errors,
                               messages=by_field(errors), **context), 422
    except TrackerError as refused:
        return error_page(refused)
    flash(f"Profile saved for {location['name']}.")
    return redirect(url_for("web.location_page", location_id=location_id))


# -- reminder emails ----------------------------------------------------------------------------
@blp.route("/locations/<location_id>/reminders", methods=["POST"])
@signed_in
def set_reminders(location_id: str):
    wanted = request.form.get("reminders_enabled")
    if wanted not in ("on", "off"):
        abort(400)
    try:
        location = location_for(location_id, Action.SWITCH_OFF_REMINDERS)
        call("providers", "set_reminders", actor=g.claims, location_id=location_id,
             payload={"reminders_enabled": wanted == "on"})
    except TrackerError as refused:
        return error_page(refused)
    flash(f"Capacity reminder emails switched {wanted} for {location['name']}.")
    return redirect(url_for("web.location_page", location_id=location_id))


# -- notes and contacts ------------------------------------------------------------------------
@dataclass(frozen=True)
class Entries:
    """Notes and contacts: lists on a location, each entry added, changed
    and deleted the same way, by its own RPC."""

    kind: str  # "note", "contact": its id is `<kind>_id`
    listed_as: str  # where the location lists them
    template: str
    fields: dict[str, tuple[str, str]]  # field id -> (name in the summary, message when left empty)
    payload: Callable  # the form -> the RPC's payload
    add: str
    edit: str
    delete: str
    done: dict[str, str]  # what was done, formatted with the entry


def _required_and_optional(required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Callable:
    """An empty required box is left out (the service names it once, as
    missing); an empty optional one is sent as none (which clears it)."""
    def payload(form) -> dict:
        sent = {name: form.get(name, "").strip() for name in required if form.get(name, "").strip()}
        sent.update({name: form.get(name, "").strip() or None for name in optional})
        return sent
    return payload


NOTES = Entries(kind="note", listed_as="notes", template="web/location_note.html",
                fields={"text": ("Note", "Enter the note")}, payload=_required_and_optional(("text",)),
                add="add_note", edit="edit_note", delete="delete_note",
                done={"added": "Note added.", "saved": "Note saved.", "deleted": "Note deleted."})
CONTACTS = Entries(kind="contact", listed_as="contacts", template="web/location_contact.html",
                   fields={"role": ("Role", "Enter their role, like Deputy manager"),
                           "name": ("Name", "Enter their name"),
                           "email": ("Email address", ""), "phone": ("Telephone number", "")},
                   payload=_required_and_optional(("role", "name"), ("email", "phone")),
                   add="add_contact", edit="update_contact", delete="delete_contact",
                   done={"added": "{name} added to the contacts.", "saved": "Contact details saved for {name}.",
                         "deleted": "{name} removed from the contacts."})


def _entry(location: dict, entries: Entries, entry_id: str) -> dict | None:
    return next((e for e in location.get(entries.listed_as) or [] if e["id"] == entry_id), None)


def _entry_form(location_id: str, entries: Entries, entry_id: str | None):
    """Add an entry (no `entry_id`) or change one; a refusal is shown on the
    form with what was typed, and nothing is saved."""
    try:
        location = location_for(location_id, Action.EDIT_LOCATION)
        entry = _entry(location, entries, entry_id) if entry_id else {}
        if entry is None:
            raise NotFound(f"No such {entries.kind}: it may have been deleted.")
    except TrackerError as refused:
        return error_page(refused)
    context = {"location": location, "entry_id": entry_id}
    if request.method == "GET":
        kept = kept_form()
        if kept:
            flash(KEPT_NOTICE)
        values = kept or {name: entry.get(name) or "" for name in entries.fields}
        return render_template(entries.template, values=values, errors=[], messages={}, **context)
    payload = entries.payload(request.form)
    ids = {f"{entries.kind}_id": entry_id} if entry_id else {}
    try:
        call("providers", entries.edit if entry_id else entries.add, actor=g.claims, location_id=location_id,
             payload=payload, **ids)
    except InvalidInput as refused:
        labels = {(name,): (name, title) for name, (title, _) in entries.fields.items()}
        errors = _plainly(field_errors(refused, labels), {name: empty for name, (_, empty) in entries.fields.items()})
        return render_template(entries.template, values=request.form, errors=errors, messages=by_field(errors),
                               **context), 422
    except TrackerError as refused:
        return error_page(refused)
    flash(entries.done["saved" if entry_id else "added"].format(**{**entry, **payload}))
    return redirect(url_for("web.location_page", location_id=location_id))


def _delete_entry(location_id: str, entries: Entries, entry_id: str):
    """GET asks "are you sure?" (a mistaken tap on a phone costs one page,
    not a note); POST deletes. An entry already gone (the button sent twice)
    is not an error: it is what was asked for."""
    try:
        location = location_for(location_id, Action.EDIT_LOCATION)
        entry = _entry(location, entries, entry_id)
        if entry is None and request.method == "GET":
            raise NotFound(f"No such {entries.kind}: it may have been deleted already.")
        if entry is not None and request.method == "POST":
            call("providers", entries.delete, actor=g.claims, location_id=location_id,
                 **{f"{entries.kind}_id": entry_id})
    except TrackerError as refused:
        return error_page(refused)
    if request.method == "GET":
        return render_template("web/location_delete.html", location=location, kind=entries.kind, entry=entry,
                               when=when(entry.get("updated_at")))
    flash(entries.done["deleted"].format(**entry) if entry else f"That {entries.kind} had already been deleted.")
    return redirect(url_for("web.location_page", location_id=location_id))


@blp.route("/locations/<location_id>/notes/new", methods=["GET", "POST"])
@signed_in
@form_once
def add_note(location_id: str):
    return _entry_form(location_id, NOTES, None)


@blp.route("/locations/<location_id>/notes/<note_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_note(location_id: str, note_id: str):
    return _entry_form(location_id, NOTES, note_id)


@blp.route("/locations/<location_id>/notes/<note_id>/delete", methods=["GET", "POST"])
@signed_in
def delete_note(location_id: str, note_id: str):
    return _delete_entry(location_id, NOTES, note_id)


@blp.route("/locations/<location_id>/contacts/new", methods=["GET", "POST"])
@signed_in
@form_once
def add_contact(location_id: str):
    return _entry_form(location_id, CONTACTS, None)


@blp.route("/locations/<location_id>/contacts/<contact_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_contact(location_id: str, contact_id: str):
    return _entry_form(location_id, CONTACTS, contact_id)


@blp.route("/locations/<location_id>/contacts/<contact_id>/delete", methods=["GET", "POST"])
@signed_in
def delete_contact(location_id: str, contact_id: str):
    return _delete_entry(location_id, CONTACTS, contact_id)
