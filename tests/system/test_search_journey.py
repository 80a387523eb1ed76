"""Find Care Home Vacancies end to end: a home set up through the gateway
becomes findable through the bus, changes show within moments, exports open
in a spreadsheet, bad queries are named, and search keeps answering while
its instances come and go or its read model is rebuilt."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system
SEARCH = "/api/v1/search/vacancies"


def submit_return(system, token, home_id, *, accepting: int) -> None:
    body = {"vacancies": [{"vacancy_type": "general_nursing", "weekly_price_from": "1150.00",
                           "maximum_capacity": 8, "occupied": 8 - accepting, "vacant_reserved": 0,
                           "vacant_accepting": accepting, "vacant_not_available": 0}],
            "short_stay_prices": {"respite_care": "990.00"}, "confirm_over_registered_capacity": True}
    wait_until(lambda: system.api("POST", f"/api/v1/locations/{home_id}/capacity-returns", token=token,
                                  json=body).status_code == 201, message="capacity to take the return")


@pytest.fixture(scope="module")
def ready_home(system):
    """A care home from the imported directory, set up completely by an
    administrator: services, care type, funding, a return with vacancies."""
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["general_nursing"]}).status_code == 200
    assert system.api("PATCH", f"/api/v1/locations/{home['id']}/profile", token=admin, json={
        "care_types": ["nursing"], "funding_sources": ["local_authority", "private"],
        "out_of_hours_admissions": True}).status_code == 200
    submit_return(system, admin, home["id"], accepting=2)
    return home


@pytest.fixture(scope="module")
def searcher(system, ready_home):
    """A discharge coordinator of the home's Local Authority."""
    import time
    return system.onboard(name="Dana Discharge", email=f"dana.{int(time.time() * 1000)}@council.example",
                          organisation_id=ready_home["la_code"])


def find(system, token, **params):
    response = system.api("GET", SEARCH, token=token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page) -> list[str]:
    return [r["location_id"] for r in page["results"]]


def test_a_home_set_up_through_the_gateway_is_found_nearest_first(system, ready_home, searcher):
    page = wait_until(lambda: (lambda p: p if ready_home["id"] in ids(p) else None)(
        find(system, searcher, postcode=ready_home["postcode"].replace(" ", "").lower(), per_page=100)),
        message="search to learn of the home")
    result = next(r for r in page["results"] if r["location_id"] == ready_home["id"])
    distances = [r["distance_miles"] for r in page["results"]]
    assert distances == sorted(distances) and result["distance_miles"] == 0.0
    assert page["origin"]["postcode"] == ready_home["postcode"]
    assert result["vacancies"] == [{"vacancy_type": "general_nursing", "weekly_price_from": "1150.00",
                                    "vacant_accepting": 2, "flexible": False}]
    assert result["total_accepting"] == 2 and result["out_of_hours_admissions"] is True
    assert result["short_stay_prices"] == {"respite_care": "990.00"} and result["stale"] is False
    short_stay = find(system, searcher, la_code=ready_home["la_code"], stay="short_stay",
                      vacancy_types="respite_care", out_of_hours_admissions="true")
    assert ready_home["id"] in ids(short_stay)
    too_dear = find(system, searcher, la_code=ready_home["la_code"], max_weekly_price="1000")
    assert ready_home["id"] not in ids(too_dear)


def test_a_new_return_shows_in_search_within_moments(system, ready_home, searcher):
    admin = system.admin_token()
    query = {"la_code": ready_home["la_code"], "per_page": 100}
    wait_until(lambda: ready_home["id"] in ids(find(system, searcher, **query)), message="the home listed")
    submit_return(system, admin, ready_home["id"], accepting=0)
    wait_until(lambda: ready_home["id"] not in ids(find(system, searcher, **query)), timeout=10,
               message="the full home to leave the results")
    assert ready_home["id"] in ids(find(system, searcher, accepting_today="false", **query))
    submit_return(system, admin, ready_home["id"], accepting=2)
    wait_until(lambda: ready_home["id"] in ids(find(system, searcher, **query)), timeout=10,
               message="the home listed again")


