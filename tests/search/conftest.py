"""Fixtures for the search service's tests: its own test database built by
its real migrations, and homes put into the read model the way the service
learns of them (providers' and capacity's snapshots, as on the wire)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import search
from search.handlers.find import locate
from search.places import forget_places
from search.handlers.readmodel import apply_directory_part, apply_location_snapshots, apply_return_snapshots
from search.models import Base, outbox, processed_events
from tracker_common.clock import FrozenClock
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.events import schema_of
from tracker_common.testing import empty_database, empty_subscriptions, migrated_database_url

MIGRATIONS = Path(search.__file__).parent / "migrations"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BARNSLEY, SHEFFIELD = "E08000016", "E08000019"
SUB_BARNSLEY, SUB_SHEFFIELD = "E38000006", "E38000146"

# A small directory (real coordinates of these districts, rounded).
POSTCODES = [
    ["S70 1AA", 53.5526, -1.4797, BARNSLEY, SUB_BARNSLEY],
    ["S70 2BB", 53.5450, -1.4900, BARNSLEY, SUB_BARNSLEY],
    ["S71 1CC", 53.5700, -1.4500, BARNSLEY, SUB_BARNSLEY],
    ["S1 2DD", 53.3811, -1.4701, SHEFFIELD, SUB_SHEFFIELD],
    ["S10 3EE", 53.3790, -1.5100, SHEFFIELD, SUB_SHEFFIELD],
]
OUTCODES = [["S70", 53.5490, -1.4850], ["S71", 53.5700, -1.4500], ["S1", 53.3811, -1.4701],
            ["S10", 53.3790, -1.5100]]


def profile(location_id: str, *, version: int = 1, name: str | None = None, postcode: str = "S70 1AA",
            latitude: float = 53.5526, longitude: float = -1.4797, **overrides) -> dict:
    """A providers snapshot (JSON-ready) of a care home whose setup is complete."""
    snapshot = {
        "location_id": location_id, "version": version, "organisation_id": "1-100000001",
        "name": name or f"Home {location_id}", "postcode": postcode, "la_code": BARNSLEY,
        "sub_icb_code": SUB_BARNSLEY, "active": True, "kind": "care_home", "provider_name": "Alder Care Ltd",
        "brand_id": None, "brand_name": None, "street_address": "1 High Street", "address_line_2": None,
        "city": "Barnsley", "county": "South Yorkshire", "latitude": latitude, "longitude": longitude,
        "geocoded_by": "postcode", "icb_code": None, "nhs_region_code": None, "telephone": "01226 000000",
        "website": None, "registered_beds": 40, "overall_rating": "Good", "rating_published": "2025-01-10",
        "regulated_activities": ["Accommodation for persons who require nursing or personal care"],
        "service_types": ["Care home service without nursing"], "service_user_bands": [],
        "specialisms": ["Dementia"], "dormant": False, "cqc_refreshed_at": None,
        "care_types": ["residential"], "funding_sources": ["local_authority", "private"],
        "out_of_hours_admissions": False, "manager": {"name": "Sam Jones", "email": "sam@alder.example"},
        "rooms": {}, "short_stay_services": [], "long_term_vacancy_types": ["general_residential"],
        "languages": ["English"], "reminders_enabled": True, "approved_contracts": [], "notes": [],
        "updated_at": "2026-11-01T09:00:00+00:00",
    }
    snapshot.update(overrides)
    return snapshot


def as_loaded(event_type: str, snapshots) -> list[dict]:
    """JSON-ready conftest snapshots as a consumer receives them: loaded by
    their event's schema (times as datetimes)."""
    return [schema_of(event_type).load(snapshot) for snapshot in snapshots]


def locations_loaded(profiles) -> list[dict]:
    return as_loaded("providers.location_updated", profiles)


def returns_loaded(returns) -> list[dict]:
    return as_loaded("capacity.return_submitted", returns)


def vacancy(vacancy_type: str = "general_residential", *, accepting: int = 1, price: str = "800.00",
            flexible: bool = False, maximum: int = 20) -> dict:
    return {"vacancy_type": vacancy_type, "weekly_price_from": price, "maximum_capacity": maximum,
            "occupied": maximum - accepting, "vacant_reserved": 0, "vacant_accepting": accepting,
            "vacant_not_available": 0, "not_available_reason": None, "flexible": flexible}


def capacity_return(location_id: str, *vacancies: dict, sequence: int = 1, hours_ago: float = 1,
                    short_stay_prices: dict | None = None) -> dict:
    """A capacity snapshot (JSON-ready) submitted `hours_ago` before NOW."""
    vacancies = vacancies or (vacancy(),)
    accepting = sum(v["vacant_accepting"] for v in vacancies)
    return {
        "return_id": f"r-{location_id}-{sequence}", "location_id": location_id, "sequence": sequence,
        "submitted_at": (NOW - timedelta(hours=hours_ago)).isoformat(), "still_true": False, "source": "form",
        "provider_id": "1-100000001", "la_code": BARNSLEY, "sub_icb_code": SUB_BARNSLEY,
        "vacancies": list(vacancies), "short_stay_prices": short_stay_prices or {},
        "totals": {"maximum_capacity": sum(v["maximum_capacity"] for v in vacancies), "vacant_accepting": accepting},
        "admission_status": "accepting" if accepting else "not_accepting",
        "residents": sum(v["occupied"] for v in vacancies), "over_registered_capacity": False,
    }


@pytest.fixture(scope="session")
def search_database_url():
    return migrated_database_url("search", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def search_db(search_database_url, clock):
    database = empty_database(search_database_url, Base.metadata, (outbox, processed_events), clock)
    forget_places()  # the directory went with the tables
    yield database
    database.dispose()


@pytest.fixture
def directory(search_db):
    """The small postcode directory, as providers announce it."""
    with search_db.unit_of_work() as uow:
        apply_directory_part(uow.session, {"directory_version": 1, "part": 1, "parts": 1,
                                           "postcodes": POSTCODES, "outcodes": OUTCODES})
        uow.commit()


@pytest.fixture
def homes(search_db, directory):
    """homes(*(profile, return or None)): put homes in the read model."""
    def _load(*pairs) -> None:
        with search_db.unit_of_work() as uow:
            apply_location_snapshots(uow.session, locations_loaded(p for p, _ in pairs))
            apply_return_snapshots(uow.session, returns_loaded(r for _, r in pairs if r is not None))
            uow.commit()
    return _load


@pytest.fixture(autouse=True)
def search_queues_empty(request):
    """Broker tests start from empty search queues: other services' tests
    publish events to the same vhost, and every subscriber's queue exists
    from the first publish on, so search's would hold theirs."""
    if "run_container" not in request.fixturenames:
        return
    empty_subscriptions(request.getfixturevalue("amqp_uri"), "search")


def located(search_db, place: str) -> str:
    """How precisely `place` is located ("postcode", "postcode_district"),
    or "unknown"."""
    with search_db.unit_of_work() as uow:
        try:
            return locate(uow.session.connection(), place)["precision"]
        except InvalidInput:
            return "unknown"

