"""Fixtures for the reporting service's tests: its own test database built
by its real migrations, and a small known England put into the read model
the way the service learns of it (providers' and capacity's snapshots, as on
the wire), with the right answers worked out by hand in the tests."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import reporting
from reporting.handlers.readmodel import apply_geography, apply_location_snapshots, apply_return_snapshots
from reporting.models import Base, outbox, processed_events
from tracker_common.clock import FrozenClock
from tracker_common.contracts.events import schema_of
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.testing import empty_database, migrated_database_url

MIGRATIONS = Path(reporting.__file__).parent / "migrations"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
REGION, ICB = "E40000012", "E54000061"
BARNSLEY, SHEFFIELD = "E08000016", "E08000019"
SUB_BARNSLEY, SUB_SHEFFIELD = "E38000006", "E38000146"
ALDER, BIRCH, CEDAR, DORMANT = "1-1000000001", "1-1000000002", "1-1000000003", "1-1000000004"
ALDER_CARE, BIRCH_HOMES = "1-100000001", "1-100000002"

GEOGRAPHY = {"version": 100, "nhs_regions": [[REGION, "North East and Yorkshire"]],
             "icbs": [[ICB, "NHS South Yorkshire ICB", REGION]],
             "sub_icbs": [[SUB_BARNSLEY, "Barnsley", ICB], [SUB_SHEFFIELD, "Sheffield", ICB]],
             "local_authorities": [[BARNSLEY, "Barnsley"], [SHEFFIELD, "Sheffield"]]}


def profile(location_id: str, name: str, *, version: int = 1, provider: str = ALDER_CARE,
            provider_name: str = "Alder Care Ltd", la_code: str = BARNSLEY, sub_icb_code: str = SUB_BARNSLEY,
            **overrides) -> dict:
    """A providers snapshot (JSON-ready), with what reports keep of it."""
    snapshot = {"location_id": location_id, "version": version, "organisation_id": provider, "name": name,
                "provider_name": provider_name, "postcode": "S70 1AA", "la_code": la_code,
                "sub_icb_code": sub_icb_code, "icb_code": ICB, "nhs_region_code": REGION, "active": True,
                "kind": "care_home", "reminders_enabled": True}
    snapshot.update(overrides)
    return snapshot


def vacancy(vacancy_type: str, maximum: int, occupied: int, *, accepting: int = 0, reserved: int = 0,
            not_available: int = 0, flexible: bool = False) -> dict:
    assert occupied + accepting + reserved + not_available <= maximum
    return {"vacancy_type": vacancy_type, "weekly_price_from": "800.00", "maximum_capacity": maximum,
            "occupied": occupied, "vacant_reserved": reserved, "vacant_accepting": accepting,
            "vacant_not_available": not_available, "not_available_reason": "refurbishment" if not_available else None,
            "flexible": flexible}


def capacity_return(location_id: str, sequence: int, submitted_at: str, *vacancies: dict,
                    la_code: str = BARNSLEY, sub_icb_code: str = SUB_BARNSLEY) -> dict:
    """A capacity snapshot (JSON-ready) submitted at `submitted_at` (UTC)."""
    accepting = sum(v["vacant_accepting"] for v in vacancies)
    return {"return_id": f"r-{location_id}-{sequence}", "location_id": location_id, "sequence": sequence,
            "submitted_at": submitted_at, "still_true": False, "source": "form", "provider_id": ALDER_CARE,
            "la_code": la_code, "sub_icb_code": sub_icb_code, "vacancies": list(vacancies),
            "short_stay_prices": {}, "totals": {}, "admission_status": "accepting" if accepting else "not_accepting",
            "residents": sum(v["occupied"] for v in vacancies), "over_registered_capacity": False}


# The known England of these tests. Alder updated three times (twice in
# November: its last return that month counts), Birch once, Cedar only at
# 00:30 on 1 October UK time (23:30 on 30 September UTC: October in reports),
# Dormant never.
PROFILES = [
    profile(ALDER, "Alder House"),
    profile(BIRCH, "Birch Lodge", provider=BIRCH_HOMES, provider_name="Birch Homes"),
    profile(CEDAR, "Cedar Court", la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD),
    profile(DORMANT, "Dormant Hall", provider=BIRCH_HOMES, provider_name="Birch Homes"),
]
RETURNS = [
    capacity_return(ALDER, 1, "2026-10-10T10:00:00+00:00",
                    vacancy("general_residential", 20, 18, accepting=1, reserved=1)),
    capacity_return(ALDER, 2, "2026-11-05T10:00:00+00:00", vacancy("general_residential", 20, 15, accepting=5)),
    capacity_return(ALDER, 3, "2026-11-20T10:00:00+00:00", vacancy("general_residential", 20, 19, accepting=1),
                    vacancy("dementia_nursing", 10, 8, accepting=1, not_available=1)),
    capacity_return(BIRCH, 1, "2026-11-03T08:00:00+00:00", vacancy("general_residential", 30, 30)),
    capacity_return(CEDAR, 1, "2026-09-30T23:30:00+00:00", vacancy("dementia_nursing", 40, 30, accepting=10),
                    la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD),
]


def principal(*roles: Role, organisation: str = "org-x", aligned=(), locations=(), all_locations=True) -> Principal:
    return Principal(user_id="u-1", organisation_id=organisation, roles=frozenset(roles),
                     all_locations=all_locations, location_ids=frozenset(locations), aligned_codes=frozenset(aligned))


COMMISSIONER = principal(Role.NON_CARE_HOME_USER, organisation=BARNSLEY, aligned=[BARNSLEY])


@pytest.fixture(scope="session")
def reporting_database_url():
    return migrated_database_url("reporting", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def reporting_db(reporting_database_url, clock):
    database = empty_database(reporting_database_url, Base.metadata, (outbox, processed_events), clock)
    yield database
    database.dispose()


def as_loaded(event_type: str, snapshots) -> list[dict]:
    """JSON-ready conftest snapshots as a consumer receives them: loaded by
    their event's schema (times as datetimes)."""
    return [schema_of(event_type).load(snapshot) for snapshot in snapshots]


@pytest.fixture
def apply(reporting_db):
    """apply(locations=[...], returns=[...], geography=None): as the events would."""
    def _apply(locations=(), returns=(), geography=None) -> None:
        with reporting_db.unit_of_work() as uow:
            if geography:
                apply_geography(uow.session, schema_of("providers.geography_published").load(geography))
            apply_location_snapshots(uow.session, as_loaded("providers.location_updated", locations))
            apply_return_snapshots(uow.session, as_loaded("capacity.return_submitted", returns))
            uow.commit()
    return _apply


@pytest.fixture
def england(apply):
    apply(PROFILES, RETURNS, GEOGRAPHY)
