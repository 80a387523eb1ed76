"""Contacts for the notifications service, through the real RPC: the users
among some ids, whoever can act for some locations, and whom a commissioner's
request is routed to. Only active people, never API users; each email once,
sorted; bad queries refused naming the field."""
from __future__ import annotations

import time

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import event

from identity import handlers
from identity.service import IdentityService
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.identity import ContactList
from tracker_common.rpc import RpcPool
from tracker_common.testing import empty_subscriptions

from .helpers import call

BARNSLEY, SUB_BARNSLEY, CITY_OF_LONDON = "E08000016", "E38000006", "E09000001"


# -- helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def identity_rpc(identity_database_url, amqp_uri):
    """One real identity service for the module (stopping one takes ~2 s;
    each test still starts from an emptied database) and a client of it.
    Its event queues are emptied first: they hold other tests' events, which
    it would apply while a test empties the database (a deadlock)."""
    empty_subscriptions(amqp_uri, "identity")
    container = ServiceContainer(IdentityService, {"AMQP_URI": amqp_uri, "max_workers": 4,
                                                   "serializer": "json", "OUTBOX_INTERVAL": 0.1})
    container.start()
    pool = RpcPool(amqp_uri, timeout=10)
    yield container, pool
    pool.close()
    container.stop()


@pytest.fixture
def contacts(reference, identity_rpc):
    """contacts(query) -> the identity service's answer over the broker,
    checked against the `ContactList` contract the notifications service uses.
    Returns once the worker is torn down, so no call outlives its test."""
    container, pool = identity_rpc

    def _contacts(query):
        refusal = None
        with entrypoint_waiter(container, "contacts"):
            try:  # raised inside, the waiter would stop waiting
                reply = pool.call("identity", "contacts", query=query)
            except InvalidInput as error:
                refusal = error
        if refusal is not None:
            raise refusal
        assert ContactList().validate(reply) == {}
        return reply

    return _contacts


@pytest.fixture
def sub_icb(identity_db, reference):
    """A Sub-ICB organisation (its own ONS code), beside the conftest's LAs."""
    with identity_db.unit_of_work() as uow:
        handlers.apply_organisation_snapshot(uow, {
            "organisation_id": "sub-icb-E38000006", "version": 1, "name": "NHS Barnsley", "kind": "sub_icb",
            "email_domains": ["nhs.net"], "ons_code": SUB_BARNSLEY, "la_code": None, "sub_icb_code": None})
        uow.commit()
    return "sub-icb-E38000006"


def emails(reply) -> list[str]:
    return [contact["email"] for contact in reply["contacts"]]


def covered(reply) -> dict[str, list[str]]:
    return {contact["email"]: contact["location_ids"] for contact in reply["contacts"]}


def refused(contacts, query) -> dict:
    with pytest.raises(InvalidInput) as raised:
        contacts(query)
    return raised.value.fields


# -- by user ids -----------------------------------------------------------------------------

def test_user_ids_give_the_active_people_among_them(contacts, create_user):
    ids = {
        "active": create_user(email="cara@alder-care.example", name="Cara Active"),
        "generic": create_user(email="office@alder-care.example", name="Alder Office", generic=True),
        "pending": create_user(email="pending@alder-care.example", status="pending"),
        "rejected": create_user(email="rejected@alder-care.example", status="rejected"),
        "deactivated": create_user(email="gone@alder-care.example", status="deactivated"),
        "api": create_user(email="api@alder-care.example", api_user=True),
    }

    reply = contacts({"user_ids": [*ids.values(), "no-such-user", ids["active"]]})

    assert reply == {"contacts": [
        {"user_id": ids["active"], "email": "cara@alder-care.example", "name": "Cara Active", "location_ids": []},
        {"user_id": ids["generic"], "email": "office@alder-care.example", "name": "Alder Office",
         "location_ids": []},
    ], "routed_to": None}


def test_user_ids_none_known_give_no_one(contacts):
    assert contacts({"user_ids": ["no-such-user"]}) == {"contacts": [], "routed_to": None}


# -- by location ids ----------------------------------------------------------------------------

