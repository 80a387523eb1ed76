"""Reports for people: utilisation (any two dimensions, over months), when
each location last updated (with reminders sent from the list), last
logins, the data export, and the public bed state of one area. Each report
is in the page's address, checked with the API's own schema."""
from __future__ import annotations

import base64
from datetime import date
from urllib.parse import urlencode

from flask import Response, current_app, flash, g, redirect, render_template, request
from marshmallow import ValidationError

from tracker_common.clock import LONDON
from tracker_common.contracts.errors import Forbidden, InvalidInput, TrackerError
from tracker_common.contracts.identity import LastLoginQuery
from tracker_common.contracts.permissions import Action, Scope, scopes
from tracker_common.contracts.reporting import (MAX_MONTHS, MAX_ROWS_PER_PAGE,
                                                BedStateQuery, ComplianceQuery, ExportQuery, LastModifiedQuery,
                                                UtilisationQuery, sees_compliance)
from tracker_common.spreadsheets import csv_bytes

from .. import limits
from . import blp, by_field, call, error_page, field_errors, form_once, label, page_links, signed_in, when
from . import report_charts as charts

UTILISATION, LAST_MODIFIED, LAST_LOGIN = UtilisationQuery(), LastModifiedQuery(), LastLoginQuery()
BED_STATE, EXPORT, COMPLIANCE = BedStateQuery(), ExportQuery(), ComplianceQuery()
DIMENSION_NAMES = {"month": "Month", "vacancy_type": "Vacancy type", "location": "Location", "provider": "Provider",
                   "kind": "Kind of service", "local_authority": "Local Authority", "sub_icb": "Sub-ICB",
                   "icb": "ICB", "nhs_region": "NHS region"}
MEASURES = {"utilisation_percent": "Utilisation (beds used, %)", "occupied": "Beds used", "vacant": "Beds spare",
            "maximum_capacity": "Capacity (beds)", "locations": "Locations reporting"}
AREA_FILTERS = {"nhs_region_code": "NHS region", "icb_code": "ICB", "sub_icb_code": "Sub-ICB",
                "la_code": "Local Authority"}
CSV_ROW_LIMIT = 20_000  # rows of a downloaded table: every location of England fits
STALE_FOR = {"": "Any time", "24": "Not updated for 24 hours", "48": "Not updated for 48 hours",
             "168": "Not updated for 7 days"}
LABELS = {(name,): (name, title) for name, title in (
    ("rows", "Rows"), ("columns", "Columns"), ("from_month", "From"), ("to_month", "To"), ("area", "Area"),
    ("la_code", "Area"), ("sub_icb_code", "Area"), ("icb_code", "Area"), ("nhs_region_code", "Area"),
    ("not_updated_for_hours", "Last updated"), ("not_logged_in_for_days", "Last signed in"), ("page", "Page"),
    ("months", "Months shown"), ("flagged_only", "Show"))}


def _holds(action: Action) -> bool:
    return bool(scopes(g.principal, action))


def _months(today: date) -> list[tuple[str, str]]:
    """The months a report can cover, newest first, as (value, name)."""
    months, year, month = [], today.year, today.month
    for _ in range(MAX_MONTHS):
        months.append((f"{year:04}-{month:02}", _month_name(f"{year:04}-{month:02}")))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _month_name(value: str) -> str:
    """"2026-11" -> "November 2026"."""
    return f"{date.fromisoformat(value + '-01'):%B %Y}"


def _area(asked: dict) -> dict:
    """The area picked in the one "Area" box ("la_code:E08000016") as its filter."""
    kind, _, code = request.args.get("area", "").partition(":")
    if kind in AREA_FILTERS and code:
        asked[kind] = code
    return asked


def _refusal(template: str, context: dict, refused) -> tuple[str, int]:
    messages = refused.normalized_messages() if isinstance(refused, ValidationError) else refused.fields
    errors = field_errors(InvalidInput(fields=messages), LABELS)
    return render_template(template, **{**context, "errors": errors, "messages": by_field(errors)}), 422


