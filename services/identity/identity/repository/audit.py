"""The audit of access-control changes and the audit of sign-ins."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import AuditEntry, SignIn


def add_audit_entry(session: Session, entry: AuditEntry) -> None:
    session.add(entry)


def audit_entries(session: Session, subject_user_id: str | None, limit: int, *, actor_id: str | None = None,
                      action: str | None = None, since: datetime | None = None, until: datetime | None = None,
                      offset: int = 0) -> list[AuditEntry]:
    """Access-control changes, newest first: about one user, by one actor,
    of one action, in a time range, when given."""
    query = select(AuditEntry)
    if subject_user_id:
        query = query.where(AuditEntry.subject_user_id == subject_user_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)))


def add_sign_in(session: Session, sign_in: SignIn) -> None:
    session.add(sign_in)


def sign_ins(session: Session, *, user_id: str | None, outcome: str | None, client_address: str | None,
                 limit: int, since: datetime | None = None, until: datetime | None = None,
                 offset: int = 0) -> list[SignIn]:
    """The latest sign-ins (of one user, with one outcome, from one address,
    in a time range when given), newest first."""
    query = select(SignIn)
    if user_id is not None:
        query = query.where(SignIn.user_id == user_id)
    if outcome is not None:
        query = query.where(SignIn.outcome == outcome)
    if client_address is not None:
        query = query.where(SignIn.client_address == client_address)
    if since:
        query = query.where(SignIn.at >= since)
    if until:
        query = query.where(SignIn.at < until)
    return list(session.scalars(query.order_by(SignIn.at.desc(), SignIn.id.desc()).offset(offset).limit(limit)))


def delete_sign_ins_before(session: Session, before: datetime) -> int:
    return session.execute(delete(SignIn).where(SignIn.at < before)).rowcount
