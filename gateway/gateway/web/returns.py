"""A location's other returns and its history: the workforce headcount, the
visiting questions and the home care return as forms (each broken rule
named next to its box), and every capacity return it sent, newest first,
with a chart of its vacancies over time drawn on the server."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for

from tracker_common.contracts.errors import InvalidInput, NotFound, TrackerError
from tracker_common.contracts.permissions import Action, Target, may

from . import blp, by_field, call, error_page, field_errors, form_once, kept_form, signed_in, when
from .locations import location_for

HISTORY_PER_PAGE = 20
CHART_DAYS = 28
CHART_RETURNS = 500
STAFF_GROUPS = (("registered_nurses", "Registered nurses"), ("care_staff", "Care providing staff"),
                ("non_care_staff", "Non-care providing staff"))
STAFF_FIGURES = (("total_employed", "Total employed", "Everyone employed, including those employed on a visa"),
                 ("visa_holders_own_sponsor", "Visa holders under your own sponsor licence",
                  "Health and Care or Skilled Worker visa holders you sponsor (0 if you hold no licence)"),
                 ("absent_covid", "Absent today: COVID-related", None),
                 ("absent_other", "Absent today: other reasons", None))
HOME_CARE = (("people_using_service", "People using the service today", None, "numeric"),
             ("staff_delivering_care", "Staff delivering care",
              "Including those currently unable to work", "numeric"),
             ("extra_care_hours_available_per_week", "Extra care hours you could provide per week",
              "Hours, like 12.5", "decimal"))
PLAIN_MESSAGES = {"Missing data for required field.": "Enter a figure",
                  "Not a valid integer.": "Enter a whole number, like 3",
                  "Not a valid number.": "Enter a number, like 12.5",
                  "Field may not be null.": "Enter a figure",
                  "Not a valid boolean.": "Choose yes or no",
                  "Longer than maximum length 2000.": "Issues must be 2,000 characters or fewer"}
YES_NO_MISSING = "Choose yes or no"
KINDS = {"workforce": ("care_home", "home_care", None), "visiting": ("care_home", None), "home_care": ("home_care",)}


def _figure(text: str):
    """A whole number as one; anything else as typed, for the service to name."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def _yes_no(form, name: str, payload: dict) -> None:
    answer = form.get(name, "")
    if answer:
        payload[name] = {"yes": True, "no": False}.get(answer, answer)


def _plainly(errors: list[dict], yes_no: tuple[str, ...] = ()) -> list[dict]:
    for entry in errors:
        plain = PLAIN_MESSAGES.get(entry["message"])
        if entry["id"] in yes_no and entry["message"] in ("Missing data for required field.",
                                                          "Field may not be null."):
            plain = YES_NO_MISSING
        if plain:
            entry["text"] = entry["text"].replace(entry["message"], plain)
            entry["message"] = plain
    return errors


# -- the three forms ------------------------------------------------------------------------------
def _workforce_payload(form) -> dict:
    payload: dict = {}
    for group, _ in STAFF_GROUPS:
        payload[group] = {name: _figure(form.get(f"{group}-{name}", "")) for name, _, _ in STAFF_FIGURES
                          if form.get(f"{group}-{name}", "").strip()}
    if form.get("agency_bank_headcount", "").strip():
        payload["agency_bank_headcount"] = _figure(form["agency_bank_headcount"])
    _yes_no(form, "holds_sponsorship_licence", payload)
    return payload


def _workforce_labels() -> dict:
    labels = {("agency_bank_headcount",): ("agency_bank_headcount", "Agency and bank staff"),
              ("holds_sponsorship_licence",): ("holds_sponsorship_licence", "Sponsorship licence")}
    for group, group_title in STAFF_GROUPS:
        labels[(group,)] = (f"{group}-total_employed", group_title)
        for name, title, _ in STAFF_FIGURES:
            labels[(group, name)] = (f"{group}-{name}", f"{group_title}, {title[0].lower()}{title[1:]}")
    return labels


def _visiting_payload(form) -> dict:
    payload: dict = {}
    for name in ("visits_in", "visits_out"):
        _yes_no(form, name, payload)
    return payload


