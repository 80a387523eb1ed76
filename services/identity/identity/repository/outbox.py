"""The events identity has recorded in its outbox (the demo's seeding reads
the one-time passwords sealed in them, as the person reads the email)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import outbox


def recorded_events(session: Session, event_type: str) -> list[dict]:
    """The messages of this type in the outbox, newest first."""
    return list(session.scalars(select(outbox.c.message).where(
        outbox.c.event_type == event_type).order_by(outbox.c.seq.desc())).all())
