"""Data access for identity: one small function per query, no commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from tracker_common.contracts.permissions import Role

from .models import (ApiKey, Application, AuditEntry, Location, Organisation, PasswordHistory,
                     TermsVersion, User, UserLocation)
from .models import PasswordResetLink, SignIn


def dao_get_user_by_email(session: Session, email: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.email == email.strip().lower())
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def dao_get_user(session: Session, user_id: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def dao_users_of_organisation(session: Session, organisation_id: str) -> list[User]:
    return list(session.scalars(
        select(User).where(User.organisation_id == organisation_id).order_by(User.name)))


def dao_last_logins(session: Session, organisation_id: str, signed_in_before: datetime | None, page: int,
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


def dao_user_location_ids(session: Session, user_id: str) -> list[str]:
    return list(session.scalars(
        select(UserLocation.location_id).where(UserLocation.user_id == user_id)
        .order_by(UserLocation.location_id)))


def dao_add_user_locations(session: Session, user_id: str, location_ids) -> None:
    existing = set(dao_user_location_ids(session, user_id))
    for location_id in sorted(set(location_ids) - existing):
        session.add(UserLocation(user_id=user_id, location_id=location_id))


def dao_active_approvers(session: Session, organisation_id: str, location_id: str | None) -> list[User]:
    approvers = session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.status == "active",
                           User.level == "approver", User.generic.is_(False),
                           User.api_user.is_(False)).order_by(User.created_at)).all()
    if location_id is None:
        return [u for u in approvers if u.all_locations]
    return [u for u in approvers
            if u.all_locations or location_id in dao_user_location_ids(session, u.id)]


def dao_active_system_champions(session: Session, codes: set[str]) -> list[User]:
    if not codes:
        return []
    champion_orgs = select(Organisation.id).where(Organisation.ons_code.in_(codes))
    users = session.scalars(
        select(User).where(User.organisation_id.in_(champion_orgs), User.status == "active",
                           User.generic.is_(False)).order_by(User.created_at)).all()
    return [u for u in users if Role.SYSTEM_CHAMPION.value in (u.granted_roles or [])]


def dao_active_admins(session: Session) -> list[User]:
    return list(session.scalars(
        select(User).where(User.admin.is_(True), User.status == "active").order_by(User.created_at)))


def dao_organisations_with_ons_code(session: Session, ons_code: str) -> list[Organisation]:
    return list(session.scalars(
        select(Organisation).where(Organisation.ons_code == ons_code).order_by(Organisation.id)))


# Whom identity emails: active people (API users have no one reading their inbox).
_CONTACTABLE = (User.status == "active", User.api_user.is_(False))


def dao_contactable_users(session: Session, user_ids) -> list[User]:
    return list(session.scalars(select(User).where(User.id.in_(list(user_ids)), *_CONTACTABLE)))


def dao_contactable_users_with_all_locations(session: Session, organisation_ids) -> list[User]:
    """The users who can act for every location of these organisations."""
    return list(session.scalars(
        select(User).where(User.organisation_id.in_(list(organisation_ids)), User.all_locations.is_(True),
                           *_CONTACTABLE)))


def dao_contactable_users_granted(session: Session, location_ids) -> list[tuple[User, str]]:
    """(user, location id) for each of these locations granted to a user one
    by one (locations identity does not know are left out)."""
    return [(user, location_id) for user, location_id in session.execute(
        select(User, UserLocation.location_id).join(UserLocation, UserLocation.user_id == User.id)
        .join(Location, Location.id == UserLocation.location_id)
        .where(UserLocation.location_id.in_(list(location_ids)), *_CONTACTABLE))]


def dao_users_with_granted_permissions(session: Session) -> list[tuple[User, Organisation | None]]:
    """Everyone holding a permission an administrator granted, with their
    organisation (None if identity does not know it), by organisation then name."""
    return [tuple(row) for row in session.execute(
        select(User, Organisation).outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(func.json_array_length(User.granted_roles) > 0)
        .order_by(User.organisation_id, User.name, User.id))]


def dao_get_organisation(session: Session, organisation_id: str) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def dao_get_location(session: Session, location_id: str) -> Location | None:
    return session.get(Location, location_id)


def dao_get_locations(session: Session, location_ids) -> list[Location]:
    return list(session.scalars(select(Location).where(Location.id.in_(list(location_ids)))))


def dao_get_application(session: Session, application_id: str, *, for_update: bool = False) -> Application | None:
    query = select(Application).where(Application.id == application_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def dao_pending_applications(session: Session, *, organisation_id: str | None,
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


def dao_recent_password_hashes(session: Session, user_id: str, limit: int) -> list[str]:
    return list(session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(limit)))


def dao_current_terms(session: Session) -> TermsVersion | None:
    return session.scalars(select(TermsVersion).order_by(TermsVersion.version.desc()).limit(1)).first()


def dao_next_terms_version(session: Session) -> int:
    return (session.scalar(select(func.max(TermsVersion.version))) or 0) + 1


def dao_users_with_password_changed_between(session: Session, start: datetime, end: datetime) -> list[User]:
    return list(session.scalars(
        select(User).where(User.status == "active", User.api_user.is_(False),
                           User.password_changed_at > start, User.password_changed_at <= end)))


def dao_api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def dao_api_keys_of_user(session: Session, user_id: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)))


def dao_audit_entries(session: Session, subject_user_id: str | None, limit: int, *, actor_id: str | None = None,
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


def dao_sign_ins(session: Session, *, user_id: str | None, outcome: str | None, client_address: str | None,
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


def dao_emails_of_users(session: Session, user_ids) -> dict[str, str]:
    """Email address by user id, for the ids given that exist."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def dao_password_reset_link_by_hash(session: Session, token_hash: str) -> PasswordResetLink | None:
    return session.scalars(select(PasswordResetLink).where(PasswordResetLink.token_hash == token_hash)
                           .with_for_update()).first()


def dao_open_password_reset_links(session: Session, user_id: str) -> list[PasswordResetLink]:
    return list(session.scalars(select(PasswordResetLink).where(
        PasswordResetLink.user_id == user_id, PasswordResetLink.used_at.is_(None))))


def dao_delete_sign_ins_before(session: Session, before: datetime) -> int:
    return session.execute(delete(SignIn).where(SignIn.at < before)).rowcount


def dao_delete_password_reset_links_expired_before(session: Session, before: datetime) -> int:
    return session.execute(delete(PasswordResetLink).where(PasswordResetLink.expires_at < before)).rowcount
