"""The reviewers' decision on an application: who sees it and may decide
it, approval (a sealed one-time password) and rejection (with a reason),
and the level."""
import json

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from identity import handlers
from identity.models import AuditEntry, outbox
from identity.passwords import verify_password
from tracker_common.contracts.errors import Conflict, Forbidden, NotFound
from tracker_common.contracts.identity import DecisionRequest
from tracker_common.keys import message_sealer

from .helpers import application_row, audit_actions, call, register, user_row


# -- helpers -------------------------------------------------------------------


def decide(identity_db, deps, actor, application_id, *, decision="approve", reason=None, level=None):
    return call(identity_db, lambda uow: handlers.decide_application(
        uow, deps, actor, application_id, {"decision": decision, "reason": reason, "level": level}))


def pending_for(identity_db, actor):
    return call(identity_db, lambda uow: handlers.list_pending_applications(uow, actor))


# -- who sees and decides --------------------------------------------------------------

def test_only_reviewers_see_the_application_and_others_cannot_decide_it(
        identity_db, deps, create_user, principal):
    approver = principal(create_user(level="approver"))
    other_approver = principal(create_user(email="b@birch-homes.example", organisation_id="prov-b",
                                           level="approver"))
    colleague = principal(create_user())  # a care home standard user of the same organisation
    application = register(identity_db)

    assert [a["id"] for a in pending_for(identity_db, approver)] == [application["id"]]
    assert pending_for(identity_db, other_approver) == []
    assert pending_for(identity_db, colleague) == []
    for outsider in (other_approver, colleague):
        with pytest.raises(NotFound):
            decide(identity_db, deps, outsider, application["id"])
    assert application_row(identity_db, application["id"]).status == "pending"
    assert user_row(identity_db, application["user_id"]).status == "pending"


def test_system_champion_sees_and_decides_an_application_routed_to_them(
        identity_db, deps, create_user, principal):
    champion = principal(create_user(email="champ@barnsley.gov.uk", organisation_id="la-E08000016",
                                     roles=["system_champion"]))
    application = register(identity_db, location_id="1-100")

    assert [a["id"] for a in pending_for(identity_db, champion)] == [application["id"]]
    decide(identity_db, deps, champion, application["id"])
    assert user_row(identity_db, application["user_id"]).status == "active"


def test_approval_activates_the_user_with_a_sealed_one_time_password(
        identity_db, deps, create_user, principal, recorded_events, clock):
    approver_id = create_user(level="approver")
    application = register(identity_db)

    decided = decide(identity_db, deps, principal(approver_id), application["id"])

    assert (decided["status"], decided["decided_by"]) == ("approved", approver_id)
    user = user_row(identity_db, application["user_id"])
    assert (user.status, user.must_change_password, user.password_changed_at) == ("active", True, clock.now())
    event, = recorded_events("identity.user_approved")
    assert event["data"]["user_id"] == user.id and event["data"]["email"] == "sam.jones@alder-care.example"
    one_time_password = message_sealer().decrypt(event["data"]["one_time_password_sealed"].encode()).decode()
    assert verify_password(user.password_hash, one_time_password)
    # never in plain text: not on the bus, not in the audit log
    assert one_time_password not in json.dumps(recorded_events())
    with identity_db.unit_of_work() as uow:
        audit = [(e.action, json.dumps(e.details)) for e in uow.session.scalars(select(AuditEntry))]
    assert "registration_approved" in [action for action, _ in audit]
    assert all(one_time_password not in details for _, details in audit)
    with identity_db.engine.connect() as connection:
        raw_outbox = json.dumps([list(map(str, row)) for row in connection.execute(select(outbox))])
    assert one_time_password not in raw_outbox


def test_rejection_needs_a_reason():
    for body in ({"decision": "reject"}, {"decision": "reject", "reason": "   "}):
        with pytest.raises(ValidationError) as error:
            DecisionRequest().load(body)
        assert "reason" in error.value.messages
    assert DecisionRequest().load({"decision": "approve"})["reason"] is None