def test_locations_give_whoever_can_act_for_each(contacts, create_user):
    create_user(email="whole@alder-care.example")                                   # every Alder home
    create_user(email="office@alder-care.example", generic=True)                   # shared inbox
    create_user(email="house@alder-care.example", location_ids=["1-100"])          # Alder House only
    create_user(email="lodge@alder-care.example", location_ids=["1-101"])          # Alder Lodge only
    create_user(email="both@alder-care.example", location_ids=["1-100", "1-101"])
    create_user(email="helper@birch-homes.example", organisation_id="prov-b",      # another provider's,
                location_ids=["1-100"])                                            # granted Alder House
    create_user(email="birch@birch-homes.example", organisation_id="prov-b")       # Birch homes only
    create_user(email="council@barnsley.gov.uk", organisation_id="la-E08000016")   # owns no homes

    reply = contacts({"location_ids": ["1-100", "1-200"]})

    assert reply["routed_to"] is None
    assert covered(reply) == {
        "birch@birch-homes.example": ["1-200"],
        "both@alder-care.example": ["1-100"],
        "helper@birch-homes.example": ["1-100"],
        "house@alder-care.example": ["1-100"],
        "office@alder-care.example": ["1-100"],
        "whole@alder-care.example": ["1-100"],
    }
    assert emails(reply) == sorted(emails(reply))


def test_locations_leave_out_inactive_and_api_users(contacts, create_user):
    create_user(email="active@alder-care.example")
    for status in ("pending", "rejected", "deactivated"):
        create_user(email=f"{status}@alder-care.example", status=status)
        create_user(email=f"{status}-house@alder-care.example", status=status, location_ids=["1-100"])
    create_user(email="api@alder-care.example", api_user=True)

    assert emails(contacts({"location_ids": ["1-100"]})) == ["active@alder-care.example"]


def test_each_person_is_listed_once_with_every_location_they_cover(contacts, create_user):
    whole = create_user(email="whole@alder-care.example")
    create_user(email="both@alder-care.example", location_ids=["1-100", "1-101"])

    reply = contacts({"location_ids": ["1-101", "1-100", "1-101", "1-200"]})

    assert [c["email"] for c in reply["contacts"]] == ["both@alder-care.example", "whole@alder-care.example"]
    assert reply["contacts"][1] == {"user_id": whole, "email": "whole@alder-care.example", "name": "Pat Example",
                                    "location_ids": ["1-100", "1-101"]}
    assert covered(reply)["both@alder-care.example"] == ["1-100", "1-101"]


def test_unknown_locations_are_simply_absent(contacts, create_user):
    create_user(email="whole@alder-care.example")
    create_user(email="granted.unknown@alder-care.example", location_ids=["9-999"])

    assert covered(contacts({"location_ids": ["9-999", "1-101"]})) == {"whole@alder-care.example": ["1-101"]}
    assert contacts({"location_ids": ["9-999"]}) == {"contacts": [], "routed_to": None}


def test_a_thousand_locations_take_a_few_queries(identity_db, reference, create_user):
    """The number of queries does not grow with the number of locations."""
    location_ids = [f"1-{n}" for n in range(5000, 6000)]
    with identity_db.unit_of_work() as uow:
        for location_id in location_ids:
            handlers.apply_location_snapshot(uow, {
                "location_id": location_id, "version": 1, "organisation_id": "prov-a", "name": "Alder Annex",
                "postcode": "S70 1AA", "la_code": BARNSLEY, "sub_icb_code": "02P", "active": True})
        uow.commit()
    create_user(email="whole@alder-care.example")
    create_user(email="some@alder-care.example", location_ids=location_ids[:300])
    statements = []
    event.listen(identity_db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    started = time.perf_counter()
    reply = call(identity_db, handlers.resolve_contacts, {"location_ids": location_ids})
    elapsed = time.perf_counter() - started

    assert {email: len(ids) for email, ids in covered(reply).items()} == {
        "some@alder-care.example": 300, "whole@alder-care.example": 1000}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 4
    assert elapsed < 2, f"{elapsed:.2f}s for 1000 locations"


def test_a_thousand_locations_through_the_service(identity_db, contacts, create_user):
    location_ids = [f"1-{n}" for n in range(5000, 5999)] + ["1-100"]
    create_user(email="whole@alder-care.example")

    reply = contacts({"location_ids": location_ids})

    assert covered(reply) == {"whole@alder-care.example": ["1-100"]}


# -- by commissioner: routed as applications are --------------------------------------------------

def test_a_commissioner_request_goes_to_its_approvers(contacts, create_user):
    la = "la-E08000016"
    create_user(email="zed.approver@barnsley.gov.uk", organisation_id=la, level="approver")
    create_user(email="amy.approver@barnsley.gov.uk", organisation_id=la, level="approver")
    create_user(email="standard@barnsley.gov.uk", organisation_id=la)
    create_user(email="champion@barnsley.gov.uk", organisation_id=la, roles=["system_champion"])
    create_user(email="shared@barnsley.gov.uk", organisation_id=la, level="approver", generic=True)
    create_user(email="gone@barnsley.gov.uk", organisation_id=la, level="approver", status="deactivated")
    create_user(email="pending@barnsley.gov.uk", organisation_id=la, level="approver", status="pending")
    create_user(email="api@barnsley.gov.uk", organisation_id=la, level="approver", api_user=True)
    create_user(email="city@cityoflondon.gov.uk", organisation_id="la-E09000001", level="approver")
    create_user(email="provider@alder-care.example", level="approver")
    create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True)

    reply = contacts({"commissioner_code": BARNSLEY})

    assert reply["routed_to"] == "approvers"
    assert emails(reply) == ["amy.approver@barnsley.gov.uk", "zed.approver@barnsley.gov.uk"]
    assert all(contact["location_ids"] == [] for contact in reply["contacts"])


