"""Passwords: the history of those chosen, expiry reminders sent,
forgotten-password links, and the Terms of Use accepted at sign-in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import PasswordHistory, PasswordReminder, PasswordResetLink, TermsVersion, User


def add_password_history(session: Session, user_id: str, password_hash: str, at: datetime) -> None:
    session.add(PasswordHistory(user_id=user_id, password_hash=password_hash, created_at=at))


def recent_password_hashes(session: Session, user_id: str, limit: int) -> list[str]:
    return list(session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(limit)))


def users_with_password_changed_between(session: Session, start: datetime, end: datetime) -> list[User]:
    return list(session.scalars(
        select(User).where(User.status == "active", User.api_user.is_(False),
                           User.password_changed_at > start, User.password_changed_at <= end)))


def reminders_sent(session: Session, user_id: str, password_changed_at: datetime) -> set[int]:
    """The reminders (days before expiry) already sent about this password."""
    return set(session.scalars(select(PasswordReminder.days).where(
        PasswordReminder.user_id == user_id, PasswordReminder.password_changed_at == password_changed_at)))


def add_reminder_sent(session: Session, user_id: str, password_changed_at: datetime, days: int,
                          sent_at: datetime) -> None:
    session.add(PasswordReminder(user_id=user_id, password_changed_at=password_changed_at, days=days,
                                 sent_at=sent_at))


def current_terms(session: Session) -> TermsVersion | None:
    return session.scalars(select(TermsVersion).order_by(TermsVersion.version.desc()).limit(1)).first()


def next_terms_version(session: Session) -> int:
    return (session.scalar(select(func.max(TermsVersion.version))) or 0) + 1


def add_terms(session: Session, terms: TermsVersion) -> None:
    session.add(terms)


def add_password_reset_link(session: Session, link: PasswordResetLink) -> None:
    session.add(link)


def password_reset_link_by_hash(session: Session, token_hash: str) -> PasswordResetLink | None:
    return session.scalars(select(PasswordResetLink).where(PasswordResetLink.token_hash == token_hash)
                           .with_for_update()).first()


def open_password_reset_links(session: Session, user_id: str) -> list[PasswordResetLink]:
    return list(session.scalars(select(PasswordResetLink).where(
        PasswordResetLink.user_id == user_id, PasswordResetLink.used_at.is_(None))))


def delete_password_reset_links_expired_before(session: Session, before: datetime) -> int:
    return session.execute(delete(PasswordResetLink).where(PasswordResetLink.expires_at < before)).rowcount
