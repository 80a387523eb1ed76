"""The capacity service's own tables (in its own database)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, DateTime, Index, Integer, LargeBinary, MetaData, String,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker_common.db import NAMING_CONVENTION, plumbing_tables
from tracker_common.once import processed_requests_table


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
processed_requests = processed_requests_table(Base.metadata)
TZ = DateTime(timezone=True)


class KnownLocation(Base):
    """What capacity knows of a location, from the providers service's
    snapshots (applied only when newer). The rules take the part they need
    as `capacity.rules.LocationFacts`."""

    __tablename__ = "location_facts"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(8))
    la_code: Mapped[str | None] = mapped_column(String(9))
    sub_icb_code: Mapped[str | None] = mapped_column(String(9))
    active: Mapped[bool] = mapped_column(Boolean)
    registered_beds: Mapped[int | None] = mapped_column(Integer)
    long_term_vacancy_types: Mapped[list] = mapped_column(JSON, default=list)
    short_stay_services: Mapped[list] = mapped_column(JSON, default=list)
    out_of_hours_admissions: Mapped[bool | None] = mapped_column(Boolean)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class CapacityReturn(Base):
    """One capacity return, kept for ever (append-only): the current return of
    a location is its highest sequence."""

    __tablename__ = "capacity_returns"
    __table_args__ = (UniqueConstraint("location_id", "sequence"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(TZ)
    submitted_by: Mapped[str | None] = mapped_column(String(36))
    submitted_by_generic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10))  # form | bulk
    still_true: Mapped[bool] = mapped_column(Boolean)  # the same figures as the previous return
    figures: Mapped[dict] = mapped_column(JSON)  # the normalised return (rules.check_capacity_return)


Index("ix_capacity_returns_location_time", CapacityReturn.location_id, CapacityReturn.submitted_at)


class LatestReturn(Base):
    """The newest return of each location (kept with every submission), for
    staleness and current figures without scanning the history."""

    __tablename__ = "latest_returns"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    return_id: Mapped[str] = mapped_column(String(36))
    submitted_at: Mapped[datetime] = mapped_column(TZ, index=True)


class OtherReturn(Base):
    """Workforce, visiting and home care returns (append-only)."""

    __tablename__ = "other_returns"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # workforce | visiting | home_care
    location_id: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(TZ)
    submitted_by: Mapped[str | None] = mapped_column(String(36))
    submitted_by_generic: Mapped[bool] = mapped_column(Boolean, default=False)
    figures: Mapped[dict] = mapped_column(JSON)


Index("ix_other_returns_location_kind_time", OtherReturn.location_id, OtherReturn.kind, OtherReturn.submitted_at)


class BulkUpload(Base):
    """A spreadsheet uploaded for a bulk update, processed in the background."""

    __tablename__ = "bulk_uploads"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    uploaded_by: Mapped[str] = mapped_column(String(36), index=True)
    uploaded_by_generic: Mapped[bool] = mapped_column(Boolean, default=False)
    claims: Mapped[dict] = mapped_column(JSON)  # who uploaded, as the worker must check it
    uploaded_at: Mapped[datetime] = mapped_column(TZ)
    file_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped once processed
    status: Mapped[str] = mapped_column(String(12))  # received | processed | refused
    processed_at: Mapped[datetime | None] = mapped_column(TZ)
    results: Mapped[dict] = mapped_column(JSON, default=dict)
