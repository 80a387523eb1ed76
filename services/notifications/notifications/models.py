"""The notifications service's own tables (in its own database)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, LargeBinary, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker_common.db import NAMING_CONVENTION, plumbing_tables
from tracker_common.once import processed_requests_table


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
processed_requests = processed_requests_table(Base.metadata)
TZ = DateTime(timezone=True)


class Template(Base):
    """An email template. Its wording is versioned (`TemplateVersion`); the
    placeholders it may use are fixed by what the system provides (`fields`),
    so an edited template can never ask for a value no sender gives."""

    __tablename__ = "templates"
    id: Mapped[str] = mapped_column(String(50), primary_key=True)  # "user-approved"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    fields: Mapped[list] = mapped_column(JSON)
    secret_fields: Mapped[list] = mapped_column(JSON, default=list)  # never stored nor shown after sending
    version: Mapped[int] = mapped_column(Integer)  # the current version


class TemplateVersion(Base):
    """Every version of a template's subject and body, kept for ever: a
    notification names the version it was sent with."""

    __tablename__ = "template_versions"
    template_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str | None] = mapped_column(String(36))  # None: shipped with the system


class Notification(Base):
    """One email to one recipient, and where it is in its life:
    created -> sending -> delivered, or a failure (see `rules.STATUSES`).

    `next_attempt_at` is when the dispatcher should next look at it (send,
    retry, or ask the provider for its status); None once final. While an
    attempt is in flight it is a lease: a dispatcher that dies mid-send
    leaves it to be retried when the lease ends."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(300), unique=True)
    template_id: Mapped[str] = mapped_column(String(50))
    template_version: Mapped[int] = mapped_column(Integer)
    to: Mapped[str] = mapped_column(String(254), index=True)  # lower-case
    sender: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(TZ)
    sent_at: Mapped[datetime | None] = mapped_column(TZ)  # first handed to a provider
    completed_at: Mapped[datetime | None] = mapped_column(TZ)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TZ)
    provider: Mapped[str | None] = mapped_column(String(10))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    failure: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)  # as rendered with the shown personalisation
    # The personalisation, encrypted, until the email is out (then dropped);
    # what can be shown is kept with the secrets masked.
    personalisation_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    personalisation_shown: Mapped[dict] = mapped_column(JSON)


Index("ix_notifications_due", Notification.next_attempt_at, postgresql_where=text("next_attempt_at IS NOT NULL"))
Index("ix_notifications_sender_sent", Notification.sender, Notification.sent_at)
Index("ix_notifications_created", Notification.created_at)


class DeliveryAttempt(Base):
    """What happened at each attempt to deliver a notification."""

    __tablename__ = "delivery_attempts"
    notification_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)


class EmailJob(Base):
    """An event that asks for emails whose recipients must first be looked
    up (identity knows who may act for a location or a commissioner). Kept
    here with the event's id until the emails are made, so that nothing is
    lost while identity is away: retried with back-off, then `failed`."""

    __tablename__ = "email_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the event's id
    event_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict] = mapped_column(JSON)  # emptied once done
    status: Mapped[str] = mapped_column(String(10))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TZ)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    done_at: Mapped[datetime | None] = mapped_column(TZ)


Index("ix_email_jobs_due", EmailJob.next_attempt_at, postgresql_where=text("status = 'pending'"))


class Location(Base):
    """What notifications needs of a location, from the providers service's
    snapshots (applied only when newer)."""

    __tablename__ = "locations"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(20))
    la_code: Mapped[str | None] = mapped_column(String(9))
    sub_icb_code: Mapped[str | None] = mapped_column(String(9))
    active: Mapped[bool] = mapped_column(Boolean)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    manager_name: Mapped[str | None] = mapped_column(String(200))
    manager_email: Mapped[str | None] = mapped_column(String(254))


class ReminderSent(Base):
    """A location reminded that its capacity is stale, once per level (24 or
    48 hours) of each stale spell (`since`: its last return, or "never")."""

    __tablename__ = "reminders_sent"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    since: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ)


class ScheduledRun(Base):
    """A scheduled send done for a period (the monthly refresh of 2026-11)."""

    __tablename__ = "scheduled_runs"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ)
    emails: Mapped[int] = mapped_column(Integer)
