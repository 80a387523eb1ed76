"""Data access for notifications: every query the service makes, one small
function each, named for what it does. No commits: the unit of work that
holds the session commits."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from tracker_common.db import apply_newer
from tracker_common.snapshots import start_rebuild

from .models import (DeliveryAttempt, EmailJob, Location, Notification, ReminderSent, ScheduledRun, Template,
                     TemplateVersion)


# -- templates --------------------------------------------------------------------------------
def template(session: Session, template_id: str, *, for_update: bool = False) -> Template | None:
    return session.get(Template, template_id, with_for_update=for_update or None)


def templates(session: Session) -> list[Template]:
    return list(session.scalars(select(Template).order_by(Template.id)))


def template_version(session: Session, template_id: str, version: int) -> TemplateVersion | None:
    return session.get(TemplateVersion, (template_id, version))


def template_versions_newest_first(session: Session, template_id: str) -> list[TemplateVersion]:
    return list(session.scalars(select(TemplateVersion).where(TemplateVersion.template_id == template_id)
                                .order_by(TemplateVersion.version.desc())))


def add_template(session: Session, template: Template, first_version: TemplateVersion) -> None:
    """A new template and its first version (written now)."""
    session.add(template)
    session.add(first_version)
    session.flush()


def add_template_version(session: Session, version: TemplateVersion) -> None:
    session.add(version)
    session.flush()


# -- notifications ----------------------------------------------------------------------------
def notification(session: Session, notification_id: str, *, for_update: bool = False) -> Notification | None:
    return session.get(Notification, notification_id, with_for_update=for_update or None)


def notification_by_reference(session: Session, reference: str) -> Notification | None:
    return session.scalars(select(Notification).where(Notification.reference == reference)).first()


def insert_notification(session: Session, values: dict) -> bool:
    """Insert a notification unless one with the same reference exists
    (written concurrently): False then, and nothing is written."""
    return bool(session.execute(pg_insert(Notification).values(**values)
                                .on_conflict_do_nothing(index_elements=["reference"])).rowcount)


def notifications_page(session: Session, *, to: str | None, reference: str | None, status: str | None,
                       template_id: str | None, page: int, per_page: int) -> tuple[int, list[Notification]]:
    """The notifications matching every filter given (not None), newest
    first: (how many in all, this page)."""
    conditions = []
    if to is not None:
        conditions.append(Notification.to == to)
    if reference is not None:
        conditions.append(Notification.reference == reference)
    if status is not None:
        conditions.append(Notification.status == status)
    if template_id is not None:
        conditions.append(Notification.template_id == template_id)
    total = session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    rows = session.scalars(select(Notification).where(*conditions)
                           .order_by(Notification.created_at.desc(), Notification.id)
                           .offset((page - 1) * per_page).limit(per_page))
    return total, list(rows)


def delete_notifications_completed_before(session: Session, cutoff: datetime) -> int:
    """Forget notifications finished before `cutoff`, and their attempts."""
    old = select(Notification.id).where(Notification.completed_at < cutoff).scalar_subquery()
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.notification_id.in_(old)))
    return session.execute(delete(Notification).where(Notification.completed_at < cutoff)).rowcount


# -- the dispatcher ---------------------------------------------------------------------------
def sent_per_sender_since(session: Session, since: datetime) -> dict[str, int]:
    """How many emails each sender has handed to a provider since `since`."""
    return dict(session.execute(
        select(Notification.sender, func.count()).where(Notification.sent_at >= since)
        .group_by(Notification.sender)).all())


def claim_due_notifications(session: Session, now: datetime, *, exhausted_senders: list[str],
                            limit: int) -> list[Notification]:
    """The notifications due by `now` (oldest first), locked, skipping those
    another instance holds; of senders out of budget, only status checks."""
    return list(session.scalars(
        select(Notification).where(Notification.next_attempt_at <= now)
        .where(or_(Notification.provider_id.is_not(None), Notification.sender.not_in(exhausted_senders)))
        .order_by(Notification.next_attempt_at).limit(limit)
        .with_for_update(skip_locked=True)).all())


def count_due_notifications(session: Session, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.next_attempt_at <= now))


def add_delivery_attempt(session: Session, attempt: DeliveryAttempt) -> None:
    session.add(attempt)


def delivery_attempts(session: Session, notification_id: str) -> list[DeliveryAttempt]:
    return list(session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.notification_id == notification_id)
                                .order_by(DeliveryAttempt.attempt)))


# -- email jobs -------------------------------------------------------------------------------
def add_email_job(session: Session, job: EmailJob) -> None:
    session.add(job)


def due_email_job_ids(session: Session, now: datetime, limit: int) -> list[str]:
    return list(session.scalars(
        select(EmailJob.id).where(EmailJob.status == "pending", EmailJob.next_attempt_at <= now)
        .order_by(EmailJob.next_attempt_at).limit(limit)))


def claim_pending_email_job(session: Session, job_id: str) -> EmailJob | None:
    """The job, locked, while pending and no other instance holds it."""
    return session.scalars(select(EmailJob).where(EmailJob.id == job_id, EmailJob.status == "pending")
                           .with_for_update(skip_locked=True)).first()


def failed_email_jobs(session: Session) -> list[EmailJob]:
    return list(session.scalars(select(EmailJob).where(EmailJob.status == "failed")).all())


def delete_email_jobs_done_before(session: Session, cutoff: datetime) -> int:
    return session.execute(delete(EmailJob).where(EmailJob.status == "done", EmailJob.done_at < cutoff)).rowcount


# -- locations (from providers' snapshots) ----------------------------------------------------
REBUILD_LOCK = 74_203  # one rebuild at a time, whatever the number of instances


def save_locations_if_newer(session: Session, rows: list[dict]) -> int:
    """Insert or update each location's row that is newer than the one held
    (by its version), in one statement; how many were."""
    return apply_newer(session, Location, rows, key="location_id")


def start_locations_rebuild(session: Session, *, only_if_empty: bool) -> bool:
    """Take the rebuild lock; False when only an empty model was to be
    rebuilt and locations are known already."""
    return start_rebuild(session, REBUILD_LOCK, (Location,), reset=False, only_if_empty=only_if_empty)


def location(session: Session, location_id: str) -> Location | None:
    return session.get(Location, location_id)


def location_names(session: Session, location_ids: Iterable[str]) -> dict[str, str]:
    """{location_id: name} of the known ones among `location_ids`."""
    return dict(session.execute(select(Location.location_id, Location.name).where(
        Location.location_id.in_(list(location_ids)))).all())


def location_managers(session: Session, location_ids: Iterable[str]) -> dict[str, dict]:
    """{location_id: {"manager_email", "manager_name"}} of the known ones."""
    rows = session.execute(select(Location.location_id, Location.manager_email, Location.manager_name)
                           .where(Location.location_id.in_(list(location_ids))))
    return {row.location_id: {"manager_email": row.manager_email, "manager_name": row.manager_name} for row in rows}


def active_locations(session: Session) -> list[Location]:
    return list(session.scalars(select(Location).where(Location.active.is_(True)).order_by(Location.location_id)))


# -- reminders --------------------------------------------------------------------------------
def try_schedule_lock(session: Session, schedule: str) -> bool:
    """Whether this instance runs `schedule` now (the others skip it): a
    lock held until the transaction ends."""
    return session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:s))"), {"s": schedule}).scalar()


def reminders_sent(session: Session, location_ids: Iterable[str]) -> set[tuple[str, str, int]]:
    """(location_id, since, level) of the reminders already sent to these locations."""
    return set(session.execute(select(ReminderSent.location_id, ReminderSent.since, ReminderSent.level).where(
        ReminderSent.location_id.in_(list(location_ids)))).tuples())


def record_reminders_sent(session: Session, rows: list[dict]) -> None:
    """Rows of (location_id, since, level, at); one already there stays."""
    session.execute(pg_insert(ReminderSent).values(rows).on_conflict_do_nothing())


def scheduled_run(session: Session, name: str, period: str) -> ScheduledRun | None:
    return session.get(ScheduledRun, (name, period))


def add_scheduled_run(session: Session, run: ScheduledRun) -> None:
    session.add(run)
