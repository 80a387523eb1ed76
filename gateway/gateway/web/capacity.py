"""The daily job of a care home: see which of my locations need updating,
and update one's capacity (the "provider update"); follow a bulk upload."""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import Conflict, InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, Role, Target, may
from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, NOT_AVAILABLE_REASONS, SHORT_STAY_SERVICES

from . import blp, by_field, call, error_page, field_errors, form_once, kept_form, label, pounds, signed_in, when
from .locations import location_for

PER_PAGE = 20
FIGURES = (("maximum_capacity", "Maximum capacity", "All the beds of this type if the home were empty"),
           ("occupied", "Occupied", "Residents, including one in hospital whose bed is held"),
           ("vacant_reserved", "Vacant: reserved", "Held for a new resident waiting to be admitted"),
           ("vacant_accepting", "Vacant: accepting admissions", "Could take an admission today, "
                                                                "block-booked beds included"),
           ("vacant_not_available", "Vacant: not available", "Vacant but cannot take an admission"))
PLAIN_MESSAGES = {"Missing data for required field.": "Enter a figure",
                  "Not a valid integer.": "Enter a whole number, like 3",
                  "Not a valid number.": "Enter an amount in pounds, like 850 or 850.50",
                  "Field may not be null.": "Enter a figure"}
STALENESS = {"never": ("No return yet", "red"), "fresh": (None, None),
             "stale_24h": ("Not updated for over 24 hours", "yellow"),
             "stale_48h": ("Not updated for over 48 hours", "red")}