@blp.route("/reports")
@signed_in
def reports_index():
    offered = {"utilisation": _holds(Action.VIEW_FULL_REPORTS), "last_modified": _holds(Action.VIEW_ACTIVITY_REPORTS),
               "last_login": _holds(Action.VIEW_ACTIVITY_REPORTS), "export": _holds(Action.EXPORT_DATA),
               "compliance": sees_compliance(g.principal)}
    if not any(offered.values()):
        return error_page(Forbidden("You cannot see reports."))
    return render_template("web/reports.html", offered=offered, chart_link=_chart_link())


def _chart_link() -> str:
    """The utilisation chart of the last 12 months (month by vacancy type)."""
    months = _months(current_app.extensions["tracker"].clock.now().astimezone(LONDON).date())
    return "/reports/utilisation?" + urlencode({"rows": "month", "columns": "vacancy_type",
                                                "from_month": months[11][0], "to_month": months[0][0],
                                                "measure": "occupied"}) + "#chart"


def _utilisation_asked() -> tuple[dict, str]:
    """The utilisation report in the address, and what to show of it."""
    asked = _area({k: request.args[k].strip() for k in ("rows", "columns", "from_month", "to_month", "page")
                   if request.args.get(k, "").strip()})
    asked.setdefault("rows", "local_authority")
    if "columns" not in asked and "rows" not in request.args:
        asked["columns"] = "vacancy_type"  # the first view: vacancy type by Local Authority, this month
    measure = request.args.get("measure") if request.args.get("measure") in MEASURES else "utilisation_percent"
    return asked, measure


UTILISATION_REFUSAL = "Only commissioners, brokers, System Champions and administrators see utilisation reports."


@blp.route("/reports/utilisation")
@signed_in
def utilisation_report():
    if not _holds(Action.VIEW_FULL_REPORTS):
        return error_page(Forbidden(UTILISATION_REFUSAL))
    today = current_app.extensions["tracker"].clock.now().astimezone(LONDON).date()
    asked, measure = _utilisation_asked()
    context = {"asked": asked, "measure": measure, "measures": MEASURES, "dimensions": DIMENSION_NAMES,
               "months": _months(today), "areas": _areas(), "area": request.args.get("area", ""),
               "report": None, "errors": [], "messages": {}, "chart_link": _chart_link()}
    try:
        query = UTILISATION.load(asked)
        report = call("reporting", "utilisation", actor=g.claims, query=UTILISATION.dump(query))
    except (ValidationError, InvalidInput) as refused:
        return _refusal("web/report_utilisation.html", context, refused)
    except TrackerError as refused:
        return error_page(refused)
    report["period"] = " to ".join(dict.fromkeys(_month_name(m) for m in (report["from_month"], report["to_month"])))
    link_args = {**asked, "measure": measure, **({"area": context["area"]} if context["area"] else {})}
    link_args = {k: v for k, v in link_args.items() if k not in AREA_FILTERS}
    download = "/reports/utilisation.csv?" + urlencode({k: v for k, v in link_args.items() if k != "page"})
    return render_template("web/report_utilisation.html", **{
        **context, "report": report, "download": download, "charts": charts.utilisation_charts(report),
        "pages": page_links("/reports/utilisation", link_args, query["page"], report["has_more"])})


