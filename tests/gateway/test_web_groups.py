"""A care group at a glance: a provider's or a brand's locations with their
latest capacity, for those who may see them, and the links that lead there.

The services behind the pages are a fake (tests/gateway/conftest.py): the
providers service decides which locations a person may see, so a page whose
group has none for them must say "not found" and show nothing else."""
from __future__ import annotations

import pytest

from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, page

from .conftest import HERE, at_home

GROUP = "prov-a"  # the signed-in person's organisation (conftest's token)
SUNRISE = {"provider_id": GROUP, "provider_name": "Sunrise Care (North) Limited", "brand_id": "BD101",
           "brand_name": "BRAND Sunrise Care Homes", "kind": "care_home", "la_code": "E08000016",
           "sub_icb_code": "E38000006", "active": True, "registered_beds": 64, "overall_rating": "Good"}
LOCATIONS = [
    {**SUNRISE, "id": "1-2000000002", "name": "Alder Grange Residential and Nursing Home with Dementia Care Unit",
     "postcode": "S70 1AA"},
    {**SUNRISE, "id": "1-2000000001", "name": "Hazel Lodge", "postcode": "S70 2BB"},
    {**SUNRISE, "id": "1-2000000007", "name": "St Mary-Magdalene's Court (Extra Care)", "postcode": "S71 3DD"},
]
SUMMARIES = [
    {"location_id": "1-2000000002", "last_submitted_at": "2026-03-02T07:45:00+00:00", "staleness": "fresh",
     "admission_status": "accepting", "vacant_accepting": 3, "vacancies": [
         {"vacancy_type": "dementia_nursing", "vacant_accepting": 2, "flexible": True},
         {"vacancy_type": "general_residential", "vacant_accepting": 1, "flexible": False},
         {"vacancy_type": "mental_health_nursing", "vacant_accepting": 0, "flexible": False}]},
    {"location_id": "1-2000000001", "last_submitted_at": "2026-02-27T16:10:00+00:00", "staleness": "stale_48h",
     "admission_status": "not_accepting", "vacant_accepting": 0, "vacancies": [
         {"vacancy_type": "general_residential", "vacant_accepting": 0, "flexible": False}]},
    {"location_id": "1-2000000007", "last_submitted_at": None, "staleness": "never", "admission_status": None,
     "vacant_accepting": None, "vacancies": []},
]


def the_group(backend, total=3, locations=LOCATIONS, summaries=SUMMARIES):
    backend.answers[("providers", "list_locations")] = {"total": total, "page": 1, "per_page": 20,
                                                        "locations": locations}
    backend.answers[("capacity", "return_summaries")] = summaries


def cards(response) -> dict:
    return {card["data-location"]: card for card in page(response).select("[data-location]")}


