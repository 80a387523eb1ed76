"""Profiles, services, notes, contacts and contracts: who may do what, and
that every change is audited and announced."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from providers.handlers import contracts, locations
from providers.models import Location, LocationChange
from tracker_common.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from tracker_common.contracts.permissions import Principal, Role

from .conftest import BARNSLEY, KENT, SUB_BARNSLEY, cqc_row

ALDER, ELM, BIRCH = "1-1000000001", "1-1000000002", "1-1000000003"


@pytest.fixture
def homes(import_cqc):
    """Two homes of one provider in Barnsley, one of another provider in Kent."""
    import_cqc([
        cqc_row(ALDER),
        cqc_row(ELM, **{"Location Name": "Elm Court", "Location Postal Code": "S70 2BB"}),
        cqc_row(BIRCH, **{"Location Name": "Birch Lodge", "Location Postal Code": "CT1 1AA",
                          "Provider ID": "1-100000002", "Provider Name": "Birch Homes"}),
    ])


def person(*roles, org="1-100000001", all_locations=True, locations_=(), aligned=(), user="u-1"):
    return Principal(user, org, frozenset(roles), all_locations=all_locations,
                     location_ids=frozenset(locations_), aligned_codes=frozenset(aligned))


CARER = person(Role.CARE_HOME_USER)
OTHER_CARER = person(Role.CARE_HOME_USER, org="1-100000002", user="u-2")
BARNSLEY_BROKER = person(Role.NON_CARE_HOME_USER, Role.BROKER, org="la-barnsley", aligned=[BARNSLEY], user="u-3")
BARNSLEY_APPROVER = person(Role.NON_CARE_HOME_USER, Role.APPROVER, org="la-barnsley", aligned=[BARNSLEY], user="u-4")
NURSE = person(Role.NON_CARE_HOME_USER, org="trust", user="u-5")
ADMIN = person(Role.ADMIN, org="ct-national", user="u-6")


def run(db, handler, *args):
    with db.unit_of_work() as uow:
        result = handler(uow, *args)
        uow.commit()
        return result


def stored(db, location_id) -> Location:
    with db.unit_of_work() as uow:
        found = uow.session.get(Location, location_id)
        uow.session.expunge(found)
        return found


PROFILE = {"care_types": ["residential"], "funding_sources": ["local_authority", "private"],
           "out_of_hours_admissions": True,
           "manager": {"name": "Robin Manager", "email": "robin@alder.example", "nhsmail": "robin.manager@nhs.net"},
           "rooms": {"en_suite": True, "equipment": ["hoist"], "accessibility": ["lift"]}}


def test_a_care_home_user_edits_their_own_home(directory, homes, recorded_events):
    view = run(directory, locations.update_profile, CARER, ALDER, PROFILE)
    assert view["care_types"] == ["residential"] and view["manager"]["nhsmail"] == "robin.manager@nhs.net"
    assert view["version"] == 2
    snapshot = recorded_events("providers.location_updated")[-1]["data"]
    assert snapshot["location_id"] == ALDER and snapshot["funding_sources"] == ["local_authority", "private"]
    with directory.unit_of_work() as uow:
        change = uow.session.scalars(select(LocationChange).where(LocationChange.location_id == ALDER)
                                     .order_by(LocationChange.id.desc())).first()
        assert change.actor_id == CARER.user_id and change.changes["care_types"] == [[], ["residential"]]


@pytest.mark.parametrize("actor, error", [(OTHER_CARER, NotFound), (NURSE, Forbidden),
                                          (person(Role.CARE_HOME_USER, all_locations=False, locations_=[ELM]),
                                           NotFound)])
def test_no_one_else_edits_a_home_and_nothing_changes(directory, homes, recorded_events, actor, error):
    before = (stored(directory, ALDER).version, len(recorded_events()))
    with pytest.raises(error):
        run(directory, locations.update_profile, actor, ALDER, PROFILE)
    assert (stored(directory, ALDER).version, len(recorded_events())) == before
    assert stored(directory, ALDER).care_types == []


def test_a_broker_edits_the_homes_of_their_area_only(directory, homes):
    assert run(directory, locations.update_profile, BARNSLEY_BROKER, ELM, PROFILE)["version"] == 2
    with pytest.raises(Forbidden):  # Kent is not Barnsley: visible (brokers search) but not editable
        run(directory, locations.update_profile, BARNSLEY_BROKER, BIRCH, PROFILE)


def test_an_unchanged_profile_is_no_new_version(directory, homes, recorded_events):
    run(directory, locations.update_profile, CARER, ALDER, PROFILE)
    events = len(recorded_events())
    assert run(directory, locations.update_profile, CARER, ALDER, PROFILE)["version"] == 2
    assert len(recorded_events()) == events


def test_care_home_users_list_only_their_own_homes(directory, homes):
    query = {"active": True, "page": 1, "per_page": 50}
    mine = run(directory, locations.list_locations, CARER, query)
    assert [l["id"] for l in mine["locations"]] == [ALDER, ELM] and mine["total"] == 2
    assert run(directory, locations.list_locations, NURSE, query)["total"] == 3
    kent = run(directory, locations.list_locations, NURSE, {**query, "la_code": KENT})
    assert [l["id"] for l in kent["locations"]] == [BIRCH]
    with pytest.raises(NotFound):
        run(directory, locations.get_location, OTHER_CARER, ALDER)


def test_services_need_a_vacancy_type_and_english_is_always_spoken(directory, homes):
    from tracker_common.contracts.providers import ServicesUpdate
    from tracker_common.schemas import load
    with pytest.raises(InvalidInput) as raised:
        load(ServicesUpdate(), {"short_stay_services": [], "long_term_vacancy_types": []})
    assert "long_term_vacancy_types" in raised.value.fields
    view = run(directory, locations.update_services, CARER, ALDER, {
        "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["dementia_residential"],
        "languages": ["Polish", "Welsh"]})
    assert view["languages"] == ["English", "Polish", "Welsh"]
    assert view["short_stay_services"] == ["respite_care"]


def test_notes_are_added_edited_and_deleted_with_their_author(directory, homes, recorded_events):
    view = run(directory, locations.add_note, CARER, ALDER, {"text": "Hoist available; no admissions after 8pm"})
    note = view["notes"][0]
    assert note["author_id"] == CARER.user_id
    # plain JSON to the gateway, which reads the date as ISO text
    assert datetime.fromisoformat(note["updated_at"]).tzinfo is not None
    assert recorded_events("providers.location_updated")[-1]["data"]["notes"][0]["text"].startswith("Hoist")
    assert run(directory, locations.edit_note, CARER, ALDER, note["id"], {"text": "Hoist available"})["notes"][0][
        "text"] == "Hoist available"
    with pytest.raises(NotFound):
        run(directory, locations.edit_note, CARER, ELM, note["id"], {"text": "moved?"})
    assert run(directory, locations.delete_note, CARER, ALDER, note["id"])["notes"] == []


def test_reminders_are_switched_off_by_an_approver_or_broker_not_a_standard_user(directory, homes):
    with pytest.raises(Forbidden):
        run(directory, locations.set_reminders, CARER, ALDER, {"reminders_enabled": False})
    approver = person(Role.CARE_HOME_USER, Role.APPROVER)
    assert run(directory, locations.set_reminders, approver, ALDER, {"reminders_enabled": False})[
        "reminders_enabled"] is False


def test_only_brokers_of_the_area_and_administrators_deactivate(directory, homes):
    with pytest.raises(Forbidden):
        run(directory, locations.deactivate_location, CARER, ALDER)
    assert run(directory, locations.deactivate_location, BARNSLEY_BROKER, ALDER)["active"] is False
    with pytest.raises(Conflict):
        run(directory, locations.deactivate_location, ADMIN, ALDER)


def test_a_contract_counts_only_once_the_commissioner_approves_it(directory, homes, recorded_events):
    view = run(directory, contracts.request_contract, CARER, ALDER,
               {"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY})
    assert [c["status"] for c in view["contracts"]] == ["requested"] and view["approved_contracts"] == []
    assert view["contracts"][0]["commissioner_name"] == "Barnsley"  # named for people, not only coded
    asked = recorded_events("providers.contract_requested")[-1]["data"]
    assert (asked["commissioner_code"], asked["commissioner_name"]) == (BARNSLEY, "Barnsley")
    with pytest.raises(Conflict):
        run(directory, contracts.request_contract, CARER, ALDER,
            {"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY})

    pending = run(directory, contracts.pending_contracts, BARNSLEY_APPROVER)
    assert [(p["location_id"], p["location_name"], p["commissioner_name"]) for p in pending] == [
        (ALDER, "Alder House", "Barnsley")]
    assert run(directory, contracts.pending_contracts, NURSE) == []
    with pytest.raises(NotFound):  # a care home cannot approve its own contract
        run(directory, contracts.decide_contract, CARER, pending[0]["id"], {"decision": "approve"})
    decided = run(directory, contracts.decide_contract, BARNSLEY_APPROVER, pending[0]["id"], {"decision": "approve"})
    assert decided["status"] == "approved"
    assert recorded_events("providers.contract_decided")[-1]["data"]["decision"] == "approved"
    snapshot = recorded_events("providers.location_updated")[-1]["data"]
    assert snapshot["approved_contracts"] == [{"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY}]


def test_a_contract_with_an_unknown_commissioner_is_refused(directory, homes):
    with pytest.raises(InvalidInput) as raised:
        run(directory, contracts.request_contract, CARER, ALDER,
            {"commissioner_kind": "sub_icb", "commissioner_code": "E38999999"})
    assert "commissioner_code" in raised.value.fields


def test_snapshots_page_through_every_location(directory, homes):
    first = run(directory, locations.snapshot_page, "", 2)
    assert [s["location_id"] for s in first["snapshots"]] == [ALDER, ELM] and first["next"] == ELM
    second = run(directory, locations.snapshot_page, first["next"], 2)
    assert [s["location_id"] for s in second["snapshots"]] == [BIRCH] and second["next"] is None
    assert first["snapshots"][0]["sub_icb_code"] == SUB_BARNSLEY


def test_a_snapshot_page_carries_each_location_s_notes_and_approved_contracts_as_its_event_does(
        directory, homes, recorded_events):
    run(directory, locations.add_note, CARER, ALDER, {"text": "Hoist available; no admissions after 8pm"})
    run(directory, locations.add_note, CARER, ALDER, {"text": "Lift out of order until Friday"})
    run(directory, contracts.request_contract, CARER, ALDER,
        {"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY})
    pending = run(directory, contracts.pending_contracts, BARNSLEY_APPROVER)
    run(directory, contracts.decide_contract, BARNSLEY_APPROVER, pending[0]["id"], {"decision": "approve"})
    announced = recorded_events("providers.location_updated")[-1]["data"]

    page = run(directory, locations.snapshot_page, "", 3)
    alder, elm = page["snapshots"][0], page["snapshots"][1]
    assert [n["text"] for n in alder["notes"]] == ["Hoist available; no admissions after 8pm",
                                                  "Lift out of order until Friday"]
    assert alder["approved_contracts"] == announced["approved_contracts"] == [
        {"commissioner_kind": "local_authority", "commissioner_code": BARNSLEY}]
    assert [n["id"] for n in alder["notes"]] == [n["id"] for n in announced["notes"]]
    assert elm["notes"] == [] and elm["approved_contracts"] == []


def test_the_contact_directory_is_kept_and_its_changes_audited(directory, homes):
    view = run(directory, locations.add_contact, CARER, ALDER,
               {"role": "Deputy manager", "name": "Jo Deputy", "email": "jo@alder.example", "phone": None})
    contact = view["contacts"][0]
    view = run(directory, locations.update_contact, CARER, ALDER, contact["id"],
               {"role": "Deputy manager", "name": "Jo Deputy", "email": None, "phone": "0113 496 0002"})
    assert view["contacts"][0]["phone"] == "0113 496 0002" and view["contacts"][0]["email"] is None
    with pytest.raises(NotFound):
        run(directory, locations.update_contact, OTHER_CARER, ALDER, contact["id"], {"role": "x", "name": "X"})
    assert run(directory, locations.delete_contact, CARER, ALDER, contact["id"])["contacts"] == []
    actions = [c["action"] for c in run(directory, locations.location_history, CARER, ALDER)]
    assert actions[:3] == ["contact_deleted", "contact_updated", "contact_added"]
