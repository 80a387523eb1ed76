"""Reports end to end: a return sent through the gateway reaches the
reporting service over the bus and shows in utilisation, in last modified
capacity and in the public bed state; the read model, history included, is
rebuilt from the owning services."""
from __future__ import annotations

import time

import pytest

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def reported_home(system):
    """A care home with one return: general nursing, 8 beds, 6 used, 2 free."""
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": [], "long_term_vacancy_types": ["general_nursing"]}).status_code == 200
    body = {"vacancies": [{"vacancy_type": "general_nursing", "weekly_price_from": "1150.00", "maximum_capacity": 8,
                           "occupied": 6, "vacant_reserved": 0, "vacant_accepting": 2, "vacant_not_available": 0}],
            "short_stay_prices": {}, "confirm_over_registered_capacity": True}
    wait_until(lambda: system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=admin,
                                  json=body).status_code == 201, message="capacity to take the return")
    return home


@pytest.fixture(scope="module")
def analyst(system, reported_home):
    """A commissioner of the home's Local Authority."""
    return system.onboard(name="Ada Analyst", email=f"ada.{int(time.time() * 1000)}@council.example",
                          organisation_id=reported_home["la_code"])


def home_row(system, token, home):
    answer = system.api("GET", "/api/v1/reports/utilisation", token=token, params={
        "rows": "location", "columns": "vacancy_type", "la_code": home["la_code"], "per_page": 500})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    row = next((r for r in report["rows"] if r["key"] == home["id"]), None)
    return row and (row, report["columns"])


def test_a_return_shows_in_utilisation_last_modified_and_the_public_bed_state(system, reported_home, analyst):
    row, columns = wait_until(lambda: home_row(system, analyst, reported_home), timeout=20,
                              message="the return in the utilisation report")
    assert row["name"] == reported_home["name"]
    assert row["total"] == {"locations": 1, "maximum_capacity": 8, "occupied": 6, "vacant": 2,
                            "utilisation_percent": 75.0}
    nursing = [c["key"] for c in columns].index("general_nursing")
    assert row["cells"][nursing] == row["total"]

    modified = system.api("GET", "/api/v1/reports/last-modified", token=analyst,
                          params={"la_code": reported_home["la_code"], "per_page": 500}).json()
    [listed] = [r for r in modified["locations"] if r["location_id"] == reported_home["id"]]
    assert listed["staleness"] == "fresh" and listed["la_name"]

    public = system.api("GET", "/api/v1/reports/bed-state", params={"la_code": reported_home["la_code"]})
    assert public.status_code == 200
    [home] = [h for h in public.json()["locations"] if h["location_id"] == reported_home["id"]]
    assert home["total_accepting"] == 2 and home["vacancies"] == [
        {"vacancy_type": "general_nursing", "vacant_accepting": 2, "flexible": False}]


def test_the_read_model_and_its_history_are_rebuilt_from_the_owning_services(system, reported_home, analyst):
    before = wait_until(lambda: home_row(system, analyst, reported_home), timeout=20, message="the home reported")
    system.manage("reporting", "rebuild", "--reset")
    assert home_row(system, analyst, reported_home) == before