def test_a_care_group_sees_each_of_its_locations_latest_capacity_at_a_glance(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    the_group(backend)
    response = browser.get(f"/providers/{GROUP}")
    assert response.status_code == 200
    assert backend.sent_to("providers", "list_locations")["query"] == {
        "provider_id": GROUP, "order": "name", "active": True, "page": 1, "per_page": 20}
    assert backend.sent_to("capacity", "return_summaries")["query"] == {
        "location_ids": ["1-2000000002", "1-2000000001", "1-2000000007"]}
    shown = page(response)
    assert shown.h1.get_text(strip=True) == "Sunrise Care (North) Limited"
    assert list(cards(response)) == ["1-2000000002", "1-2000000001", "1-2000000007"]  # as the service ordered them
    alder, hazel, mary = cards(response).values()
    assert alder.select_one("[data-admissions]").get_text(strip=True) == "Accepting admissions"
    assert [li.get_text(strip=True) for li in alder.select("[data-vacancies] li")] == [
        "Dementia nursing: 2 (flexible)", "General residential: 1"]  # types with none accepting left out
    assert "7:45am on 2 March 2026" in alder.select_one("[data-updated]").get_text()
    assert hazel.select_one("[data-admissions]").get_text(strip=True) == "Not accepting admissions"
    assert hazel.select_one("[data-vacancies]").get_text(strip=True) == "None"
    assert "Not updated for over 48 hours" in hazel.select_one("[data-updated]").get_text()
    assert mary.select_one("[data-admissions]").get_text(strip=True) == "No capacity sent yet"
    assert "Never" in mary.select_one("[data-updated]").get_text() and mary.select_one("[data-vacancies]") is None
    assert " ".join(shown.find(id="counts").get_text().split()) == \
        "1 accepting admissions; 2 not updated in the last 24 hours."
    # its own people update from here; the brand's page is a link away
    assert alder.find("a", href="/locations/1-2000000002/capacity") is not None
    assert shown.find(id="brand").find("a")["href"] == "/brands/BD101"


def test_a_brand_page_shows_the_locations_of_all_its_providers_to_a_discharge_team(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    south = {**SUNRISE, "provider_id": "1-300000002", "provider_name": "Sunrise Care (South) Ltd",
             "id": "1-2000000003", "name": "Rowan Court", "postcode": "CT1 1AA"}
    the_group(backend, total=4, locations=[*LOCATIONS, south], summaries=SUMMARIES)
    response = browser.get("/brands/BD101")
    assert response.status_code == 200
    assert backend.sent_to("providers", "list_locations")["query"]["brand_id"] == "BD101"
    shown = page(response)
    assert shown.h1.get_text(strip=True) == "BRAND Sunrise Care Homes"
    rowan = cards(response)["1-2000000003"]
    assert rowan.find("a", href="/providers/1-300000002").get_text(strip=True) == "Sunrise Care (South) Ltd"
    assert "No capacity sent yet" in rowan.get_text()  # the capacity service knew nothing of it
    assert not shown.select('a[href$="/capacity"][href^="/locations/"]')  # a discharge team only looks


def test_a_large_group_is_paged(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    the_group(backend, total=45)
    response = browser.get(f"/providers/{GROUP}?page=2")
    assert backend.sent_to("providers", "list_locations")["query"]["page"] == 2
    shown = page(response)
    assert shown.find("a", rel="prev")["href"] == f"/providers/{GROUP}?page=1"
    assert shown.find("a", rel="next")["href"] == f"/providers/{GROUP}?page=3"
    assert "Page 2 of 3" in shown.find(id="total").get_text()
    assert shown.find(id="counts").get_text(strip=True).startswith("On this page:")


@pytest.mark.parametrize("roles", [(Role.CARE_HOME_USER,), (Role.CARE_HOME_USER, Role.APPROVER)])
def test_another_providers_group_is_not_found_for_a_care_home(browser, backend, sign_in, roles):
    sign_in(*roles)
    the_group(backend, total=0, locations=[])  # the providers service shows a care home none of another's
    for path in ("/providers/1-300000009", "/brands/BD777"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Sunrise" not in response.get_data(as_text=True)
    assert ("capacity", "return_summaries") not in backend.calls


def test_a_malformed_group_is_not_found_without_asking_anyone(browser, backend, sign_in):
    sign_in()
    for path in ("/providers/not%20a%20provider", "/brands/" + "B" * 21):
        assert browser.get(path).status_code == 404
    assert ("providers", "list_locations") not in backend.calls


def test_signed_out_people_are_sent_to_sign_in_first(browser, backend):
    response = browser.get(f"/providers/{GROUP}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert backend.calls == []


def test_the_capacity_page_leads_a_group_to_its_bulk_update_and_its_locations(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 3, "page": 1, "per_page": 20, "locations": [
        {"id": l["id"], "name": l["name"], "kind": "care_home", "postcode": l["postcode"]} for l in LOCATIONS]}
    backend.answers[("capacity", "return_summaries")] = SUMMARIES
    links = page(browser.get("/capacity")).find(id="group-links")
    assert [a["href"] for a in links.find_all("a")] == ["/capacity/bulk-update", f"/providers/{GROUP}"]


def test_one_location_needs_no_spreadsheet_and_a_broker_has_no_provider_page(browser, backend, sign_in):
    sign_in()
    backend.answers[("providers", "list_locations")] = {"total": 1, "page": 1, "per_page": 20, "locations": [
        {"id": "1-2000000001", "name": "Hazel Lodge", "kind": "care_home", "postcode": "S70 2BB"}]}
    backend.answers[("capacity", "return_summaries")] = SUMMARIES[1:2]
    assert page(browser.get("/capacity")).find(id="group-links") is None

    browser.post("/sign-out", data={"csrf_token": csrf_token(browser.get("/capacity"))})
    sign_in(Role.NON_CARE_HOME_USER, Role.BROKER)
    backend.answers[("providers", "list_locations")] = {"total": 3, "page": 1, "per_page": 20, "locations": [
        {"id": l["id"], "name": l["name"], "kind": "care_home", "postcode": l["postcode"]} for l in LOCATIONS]}
    backend.answers[("capacity", "return_summaries")] = SUMMARIES
    links = page(browser.get("/capacity")).find(id="group-links")
    assert [a["href"] for a in links.find_all("a")] == ["/capacity/bulk-update"]  # an LA is no provider


def test_a_locations_page_leads_to_its_provider_and_brand(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend, brand_id="BD101", brand_name="BRAND Willow Homes")
    response = browser.get(HERE)
    assert response.status_code == 200, response.get_data(as_text=True)
    links = {a["href"]: a.get_text(strip=True) for a in page(response).find(id="provider").find_all("a")}
    assert links == {"/providers/prov-a": "Willow Care Ltd", "/brands/BD101": "BRAND Willow Homes"}