@blp.route("/reports/utilisation.csv")
@signed_in
def utilisation_csv():
    """The whole table (every row, every figure) to open in a spreadsheet."""
    if not _holds(Action.VIEW_FULL_REPORTS):
        return error_page(Forbidden(UTILISATION_REFUSAL))
    asked, _ = _utilisation_asked()
    rows, page = [], 1
    try:
        while True:
            query = UTILISATION.load({**asked, "page": page, "per_page": MAX_ROWS_PER_PAGE})
            report = call("reporting", "utilisation", actor=g.claims, query=UTILISATION.dump(query))
            rows += report["rows"]
            if not report["has_more"] or page * MAX_ROWS_PER_PAGE >= CSV_ROW_LIMIT:
                break
            page += 1
    except ValidationError:
        return error_page(InvalidInput("Choose the report on its page first."))
    except TrackerError as refused:
        return error_page(refused)
    content = csv_bytes(*utilisation_table(report, rows))
    name = f"utilisation-{report['rows_by']}-{report['columns_by'] or 'total'}-{report['from_month']}" \
           f"{'-' + report['to_month'] if report['to_month'] != report['from_month'] else ''}.csv"
    return Response(content, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def utilisation_table(report: dict, rows: list[dict]) -> tuple[list[str], list[list]]:
    """A utilisation report as a flat table: a line per row and column (and
    the row's total), each with every figure."""
    headers = [DIMENSION_NAMES[report["rows_by"]], "Code",
               DIMENSION_NAMES[report["columns_by"]] if report["columns_by"] else "Column", "Column code",
               "Locations", "Capacity (beds)", "Beds used", "Beds spare", "Utilisation (%)"]
    lines = []
    for row in rows:
        cells = list(zip(report["columns"], row["cells"])) + [({"key": None, "name": "Total"}, row["total"])]
        for column, figures in cells:
            if figures is not None:
                lines.append([row["name"], row["key"], column["name"], column["key"], figures["locations"],
                              figures["maximum_capacity"], figures["occupied"], figures["vacant"],
                              figures["utilisation_percent"]])
    return headers, lines


def _areas() -> dict:
    """The areas to pick from (an empty list if reporting cannot say)."""
    try:
        return call("reporting", "areas")
    except TrackerError:
        return {"nhs_regions": [], "icbs": [], "sub_icbs": [], "local_authorities": []}


@blp.route("/reports/last-modified", methods=["GET", "POST"])
@signed_in
@form_once
def last_modified_report():
    if not _holds(Action.VIEW_ACTIVITY_REPORTS):
        return error_page(Forbidden("You cannot see when locations last updated."))
    if request.method == "POST":
        return _send_reminders()
    asked = _area({k: request.args[k].strip() for k in ("not_updated_for_hours", "page")
                   if request.args.get(k, "").strip()})
    context = {"asked": asked, "stale_for": STALE_FOR, "areas": _areas(), "area": request.args.get("area", ""),
               "may_remind": _holds(Action.SEND_REMINDERS), "report": None, "errors": [], "messages": {}}
    try:
        query = LAST_MODIFIED.load(asked)
        report = call("reporting", "last_modified", actor=g.claims, query=LAST_MODIFIED.dump(query))
    except (ValidationError, InvalidInput) as refused:
        return _refusal("web/report_last_modified.html", context, refused)
    except TrackerError as refused:
        return error_page(refused)
    for row in report["locations"]:
        row["updated"] = when(row["last_updated_at"]) or "Never"
    link_args = {k: v for k, v in {**asked, "area": context["area"]}.items() if v and k not in AREA_FILTERS}
    return render_template("web/report_last_modified.html", **{
        **context, "report": report, "pages": page_links("/reports/last-modified", link_args, query["page"],
                                                          report["has_more"])})


def _send_reminders():
    if not _holds(Action.SEND_REMINDERS):
        return error_page(Forbidden("You cannot send reminders."))
    chosen = [i for i in request.form.getlist("location_ids") if i]
    back = request.form.get("back", "/reports/last-modified")
    back = back if back.startswith("/reports/last-modified") else "/reports/last-modified"
    if not chosen:
        flash("Choose at least one location to remind.")
        return redirect(back)
    try:
        sent = call("notifications", "send_reminders", actor=g.claims, payload={"location_ids": chosen})
    except TrackerError as refused:
        return error_page(refused)
    people = len(sent["reminded"])
    message = f"Reminder emails sent: {people} {'person' if people == 1 else 'people'} asked to update capacity."
    if sent["locations_without_anyone"]:
        message += f" {len(sent['locations_without_anyone'])} location(s) have nobody to remind."
    flash(message)
    return redirect(back)


@blp.route("/reports/last-login")
@signed_in
def last_login_report():
    if not _holds(Action.VIEW_ACTIVITY_REPORTS):
        return error_page(Forbidden("You cannot see when people last signed in."))
    asked = {k: request.args[k].strip() for k in ("organisation_id", "not_logged_in_for_days", "page")
             if request.args.get(k, "").strip()}
    context = {"asked": asked, "report": None, "errors": [], "messages": {}}
    try:
        query = LAST_LOGIN.load(asked)
        report = call("identity", "last_logins", actor=g.claims, query=LAST_LOGIN.dump(query))
    except (ValidationError, InvalidInput) as refused:
        return _refusal("web/report_last_login.html", context, refused)
    except TrackerError as refused:
        return error_page(refused)
    for user in report["users"]:
        user["signed_in"] = when(user["last_login_at"]) or "Never"
        user["status_name"] = label(user["status"])
    return render_template("web/report_last_login.html", **{
        **context, "report": report, "pages": page_links("/reports/last-login", asked, query["page"],
                                                          report["has_more"])})


@blp.route("/reports/capacity-export.<file_format>")
@signed_in
def capacity_export(file_format: str):
    if not _holds(Action.EXPORT_DATA):
        return error_page(Forbidden("Only people with the extended reporting permission export data."))
    try:
        query = EXPORT.load({"format": file_format})
        exported = call("reporting", "export_capacity", actor=g.claims, query=EXPORT.dump(query))
    except ValidationError:
        return error_page(InvalidInput("Exports are CSV or Excel (.xlsx)."))
    except TrackerError as refused:
        return error_page(refused)
    return Response(base64.b64decode(exported["content"]), mimetype=exported["content_type"],
                    headers={"Content-Disposition": f'attachment; filename="{exported["file_name"]}"'})


@blp.route("/bed-state")
@limits.public
def bed_state():
    """Public: no sign-in. The latest vacancies of one area's care homes."""
    asked = _area({})
    asked = {k: v for k, v in asked.items() if k in ("la_code", "sub_icb_code")}
    context = {"areas": _areas(), "area": request.args.get("area", ""), "report": None, "errors": [],
               "messages": {}}
    if not asked:
        return render_template("web/bed_state.html", **context)
    try:
        report = call("reporting", "bed_state", query=BED_STATE.dump(BED_STATE.load(asked)))
    except (ValidationError, InvalidInput) as refused:
        return _refusal("web/bed_state.html", context, refused)
    except TrackerError as refused:
        return error_page(refused)
    report["generated"] = when(report["generated_at"])
    for home in report["locations"]:
        home["updated"] = when(home["last_updated_at"]) or "Never"
    return render_template("web/bed_state.html", **{**context, "report": report})


# -- the ASC collection's compliance ---------------------------------------------------------
COMPLIANCE_REFUSAL = "Only administrators and the commissioners of an area see its collection compliance."
STATUS_NAMES = {"submitted": "Sent", "missed": "Missed", "open": "Due by the 14th", "not_required": "Not required"}
NOTICE_NAMES = {"consecutive": "3 months missed in a row", "in_year": "4 months missed in 12"}
MONTHS_SHOWN = {"3": "3 months", "6": "6 months", "12": "12 months"}


def _compliance_asked() -> dict:
    asked = _area({k: request.args[k].strip() for k in ("to_month", "months", "page")
                   if request.args.get(k, "").strip()})
    if request.args.get("show") == "flagged":
        asked["flagged_only"] = True
    return asked


def _own_areas(areas: dict) -> dict:
    """The areas a commissioner may pick: their own and those within it
    (an ICB's Sub-ICBs, a region's ICBs and theirs); all for administrators."""
    if Scope.ANY in scopes(g.principal, Action.VIEW_COMPLIANCE):
        return areas
    allowed, grown = set(g.principal.aligned_codes), True
    while grown:
        within = {place["code"] for group in areas.values() for place in group if place.get("parent_code") in allowed}
        grown, allowed = bool(within - allowed), allowed | within
    return {group: [place for place in places if place["code"] in allowed] for group, places in areas.items()}


def _compliance_call(asked: dict) -> dict:
    query = COMPLIANCE.load(asked)
    return call("reporting", "collection_compliance", actor=g.claims, query=COMPLIANCE.dump(query))


@blp.route("/reports/collection-compliance")
@signed_in
def compliance_report():
    if not sees_compliance(g.principal):
        return error_page(Forbidden(COMPLIANCE_REFUSAL))
    today = current_app.extensions["tracker"].clock.now().astimezone(LONDON).date()
    asked = _compliance_asked()
    context = {"asked": asked, "months": _months(today)[:MAX_MONTHS], "months_shown": MONTHS_SHOWN,
               "areas": _own_areas(_areas()), "area": request.args.get("area", ""),
               "show": "flagged" if asked.get("flagged_only") else "", "statuses": STATUS_NAMES,
               "notices": NOTICE_NAMES, "report": None, "errors": [], "messages": {},
               "everywhere": None if Scope.ANY in scopes(g.principal, Action.VIEW_COMPLIANCE) else "All of your area"}
    try:
        report = _compliance_call(asked)
    except (ValidationError, InvalidInput) as refused:
        return _refusal("web/report_compliance.html", context, refused)
    except TrackerError as refused:
        return error_page(refused)
    for location in report["locations"]:
        for month in location["months"]:
            month["name"] = _month_name(month["month"])
            month["sent"] = when(month["submitted_at"])
            month["day"] = when(month["submitted_at"]).split(" on ")[-1].rsplit(" ", 1)[0]  # "9 December"
    report["month_names"] = [_month_name(m) for m in report["months"]]
    report["short_names"] = [f"{date.fromisoformat(m + '-01'):%b %Y}" for m in report["months"]]
    report["latest_name"] = _month_name(report["summary"]["latest_month"]) if report["summary"]["latest_month"] \
        else None
    link_args = {k: v for k, v in {**asked, "area": context["area"], "show": context["show"]}.items()
                 if v and k not in AREA_FILTERS and k != "flagged_only"}
    download = "/reports/collection-compliance.csv?" + urlencode({k: v for k, v in link_args.items() if k != "page"})
    return render_template("web/report_compliance.html", **{
        **context, "report": report, "download": download,
        "pages": page_links("/reports/collection-compliance", link_args, report["page"], report["has_more"])})


@blp.route("/reports/collection-compliance.csv")
@signed_in
def compliance_csv():
    """Every location of the report, a line per location and month."""
    if not sees_compliance(g.principal):
        return error_page(Forbidden(COMPLIANCE_REFUSAL))
    asked = {k: v for k, v in _compliance_asked().items() if k != "page"}
    lines, page = [], 1
    try:
        while True:
            report = _compliance_call({**asked, "page": page, "per_page": MAX_ROWS_PER_PAGE})
            for location in report["locations"]:
                for month in location["months"]:
                    lines.append([location["name"], location["location_id"], location["provider_name"] or "",
                                  location["la_name"] or location["la_code"] or "",
                                  location["sub_icb_name"] or location["sub_icb_code"] or "", month["month"],
                                  STATUS_NAMES[month["status"]], when(month["submitted_at"]),
                                  location["missed_in_last_12"], NOTICE_NAMES.get(location["formal_notice"], "")])
            if not report["has_more"] or page * MAX_ROWS_PER_PAGE >= CSV_ROW_LIMIT:
                break
            page += 1
    except (ValidationError, InvalidInput):
        return error_page(InvalidInput("Choose the report on its page first."))
    except TrackerError as refused:
        return error_page(refused)
    headers = ["Location", "CQC location ID", "Provider", "Local Authority", "Sub-ICB", "Month",
               "Within the collection window (8th to 14th)", "First sent in the window", "Months missed in the last 12",
               "Formal notice"]
    name = f"collection-compliance-{report['months'][0]}-{report['to_month']}.csv"
    return Response(csv_bytes(headers, lines), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
