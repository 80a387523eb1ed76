"""Registration: the pending account and its application, routing to the
reviewers, due-diligence flags, and the application form's search (the
reviewers' decision: test_application_decisions.py)."""
import pytest
from sqlalchemy import func, select

from identity import handlers
from identity.models import Application, User
from tracker_common.contracts.errors import Conflict, InvalidInput

from .helpers import application_row, audit_actions, register, user_row


# -- helpers -------------------------------------------------------------------


def count(identity_db, table):
    with identity_db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(table))


def reviewer_emails(event):
    return sorted(r["email"] for r in event["data"]["reviewers"])


# -- registration ----------------------------------------------------------------

def test_registration_creates_a_pending_user_and_a_pending_application(identity_db, reference,
                                                                       recorded_events):
    application = register(identity_db, location_id="1-100", level="approver")

    user = user_row(identity_db, application["user_id"])
    assert (user.status, user.level, user.email, user.all_locations) == (
        "pending", "approver", "sam.jones@alder-care.example", False)
    assert user.password_hash is None
    stored = application_row(identity_db, application["id"])
    assert (stored.status, stored.kind, stored.location_ids, stored.la_code, stored.sub_icb_code) == (
        "pending", "registration", ["1-100"], "E08000016", "02P")
    assert [e["data"]["application_id"] for e in recorded_events("identity.registration_submitted")] \
        == [application["id"]]
    assert audit_actions(identity_db, user.id) == ["registration_submitted"]


def test_registration_is_routed_to_the_organisations_approvers(identity_db, create_user, recorded_events):
    whole = create_user(email="whole@alder-care.example", level="approver")
    create_user(email="lodge@alder-care.example", level="approver", location_ids=["1-101"])
    create_user(email="standard@alder-care.example")
    create_user(email="gone@alder-care.example", level="approver", status="deactivated")
    create_user(email="birch@birch-homes.example", organisation_id="prov-b", level="approver")

    application = register(identity_db, location_id="1-100")

    event, = recorded_events("identity.registration_submitted")
    assert event["data"]["routed_to"] == "approvers"
    # the approver limited to another location is not asked
    assert reviewer_emails(event) == ["whole@alder-care.example"]
    assert application_row(identity_db, application["id"]).reviewer_ids == [whole]


def test_registration_for_a_location_also_goes_to_approvers_of_that_location(identity_db, create_user,
                                                                             recorded_events):
    create_user(email="whole@alder-care.example", level="approver")
    create_user(email="lodge@alder-care.example", level="approver", location_ids=["1-101"])

    register(identity_db, location_id="1-101")

    event, = recorded_events("identity.registration_submitted")
    assert reviewer_emails(event) == ["lodge@alder-care.example", "whole@alder-care.example"]


def test_registration_for_the_whole_organisation_skips_approvers_limited_to_a_location(
        identity_db, create_user, recorded_events):
    create_user(email="whole@alder-care.example", level="approver")
    create_user(email="lodge@alder-care.example", level="approver", location_ids=["1-101"])

    register(identity_db)

    event, = recorded_events("identity.registration_submitted")
    assert reviewer_emails(event) == ["whole@alder-care.example"]


def test_without_approvers_registration_goes_to_system_champions_of_the_locations_area(
        identity_db, create_user, recorded_events):
    with identity_db.unit_of_work() as uow:  # the Sub-ICB of Alder House as an organisation
        handlers.apply_organisation_snapshot(uow, dict(
            organisation_id="subicb-02P", version=1, name="Barnsley Sub-ICB", kind="sub_icb",
            email_domains=["nhs.net"], ons_code="02P"))
        uow.commit()
    create_user(email="champ@barnsley.gov.uk", organisation_id="la-E08000016", roles=["system_champion"])
    create_user(email="champ@nhs.net", organisation_id="subicb-02P", roles=["system_champion"])
    create_user(email="plain@barnsley.gov.uk", organisation_id="la-E08000016")
    create_user(email="broker@barnsley.gov.uk", organisation_id="la-E08000016", roles=["broker"])
    create_user(email="champ@cityoflondon.gov.uk", organisation_id="la-E09000001", roles=["system_champion"])
    create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True)
    # an approver limited to another location does not count as an approver here
    create_user(email="lodge@alder-care.example", level="approver", location_ids=["1-101"])

    application = register(identity_db, location_id="1-100")

    event, = recorded_events("identity.registration_submitted")
    assert event["data"]["routed_to"] == "system_champions"
    assert reviewer_emails(event) == ["champ@barnsley.gov.uk", "champ@nhs.net"]
    assert application_row(identity_db, application["id"]).routed_to == "system_champions"


def test_without_approvers_or_champions_registration_goes_to_the_administrators(
        identity_db, create_user, recorded_events):
    admin = create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True)
    create_user(email="champ@cityoflondon.gov.uk", organisation_id="la-E09000001", roles=["system_champion"])

    application = register(identity_db, location_id="1-100")

    event, = recorded_events("identity.registration_submitted")
    assert event["data"]["routed_to"] == "administrators"
    assert reviewer_emails(event) == ["admin@tracker.example"]
    assert application_row(identity_db, application["id"]).reviewer_ids == [admin]