def test_rejection_records_the_reason_and_the_event(identity_db, deps, create_user, principal,
                                                   recorded_events):
    approver_id = create_user(level="approver")
    application = register(identity_db)

    decide(identity_db, deps, principal(approver_id), application["id"], decision="reject",
           reason="Not a member of staff")

    stored = application_row(identity_db, application["id"])
    assert (stored.status, stored.decision_reason, stored.decided_by) == (
        "rejected", "Not a member of staff", approver_id)
    user = user_row(identity_db, application["user_id"])
    assert (user.status, user.password_hash) == ("rejected", None)
    event, = recorded_events("identity.user_rejected")
    assert (event["data"]["reason"], event["data"]["email"]) == ("Not a member of staff",
                                                                  "sam.jones@alder-care.example")
    assert recorded_events("identity.user_approved") == []
    assert audit_actions(identity_db, user.id)[-1] == "registration_rejected"


@pytest.mark.parametrize("first, second", [("approve", "approve"), ("approve", "reject"),
                                           ("reject", "approve")])
def test_deciding_twice_is_a_conflict(identity_db, deps, create_user, principal, recorded_events,
                                      first, second):
    approver = principal(create_user(level="approver"))
    application = register(identity_db)
    decide(identity_db, deps, approver, application["id"], decision=first, reason="why")
    events_before = recorded_events()

    with pytest.raises(Conflict):
        decide(identity_db, deps, approver, application["id"], decision=second, reason="why")

    assert application_row(identity_db, application["id"]).status == {"approve": "approved",
                                                                      "reject": "rejected"}[first]
    assert recorded_events() == events_before
    assert pending_for(identity_db, approver) == []


def test_only_administrators_may_change_the_requested_level(identity_db, deps, create_user, principal):
    approver = principal(create_user(level="approver"))
    admin = principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))
    application = register(identity_db, level="standard")

    with pytest.raises(Forbidden) as error:
        decide(identity_db, deps, approver, application["id"], level="approver")
    assert "level" in error.value.fields
    assert application_row(identity_db, application["id"]).status == "pending"

    decide(identity_db, deps, admin, application["id"], level="approver")
    assert user_row(identity_db, application["user_id"]).level == "approver"
    assert application_row(identity_db, application["id"]).level == "approver"


def test_an_approver_may_approve_the_level_as_requested(identity_db, deps, create_user, principal):
    approver = principal(create_user(level="approver"))
    application = register(identity_db, level="approver")

    decide(identity_db, deps, approver, application["id"], level="approver")

    assert user_row(identity_db, application["user_id"]).level == "approver"


def test_nobody_may_decide_their_own_application(identity_db, deps, create_user, principal):
    # An approver of the whole of prov-a asks for Birch Court: their own
    # organisation's approvers (themselves included) would otherwise qualify.
    approver_id = create_user(level="approver")
    application = call(identity_db, lambda uow: handlers.request_location_access(
        uow, principal(approver_id), {"location_ids": ["1-200"]}))

    assert application["id"] not in [a["id"] for a in pending_for(identity_db, principal(approver_id))]
    with pytest.raises(NotFound):
        decide(identity_db, deps, principal(approver_id), application["id"])
    assert application_row(identity_db, application["id"]).status == "pending"
    assert "1-200" not in principal(approver_id).location_ids


def test_a_former_system_champion_can_no_longer_decide(identity_db, deps, create_user, principal,
                                                       revocations):
    champion_id = create_user(email="champ@barnsley.gov.uk", organisation_id="la-E08000016",
                              roles=["system_champion"])
    admin = principal(create_user(email="admin@tracker.example", organisation_id="ct-national", admin=True))
    application = register(identity_db, location_id="1-100")
    assert application["routed_to"] == "system_champions"

    call(identity_db, lambda uow: handlers.grant_permissions(uow, deps, admin, champion_id, {"roles": []}))
    former = principal(champion_id)  # the token they get next

    assert pending_for(identity_db, former) == []
    with pytest.raises(NotFound):
        decide(identity_db, deps, former, application["id"])
    assert user_row(identity_db, application["user_id"]).status == "pending"