def test_care_home_users_cannot_search(system, ready_home, unique):
    carer = system.onboard(name="Casey Carer", email=f"casey.{unique()}@care.example",
                           organisation_id=ready_home["provider_id"], location_id=ready_home["id"])
    for path in (SEARCH, f"{SEARCH}/export", "/api/v1/search/options"):
        response = system.api("GET", path, token=carer, params={"postcode": ready_home["postcode"],
                                                                 **({"format": "csv"} if "export" in path else {})})
        assert response.status_code == 403, (path, response.text)
    assert system.api("GET", SEARCH, params={"postcode": ready_home["postcode"]}).status_code == 401


def test_a_search_exports_to_csv_and_excel(system, ready_home, searcher):
    query = {"la_code": ready_home["la_code"]}
    wait_until(lambda: ready_home["id"] in ids(find(system, searcher, **query)), message="the home listed")
    as_csv = system.api("GET", f"{SEARCH}/export", token=searcher, params={**query, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["Location ID"] == ready_home["id"])
    assert row["Name"] == ready_home["name"] and row["Vacancies accepting"] == "2"
    assert int(as_csv.headers["X-Result-Count"]) == len(rows)

    as_xlsx = system.api("GET", f"{SEARCH}/export", token=searcher, params={**query, "format": "xlsx"})
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content))["Vacancies"]
    header = [c.value for c in sheet[1]]
    found = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert [r["Location ID"] for r in found] == [r["Location ID"] for r in rows]


@pytest.mark.parametrize("params, field", [
    ({"postcode": "ZZ99 9ZZ"}, "postcode"),  # well formed, in no directory
    ({"postcode": "not a postcode"}, "postcode"),
    ({"postcode": "S70 1AA", "per_page": 1000}, "per_page"),
    ({"postcode": "S70 1AA", "radius_miles": 5000}, "radius_miles"),
    ({"la_code": "E08000016", "radius_miles": 5}, "radius_miles"),
    ({"postcode": "S70 1AA", "vacancy_types": "respite_care"}, "vacancy_types"),  # a short stay service
    ({"postcode": "S70 1AA", "ratings": "Brilliant"}, "ratings"),
    ({"postcode": "S70 1AA", "vacancy_type": "general_nursing"}, "vacancy_type"),  # a misspelt filter
    ({}, "postcode"),
])
def test_a_bad_query_is_refused_naming_the_problem(system, searcher, params, field):
    response = system.api("GET", SEARCH, token=searcher, params=params)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()


def test_a_second_instance_serves_the_same_answers_and_search_survives_losing_one(system, ready_home, searcher):
    query = {"postcode": ready_home["postcode"], "per_page": 50}
    before = wait_until(lambda: (lambda p: p if ready_home["id"] in ids(p) else None)(find(system, searcher, **query)),
                        message="the home listed")
    system.start("search-2")
    try:
        system.kill("search")  # the second instance now answers alone
        after = wait_until(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
            system.api("GET", SEARCH, token=searcher, params=query)), timeout=30, message="search-2 answering")
        assert ids(after) == ids(before)
        submit_return(system, system.admin_token(), ready_home["id"], accepting=1)
        wait_until(lambda: next(r for r in find(system, searcher, **query)["results"]
                                if r["location_id"] == ready_home["id"])["total_accepting"] == 1,
                   timeout=10, message="search-2 to apply the new return")
    finally:
        system.start("search")
        system.wait_healthy()
        system.stop("search-2")


def test_the_read_model_is_rebuilt_from_the_owning_services(system, ready_home, searcher):
    query = {"la_code": ready_home["la_code"], "per_page": 100}
    before = wait_until(lambda: (lambda p: p if ready_home["id"] in ids(p) else None)(find(system, searcher, **query)),
                        message="the home listed")
    system.manage("search", "rebuild", "--reset")
    after = find(system, searcher, **query)
    assert ids(after) == ids(before)
    assert [r["total_accepting"] for r in after["results"]] == [r["total_accepting"] for r in before["results"]]