def test_submitted_event_carries_the_applicant_and_the_flags(identity_db, create_user, recorded_events):
    create_user(email="whole@alder-care.example", level="approver")

    application = register(identity_db, email="Sam.Jones@GMAIL.com", level="approver")

    event, = recorded_events("identity.registration_submitted")
    assert event["data"] | {"reviewers": None} == {
        "application_id": application["id"], "kind": "registration", "user_id": application["user_id"],
        "name": "Sam Jones", "email": "sam.jones@gmail.com", "organisation_id": "prov-a",
        "organisation_name": "Alder Care", "location_ids": [], "level": "approver",
        "flags": ["personal_webmail:gmail.com"], "routed_to": "approvers", "reviewers": None}
    assert event["data"]["reviewers"] == [
        {"user_id": event["data"]["reviewers"][0]["user_id"], "email": "whole@alder-care.example",
         "name": "Pat Example"}]


@pytest.mark.parametrize("email, name, flag", [
    ("sam@gmail.com", "Sam Jones", "personal_webmail:gmail.com"),
    ("sam@birch-homes.example", "Sam Jones", "email_domain_unlike_organisation:birch-homes.example"),
    ("pat.exampel@alder-care.example", "Sam Jones", "near_duplicate:pat.example@alder-care.example"),
    ("p.example@alder-care.example", "Pat Example", "near_duplicate:pat.example@alder-care.example"),
])
def test_due_diligence_flags_are_stored_on_the_application(identity_db, create_user, recorded_events,
                                                           email, name, flag):
    create_user(email="pat.example@alder-care.example", name="Pat Example")

    application = register(identity_db, email=email, name=name)

    assert application_row(identity_db, application["id"]).flags == [flag]
    assert recorded_events("identity.registration_submitted")[0]["data"]["flags"] == [flag]


def test_a_clean_application_has_no_flags(identity_db, reference):
    application = register(identity_db, email="sam.jones@alder-care.example")
    assert application_row(identity_db, application["id"]).flags == []


def test_generic_account_flag_is_stored(identity_db, reference):
    application = register(identity_db, name="Alder House Office", email="office@alder-care.example",
                           generic=True)

    assert user_row(identity_db, application["user_id"]).generic is True
    assert application["generic"] is True
    assert register(identity_db)["generic"] is False


@pytest.mark.parametrize("fields, bad_field", [
    ({"organisation_id": "no-such-org"}, "organisation_id"),
    ({"location_id": "1-200"}, "location_id"),  # Birch Court belongs to prov-b
    ({"location_id": "9-999"}, "location_id"),
])
def test_unknown_organisation_or_foreign_location_is_invalid_input_naming_the_field(
        identity_db, reference, recorded_events, fields, bad_field):
    with pytest.raises(InvalidInput) as error:
        register(identity_db, **fields)

    assert list(error.value.fields) == [bad_field]
    assert count(identity_db, User) == 0 and count(identity_db, Application) == 0
    assert recorded_events() == []


def test_registration_for_an_inactive_location_is_invalid(identity_db, reference):
    with identity_db.unit_of_work() as uow:
        handlers.apply_location_snapshot(uow, {**reference["locations"][0], "version": 2, "active": False})
        uow.commit()
    with pytest.raises(InvalidInput) as error:
        register(identity_db, location_id="1-100")
    assert list(error.value.fields) == ["location_id"]


def test_duplicate_email_is_a_conflict_and_adds_nothing(identity_db, create_user, recorded_events):
    create_user(email="sam.jones@alder-care.example")

    with pytest.raises(Conflict) as error:
        register(identity_db, email="  Sam.Jones@Alder-Care.example ")

    assert list(error.value.fields) == ["email"]
    assert count(identity_db, User) == 1 and count(identity_db, Application) == 0
    assert recorded_events() == []


def test_a_pending_applicant_cannot_register_twice(identity_db, reference):
    register(identity_db)
    with pytest.raises(Conflict):
        register(identity_db)
    assert count(identity_db, Application) == 1


# -- the application form's search ----------------------------------------------------------------
def places(identity_db, text):
    with identity_db.unit_of_work() as uow:
        return [(p["organisation_id"], p["location_id"]) for p in handlers.find_places(uow, text)]


@pytest.mark.parametrize("text, found", [
    ("alder", [("prov-a", "1-100"), ("prov-a", "1-101"), ("prov-a", None)]),  # homes first, then organisations
    ("s70 1a", [("prov-a", "1-100"), ("prov-a", "1-101")]),  # a postcode, however spaced
    ("S701AB", [("prov-a", "1-101")]),
    ("council", [("la-E08000016", None)]),
    ("support", []),  # the administrators' own organisation is not applied to
    ("100%", []),  # wildcards are plain characters
    ("_", []),
])
def test_people_applying_find_their_home_or_organisation(identity_db, reference, text, found):
    assert places(identity_db, text) == found
