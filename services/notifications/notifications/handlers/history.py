"""What was sent, to whom, and what became of it: for administrators.
Secrets are shown as "(hidden)": they are not kept once an email is out."""
from __future__ import annotations

from datetime import timedelta

from tracker_common.contracts.errors import NotFound

from .. import repository
from ..models import Notification
from ..personalisation import MissingPersonalisation, render_text


def _iso(value):
    return value.isoformat() if value else None


def notification_view(session, notification: Notification, *, with_body: bool = False) -> dict:
    view = {
        "id": notification.id, "reference": notification.reference, "to": notification.to,
        "template": {"id": notification.template_id, "version": notification.template_version},
        "sender": notification.sender, "status": notification.status, "subject": notification.subject,
        "created_at": _iso(notification.created_at), "sent_at": _iso(notification.sent_at),
        "completed_at": _iso(notification.completed_at), "attempts": notification.attempts,
        "provider": notification.provider, "failure": notification.failure,
    }
    if with_body:
        version = repository.template_version(session, notification.template_id, notification.template_version)
        try:
            view["body"] = render_text(version.body, notification.personalisation_shown)
        except MissingPersonalisation:  # written before a value was known to be empty
            view["body"] = None
        view["personalisation"] = notification.personalisation_shown
        view["history"] = [{"attempt": a.attempt, "at": _iso(a.at), "outcome": a.outcome, "detail": a.detail}
                           for a in repository.delivery_attempts(session, notification.id)]
    return view


def get_notification(uow, notification_id: str) -> dict:
    notification = repository.notification(uow.session, notification_id)
    if notification is None:
        raise NotFound("No such notification.")
    return notification_view(uow.session, notification, with_body=True)


def find_notifications(uow, query: dict) -> dict:
    """Newest first, filtered by recipient, reference, status or template."""
    page, per_page = query["page"], query["per_page"]
    total, rows = repository.notifications_page(
        uow.session, to=query["to"].strip().lower() if query["to"] else None, reference=query["reference"],
        status=query["status"], template_id=query["template"], page=page, per_page=per_page)
    return {"notifications": [notification_view(uow.session, n) for n in rows], "total": total,
            "page": page, "per_page": per_page}


def forget_old(uow, older_than: timedelta) -> int:
    """Forget emails finished longer ago than the retention period (and
    their attempts): the history is for following up, not an archive."""
    return repository.delete_notifications_completed_before(uow.session, uow.now() - older_than)
