"""Identity's own tables (in its own database)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, MetaData,
                        String, Text, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker_common.db import NAMING_CONVENTION, plumbing_tables
from tracker_common.once import processed_requests_table


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
processed_requests = processed_requests_table(Base.metadata)
TZ = DateTime(timezone=True)


class Organisation(Base):
    """What identity keeps of an organisation, from providers' events."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    # care_provider, local_authority, sub_icb, icb, nhs_region, nhs_trust, national
    kind: Mapped[str] = mapped_column(String(32))
    email_domains: Mapped[list] = mapped_column(JSON, default=list)
    ons_code: Mapped[str | None] = mapped_column(String(16), index=True)  # an LA's or Sub-ICB's own code
    la_code: Mapped[str | None] = mapped_column(String(16))
    sub_icb_code: Mapped[str | None] = mapped_column(String(16))


class Location(Base):
    """What identity keeps of a location, from providers' events."""

    __tablename__ = "locations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    la_code: Mapped[str | None] = mapped_column(String(16))  # None until the postcode is known
    sub_icb_code: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16))  # standard | approver
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | active | rejected | deactivated
    generic: Mapped[bool] = mapped_column(Boolean, default=False)
    api_user: Mapped[bool] = mapped_column(Boolean, default=False)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_roles: Mapped[list] = mapped_column(JSON, default=list)
    all_locations: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(TZ)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TZ)
    accepted_terms_version: Mapped[int | None] = mapped_column(Integer)
    last_login_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ)
    deactivated_at: Mapped[datetime | None] = mapped_column(TZ)


class UserLocation(Base):
    """Locations granted to a user one by one."""

    __tablename__ = "user_locations"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class PasswordHistory(Base):
    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(TZ)


class PasswordReminder(Base):
    """Expiry reminders already sent, per password (so each goes once)."""

    __tablename__ = "password_reminders"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_changed_at: Mapped[datetime] = mapped_column(TZ, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(TZ)


class Application(Base):
    """A registration, or a request for access to further locations."""

    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # registration | location_access
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    location_ids: Mapped[list] = mapped_column(JSON, default=list)
    la_code: Mapped[str | None] = mapped_column(String(16))
    sub_icb_code: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list] = mapped_column(JSON, default=list)
    routed_to: Mapped[str] = mapped_column(String(20))
    reviewer_ids: Mapped[list] = mapped_column(JSON, default=list)
    reason_given: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | approved | rejected
    submitted_at: Mapped[datetime] = mapped_column(TZ)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class TermsVersion(Base):
    __tablename__ = "terms_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(TZ)
    published_by: Mapped[str | None] = mapped_column(String(36))


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256: keys are long and random
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str | None] = mapped_column(String(36))
    revoked_at: Mapped[datetime | None] = mapped_column(TZ)
    last_used_at: Mapped[datetime | None] = mapped_column(TZ)


class PasswordResetLink(Base):
    """A forgotten-password link: only its hash is kept; good once, for an hour."""

    __tablename__ = "password_reset_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256: the token is long and random
    created_at: Mapped[datetime] = mapped_column(TZ)
    expires_at: Mapped[datetime] = mapped_column(TZ)
    used_at: Mapped[datetime | None] = mapped_column(TZ)


class SignIn(Base):
    """Every attempt to sign in (and every password reset by link): when, the
    outcome, from which address and browser. Kept apart from the audit of
    access-control changes, which it would otherwise drown."""

    __tablename__ = "sign_in_audit"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TZ, index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))  # None: no account has the email given
    outcome: Mapped[str] = mapped_column(String(32))
    client_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


Index("ix_sign_in_audit_user_id_at", SignIn.user_id, SignIn.at)


class AuditEntry(Base):
    """Every access-control change: who, when, what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_generic: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(50))
    subject_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


Index("ix_audit_log_at", AuditEntry.at)


class MfaCredential(Base):
    """A person's authenticator (TOTP): pending until a first code confirms it."""

    __tablename__ = "mfa_credentials"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_sealed: Mapped[str] = mapped_column(Text)  # Fernet, identity's MFA key: never in plain text
    created_at: Mapped[datetime] = mapped_column(TZ)
    confirmed_at: Mapped[datetime | None] = mapped_column(TZ)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)  # a code is good once: later steps only


class RecoveryCode(Base):
    """One-time recovery codes, stored as keyed hashes (HMAC-SHA256)."""

    __tablename__ = "mfa_recovery_codes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZ)
    used_at: Mapped[datetime | None] = mapped_column(TZ)
