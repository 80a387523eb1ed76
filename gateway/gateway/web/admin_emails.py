"""The emails the system sent, for administrators: the history (by
recipient, reference, status or template, newest first, a page at a time),
one email with its status, every delivery attempt and its text (one-time
passwords and links are never kept once sent: they show as "(hidden)"), and
the templates, whose wording is changed after a preview with sample values
(notifications checks it by the rules of publishing)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from tracker_common.contracts.errors import InvalidInput, TrackerError
from tracker_common.contracts.notifications import STATUSES
from tracker_common.contracts.permissions import Action

from . import blp, by_field, call, error_page, field_errors, page_links, when
from .admin import only_for

PER_PAGE = 50
QUERY_FIELDS = {("to",): ("to", "Sent to"), ("reference",): ("reference", "Reference"),
                ("status",): ("status", "Status"), ("template",): ("template", "Template")}
TEMPLATE_FIELDS = {("subject",): ("subject", "Subject"), ("body",): ("body", "Message")}
STATUS_TAGS = {"delivered": "govuk-tag--green", "sending": "govuk-tag--blue", "created": "govuk-tag--grey",
               "temporary-failure": "govuk-tag--yellow", "permanent-failure": "govuk-tag--red",
               "technical-failure": "govuk-tag--red"}


@blp.app_template_filter("status_tag")
def _status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "govuk-tag--grey")


@blp.route("/admin/emails")
@only_for(Action.VIEW_NOTIFICATIONS)
def emails():
    asked = {key: request.args.get(key, "").strip() for key in ("to", "reference", "status", "template")}
    asked = {key: value for key, value in asked.items() if value}
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 1 <= int(page) <= 10_000 else 1
    errors, found, templates = [], {"notifications": [], "total": 0}, []
    try:
        templates = call("notifications", "list_templates", actor=g.claims)
        found = call("notifications", "find_notifications", actor=g.claims,
                     query={**asked, "page": page, "per_page": PER_PAGE})
    except InvalidInput as refused:
        errors = field_errors(refused, QUERY_FIELDS)
    except TrackerError as refused:
        return error_page(refused)
    for email in found["notifications"]:
        email["created"] = when(email.get("created_at"))
    more = found["total"] > page * PER_PAGE
    return render_template("web/admin_emails.html", asked=asked, found=found, statuses=STATUSES,
                           templates=templates, pages=page_links("/admin/emails", asked, page, more),
                           errors=errors, messages=by_field(errors)), 422 if errors else 200


@blp.route("/admin/emails/<uuid:notification_id>")
@only_for(Action.VIEW_NOTIFICATIONS)
def email(notification_id):
    try:
        shown = call("notifications", "get_notification", actor=g.claims, notification_id=str(notification_id))
    except TrackerError as refused:
        return error_page(refused)
    for moment in ("created_at", "sent_at", "completed_at"):
        shown[moment.replace("_at", "")] = when(shown.get(moment))
    for attempt in shown.get("history") or []:
        attempt["when"] = when(attempt.get("at"))
    return render_template("web/admin_email.html", email=shown)


@blp.route("/admin/templates")
@only_for(Action.VIEW_NOTIFICATIONS)
def email_templates():
    try:
        templates = call("notifications", "list_templates", actor=g.claims)
    except TrackerError as refused:
        return error_page(refused)
    return render_template("web/admin_templates.html", templates=templates)


@blp.route("/admin/templates/<template_id>", methods=["GET", "POST"])
@only_for(Action.VIEW_NOTIFICATIONS)
def email_template(template_id: str):
    """GET: the template and its versions. POST with `preview`: the wording
    as an email would show it; with `publish`: a new version, used from
    the next email on. Refused wording is shown with its errors, nothing saved."""
    errors, preview = [], None
    values = {"subject": request.form.get("subject", "").strip(), "body": request.form.get("body", "").strip()}
    if request.method == "POST":
        errors = [{"id": key, "text": f"Enter the {name.lower()}", "message": f"Enter the {name.lower()}"}
                  for (key,), (_, name) in TEMPLATE_FIELDS.items() if not values[key]]
        if not errors:
            try:
                if request.form.get("action") == "publish":
                    published = call("notifications", "publish_template_version", actor=g.claims,
                                     template_id=template_id, payload=values)
                    flash(f"Version {published['version']} of ‘{published['name']}’ is published: the next "
                          "email uses it.")
                    return redirect(url_for("web.email_template", template_id=template_id))
                preview = call("notifications", "preview_template_version", actor=g.claims,
                               template_id=template_id, payload=values)
                # notifications escaped every value and the template's text: only its tags are markup
                preview["html"] = Markup(preview["html"])
            except InvalidInput as refused:
                errors = field_errors(refused, TEMPLATE_FIELDS)
            except TrackerError as refused:
                return error_page(refused)
    try:
        template = call("notifications", "get_template", actor=g.claims, template_id=template_id)
    except TrackerError as refused:
        return error_page(refused)
    for version in template.get("versions") or []:
        version["created"] = when(version.get("created_at"))
    if request.method == "GET":
        values = {"subject": template["current"]["subject"], "body": template["current"]["body"]}
    return render_template("web/admin_template.html", template=template, values=values, preview=preview,
                           errors=errors, messages=by_field(errors)), 422 if errors else 200
