"""The bulk update end to end on a real broker: the template from the
gateway, an upload processed by the capacity service's worker, the outcome
visible in the API."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system


def test_a_provider_updates_its_homes_with_the_spreadsheet(system, unique):
    admin = system.admin_token()
    home = next(l for l in system.api("GET", "/api/v1/locations", token=admin,
                                      params={"kind": "care_home", "per_page": 200}).json()["locations"])
    manager = system.onboard(name="Morgan Manager", email=f"morgan.{unique()}@care.example",
                             organisation_id=home["provider_id"], level="approver")
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=manager, json={
        "short_stay_services": [], "long_term_vacancy_types": ["general_nursing"]}).status_code == 200

    def template_with_the_new_services():
        response = system.api("GET", "/api/v1/capacity/bulk-template", token=manager)
        if response.status_code != 200:
            return None
        sheet = load_workbook(io.BytesIO(response.content))["Capacities"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        return response if any(r[0] == home["id"] and r[3] == "General Nursing" for r in rows) else None
    template = wait_until(template_with_the_new_services, message="capacity to learn the home's services")
    assert template.headers["Content-Type"].startswith("application/vnd.openxmlformats")

    workbook = load_workbook(io.BytesIO(template.content))
    sheet = workbook["Capacities"]
    headers = [c.value for c in sheet[1]]
    figures = {"Weekly price from (£)": 1150, "Maximum capacity": 6, "Occupied": 5, "Vacant reserved": 0,
               "Vacant accepting admissions": 1, "Vacant not available": 0, "Flexible (Y/N)": "N"}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == home["id"]:
            for cell, header in zip(row, headers):
                if header in figures:
                    cell.value = figures[header]
    homes_sheet = workbook["Care Homes"]
    out_of_hours = [c.value for c in homes_sheet[1]].index("Accepts out-of-hours admissions (Y/N)")
    for row in homes_sheet.iter_rows(min_row=2):
        if row[0].value == home["id"]:
            row[out_of_hours].value = "N"
    filled = io.BytesIO()
    workbook.save(filled)

    no_declaration = system.api("POST", "/api/v1/capacity/bulk-uploads", token=manager,
                                files={"file": ("update.xlsx", filled.getvalue())}, data={"declaration": "false"})
    assert no_declaration.status_code == 422 and "declaration" in no_declaration.json()["errors"]
    not_a_workbook = system.api("POST", "/api/v1/capacity/bulk-uploads", token=manager,
                                files={"file": ("update.xlsx", b"PK\x03\x04 not really")}, data={"declaration": "true"})
    assert not_a_workbook.status_code == 422 and "file" in not_a_workbook.json()["errors"]

    accepted = system.api("POST", "/api/v1/capacity/bulk-uploads", token=manager,
                          files={"file": ("update.xlsx", filled.getvalue())}, data={"declaration": "true"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "received"
    done = wait_until(lambda: (lambda r: r.json() if r.json()["status"] != "received" else None)(
        system.api("GET", f"/api/v1/capacity/bulk-uploads/{accepted.json()['id']}", token=manager)),
        timeout=30, message="the worker to process the upload")
    assert done["status"] == "processed" and home["id"] in done["results"]["applied"], done
    current = system.api("GET", f"/api/v1/locations/{home['id']}/capacity-returns/current", token=manager).json()
    assert current["source"] == "bulk" and current["vacancies"][0]["vacant_accepting"] == 1
    assert current["vacancies"][0]["weekly_price_from"] == "1150.00"
    # The Care Homes tab's out-of-hours answer belongs to the profile: applied by providers.
    assert done["results"]["out_of_hours_updated"] == [home["id"]]
    profile = system.api("GET", f"/api/v1/locations/{home['id']}", token=manager).json()
    assert profile["out_of_hours_admissions"] is False


RULE_CASES = [
    ("a price not above £100", {"weekly_price_from": "100.00"}, "weekly_price_from"),
    ("more beds in use than exist", {"occupied": 9, "vacant_accepting": 2}, "maximum_capacity"),
    ("vacant not available without a reason", {"vacant_not_available": 1, "occupied": 5}, "not_available_reason"),
    ("a count that is not a whole number", {"occupied": 2.5}, "occupied"),
    ("a negative count", {"vacant_reserved": -1}, "vacant_reserved"),
    ("a type the home does not offer", {"vacancy_type": "mental_health_nursing"}, "vacancy_type"),
]


def test_every_rule_is_enforced_through_the_gateway_and_nothing_is_saved(system, unique):
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["general_residential"]}).status_code == 200
    good = {"vacancy_type": "general_residential", "weekly_price_from": "700.00", "maximum_capacity": 10,
            "occupied": 8, "vacant_reserved": 0, "vacant_accepting": 2, "vacant_not_available": 0}
    body = {"vacancies": [good], "short_stay_prices": {"respite_care": "850.00"},
            "confirm_over_registered_capacity": True}
    path = f"/api/v1/locations/{home['id']}/capacity-returns"
    wait_until(lambda: system.api("POST", path, token=admin, json=body).status_code == 201,
               message="capacity to learn the home's services")
    before = system.api("GET", f"{path}/current", token=admin).json()["sequence"]

    for case, change, field in RULE_CASES:
        response = system.api("POST", path, token=admin, json=dict(body, vacancies=[dict(good, **change)]))
        assert response.status_code == 422, case
        errors = response.json()["errors"]["vacancies"]
        assert field in str(errors), (case, errors)
    missing_price = system.api("POST", path, token=admin, json=dict(body, short_stay_prices={}))
    assert missing_price.status_code == 422 and "respite_care" in str(missing_price.json()["errors"])
    unconfirmed = system.api("POST", path, token=admin, json=dict(body, vacancies=[dict(good, maximum_capacity=2000,
                                                                                         occupied=8)],
                                                                   confirm_over_registered_capacity=False))
    assert unconfirmed.status_code == 422 and "confirm_over_registered_capacity" in unconfirmed.json()["errors"]
    assert system.api("GET", f"{path}/current", token=admin).json()["sequence"] == before
