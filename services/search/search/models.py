"""The search service's read model (in its own database), built only from
providers' and capacity events and rebuilt from their snapshots."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, MetaData, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from tracker_common.db import NAMING_CONVENTION, plumbing_tables


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


outbox, processed_events = plumbing_tables(Base.metadata)
TZ = DateTime(timezone=True)
Texts = ARRAY(String)


class Cube(UserDefinedType):
    """PostgreSQL's `cube` (extension): a point on the earth as earthdistance
    places it (x, y, z in metres from the earth's centre)."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "cube"


class SearchLocation(Base):
    """One location as search sees it: the latest profile snapshot and the
    latest capacity return (each applied only when newer), and what is
    derived from the two for filtering (`rules.derive`) and for showing
    (`card`, ready to send)."""

    __tablename__ = "search_locations"
    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    location_version: Mapped[int] = mapped_column(Integer, server_default="0")
    return_sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    profile: Mapped[dict | None] = mapped_column(JSONB)
    capacity_return: Mapped[dict | None] = mapped_column(JSONB)
    # derived
    eligible: Mapped[bool] = mapped_column(Boolean, server_default="false")
    ineligible_reasons: Mapped[list] = mapped_column(Texts, server_default="{}")
    name: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    earth = mapped_column(Cube)  # ll_to_earth(latitude, longitude)
    la_code: Mapped[str | None] = mapped_column(String(9))
    sub_icb_code: Mapped[str | None] = mapped_column(String(9))
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    overall_rating: Mapped[str | None] = mapped_column(String(40))
    out_of_hours: Mapped[bool] = mapped_column(Boolean, server_default="false")
    regulated_activities: Mapped[list] = mapped_column(Texts, server_default="{}")
    specialisms: Mapped[list] = mapped_column(Texts, server_default="{}")
    service_types: Mapped[list] = mapped_column(Texts, server_default="{}")
    languages: Mapped[list] = mapped_column(Texts, server_default="{}")  # lower case
    funding_sources: Mapped[list] = mapped_column(Texts, server_default="{}")
    contract_las: Mapped[list] = mapped_column(Texts, server_default="{}")
    contract_sub_icbs: Mapped[list] = mapped_column(Texts, server_default="{}")
    brand_text: Mapped[str] = mapped_column(String, server_default="")  # brand and provider, lower case
    notes_text: Mapped[str] = mapped_column(String, server_default="")  # notes and room details, lower case
    # [{stay, type, price, available}]: what can be searched for (rules.offers)
    offers: Mapped[list] = mapped_column(JSONB, server_default="[]")
    card: Mapped[dict | None] = mapped_column(JSONB)


# Nearest first among eligible homes: KNN on the earth cube (earthdistance).
Index("ix_search_locations_earth", SearchLocation.earth, postgresql_using="gist", postgresql_where=text("eligible"))
Index("ix_search_locations_la", SearchLocation.la_code, SearchLocation.name, postgresql_where=text("eligible"))
Index("ix_search_locations_sub_icb", SearchLocation.sub_icb_code, SearchLocation.name,
      postgresql_where=text("eligible"))


class SearchPostcode(Base):
    """The providers' postcode directory, as announced: to geocode a search."""

    __tablename__ = "search_postcodes"
    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    la_code: Mapped[str | None] = mapped_column(String(9))
    sub_icb_code: Mapped[str | None] = mapped_column(String(9))
    directory_version: Mapped[int] = mapped_column(BigInteger, index=True)


class SearchOutcode(Base):
    """Postcode district centroids: where a district, or a postcode the
    directory does not know, is taken to be."""

    __tablename__ = "search_outcodes"
    outcode: Mapped[str] = mapped_column(String(4), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    directory_version: Mapped[int] = mapped_column(BigInteger, index=True)


class DirectoryPart(Base):
    """The parts of each announced directory received so far: when all have
    arrived, rows of older directories are removed."""

    __tablename__ = "search_directory_parts"
    directory_version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    parts: Mapped[int] = mapped_column(Integer)