def _home_care_payload(form) -> dict:
    payload: dict = {"issues": form.get("issues", "").strip() or None}
    for name, _, _, _ in HOME_CARE:
        text = form.get(name, "").strip().replace(",", "")
        if text:
            payload[name] = text if name == "extra_care_hours_available_per_week" else _figure(text)
    return payload


FORMS = {
    "workforce": {"title": "Workforce headcount", "payload": _workforce_payload, "labels": _workforce_labels,
                  "yes_no": ("holds_sponsorship_licence",)},
    "visiting": {"title": "Visiting", "payload": _visiting_payload, "yes_no": ("visits_in", "visits_out"),
                 "labels": lambda: {("visits_in",): ("visits_in", "Visits into the home"),
                                    ("visits_out",): ("visits_out", "Visits out of the home")}},
    "home_care": {"title": "Home care return", "payload": _home_care_payload, "yes_no": (),
                  "labels": lambda: {**{(name,): (name, title) for name, title, _, _ in HOME_CARE},
                                     ("issues",): ("issues", "Issues")}},
}


def _other_return(location_id: str, kind: str):
    form = FORMS[kind]
    try:
        location = location_for(location_id, Action.EDIT_LOCATION)
    except TrackerError as refused:
        return error_page(refused)
    if location.get("kind") not in KINDS[kind]:
        return error_page(NotFound(f"{location['name']} does not send the {form['title'].lower()}."))
    context = {"location": location, "kind": kind, "title": form["title"], "staff_groups": STAFF_GROUPS,
               "staff_figures": STAFF_FIGURES, "home_care": HOME_CARE}
    if request.method == "GET":
        kept = kept_form()
        if kept:
            flash("What you entered before signing in again is below: check it and save.")
        return render_template("web/other_return.html", values=kept or {}, errors=[], messages={}, **context)
    try:
        call("capacity", "submit_other_return", actor=g.claims, location_id=location_id, kind=kind,
             payload=form["payload"](request.form))
    except InvalidInput as refused:
        errors = _plainly(field_errors(refused, form["labels"]()), form["yes_no"])
        return render_template("web/other_return.html", values=request.form, errors=errors,
                               messages=by_field(errors), **context), 422
    except TrackerError as refused:
        return error_page(refused)
    flash(f"{form['title']} saved for {location['name']}.")
    return redirect(url_for("web.capacity_overview", _anchor=f"location-{location_id}"))


@blp.route("/locations/<location_id>/returns/workforce", methods=["GET", "POST"])
@signed_in
@form_once
def workforce_return(location_id: str):
    return _other_return(location_id, "workforce")


@blp.route("/locations/<location_id>/returns/visiting", methods=["GET", "POST"])
@signed_in
@form_once
def visiting_return(location_id: str):
    return _other_return(location_id, "visiting")


@blp.route("/locations/<location_id>/returns/home-care", methods=["GET", "POST"])
@signed_in
@form_once
def home_care_return(location_id: str):
    return _other_return(location_id, "home_care")


# -- the history --------------------------------------------------------------------------------
def _who(entry: dict, names: dict[str, str]) -> str:
    if entry.get("submitted_by_generic"):
        return "A shared account"
    if entry.get("submitted_by") == g.claims["sub"]:
        return "You"
    return names.get(entry.get("submitted_by") or "", "Another user")


def _names(location: dict) -> dict[str, str]:
    """Who is who, for those who manage the people of the location's
    organisation (others see "You" or "Another user")."""
    target = Target(organisation_id=location.get("organisation_id"), location_id=location["location_id"],
                    la_code=location.get("la_code"), sub_icb_code=location.get("sub_icb_code"))
    if not location.get("organisation_id") or not may(g.principal, Action.MANAGE_USERS, target):
        return {}
    try:
        people = call("identity", "list_users", actor=g.claims, organisation_id=location["organisation_id"])
    except TrackerError:
        return {}  # names are a help: never the reason the history fails
    return {person["id"]: person["name"] for person in people}