@blp.route("/capacity")
@signed_in
def capacity_overview():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    try:
        listed = call("providers", "list_locations", actor=g.claims,
                      query={"page": page, "per_page": PER_PAGE, "active": True})
        ids = [location["id"] for location in listed["locations"]]
        summaries = {s["location_id"]: s for s in call("capacity", "return_summaries", actor=g.claims,
                                                       query={"location_ids": ids})} if ids else {}
    except TrackerError as refused:
        return error_page(refused)
    rows = []
    for location in listed["locations"]:
        summary = summaries.get(location["id"], {"staleness": "never"})
        tag, colour = STALENESS.get(summary["staleness"], (None, None))
        may_edit = may(g.principal, Action.EDIT_LOCATION, Target(
            organisation_id=location.get("provider_id"), location_id=location["id"],
            la_code=location.get("la_code"), sub_icb_code=location.get("sub_icb_code")))
        rows.append({**location, "updated": when(summary.get("last_submitted_at")), "tag": tag,
                     "tag_colour": colour, "accepting": summary.get("admission_status") == "accepting",
                     "vacant_accepting": summary.get("vacant_accepting"), "may_edit": may_edit,
                     "refreshable": may_edit and location.get("kind") != "home_care"
                     and bool(summary.get("last_submitted_at"))})
    pages = max(1, -(-listed["total"] // PER_PAGE))
    # "All of them" means the person's own locations (never every home an
    # administrator or a broker can reach): offered to care home users with several.
    refresh_all = Role.CARE_HOME_USER in g.principal.roles and (
        listed["total"] > PER_PAGE or sum(row["refreshable"] for row in rows) > 1)
    return render_template("web/capacity.html", rows=rows, page=page, pages=pages, total=listed["total"],
                           refresh_all=refresh_all, refreshed=request.args.get("refreshed"))


def _still_true_notice(name: str, saved: dict) -> str:
    return f"Nothing has changed at {name}: its figures are saved as still true at {when(saved['submitted_at'])}."


@blp.route("/locations/<location_id>/capacity/still-true", methods=["POST"])
@signed_in
@form_once
def confirm_still_true(location_id: str):
    """One tap when nothing has changed: the current return saved again."""
    try:
        location = call("providers", "get_location", actor=g.claims, location_id=location_id)
        saved = call("capacity", "confirm_still_true", actor=g.claims, location_id=location_id)
    except InvalidInput as refused:
        reasons = [e["message"] for e in field_errors(refused, {})]
        flash(f"Nothing was saved for {location['name']}: " + " ".join(reasons)
              + " Update its capacity below.", "error")
        return redirect(url_for("web.update_capacity", location_id=location_id))
    except TrackerError as refused:
        return error_page(refused)
    flash(_still_true_notice(location["name"], saved))
    # back to the card tapped (with a word there too: the banner may be above the screen)
    return redirect(url_for("web.capacity_overview", page=request.form.get("page") or None,
                            refreshed=location_id, _anchor=f"location-{location_id}"))


def _name_of(location_id: str) -> str:
    try:
        return call("providers", "get_location", actor=g.claims, location_id=location_id)["name"]
    except TrackerError:
        return f"location {location_id}"


@blp.route("/capacity/still-true", methods=["POST"])
@signed_in
@form_once
def confirm_all_still_true():
    """One tap when nothing has changed anywhere: every one of the person's
    own locations that has a return, each saved again all or nothing."""
    try:
        answer = call("capacity", "confirm_still_true_many", actor=g.claims, payload={})
    except InvalidInput as refused:  # more homes than one tap may refresh: nothing was saved
        flash(" ".join(e["message"] for e in field_errors(refused, {}))
              + " Nothing was saved: say so for each location, or update them with the spreadsheet.", "error")
        return redirect(url_for("web.capacity_overview"))
    except TrackerError as refused:
        return error_page(refused)
    refreshed = len(answer["refreshed"])
    if refreshed:
        flash(f"Nothing has changed: the figures of {refreshed} location{'s' if refreshed != 1 else ''} "
              f"are saved as still true at {when(answer['refreshed'][0]['submitted_at'])}.")
    for location_id, reasons in sorted(answer["refused"].items()):
        flash(f"Nothing was saved for {_name_of(location_id)}: {' '.join(reasons)} Update its capacity.", "error")
    if not refreshed and not answer["refused"]:
        flash("None of your locations has a capacity return yet: update each one's capacity first.", "error")
    return redirect(url_for("web.capacity_overview"))


def editable_location(location_id: str) -> dict:
    """The location, if the person may change it (a discharge team is never
    shown a form it could not send)."""
    return location_for(location_id, Action.EDIT_LOCATION)


def _form_values(location: dict, current: dict | None) -> dict:
    """The form's fields, filled from the current return."""
    values: dict[str, str] = {}
    by_type = {v["vacancy_type"]: v for v in (current or {}).get("vacancies", [])}
    for vacancy_type in location["long_term_vacancy_types"]:
        figures = by_type.get(vacancy_type, {})
        values[f"{vacancy_type}-weekly_price_from"] = str(figures.get("weekly_price_from", ""))
        for name, _, _ in FIGURES:
            values[f"{vacancy_type}-{name}"] = str(figures.get(name, ""))
        values[f"{vacancy_type}-not_available_reason"] = figures.get("not_available_reason") or ""
        values[f"{vacancy_type}-flexible"] = "yes" if figures.get("flexible") else ""
    prices = (current or {}).get("short_stay_prices", {})
    for service in location.get("short_stay_services") or []:
        values[f"short_stay-{service}"] = str(prices.get(service, ""))
    return values


def _payload(location: dict, form) -> dict:
    """The capacity return the form describes (empty boxes left out, so the
    service names each one)."""
    vacancies = []
    for vacancy_type in location["long_term_vacancy_types"]:
        entry = {"vacancy_type": vacancy_type, "flexible": bool(form.get(f"{vacancy_type}-flexible"))}
        price = pounds(form.get(f"{vacancy_type}-weekly_price_from", ""))
        if price is not None:
            entry["weekly_price_from"] = price
        for name, _, _ in FIGURES:
            figure = form.get(f"{vacancy_type}-{name}", "").strip()
            if figure:  # a whole number is sent as one; anything else as typed, for the service to name
                entry[name] = int(figure) if re.fullmatch(r"-?[0-9]{1,9}", figure) else figure
        reason = form.get(f"{vacancy_type}-not_available_reason", "")
        entry["not_available_reason"] = reason or None
        vacancies.append(entry)
    prices = {}
    for service in location.get("short_stay_services") or []:
        prices[service] = pounds(form.get(f"short_stay-{service}", ""))
    return {"vacancies": vacancies, "short_stay_prices": prices,
            "confirm_over_registered_capacity": bool(form.get("confirm_over_registered_capacity"))}


def _labels(location: dict) -> dict:
    """Error paths of a capacity return -> (field id, name in the summary)."""
    labels = {("vacancies",): ("vacancies", "Vacancies"),
              ("confirm_over_registered_capacity",): ("confirm_over_registered_capacity", "Registered beds")}
    for index, vacancy_type in enumerate(location["long_term_vacancy_types"]):
        kind = label(vacancy_type)
        for name, title in (("weekly_price_from", "weekly price from"), ("not_available_reason", "reason"),
                            ("vacancy_type", "vacancy type"), ("flexible", "flexible"),
                            *((n, t.lower()) for n, t, _ in FIGURES)):
            labels[("vacancies", str(index), name)] = (f"{vacancy_type}-{name}", f"{kind}, {title}")
    for service in location.get("short_stay_services") or []:
        labels[("short_stay_prices", service)] = (f"short_stay-{service}", f"{label(service)}, weekly price")
    return labels


@blp.route("/locations/<location_id>/capacity", methods=["GET", "POST"])
@signed_in
@form_once
def update_capacity(location_id: str):
    try:
        location = editable_location(location_id)
        try:
            current = call("capacity", "current_return", actor=g.claims, location_id=location_id)
        except NotFound:
            current = None
    except TrackerError as refused:
        return error_page(refused)
    context = {"location": location, "current": current, "updated": when((current or {}).get("submitted_at")),
               "figures": FIGURES, "reasons": NOT_AVAILABLE_REASONS}
    if request.method == "GET":
        kept = kept_form()
        if kept:
            flash("The figures you entered before signing in again are below: check them and save.")
        return render_template("web/update_capacity.html", values=kept or _form_values(location, current),
                               errors=[], messages={}, confirm_over=bool(kept and kept.get(
                                   "confirm_over_registered_capacity")), **context)
    try:
        saved = call("capacity", "submit_capacity_return", actor=g.claims, location_id=location_id,
                     payload=_payload(location, request.form))
    except InvalidInput as refused:
        errors = field_errors(refused, _labels(location))
        for entry in errors:
            plain = PLAIN_MESSAGES.get(entry["message"])
            if plain:
                entry["text"] = entry["text"].replace(entry["message"], plain)
                entry["message"] = plain
        confirm_over = bool(request.form.get("confirm_over_registered_capacity")) or any(
            e["id"] == "confirm_over_registered_capacity" for e in errors)
        return render_template("web/update_capacity.html", values=request.form, errors=errors,
                               messages=by_field(errors), confirm_over=confirm_over, **context), 422
    except TrackerError as refused:
        return error_page(refused)
    status = "accepting admissions" if saved["admission_status"] == "accepting" else "not accepting admissions"
    flash(f"Capacity saved for {location['name']}: {status}."
          + (" Nothing had changed: the figures are marked as still true." if saved.get("still_true") else ""))
    return redirect(url_for("web.capacity_overview"))


@blp.route("/locations/<location_id>/services", methods=["GET", "POST"])
@signed_in
def update_services(location_id: str):
    """What the location offers: the vacancy types its capacity form asks
    for, the short stay services that need a price, its languages."""
    try:
        location = editable_location(location_id)
    except TrackerError as refused:
        return error_page(refused)
    context = {"location": location, "long_term": LONG_TERM_VACANCY_TYPES, "short_stay": SHORT_STAY_SERVICES}
    if request.method == "GET":
        chosen = {"long_term_vacancy_types": location.get("long_term_vacancy_types") or [],
                  "short_stay_services": location.get("short_stay_services") or [],
                  "languages": ", ".join(l for l in location.get("languages") or [] if l != "English")}
        return render_template("web/services.html", chosen=chosen, errors=[], messages={}, **context)
    languages = [l.strip() for l in request.form.get("languages", "").split(",") if l.strip()]
    payload = {"long_term_vacancy_types": request.form.getlist("long_term_vacancy_types"),
               "short_stay_services": request.form.getlist("short_stay_services"), "languages": languages}
    try:
        call("providers", "update_services", actor=g.claims, location_id=location_id, payload=payload)
    except InvalidInput as refused:
        labels = {("long_term_vacancy_types",): ("long_term_vacancy_types", "Long term vacancy types"),
                  ("short_stay_services",): ("short_stay_services", "Short stay services"),
                  ("languages",): ("languages", "Languages"),
                  **{("languages", str(i)): ("languages", f"Languages, {name}") for i, name in enumerate(languages)}}
        errors = field_errors(refused, labels)
        chosen = {**payload, "languages": request.form.get("languages", "")}
        return render_template("web/services.html", chosen=chosen, errors=errors, messages=by_field(errors),
                               **context), 422
    except TrackerError as refused:
        return error_page(refused)
    flash(f"Services saved for {location['name']}.")
    return redirect(url_for("web.update_capacity", location_id=location_id))


@blp.route("/capacity/bulk-uploads/<upload_id>")
@signed_in
def bulk_upload(upload_id: str):
    try:
        upload = call("capacity", "bulk_upload_status", actor=g.claims, upload_id=upload_id)
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/bulk_upload.html", upload=upload, uploaded=when(upload.get("uploaded_at")),
                           processed=when(upload.get("processed_at")))


# -- access to more locations --------------------------------------------------------------------
@blp.route("/capacity/access", methods=["GET", "POST"])
@signed_in
@form_once
def request_access():
    """Ask for access to more locations: find them by name or postcode,
    tick them; the request is reviewed like an application for an account."""
    place = request.values.get("place", "").strip()
    errors = []
    try:
        found = call("identity", "find_places", query={"text": place}) if place else []
    except InvalidInput as refused:
        found, errors = [], field_errors(refused, {("text",): ("place", "Care home")})
    except TrackerError as refused:
        return error_page(refused)
    homes = [option for option in found if option.get("location_id")]
    chosen = request.form.getlist("location_ids")
    if request.method == "POST" and not errors:
        payload = {"location_ids": chosen, "reason": request.form.get("reason", "").strip() or None}
        labels = {("location_ids",): ("location_ids", "Care homes"), ("reason",): ("reason", "Why you need access"),
                  **{("location_ids", str(i)): ("location_ids", "Care homes") for i in range(len(chosen))}}
        if not chosen:
            errors = [{"id": "location_ids", "text": "Care homes: choose at least one care home",
                       "message": "Choose at least one care home"}]
        else:
            try:
                call("identity", "request_location_access", actor=g.claims, payload=payload)
            except (InvalidInput, Conflict) as refused:
                errors = field_errors(refused, labels)
                for entry in errors:
                    if entry["id"] is None:  # "you already have access": about the homes ticked
                        entry["id"] = "location_ids"
            except TrackerError as refused:
                return error_page(refused)
            else:
                names = [h["location_name"] for h in homes if h["location_id"] in chosen] or chosen
                flash(f"You asked for access to {', '.join(names)}. Your request goes to the approvers of "
                      f"the organisation that runs {'them' if len(names) > 1 else 'it'}; you will be emailed "
                      f"when it is decided.")
                return redirect(url_for("web.capacity_overview"))
    return render_template("web/request_access.html", place=place, homes=homes, chosen=chosen,
                           reason=request.form.get("reason", ""), errors=errors,
                           messages=by_field(errors)), (422 if errors else 200)
