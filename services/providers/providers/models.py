"""The providers service's own tables (in its own database)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, String, Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracker_common.db import NAMING_CONVENTION, plumbing_tables
from tracker_common.once import processed_requests_table


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
processed_requests = processed_requests_table(Base.metadata)
TZ = DateTime(timezone=True)


# -- geography ---------------------------------------------------------------------
class NhsRegion(Base):
    __tablename__ = "nhs_regions"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Icb(Base):
    __tablename__ = "icbs"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    ods_code: Mapped[str | None] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(160))
    nhs_region_code: Mapped[str] = mapped_column(ForeignKey("nhs_regions.code"))


class SubIcb(Base):
    __tablename__ = "sub_icbs"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    ods_code: Mapped[str | None] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(160))
    icb_code: Mapped[str] = mapped_column(ForeignKey("icbs.code"))


class LocalAuthority(Base):
    """An authority with adult social care responsibility (upper tier)."""

    __tablename__ = "local_authorities"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    ons_region_code: Mapped[str | None] = mapped_column(String(9))
    ons_region_name: Mapped[str | None] = mapped_column(String(60))


class Postcode(Base):
    """One live postcode of the ONS directory, aligned to the geography."""

    __tablename__ = "postcodes"
    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)  # normalised "S70 1AA"
    outcode: Mapped[str] = mapped_column(String(4), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    la_code: Mapped[str | None] = mapped_column(String(9))
    sub_icb_code: Mapped[str | None] = mapped_column(String(9))
    icb_code: Mapped[str | None] = mapped_column(String(9))
    nhs_region_code: Mapped[str | None] = mapped_column(String(9))


class Outcode(Base):
    """A postcode district: the centroid of its postcodes, the fallback for a
    full postcode the directory does not know."""

    __tablename__ = "outcodes"
    outcode: Mapped[str] = mapped_column(String(4), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    postcodes: Mapped[int] = mapped_column(Integer)


class ImportRun(Base):
    """One run of an importer (postcode directory, CQC directory): what it read,
    loaded and rejected, and when."""

    __tablename__ = "import_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # postcodes | cqc
    source: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12))  # running | applied | refused
    started_at: Mapped[datetime] = mapped_column(TZ)
    finished_at: Mapped[datetime | None] = mapped_column(TZ)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


# -- providers and locations ----------------------------------------------------------
class Provider(Base):
    """The registered provider (CQC provider id) that owns locations, and its brand."""

    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    brand_id: Mapped[str | None] = mapped_column(String(20), index=True)
    brand_name: Mapped[str | None] = mapped_column(String(300))
    ownership_type: Mapped[str | None] = mapped_column(String(60))
    email_domains: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # CQC location id
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    # Never loaded; it tells the unit of work to insert providers before the
    # locations that reference them when a bulk import flushes many at once.
    provider: Mapped[Provider] = relationship(lazy="raise")
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(TZ)

    # Address and alignment (the postcode decides LA / Sub-ICB / ICB / region).
    name: Mapped[str] = mapped_column(String(300))
    street_address: Mapped[str] = mapped_column(String(300))
    address_line_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    county: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str] = mapped_column(String(8), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    geocoded_by: Mapped[str | None] = mapped_column(String(12))  # postcode | outcode | cqc
    la_code: Mapped[str | None] = mapped_column(String(9), index=True)
    sub_icb_code: Mapped[str | None] = mapped_column(String(9), index=True)
    icb_code: Mapped[str | None] = mapped_column(String(9))
    nhs_region_code: Mapped[str | None] = mapped_column(String(9))
    telephone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))

    # Owned by CQC: overwritten by every import, read-only for users.
    registered_beds: Mapped[int | None] = mapped_column(Integer)
    overall_rating: Mapped[str | None] = mapped_column(String(30))
    rating_published: Mapped[date | None] = mapped_column(Date)
    regulated_activities: Mapped[list] = mapped_column(JSON, default=list)
    service_types: Mapped[list] = mapped_column(JSON, default=list)
    service_user_bands: Mapped[list] = mapped_column(JSON, default=list)
    specialisms: Mapped[list] = mapped_column(JSON, default=list)
    dormant: Mapped[bool] = mapped_column(Boolean, default=False)
    cqc_refreshed_at: Mapped[datetime | None] = mapped_column(TZ)
    # rules.cqc_hash of the CQC-owned fields above as the import last set or
    # found them: a row whose hash matches the directory's is unchanged and
    # is not loaded. None (rows from before it existed) means "compare in
    # full"; anything but the import that changes a CQC-owned field must set
    # it to None.
    cqc_hash: Mapped[str | None] = mapped_column(String(32))

    # Owned by the location's users: never touched by an import.
    care_types: Mapped[list] = mapped_column(JSON, default=list)
    funding_sources: Mapped[list] = mapped_column(JSON, default=list)
    out_of_hours_admissions: Mapped[bool | None] = mapped_column(Boolean)
    manager: Mapped[dict] = mapped_column(JSON, default=dict)  # name, email, phone, nhsmail
    rooms: Mapped[dict] = mapped_column(JSON, default=dict)  # en_suite, equipment, accessibility
    short_stay_services: Mapped[list | None] = mapped_column(JSON)  # None: not set; []: "not provided"
    long_term_vacancy_types: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["English"])
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    updated_by: Mapped[str | None] = mapped_column(String(36))


class LocationNote(Base):
    __tablename__ = "location_notes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    deleted_at: Mapped[datetime | None] = mapped_column(TZ)


class LocationContact(Base):
    __tablename__ = "location_contacts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    role: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))


class Contract(Base):
    """A location's contract with a Local Authority or Sub-ICB: counts in
    search only once the commissioner approved it."""

    __tablename__ = "contracts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    commissioner_kind: Mapped[str] = mapped_column(String(20))  # local_authority | sub_icb
    commissioner_code: Mapped[str] = mapped_column(String(9), index=True)
    status: Mapped[str] = mapped_column(String(12))  # requested | approved | declined | withdrawn
    requested_by: Mapped[str | None] = mapped_column(String(36))
    requested_at: Mapped[datetime] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    reason: Mapped[str | None] = mapped_column(Text)


class LocationChange(Base):
    """The audit of every change to a location: who, when, what changed."""

    __tablename__ = "location_changes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(TZ)
    actor_id: Mapped[str | None] = mapped_column(String(36))  # None: the CQC import
    actor_generic: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> [before, after]


Index("ix_locations_active_kind", Location.active, Location.kind)
