"""Fixtures for the capacity service's tests: its own test database built by
its real migrations, and locations known the way the service learns them
(providers' snapshots)."""
from __future__ import annotations

from pathlib import Path

import pytest

import capacity
from capacity.handlers.readmodel import apply_location_snapshot
from capacity.models import Base, outbox, processed_events
from tracker_common.clock import FrozenClock
from tracker_common.testing import empty_database, migrated_database_url

MIGRATIONS = Path(capacity.__file__).parent / "migrations"
BARNSLEY, SUB_BARNSLEY = "E08000016", "E38000006"


@pytest.fixture(scope="session")
def capacity_database_url():
    return migrated_database_url("capacity", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def capacity_db(capacity_database_url, clock):
    database = empty_database(capacity_database_url, Base.metadata, (outbox, processed_events), clock)
    yield database
    database.dispose()


def location_snapshot(location_id: str = "1-1000000001", *, version: int = 1, provider: str = "1-100000001",
                      **overrides) -> dict:
    snapshot = {
        "location_id": location_id, "version": version, "organisation_id": provider, "name": "Alder House",
        "postcode": "S70 1AA", "la_code": BARNSLEY, "sub_icb_code": SUB_BARNSLEY, "active": True,
        "kind": "care_home", "registered_beds": 40,
        "long_term_vacancy_types": ["dementia_residential", "general_residential"],
        "short_stay_services": ["respite_care"], "out_of_hours_admissions": True, "reminders_enabled": True,
    }
    snapshot.update(overrides)
    return snapshot


@pytest.fixture
def known_location(capacity_db):
    """known_location(location_id, **snapshot fields): capacity learns of a location."""
    def _know(location_id: str = "1-1000000001", **overrides) -> str:
        with capacity_db.unit_of_work() as uow:
            apply_location_snapshot(uow.session, location_snapshot(location_id, **overrides))
            uow.commit()
        return location_id
    return _know


@pytest.fixture(scope="module")
def template() -> bytes:
    """The bulk update template of the spreadsheet tests' locations (spreadsheet_helpers)."""
    from capacity.spreadsheet import build_template

    from .spreadsheet_helpers import GENERATED_AT, LOCATIONS
    return build_template(LOCATIONS, generated_at=GENERATED_AT)


@pytest.fixture
def recorded_events(capacity_db):
    from sqlalchemy import select

    def _events(event_type: str | None = None) -> list[dict]:
        with capacity_db.engine.connect() as connection:
            query = select(outbox.c.message).order_by(outbox.c.seq)
            if event_type:
                query = query.where(outbox.c.event_type == event_type)
            return [row.message for row in connection.execute(query)]
    return _events
