"""The dispatcher: claims the notifications that are due, hands them to the
delivery provider, and records what happened.

Claiming marks a notification `sending` with a lease and commits before
anything is sent, so several instances never send the same one; an instance
that dies mid-send leaves the lease to run out, and the email is retried
(at least once, never lost). The provider is called outside any
transaction."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventlet.greenpool import GreenPool
from .. import repository, rules
from ..delivery import Accepted, DeliveryFailure, Email
from ..models import DeliveryAttempt, Notification
from ..personalisation import render_html, render_subject, render_text


@dataclass(frozen=True)
class DispatchSettings:
    batch: int = 50
    concurrency: int = 8  # emails handed to the provider at once
    rate_limit_per_minute: int = 3000  # per sender, as GOV.UK Notify's default
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    lease_seconds: float = 300.0
    poll_seconds: float = 10.0
    give_up_after: timedelta = timedelta(hours=72)


@dataclass(frozen=True)
class Claimed:
    notification_id: str
    attempt: int
    email: Email | None  # None: only its status is to be asked (`provider_id`)
    provider_id: str | None = None


def claim(uow, sealer, settings: DispatchSettings) -> list[Claimed]:
    """Take the due notifications (oldest first) that the senders' rate
    limits allow, and the ones whose status must be asked of the provider."""
    session, now = uow.session, uow.now()
    recent = repository.sent_per_sender_since(session, now - timedelta(minutes=1))
    exhausted = [s for s, n in recent.items() if n >= settings.rate_limit_per_minute]
    due = repository.claim_due_notifications(session, now, exhausted_senders=exhausted, limit=settings.batch)
    polls = [n for n in due if n.provider_id is not None]
    to_send = [n for n in due if n.provider_id is None]
    to_send = rules.within_budgets(to_send, rules.budgets(settings.rate_limit_per_minute, recent,
                                                          {n.sender for n in to_send}))
    claimed = []
    for notification in polls:
        notification.next_attempt_at = now + timedelta(seconds=settings.lease_seconds)
        claimed.append(Claimed(notification.id, notification.attempts, None, notification.provider_id))
    for notification in to_send:
        notification.status = rules.SENDING
        notification.attempts += 1
        notification.sent_at = notification.sent_at or now
        notification.next_attempt_at = now + timedelta(seconds=settings.lease_seconds)
        try:
            email = _email(session, sealer, notification)
        except Exception as exc:  # a broken template or key: nothing any retry could mend
            _finish(session, notification, rules.Outcome(rules.TECHNICAL_FAILURE, None, f"could not render: {exc!r}"),
                    now)
            continue
        claimed.append(Claimed(notification.id, notification.attempts, email))
    return claimed


def _email(session, sealer, notification: Notification) -> Email:
    version = repository.template_version(session, notification.template_id, notification.template_version)
    values = json.loads(sealer.decrypt(notification.personalisation_sealed))
    return Email(notification_id=notification.id, to=notification.to,
                 subject=render_subject(version.subject, values), text=render_text(version.body, values),
                 html=render_html(version.body, values), template_id=notification.template_id,
                 personalisation=values, reference=notification.reference)


def deliver(provider, claimed: Claimed) -> Accepted | DeliveryFailure | str:
    """Hand one email to the provider (or ask it the status of one):
    what came back, never raised."""
    try:
        if claimed.email is None:
            return provider.status(claimed.provider_id)
        return provider.send(claimed.email)
    except DeliveryFailure as failure:
        return failure


def record(uow, claimed: Claimed, result, settings: DispatchSettings) -> str:
    """Record what an attempt (or a status check) gave; returns the status."""
    session, now = uow.session, uow.now()
    notification = repository.notification(session, claimed.notification_id, for_update=True)
    if notification.status in rules.FINAL:
        return notification.status
    if claimed.email is None:
        return _record_status_check(session, notification, result, now, settings)
    if isinstance(result, Accepted):
        notification.provider, notification.provider_id = result.provider, result.provider_id
        notification.personalisation_sealed = None  # the provider has it now
        outcome = rules.after_acceptance(result.delivered, now=now, poll_seconds=settings.poll_seconds)
        detail = None
    else:
        outcome = rules.after_failure(result.kind, result.detail, attempts=notification.attempts,
                                      max_attempts=settings.max_attempts, now=now,
                                      base=settings.retry_base_seconds, cap=settings.retry_cap_seconds)
        detail = result.detail
    repository.add_delivery_attempt(session, DeliveryAttempt(
        notification_id=notification.id, attempt=claimed.attempt, at=now,
        outcome=outcome.status if outcome.final or detail is None else "retry", detail=detail))
    _finish(session, notification, outcome, now)
    return notification.status


def _record_status_check(session, notification, result, now, settings) -> str:
    status = result if isinstance(result, str) else None  # None: the provider could not be asked
    outcome = rules.after_status_check(status, sent_at=notification.sent_at, now=now,
                                       give_up_after=settings.give_up_after, poll_seconds=settings.poll_seconds,
                                       failure=notification.failure)
    _finish(session, notification, outcome, now)
    return notification.status


def _finish(session, notification: Notification, outcome: rules.Outcome, now: datetime) -> None:
    notification.status = outcome.status
    notification.next_attempt_at = outcome.next_attempt_at
    notification.failure = outcome.failure
    if outcome.final:
        notification.completed_at = now
        notification.personalisation_sealed = None  # secrets are never kept once it is over


def dispatch_batch(database, sealer, provider, settings: DispatchSettings) -> list[tuple[Claimed, str]]:
    """One pass of the dispatcher: claim a batch (committed before anything
    is sent), deliver it `settings.concurrency` at a time, then record the
    outcomes in one commit. Returns each claimed email with its status."""
    with database.unit_of_work() as uow:
        claimed = claim(uow, sealer, settings)
        uow.commit()
    results = list(GreenPool(settings.concurrency).imap(lambda c: (c, deliver(provider, c)), claimed))
    with database.unit_of_work() as uow:
        statuses = [record(uow, item, result, settings) for item, result in results]
        uow.commit()
    return [(item, status) for (item, _), status in zip(results, statuses)]


def waiting(uow) -> int:
    """How many notifications are due now (a backlog operators watch)."""
    return repository.count_due_notifications(uow.session, uow.now())
