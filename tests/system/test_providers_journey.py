"""Providers through the gateway, across services: locations imported from
CQC become organisations people register to; a care home asks a Local
Authority for a contract, the authority approves it; nobody edits a home that
is not theirs."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.system


def first_location(system, token, **query) -> dict:
    page = system.api("GET", "/api/v1/locations", token=token, params={"per_page": 200, **query}).json()
    return page["locations"][0]


def test_a_contract_is_asked_for_by_the_home_and_approved_by_its_authority(system, unique):
    admin = system.admin_token()
    home = first_location(system, admin, kind="care_home")
    other = next(l for l in system.api("GET", "/api/v1/locations", token=admin,
                                       params={"per_page": 200}).json()["locations"]
                 if l["provider_id"] != home["provider_id"])

    carer = system.onboard(name="Casey Carer", email=f"casey.{unique()}@care.example",
                           organisation_id=home["provider_id"], location_id=home["id"])
    profile = system.api("GET", f"/api/v1/locations/{home['id']}", token=carer)
    assert profile.status_code == 200 and profile.json()["attribution"].startswith("Contains public sector")

    edited = system.api("PATCH", f"/api/v1/locations/{home['id']}/profile", token=carer,
                        json={"care_types": ["residential"], "out_of_hours_admissions": False})
    assert edited.status_code == 200 and edited.json()["care_types"] == ["residential"]

    # Another provider's home: not even visible to this care home user, and unchanged.
    before = system.api("GET", f"/api/v1/locations/{other['id']}", token=admin).json()
    refused = system.api("PATCH", f"/api/v1/locations/{other['id']}/profile", token=carer,
                         json={"care_types": ["nursing"]})
    assert refused.status_code == 404
    assert system.api("GET", f"/api/v1/locations/{other['id']}", token=admin).json()["version"] == before["version"]

    asked = system.api("POST", f"/api/v1/locations/{home['id']}/contracts", token=carer,
                       json={"commissioner_kind": "local_authority", "commissioner_code": home["la_code"]})
    assert asked.status_code == 201, asked.text
    assert [c["status"] for c in asked.json()["contracts"]] == ["requested"]

    officer = system.onboard(name="Lee Officer", email=f"lee.{unique()}@council.example",
                             organisation_id=home["la_code"], level="approver")
    pending = system.api("GET", "/api/v1/contracts/pending", token=officer).json()["contracts"]
    mine = [c for c in pending if c["location_id"] == home["id"]]
    assert len(mine) == 1
    assert system.api("POST", f"/api/v1/contracts/{mine[0]['id']}/decision", token=carer,
                      json={"decision": "approve"}).status_code == 404
    approved = system.api("POST", f"/api/v1/contracts/{mine[0]['id']}/decision", token=officer,
                          json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    after = system.api("GET", f"/api/v1/locations/{home['id']}", token=carer).json()
    assert after["approved_contracts"] == [{"commissioner_kind": "local_authority",
                                            "commissioner_code": home["la_code"]}]


def test_a_postcode_is_located_with_its_precision(system):
    admin = system.admin_token()
    home = first_location(system, admin)
    exact = system.api("GET", f"/api/v1/postcodes/{home['postcode'].replace(' ', '').lower()}", token=admin)
    assert exact.status_code == 200 and exact.json()["precision"] == "postcode"
    assert exact.json()["postcode"] == home["postcode"]
    outward = home["postcode"].split()[0]
    district = system.api("GET", f"/api/v1/postcodes/{outward} 9ZZ", token=admin)
    assert district.status_code == 200 and district.json()["precision"] == "outcode"
    bad = system.api("GET", "/api/v1/postcodes/not-a-postcode", token=admin)
    assert bad.status_code == 422 and "postcode" in bad.json()["errors"]


def test_a_read_model_can_page_through_every_location_snapshot(system):
    from tracker_common.rpc import RpcPool

    admin = system.admin_token()
    total = system.api("GET", "/api/v1/locations", token=admin, params={"per_page": 1}).json()["total"]
    pool = RpcPool(system.amqp_uri, timeout=10)
    seen, after = [], ""
    while after is not None:
        page = pool.call("providers", "location_snapshots", after=after, limit=7)
        seen += [s["location_id"] for s in page["snapshots"]]
        assert all(s["version"] >= 1 and "approved_contracts" in s for s in page["snapshots"])
        after = page["next"]
    pool.close()
    assert seen == sorted(seen) and len(set(seen)) == len(seen) >= total


def test_a_capacity_return_reaches_capacity_through_the_bus_and_the_gateway(system, unique):
    from tracker_common.testing import wait_until

    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    carer = system.onboard(name="Robin Carer", email=f"robin.{unique()}@care.example",
                           organisation_id=home["provider_id"], location_id=home["id"])
    services = system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=carer, json={
        "short_stay_services": [], "long_term_vacancy_types": ["general_residential"]})
    assert services.status_code == 200, services.text
    body = {"vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "795.00",
                           "maximum_capacity": 10, "occupied": 8, "vacant_reserved": 0, "vacant_accepting": 2,
                           "vacant_not_available": 0}],
            "confirm_over_registered_capacity": True}

    # The new services reach the capacity service as an event from providers.
    saved = wait_until(lambda: (lambda r: r if r.status_code == 201 else None)(
        system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=carer, json=body)),
        message="capacity to learn the home's services")
    assert saved.json()["admission_status"] == "accepting" and saved.json()["sequence"] == 1

    bad = dict(body, vacancies=[dict(body["vacancies"][0], occupied=11)])
    refused = system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=carer, json=bad)
    assert refused.status_code == 422 and "vacancies" in refused.json()["errors"]

    stranger = system.onboard(name="Sky Stranger", email=f"sky.{unique()}@other.example",
                              organisation_id=next(
                                  l for l in system.api("GET", "/api/v1/locations", token=admin,
                                                        params={"per_page": 200}).json()["locations"]
                                  if l["provider_id"] != home["provider_id"])["provider_id"])
    assert system.api("POST", f"/api/v1/locations/{home['id']}/capacity-returns", token=stranger,
                      json=body).status_code == 404
    history = system.api("GET", f"/api/v1/locations/{home['id']}/capacity-returns", token=carer).json()
    assert [r["sequence"] for r in history["returns"]] == [1]
