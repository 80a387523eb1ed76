"""The migration that brings the monthly rollup fills it from the figures
a read model already holds: what it fills is what keeping it gives."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from reporting import repository
from tracker_common.config import load_settings
from tracker_common.migrations import drop_database, upgrade

from .conftest import MIGRATIONS

ROLLUP = ("SELECT area_kind, month, area_code, vacancy_type, previous_month, maximum_capacity, occupied, vacant, "
          "locations FROM monthly_rollup")


@pytest.fixture
def migrated_database_url():
    """A database of its own, migrated only up to the revision before the rollup."""
    url = load_settings().database_url("reporting_rollup_migration")
    drop_database(url)
    yield url
    drop_database(url)


def test_the_migration_fills_the_rollup_from_the_figures_held(migrated_database_url):
    url = migrated_database_url
    upgrade(MIGRATIONS, url, "0002")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO report_locations (location_id, location_version, name, la_code, sub_icb_code, icb_code, "
                "nhs_region_code) VALUES ('1-1', 1, 'Alder House', 'E08000016', 'E38000006', 'E54000061', "
                "'E40000012'), ('1-2', 0, NULL, 'E08000019', NULL, NULL, NULL), "
                "('1-3', 2, 'Cedar Court', 'E08000016', 'E38000146', 'E54000061', 'E40000012')"))
            connection.execute(text(
                "INSERT INTO monthly_vacancies VALUES "
                "('1-1', '2026-09-01', 'general_residential', 20, 18, 2), ('1-1', '2026-09-01', 'dementia_nursing', "
                "10, 9, 1), ('1-1', '2026-11-01', 'general_residential', 20, 19, 1), "
                "('1-2', '2026-10-01', 'general_nursing', 30, 30, 0), ('1-2', '2026-11-01', 'general_nursing', 30, "
                "29, 1), ('1-3', '2026-11-01', 'dementia_nursing', 12, 6, 6)"))
        upgrade(MIGRATIONS, url, "head")
        with engine.connect() as connection:
            filled = {tuple(row) for row in connection.execute(text(ROLLUP))}
            repository.recompute_rollup(connection)
            kept = {tuple(row) for row in connection.execute(text(ROLLUP))}
            connection.rollback()
        assert filled == kept
        england = sorted((str(r[1]), r[3], str(r[4]), r[8]) for r in filled if r[0] == "england")
        assert ("2026-11-01", "", "2026-10-01", 1) in england  # 1-2 sent in October, then November
        assert ("2026-11-01", "general_residential", "2026-09-01", 1) in england  # 1-1 skipped October
        assert {(r[2], r[8]) for r in filled if r[0] == "sub_icb" and r[3] == ""} == {
            ("E38000006", 1), ("", 1), ("E38000146", 1)}
    finally:
        engine.dispose()
