"""The reporting service's read model (in its own database), built only from
providers' and capacity events and rebuilt from their snapshots."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Index, Integer, MetaData, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker_common.db import NAMING_CONVENTION, plumbing_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
TZ = DateTime(timezone=True)


class ReportLocation(Base):
    """A location as reports see it: where it sits in the geography (from its
    latest profile) and its latest capacity return (each applied only when
    newer). A return may arrive before the profile: the row is then keyed
    only, and the return's own alignment stands in until the profile comes."""

    __tablename__ = "report_locations"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    location_version: Mapped[int] = mapped_column(Integer, server_default="0")
    name: Mapped[str | None] = mapped_column(String(300))
    provider_id: Mapped[str | None] = mapped_column(String(20), index=True)
    provider_name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(8))
    la_code: Mapped[str | None] = mapped_column(String(9), index=True)
    sub_icb_code: Mapped[str | None] = mapped_column(String(9), index=True)
    icb_code: Mapped[str | None] = mapped_column(String(9))
    nhs_region_code: Mapped[str | None] = mapped_column(String(9))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    return_sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    last_updated_at: Mapped[datetime | None] = mapped_column(TZ)
    # [{vacancy_type, maximum_capacity, occupied, vacant, vacant_accepting, flexible}]
    vacancies: Mapped[list] = mapped_column(JSONB, server_default="[]")
    admission_status: Mapped[str | None] = mapped_column(String(20))
    # When the location first appeared: the read model first heard of it, and
    # its earliest return (months before do not count in the ASC collection).
    first_seen_at: Mapped[datetime] = mapped_column(TZ, server_default=func.now())
    first_return_at: Mapped[datetime | None] = mapped_column(TZ)
    # Index ix_report_locations_name_order (migration 0004): the order reports
    # show locations in (repository.reports.LOCATION_ORDER).


class MonthlyPosition(Base):
    """A location's position in a calendar month (UK time): its last return
    submitted that month (its figures in MonthlyVacancy), so a month is
    never counted twice for a location that updated daily."""

    __tablename__ = "monthly_positions"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first of the month
    sequence: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(TZ)


class MonthlyVacancy(Base):
    """The figures of a month's position, a row per vacancy type: what
    utilisation adds up (plain columns, read without unpacking JSON)."""

    __tablename__ = "monthly_vacancies"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    vacancy_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    maximum_capacity: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    vacant: Mapped[int] = mapped_column(Integer)


Index("ix_monthly_vacancies_month", MonthlyVacancy.month)

NEVER = date(1, 1, 1)  # MonthlyRollup.previous_month of a location's first month


class MonthlyRollup(Base):
    """The month's figures added up by area, kept with every change to the
    monthly figures (or to where a location is): for each area of each kind
    (England, NHS region, ICB, Sub-ICB, Local Authority: a location's areas
    as held in report_locations, '' where not known) and each vacancy type
    ('' for all types together), capacity, beds used and spare, and how many
    locations reported.

    `previous_month` splits those figures by the month in which each of the
    locations last reported before (that type; any type for ''), NEVER if
    none: over a range of months from F, a location counts once, in the row
    of its first month in the range, the one whose previous month is before
    F. So totals over several months count each location once, added up."""

    __tablename__ = "monthly_rollup"
    area_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    vacancy_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    previous_month: Mapped[date] = mapped_column(Date, primary_key=True)
    maximum_capacity: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    vacant: Mapped[int] = mapped_column(Integer)
    locations: Mapped[int] = mapped_column(Integer)


class CollectionReturn(Base):
    """A month in whose ASC collection window (the 8th to the 14th, UK time)
    a location sent at least one return: the first and last it sent there."""

    __tablename__ = "collection_returns"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    first_at: Mapped[datetime] = mapped_column(TZ)
    last_at: Mapped[datetime] = mapped_column(TZ)


Index("ix_collection_returns_month", CollectionReturn.month)


class Area(Base):
    """A place in England's geography and its name: NHS regions, ICBs,
    Sub-ICBs (each with its parent) and Local Authorities."""

    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # nhs_region | icb | sub_icb | local_authority
    name: Mapped[str] = mapped_column(String(160))
    parent_code: Mapped[str | None] = mapped_column(String(9))
    version: Mapped[int] = mapped_column(BigInteger)