def vacancies_chart(entries: list[dict], now: datetime, days: int = CHART_DAYS) -> dict | None:
    """Vacant beds (all, and those accepting admissions) over the last
    `days`, as the points of an SVG drawn on the server: each return holds
    until the next, so the lines are steps."""
    points = sorted(((datetime.fromisoformat(e["submitted_at"]), e.get("totals") or {}) for e in entries),
                    key=lambda point: point[0])
    if not points:
        return None
    start, end = now - timedelta(days=days), now
    width, height, left, right, top, bottom = 640, 300, 44, 8, 20, 48
    top_value = max(max(t.get("vacant", 0), t.get("vacant_accepting", 0)) for _, t in points)
    scale_max = max(4, -(-top_value // 4) * 4)  # a round top: four gridlines of whole beds

    def x(moment: datetime) -> float:
        moment = min(max(moment, start), end)
        return round(left + (width - left - right) * (moment - start) / (end - start), 1)

    def y(value: int) -> float:
        return round(top + (height - top - bottom) * (1 - value / scale_max), 1)

    def steps(name: str) -> str:
        coordinates, last = [], None
        for moment, totals in points:
            value = totals.get(name, 0)
            if last is not None:
                coordinates.append(f"{x(moment)},{y(last)}")
            coordinates.append(f"{x(moment)},{y(value)}")
            last = value
        coordinates.append(f"{x(end)},{y(last)}")
        return " ".join(coordinates)

    ticks = [{"y": y(scale_max * i // 4), "label": scale_max * i // 4} for i in range(5)]
    days_marked = [{"x": x(start + timedelta(days=d)), "label": _short_day(start + timedelta(days=d)),
                    "anchor": "start" if d == 0 else "end" if d == days else "middle"}
                   for d in range(0, days + 1, 7)]
    latest = points[-1][1]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": height - bottom, "vacant": steps("vacant"), "accepting": steps("vacant_accepting"),
            "ticks": ticks, "days": days_marked, "from": _short_day(start), "to": _short_day(end),
            "latest_vacant": latest.get("vacant", 0), "latest_accepting": latest.get("vacant_accepting", 0),
            "highest": top_value, "count": len(points)}


def _short_day(moment: datetime) -> str:
    return f"{moment.day} {moment.strftime('%b')}"


@blp.route("/locations/<location_id>/returns")
@signed_in
def return_history(location_id: str):
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    now = current_app.extensions["tracker"].clock.now()
    try:
        location = location_for(location_id, Action.VIEW_LOCATION)
        listed = call("capacity", "return_history", actor=g.claims, location_id=location_id,
                      query={"page": page, "per_page": HISTORY_PER_PAGE})
        recent = call("capacity", "return_history", actor=g.claims, location_id=location_id, query={
            "since": (now - timedelta(days=CHART_DAYS)).isoformat(), "page": 1, "per_page": CHART_RETURNS})
        # the return in force when the chart starts draws its first step
        before = call("capacity", "return_history", actor=g.claims, location_id=location_id, query={
            "until": (now - timedelta(days=CHART_DAYS)).isoformat(), "page": 1, "per_page": 1})
    except TrackerError as refused:
        return error_page(refused)
    names = _names(location)
    entries = [{**entry, "when": when(entry["submitted_at"]), "who": _who(entry, names)}
               for entry in listed["returns"]]
    chart_entries = recent["returns"] + before["returns"]
    return render_template(
        "web/return_history.html", location=location, entries=entries, page=page,
        has_more=len(listed["returns"]) == HISTORY_PER_PAGE,
        chart=vacancies_chart(chart_entries, now),
        chart_rows=[{"when": when(e["submitted_at"]), **(e.get("totals") or {}), "still_true": e.get("still_true")}
                    for e in sorted(recent["returns"], key=lambda e: e["submitted_at"], reverse=True)],
        may_edit=may(g.principal, Action.EDIT_LOCATION, Target(
            organisation_id=location.get("organisation_id"), location_id=location["location_id"],
            la_code=location.get("la_code"), sub_icb_code=location.get("sub_icb_code"))))
