"""`/api/v1/notifications` endpoints answered by the notifications service:
the emails the system sent (administrators), its templates, and reminders
sent from a report."""
from __future__ import annotations

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE

from tracker_common.contracts import notifications as bodies

from .docs import errors, secured
from .idempotency import idempotent

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Emails: status and history, templates, reminders")


def notifications(method: str, **kwargs):
    return current_app.extensions["tracker"].call("notifications", method, **kwargs)


@blp.route("", methods=["GET"])
@secured(blp)
@blp.arguments(bodies.NotificationQuery, location="query", unknown=RAISE)
@blp.response(200, bodies.NotificationPage)
@errors(blp, 401, 403, 422)
def find_notifications(query):
    """Emails sent, newest first: by recipient (`to`), `reference`, `status` or `template` (administrators)."""
    return notifications("find_notifications", actor=g.claims, query=query)


@blp.route("/<uuid:notification_id>", methods=["GET"])  # not /reminders, /templates
@secured(blp)
@blp.response(200, bodies.NotificationOut)
@errors(blp, 401, 403, 404)
def get_notification(notification_id):
    """One email: its status, every delivery attempt, and its text with secrets hidden (administrators)."""
    return notifications("get_notification", actor=g.claims, notification_id=str(notification_id))


@blp.route("/templates", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.TemplateList)
@errors(blp, 401, 403)
def list_templates():
    """Every email template and its current wording (administrators)."""
    return {"templates": notifications("list_templates", actor=g.claims)}


@blp.route("/templates/<template_id>", methods=["GET"])
@secured(blp)
@blp.response(200, bodies.TemplateOut)
@errors(blp, 401, 403, 404)
def get_template(template_id):
    """A template with all its versions (administrators)."""
    return notifications("get_template", actor=g.claims, template_id=template_id)


@blp.route("/templates/<template_id>", methods=["PUT"])
@secured(blp)
@blp.arguments(bodies.TemplateVersionRequest)
@blp.response(200, bodies.TemplateOut)
@errors(blp, 400, 401, 403, 404, 415, 422)
def publish_template_version(payload, template_id):
    """New wording for a template: a new version, used from the next email
    on. Only the template's own placeholders may be used (administrators)."""
    return notifications("publish_template_version", actor=g.claims, template_id=template_id, payload=payload)


@blp.route("/reminders", methods=["POST"])
@secured(blp)
@idempotent(blp)
@blp.arguments(bodies.ReminderRequest)
@blp.response(202, bodies.RemindersOut)
@errors(blp, 400, 401, 403, 415, 422)
def send_reminders(payload):
    """Ask locations to update their capacity now (the "last modified
    capacity" report's button): their users and manager are emailed."""
    return notifications("send_reminders", actor=g.claims, payload=payload)
