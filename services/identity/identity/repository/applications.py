"""Applications for an account or for access to further locations."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Application


def add_application(session: Session, application: Application) -> None:
    session.add(application)


def get_application(session: Session, application_id: str, *, for_update: bool = False) -> Application | None:
    query = select(Application).where(Application.id == application_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def pending_applications(session: Session, *, organisation_id: str | None,
                             aligned_codes: set[str] | None) -> list[Application]:
    """Pending applications of an organisation and/or aligned to some codes;
    both None means all of them (administrators)."""
    query = select(Application).where(Application.status == "pending")
    conditions = []
    if organisation_id is not None:
        conditions.append(Application.organisation_id == organisation_id)
    if aligned_codes:
        conditions += [Application.la_code.in_(aligned_codes), Application.sub_icb_code.in_(aligned_codes)]
    if organisation_id is not None or aligned_codes is not None:
        query = query.where(or_(*conditions)) if conditions else query.where(False)
    return list(session.scalars(query.order_by(Application.submitted_at)))
