"""People: their accounts, the locations granted to them one by one, who
reviews applications and whom identity emails."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker_common.contracts.permissions import Role

from ..models import Location, Organisation, User, UserLocation


def add_user(session: Session, user: User) -> None:
    """Add a new account and write it at once (its locations, history and
    applications refer to it)."""
    session.add(user)
    session.flush()


def get_user_by_email(session: Session, email: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.email == email.strip().lower())
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def get_user(session: Session, user_id: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def users_of_organisation(session: Session, organisation_id: str) -> list[User]:
    return list(session.scalars(
        select(User).where(User.organisation_id == organisation_id).order_by(User.name)))


def last_logins(session: Session, organisation_id: str, signed_in_before: datetime | None, page: int,
                    per_page: int) -> tuple[int, list[User]]:
    """The people of an organisation (API users aside), never signed in first,
    then the longest ago; only those not signed in since `signed_in_before`
    when given. Returns (how many in all, this page)."""
    conditions = [User.organisation_id == organisation_id, User.api_user.is_(False)]
    if signed_in_before is not None:
        conditions.append(or_(User.last_login_at.is_(None), User.last_login_at < signed_in_before))
    total = session.scalar(select(func.count()).select_from(User).where(*conditions))
    users = session.scalars(select(User).where(*conditions)
                            .order_by(User.last_login_at.asc().nulls_first(), User.name, User.id)
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return total, list(users)


def user_location_ids(session: Session, user_id: str) -> list[str]:
    return list(session.scalars(
        select(UserLocation.location_id).where(UserLocation.user_id == user_id)
        .order_by(UserLocation.location_id)))


def add_user_locations(session: Session, user_id: str, location_ids) -> None:
    existing = set(user_location_ids(session, user_id))
    for location_id in sorted(set(location_ids) - existing):
        session.add(UserLocation(user_id=user_id, location_id=location_id))


def active_approvers(session: Session, organisation_id: str, location_id: str | None) -> list[User]:
    approvers = session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.status == "active",
                           User.level == "approver", User.generic.is_(False),
                           User.api_user.is_(False)).order_by(User.created_at)).all()
    if location_id is None:
        return [u for u in approvers if u.all_locations]
    return [u for u in approvers
            if u.all_locations or location_id in user_location_ids(session, u.id)]


def active_system_champions(session: Session, codes: set[str]) -> list[User]:
    if not codes:
        return []
    champion_orgs = select(Organisation.id).where(Organisation.ons_code.in_(codes))
    users = session.scalars(
        select(User).where(User.organisation_id.in_(champion_orgs), User.status == "active",
                           User.generic.is_(False)).order_by(User.created_at)).all()
    return [u for u in users if Role.SYSTEM_CHAMPION.value in (u.granted_roles or [])]


def active_admins(session: Session) -> list[User]:
    return list(session.scalars(
        select(User).where(User.admin.is_(True), User.status == "active").order_by(User.created_at)))


# Whom identity emails: active people (API users have no one reading their inbox).
_CONTACTABLE = (User.status == "active", User.api_user.is_(False))


def contactable_users(session: Session, user_ids) -> list[User]:
    return list(session.scalars(select(User).where(User.id.in_(list(user_ids)), *_CONTACTABLE)))


def contactable_users_with_all_locations(session: Session, organisation_ids) -> list[User]:
    """The users who can act for every location of these organisations."""
    return list(session.scalars(
        select(User).where(User.organisation_id.in_(list(organisation_ids)), User.all_locations.is_(True),
                           *_CONTACTABLE)))


def contactable_users_granted(session: Session, location_ids) -> list[tuple[User, str]]:
    """(user, location id) for each of these locations granted to a user one
    by one (locations identity does not know are left out)."""
    return [(user, location_id) for user, location_id in session.execute(
        select(User, UserLocation.location_id).join(UserLocation, UserLocation.user_id == User.id)
        .join(Location, Location.id == UserLocation.location_id)
        .where(UserLocation.location_id.in_(list(location_ids)), *_CONTACTABLE))]


def users_with_granted_permissions(session: Session) -> list[tuple[User, Organisation | None]]:
    """Everyone holding a permission an administrator granted, with their
    organisation (None if identity does not know it), by organisation then name."""
    return [tuple(row) for row in session.execute(
        select(User, Organisation).outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(func.json_array_length(User.granted_roles) > 0)
        .order_by(User.organisation_id, User.name, User.id))]


def emails_of_users(session: Session, user_ids) -> dict[str, str]:
    """Email address by user id, for the ids given that exist."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
