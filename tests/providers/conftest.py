"""Fixtures for the providers service's tests: its own test database built by
the real migrations, a small known geography and postcode directory loaded
through the real importers, and CQC directory files in the published format."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

import providers
from providers.handlers.geography import load_geography
from providers.handlers.postcode_import import import_postcode_directory
from providers.models import Base, outbox, processed_events
from tracker_common.clock import FrozenClock
from tracker_common.testing import empty_database, migrated_database_url

MIGRATIONS = Path(providers.__file__).parent / "migrations"

BARNSLEY, KENT, CITY = "E08000016", "E10000016", "E09000001"
SUB_BARNSLEY, SUB_KENT, SUB_CITY = "E38000006", "E38000237", "E38000244"
GEOGRAPHY = {
    "nhs_regions": [{"code": "E40000012", "name": "North East and Yorkshire"},
                    {"code": "E40000007", "name": "London"}, {"code": "E40000005", "name": "South East"}],
    "icbs": [{"code": "E54000061", "ods_code": "QF7", "name": "NHS South Yorkshire ICB", "nhs_region_code": "E40000012"},
             {"code": "E54000032", "ods_code": "QKS", "name": "NHS Kent and Medway ICB", "nhs_region_code": "E40000005"},
             {"code": "E54000028", "ods_code": "QMJ", "name": "NHS North Central London ICB", "nhs_region_code": "E40000007"}],
    "sub_icbs": [{"code": SUB_BARNSLEY, "ods_code": "02P", "name": "Barnsley", "icb_code": "E54000061"},
                 {"code": SUB_KENT, "ods_code": "91Q", "name": "Kent and Medway", "icb_code": "E54000032"},
                 {"code": SUB_CITY, "ods_code": "93C", "name": "North Central London", "icb_code": "E54000028"}],
    "local_authorities": [
        {"code": BARNSLEY, "name": "Barnsley", "kind": "metropolitan_district", "ons_region_code": "E12000003",
         "ons_region_name": "Yorkshire and The Humber"},
        {"code": KENT, "name": "Kent", "kind": "county", "ons_region_code": "E12000008", "ons_region_name": "South East"},
        {"code": CITY, "name": "City of London", "kind": "london_borough", "ons_region_code": "E12000007",
         "ons_region_name": "London"}],
}

ONSPD_HEADER = ["pcd", "pcds", "doterm", "oscty", "oslaua", "nhser", "ctry", "rgn", "sicbl", "icb", "lat", "long"]
# postcode, county, district, region, sub-ICB, ICB, lat, long
POSTCODES = [
    ("S70 1AA", "E99999999", BARNSLEY, "E40000012", SUB_BARNSLEY, "E54000061", 53.5526, -1.4797),
    ("S70 1AB", "E99999999", BARNSLEY, "E40000012", SUB_BARNSLEY, "E54000061", 53.5530, -1.4801),
    ("S70 2BB", "E99999999", BARNSLEY, "E40000012", SUB_BARNSLEY, "E54000061", 53.5410, -1.4700),
    ("CT1 1AA", KENT, "E07000106", "E40000005", SUB_KENT, "E54000032", 51.2802, 1.0789),
    ("CT1 2BB", KENT, "E07000106", "E40000005", SUB_KENT, "E54000032", 51.2750, 1.0850),
    ("EC1A 1BB", "E99999999", CITY, "E40000007", SUB_CITY, "E54000028", 51.5201, -0.0977),
]


def write_onspd(path: Path, rows=POSTCODES, *, terminated=("S70 9ZZ",)) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ONSPD_HEADER)
        for postcode, county, district, region, sub_icb, icb, lat, lon in rows:
            writer.writerow([postcode.replace(" ", ""), postcode, "", county, district, region, "E92000001",
                             "E12000003", sub_icb, icb, lat, lon])
        for postcode in terminated:
            writer.writerow([postcode.replace(" ", ""), postcode, "202001", "E99999999", BARNSLEY, "E40000012",
                             "E92000001", "E12000003", SUB_BARNSLEY, "E54000061", 53.5, -1.5])
    return path


CQC_HEADER = [
    "Location ID", "Location Name", "Location Telephone Number", "Location Web Address", "Care home?",
    "Care homes beds", "Location Latest Overall Rating", "Publication Date", "Inherited Rating (Y/N)",
    "Location Region", "Location Local Authority", "Location ONSPD CCG Code", "Location ONSPD CCG",
    "Location Street Address", "Location Address Line 2", "Location City", "Location County",
    "Location Postal Code", "Location Latitude", "Location Longitude", "Location Specialisms",
    "Regulated activity - Accommodation for persons who require nursing or personal care",
    "Regulated activity - Personal care", "Regulated activity - Treatment of disease, disorder or injury",
    "Service type - Care home service with nursing", "Service type - Care home service without nursing",
    "Service type - Domiciliary care service", "Service type - Hospice services",
    "Service user band - Dementia", "Service user band - Older People", "Provider ID", "Provider Name",
    "Provider Ownership Type", "Brand ID", "Brand Name", "Dormant (Y/N)", "Location HSCA start date",
]


def cqc_row(location_id: str = "1-1000000001", **overrides) -> dict:
    row = {
        "Location ID": location_id, "Location Name": "Alder House", "Location Telephone Number": "0113 496 0001",
        "Location Web Address": "www.alder-house.example", "Care home?": "Y", "Care homes beds": "40",
        "Location Latest Overall Rating": "Good", "Publication Date": "12/03/2024", "Inherited Rating (Y/N)": "N",
        "Location Region": "Yorkshire and The Humber", "Location Local Authority": "Barnsley",
        "Location ONSPD CCG Code": SUB_BARNSLEY, "Location ONSPD CCG": "Barnsley",
        "Location Street Address": "1 Alder Road", "Location Address Line 2": "", "Location City": "Barnsley",
        "Location County": "South Yorkshire", "Location Postal Code": "S70 1AA", "Location Latitude": "53.55",
        "Location Longitude": "-1.48", "Location Specialisms": "Caring for adults over 65 yrs|Dementia",
        "Regulated activity - Accommodation for persons who require nursing or personal care": "Y",
        "Regulated activity - Personal care": "", "Regulated activity - Treatment of disease, disorder or injury": "",
        "Service type - Care home service with nursing": "", "Service type - Care home service without nursing": "Y",
        "Service type - Domiciliary care service": "", "Service type - Hospice services": "",
        "Service user band - Dementia": "Y", "Service user band - Older People": "Y",
        "Provider ID": "1-100000001", "Provider Name": "Alder Care Ltd", "Provider Ownership Type": "Organisation",
        "Brand ID": "-", "Brand Name": "-", "Dormant (Y/N)": "N", "Location HSCA start date": "01/02/2015",
    }
    row.update(overrides)
    return row


def write_cqc(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CQC_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def providers_database_url():
    return migrated_database_url("providers", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def providers_db(providers_database_url, clock):
    database = empty_database(providers_database_url, Base.metadata, (outbox, processed_events), clock)
    yield database
    database.dispose()


@pytest.fixture
def directory(providers_db, tmp_path, clock):
    """The small geography and postcode directory above, loaded by the real importers."""
    with providers_db.unit_of_work() as uow:
        load_geography(uow, GEOGRAPHY)
        uow.commit()
    import_postcode_directory(providers_db.engine, write_onspd(tmp_path / "ONSPD.csv"), clock=clock)
    return providers_db


@pytest.fixture
def recorded_events(providers_db):
    from sqlalchemy import select

    def _events(event_type: str | None = None) -> list[dict]:
        with providers_db.engine.connect() as connection:
            query = select(outbox.c.message).order_by(outbox.c.seq)
            if event_type:
                query = query.where(outbox.c.event_type == event_type)
            return [row.message for row in connection.execute(query)]
    return _events


@pytest.fixture
def import_cqc(directory, tmp_path):
    """import_cqc(rows) -> summary: the real CQC import of a file holding `rows`."""
    from providers.handlers.cqc_import import import_cqc_directory

    counter = iter(range(1000))

    def _import(rows: list[dict], **kwargs) -> dict:
        path = write_cqc(tmp_path / f"HSCA_Active_Locations_{next(counter)}.csv", rows)
        with directory.unit_of_work() as uow:
            summary = import_cqc_directory(uow, path, **kwargs)
            uow.commit()
        return summary
    return _import