def test_without_approvers_it_goes_to_the_aligned_system_champions(contacts, create_user, sub_icb):
    create_user(email="champion@nhs.net", organisation_id=sub_icb, roles=["system_champion"])
    create_user(email="colleague@nhs.net", organisation_id=sub_icb)
    create_user(email="gone.champion@nhs.net", organisation_id=sub_icb, roles=["system_champion"],
                status="deactivated")
    create_user(email="api.champion@nhs.net", organisation_id=sub_icb, roles=["system_champion"], api_user=True)
    create_user(email="approver.limited@nhs.net", organisation_id=sub_icb, level="approver",
                location_ids=["1-100"])  # not an approver of the whole Sub-ICB
    create_user(email="champion@barnsley.gov.uk", organisation_id="la-E08000016", roles=["system_champion"])
    create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True)

    reply = contacts({"commissioner_code": SUB_BARNSLEY})

    assert (reply["routed_to"], emails(reply)) == ("system_champions", ["champion@nhs.net"])


def test_without_approvers_or_champions_it_goes_to_the_administrators(contacts, create_user):
    create_user(email="standard@cityoflondon.gov.uk", organisation_id="la-E09000001")
    create_user(email="champion@barnsley.gov.uk", organisation_id="la-E08000016", roles=["system_champion"])
    create_user(email="b.admin@tracker.example", organisation_id="ct-national", admin=True)
    create_user(email="a.admin@tracker.example", organisation_id="ct-national", admin=True)
    create_user(email="former.admin@tracker.example", organisation_id="ct-national", admin=True,
                status="deactivated")
    create_user(email="api.admin@tracker.example", organisation_id="ct-national", admin=True, api_user=True)

    for code in (CITY_OF_LONDON, "E06000001"):  # no one there; a code no organisation has
        reply = contacts({"commissioner_code": code})

        assert (reply["routed_to"], emails(reply)) == (
            "administrators", ["a.admin@tracker.example", "b.admin@tracker.example"])


# -- bad queries ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "fields"), [
    pytest.param({}, {"user_ids", "location_ids", "commissioner_code"}, id="none"),
    pytest.param({"user_ids": ["u1"], "location_ids": ["1-100"]}, {"user_ids", "location_ids"}, id="two-modes"),
    pytest.param({"user_ids": ["u1"], "location_ids": ["1-100"], "commissioner_code": BARNSLEY},
                 {"user_ids", "location_ids", "commissioner_code"}, id="three-modes"),
    pytest.param({"user_ids": []}, {"user_ids"}, id="empty-list"),
    pytest.param({"location_ids": [f"1-{n}" for n in range(1001)]}, {"location_ids"}, id="1001-locations"),
    pytest.param({"user_ids": [f"u{n}" for n in range(1001)]}, {"user_ids"}, id="1001-users"),
    pytest.param({"location_ids": ["1-100"], "organisation_id": "prov-a"}, {"organisation_id"},
                 id="unknown-field"),
    pytest.param({"commissioner_code": "E080000160"}, {"commissioner_code"}, id="code-too-long"),
    pytest.param({"commissioner_code": "02P"}, {"commissioner_code"}, id="not-an-ons-code"),
    pytest.param({"location_ids": "1-100"}, {"location_ids"}, id="not-a-list"),
    pytest.param({"user_ids": None}, {"user_ids"}, id="null"),
    pytest.param({"location_ids": ["<script>"]}, {"location_ids"}, id="not-an-identifier"),
])
def test_bad_queries_are_refused_naming_the_field(contacts, query, fields):
    assert set(refused(contacts, query)) == fields


def test_the_refusals_say_what_to_give(contacts):
    assert refused(contacts, {})["user_ids"] == [
        "One of user_ids, location_ids or commissioner_code is required."]
    assert refused(contacts, {"user_ids": ["u1"], "commissioner_code": BARNSLEY})["commissioner_code"] == [
        "Give only one of user_ids, location_ids or commissioner_code."]


def test_a_query_that_is_not_an_object_is_refused(contacts):
    with pytest.raises(InvalidInput):
        contacts(["1-100"])
