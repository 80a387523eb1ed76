"""A care group's locations together: every location of a provider, or of a
brand (CQC's Brand ID, which groups several providers), with the provider's
and brand's names, A to Z, for those who may see them."""
from __future__ import annotations

import pytest

from providers.handlers import locations
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.contracts.providers import LocationQuery
from tracker_common.schemas import load

from .conftest import BARNSLEY, cqc_row

SUNRISE = {"Brand ID": "BD101", "Brand Name": "BRAND Sunrise Care Homes"}
HAZEL, ALDER, ROWAN, YEW, OAK = "1-2000000001", "1-2000000002", "1-2000000003", "1-2000000004", "1-2000000005"


@pytest.fixture
def group(import_cqc):
    """Brand Sunrise: two providers (three homes); an unbranded provider; another brand."""
    import_cqc([
        cqc_row(HAZEL, **{"Location Name": "Hazel Lodge", "Provider ID": "1-300000001",
                          "Provider Name": "Sunrise Care (North) Ltd"}, **SUNRISE),
        cqc_row(ALDER, **{"Location Name": "Alder Grange Residential and Nursing Home",
                          "Provider ID": "1-300000001", "Provider Name": "Sunrise Care (North) Ltd"}, **SUNRISE),
        cqc_row(ROWAN, **{"Location Name": "Rowan Court", "Location Postal Code": "CT1 1AA",
                          "Provider ID": "1-300000002", "Provider Name": "Sunrise Care (South) Ltd"}, **SUNRISE),
        cqc_row(YEW, **{"Location Name": "Yew Tree House", "Provider ID": "1-300000003",
                        "Provider Name": "Yew Tree Care Ltd"}),
        cqc_row(OAK, **{"Location Name": "Oak View", "Provider ID": "1-300000004", "Provider Name": "Oakfield Homes",
                        "Brand ID": "BD102", "Brand Name": "BRAND Oakfield"}),
    ])


def person(*roles, org, all_locations=True, locations_=(), aligned=()):
    return Principal("u-1", org, frozenset(roles), all_locations=all_locations,
                     location_ids=frozenset(locations_), aligned_codes=frozenset(aligned))


def listed(db, actor, **query):
    with db.unit_of_work() as uow:
        return locations.list_locations(uow, actor, load(LocationQuery(), query))


DISCHARGE_NURSE = person(Role.NON_CARE_HOME_USER, org="trust")
NORTH_MANAGER = person(Role.CARE_HOME_USER, Role.APPROVER, org="1-300000001")


def test_a_brand_lists_the_locations_of_all_its_providers_a_to_z_with_their_names(directory, group):
    found = listed(directory, DISCHARGE_NURSE, brand_id="BD101", order="name")
    assert found["total"] == 3
    assert [(l["name"], l["provider_name"]) for l in found["locations"]] == [
        ("Alder Grange Residential and Nursing Home", "Sunrise Care (North) Ltd"),
        ("Hazel Lodge", "Sunrise Care (North) Ltd"), ("Rowan Court", "Sunrise Care (South) Ltd")]
    assert {(l["brand_id"], l["brand_name"]) for l in found["locations"]} == {("BD101", "BRAND Sunrise Care Homes")}


def test_a_provider_without_a_brand_says_so_and_ids_stay_the_default_order(directory, group):
    yew = listed(directory, DISCHARGE_NURSE, provider_id="1-300000003")["locations"]
    assert [(l["id"], l["brand_id"], l["brand_name"]) for l in yew] == [(YEW, None, None)]
    north = listed(directory, DISCHARGE_NURSE, provider_id="1-300000001")["locations"]
    assert [l["id"] for l in north] == [HAZEL, ALDER]


def test_a_care_group_sees_only_its_own_locations_of_its_brand(directory, group):
    mine = listed(directory, NORTH_MANAGER, brand_id="BD101", order="name")
    assert [l["id"] for l in mine["locations"]] == [ALDER, HAZEL]
    assert listed(directory, NORTH_MANAGER, provider_id="1-300000002")["total"] == 0
    assert listed(directory, NORTH_MANAGER, brand_id="BD102")["total"] == 0
    limited = person(Role.CARE_HOME_USER, org="1-300000001", all_locations=False, locations_=[HAZEL])
    assert [l["id"] for l in listed(directory, limited, brand_id="BD101")["locations"]] == [HAZEL]


def test_a_brand_is_paged_a_to_z(directory, group):
    first = listed(directory, DISCHARGE_NURSE, brand_id="BD101", order="name", per_page=2)
    second = listed(directory, DISCHARGE_NURSE, brand_id="BD101", order="name", per_page=2, page=2)
    assert first["total"] == second["total"] == 3
    assert [l["id"] for l in first["locations"] + second["locations"]] == [ALDER, HAZEL, ROWAN]


@pytest.mark.parametrize("query", [{"brand_id": "BD 101"}, {"brand_id": "x" * 21}, {"order": "postcode"}])
def test_a_malformed_brand_or_order_is_refused(query):
    with pytest.raises(InvalidInput):
        load(LocationQuery(), query)


def test_an_aligned_broker_sees_the_whole_brand(directory, group):
    broker = person(Role.NON_CARE_HOME_USER, Role.BROKER, org="la-barnsley", aligned=[BARNSLEY])
    assert listed(directory, broker, brand_id="BD101")["total"] == 3
