"""The notifications service on a real broker, with a real SMTP server:
events become emails read from the server, a duplicated event sends once,
an event whose recipients identity must name waits for identity, and an
email accepted before the service was killed still arrives after a
restart."""
from __future__ import annotations

from datetime import datetime, timezone

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy

from notifications.handlers import readmodel
from notifications.handlers.history import get_notification
from notifications.models import Location
from notifications.service import NotificationsService
from tracker_common.contracts.events import SUBSCRIPTIONS, new_event, schema_of
from tracker_common.testing import empty_subscriptions, publish_messages, wait_until

from .conftest import Inbox


@pytest.fixture(autouse=True)
def notifications_queues_empty(amqp_uri):
    """Start from empty queues: other services' tests publish to this vhost."""
    empty_subscriptions(amqp_uri, "notifications")


def know_a_location(db, location_id="1-9", name="Known House"):
    """A location in the read model: a service starting on an empty one
    first rebuilds it from providers (tested on its own below)."""
    with db.unit_of_work() as uow:
        readmodel.apply_location_snapshots(uow.session, [{
            "location_id": location_id, "version": 1, "organisation_id": "1-100000001", "name": name,
            "la_code": "E08000016", "sub_icb_code": "E38000006", "active": True}])
        uow.commit()


@pytest.fixture
def service_env(monkeypatch, smtp, notifications_db):
    know_a_location(notifications_db)
    _, port = smtp
    for name, value in {"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "EMAIL_RETRY_BASE_SECONDS": "0.2", "EMAIL_RETRY_CAP_SECONDS": "1",
                        "EMAIL_MAX_ATTEMPTS": "50", "EMAIL_LEASE_SECONDS": "3", "RPC_TIMEOUT": "2",
                        "EMAIL_JOB_RETRY_BASE_SECONDS": "0.2", "PUBLIC_URL": "https://tracker.example"}.items():
        monkeypatch.setenv(name, value)
    return port


def message(event_type, data):
    return new_event(event_type, schema_of(event_type).load(data),
                     occurred_at=datetime.now(timezone.utc)).to_message()


def approved(sealer, email_address="ana@alder.example", otp="Puffin-Lake-37"):
    return message("identity.user_approved", {
        "application_id": "a1", "user_id": "u1", "name": "Ana Lopez", "email": email_address,
        "organisation_id": "1-100000001", "one_time_password_sealed": sealer.encrypt(otp.encode()).decode()})


def test_events_become_emails_and_a_duplicate_sends_once(run_container, amqp_uri, service_env, smtp, sealer):
    inbox, _ = smtp
    approval = approved(sealer)
    application = message("identity.registration_submitted", {
        "application_id": "a2", "kind": "registration", "user_id": "u2", "name": "Bo Smith",
        "email": "bo@gmail.com", "organisation_id": "1-100000001", "organisation_name": "Alder Care Ltd",
        "location_ids": [], "level": "standard", "flags": ["personal_webmail:gmail.com"],
        "routed_to": "approvers", "reviewers": [
            {"user_id": "r1", "email": "rita@alder.example", "name": "Rita"},
            {"user_id": "r2", "email": "raj@alder.example", "name": "Raj"}]})
    with run_container(NotificationsService):
        publish_messages(amqp_uri, [approval, application, approval])
        [welcome] = inbox.wait_for("ana@alder.example")
        inbox.wait_for("rita@alder.example")
        [review] = inbox.wait_for("raj@alder.example")
    assert "one-time password: Puffin-Lake-37" in Inbox.text(welcome)
    assert welcome["Subject"] == "Your Capacity Tracker account is ready"
    assert review["Subject"] == "Bo Smith has applied for access to the Capacity Tracker"
    assert "They used a personal email address (gmail.com)." in Inbox.text(review)
    assert "https://tracker.example/applications" in Inbox.text(review)
    assert len(inbox.to("ana@alder.example")) == 1  # the duplicate was ignored


class FakeIdentity:
    """identity's contacts RPC, as the real one answers for one commissioner."""

    name = "identity"

    @rpc
    def contacts(self, query):
        assert query == {"commissioner_code": "E08000016"}
        return {"contacts": [{"user_id": "p1", "email": "priya@barnsley.example", "name": "Priya",
                              "location_ids": []}], "routed_to": "approvers"}


def test_an_email_whose_recipients_identity_names_waits_for_identity(run_container, amqp_uri, service_env, smtp):
    inbox, _ = smtp
    with run_container(NotificationsService):
        publish_messages(amqp_uri, [message("providers.contract_requested", {
            "contract_id": "c1", "location_id": "1-1", "location_name": "Alder House",
            "commissioner_kind": "local_authority", "commissioner_code": "E08000016",
            "commissioner_name": "Barnsley"})])
        eventlet.sleep(2)
        assert inbox.messages == []  # identity is not running: the job waits
        with run_container(FakeIdentity):
            [request] = inbox.wait_for("priya@barnsley.example", timeout=30)
    assert request["Subject"] == "Alder House says it has a contract with Barnsley"


def test_send_email_over_rpc_names_what_is_missing(run_container, container_config, service_env, smtp):
    inbox, _ = smtp
    with run_container(NotificationsService):
        with ServiceRpcProxy("notifications", container_config) as notifications:
            with pytest.raises(Exception) as refused:
                notifications.send_email("account-locked", "lee@alder.example", {"name": "Lee"})
            assert "locked until" in str(refused.value)
            first = notifications.send_email("account-locked", "lee@alder.example",
                                             {"name": "Lee", "locked until": "9:00am on 24 November 2026"},
                                             reference="lock-1")
            again = notifications.send_email("account-locked", "lee@alder.example",
                                             {"name": "Lee", "locked until": "9:00am on 24 November 2026"},
                                             reference="lock-1")
            inbox.wait_for("lee@alder.example")
    assert again["id"] == first["id"] and again["duplicate"] is True
    assert len(inbox.to("lee@alder.example")) == 1


def test_an_email_accepted_before_a_kill_arrives_after_the_restart(run_container, container_config, service_env,
                                                                   smtp, notifications_db):
    inbox, port = smtp
    inbox.refuse("ana@alder.example", "421 4.3.2 Service shutting down", always=True)
    container = run_container.start(NotificationsService)
    with ServiceRpcProxy("notifications", container_config) as notifications:
        sent = notifications.send_email("account-locked", "ana@alder.example",
                                        {"name": "Ana", "locked until": "9:00am on 24 November 2026"})
    wait_until(lambda: inbox.rcpt_attempts.get("ana@alder.example", 0) >= 1, message="a first attempt")
    container.kill()  # as kill -9 would: nothing more from this instance
    inbox.always.clear()  # the mail server is well again
    with run_container(NotificationsService):
        inbox.wait_for("ana@alder.example", timeout=30)

        def delivered():
            with notifications_db.unit_of_work() as uow:
                found = get_notification(uow, sent["id"])
            return found if found["status"] == "delivered" else None
        found = wait_until(delivered, message="delivered")
    assert found["attempts"] >= 2
    assert len(inbox.to("ana@alder.example")) == 1


class FakeCapacity:
    """capacity's stale_locations: two homes that never sent a return, one
    with its reminders switched off."""

    name = "capacity"

    @rpc
    def stale_locations(self, query):
        assert query == {"older_than_hours": 24}
        return [{"location_id": location_id, "name": name, "provider_id": "1-100000001", "la_code": "E08000016",
                 "sub_icb_code": "E38000006", "last_submitted_at": None, "staleness": "never",
                 "reminders_enabled": enabled}
                for location_id, name, enabled in (("1-1", "Alder House", True), ("1-2", "Birch Lodge", False))]


class FakeIdentityForLocations:
    name = "identity"

    @rpc
    def contacts(self, query):
        people = {"1-1": ("ana@alder.example", "Ana"), "1-2": ("bo@birch.example", "Bo")}
        return {"contacts": [{"user_id": email_address, "email": email_address, "name": name, "location_ids": [lid]}
                             for lid, (email_address, name) in people.items() if lid in query["location_ids"]],
                "routed_to": None}


def test_the_scheduled_reminders_ask_capacity_and_identity_then_email(run_container, service_env, smtp):
    from nameko.testing.services import entrypoint_hook

    inbox, _ = smtp
    with run_container(FakeCapacity), run_container(FakeIdentityForLocations), \
            run_container(NotificationsService) as container:
        with entrypoint_hook(container, "remind_stale_locations") as remind:
            remind()
            remind()  # the same stale spell: nothing more
        [reminder] = inbox.wait_for("ana@alder.example")
        eventlet.sleep(1.5)  # time for anything else the dispatcher might send
    assert reminder["Subject"] == "Update your vacancies on the Capacity Tracker"
    assert "* Alder House" in Inbox.text(reminder) and "48 hours" in Inbox.text(reminder)
    assert inbox.to("bo@birch.example") == [] and len(inbox.messages) == 1  # switched off for Birch Lodge


class FakeProviders:
    """providers' location_snapshots, two pages."""

    name = "providers"

    @rpc
    def location_snapshots(self, after="", limit=500):
        homes = [("1-1", "Alder House", "ana@alder.example"), ("1-2", "Birch Lodge", None)]
        snapshot = {"version": 3, "organisation_id": "1-100000001", "postcode": "S70 1AA", "la_code": "E08000016",
                    "sub_icb_code": "E38000006", "active": True, "reminders_enabled": False}
        page = [h for h in homes if h[0] > after][:1]
        return {"snapshots": [{**snapshot, "location_id": i, "name": n, "manager": {"email": m} if m else {}}
                              for i, n, m in page], "next": page[0][0] if page else None}


def test_a_service_starting_with_no_locations_learns_them_from_providers(run_container, service_env,
                                                                        notifications_db):
    with notifications_db.unit_of_work() as uow:
        uow.session.query(Location).delete()
        uow.commit()
    with run_container(NotificationsService):
        eventlet.sleep(1)  # providers is not up yet: the service waits for it
        with run_container(FakeProviders):
            def learnt():
                with notifications_db.unit_of_work() as uow:
                    return uow.session.query(Location).count() == 2 and {
                        (loc.name, loc.manager_email, loc.reminders_enabled, loc.version)
                        for loc in uow.session.query(Location)}
            assert wait_until(learnt, timeout=30, message="the locations rebuilt") == {
                ("Alder House", "ana@alder.example", False, 3), ("Birch Lodge", None, False, 3)}


class IdentityForEveryEvent:
    """identity's contacts for the events that need a lookup."""

    name = "identity"

    @rpc
    def contacts(self, query):
        def one(email_address, name):
            return {"user_id": name.lower(), "email": email_address, "name": name, "location_ids": []}
        if "commissioner_code" in query:
            return {"contacts": [one("priya@barnsley.example", "Priya")], "routed_to": "approvers"}
        if "user_ids" in query:
            return {"contacts": [one("lee@alder.example", "Lee")], "routed_to": None}
        return {"contacts": [{**one("ana@alder.example", "Ana"), "location_ids": query["location_ids"]}],
                "routed_to": None}


RESET_TOKEN = "Zq3-_" + "k" * 38


def test_every_event_sends_its_email_to_the_right_people(run_container, amqp_uri, service_env, smtp, sealer):
    """One event of each kind, each email read back from the SMTP server."""
    inbox, _ = smtp
    sealed = sealer.encrypt(b"Otter-Field-64").decode()
    sealed_token = sealer.encrypt(RESET_TOKEN.encode()).decode()
    user = {"user_id": "u1", "name": "Ana", "email": "ana@alder.example"}
    application = {"application_id": "a1", "user_id": "u2", "name": "Bo Smith", "email": "bo@alder.example",
                   "organisation_id": "1-100000001", "organisation_name": "Alder Care Ltd", "location_ids": ["1-9"],
                   "level": "standard", "flags": [], "routed_to": "approvers",
                   "reviewers": [{"user_id": "r1", "email": "rita@alder.example", "name": "Rita"}]}
    contract = {"contract_id": "c1", "location_id": "1-9", "location_name": "Known House",
                "commissioner_kind": "local_authority", "commissioner_code": "E08000016",
                "commissioner_name": "Barnsley"}
    expected = [  # (event type, data, recipient, subject)
        ("identity.registration_submitted", {**application, "kind": "registration"}, "rita@alder.example",
         "Bo Smith has applied for access to the Capacity Tracker"),
        ("identity.access_requested", {**application, "kind": "location_access", "reviewers": [
            {"user_id": "r2", "email": "raj@alder.example", "name": "Raj"}]}, "raj@alder.example",
         "Bo Smith has applied for access to the Capacity Tracker"),
        ("identity.user_approved", {**user, "application_id": "a1", "organisation_id": "1-100000001",
                                    "one_time_password_sealed": sealed}, "ana@alder.example",
         "Your Capacity Tracker account is ready"),
        ("identity.user_rejected", {"application_id": "a3", "kind": "registration", "user_id": "u3",
                                    "name": "Cy", "email": "cy@alder.example", "reason": "Not known here."},
         "cy@alder.example", "Your Capacity Tracker application was not approved"),
        ("identity.access_rejected", {"application_id": "a4", "kind": "location_access", "user_id": "u4",
                                      "name": "Di", "email": "di@alder.example", "reason": "Wrong home."},
         "di@alder.example", "Your Capacity Tracker application was not approved"),
        ("identity.access_approved", {"application_id": "a5", "user_id": "u5", "email": "ed@alder.example",
                                      "location_ids": ["1-9"]}, "ed@alder.example",
         "You can now update more locations on the Capacity Tracker"),
        ("identity.password_reset", {"user_id": "u6", "name": "Flo", "email": "flo@alder.example",
                                     "one_time_password_sealed": sealed}, "flo@alder.example",
         "Your Capacity Tracker password has been reset"),
        ("identity.password_expiring", {"user_id": "u7", "name": "Gus", "email": "gus@alder.example",
                                        "expires_at": "2026-12-01T09:00:00+00:00", "days_left": 5},
         "gus@alder.example", "Your Capacity Tracker password expires in 5 days"),
        ("identity.account_locked", {"user_id": "u8", "name": "Hal", "email": "hal@alder.example",
                                     "locked_until": "2026-11-24T09:00:00+00:00"}, "hal@alder.example",
         "Your Capacity Tracker account is locked"),
        ("identity.mfa_reset", {"user_id": "u10", "name": "Ivy", "email": "ivy@alder.example"},
         "ivy@alder.example", "Set up your authenticator app again for the Capacity Tracker"),
        ("identity.password_reset_requested", {"user_id": "u11", "name": "Jo", "email": "jo@alder.example",
                                               "reset_token_sealed": sealed_token,
                                               "expires_at": "2026-11-24T09:00:00+00:00"},
         "jo@alder.example", "Reset your Capacity Tracker password"),
        ("identity.password_reset_completed", {"user_id": "u12", "name": "Kit", "email": "kit@alder.example",
                                               "reset_at": "2026-11-24T08:10:00+00:00"},
         "kit@alder.example", "Your Capacity Tracker password has been changed"),
        ("providers.contract_requested", contract, "priya@barnsley.example",
         "Known House says it has a contract with Barnsley"),
        ("providers.contract_decided", {**contract, "decision": "approved", "reason": None}, "ana@alder.example",
         "Your contract with Barnsley was approved"),
        ("capacity.bulk_upload_processed", {"upload_id": "up1", "uploaded_by": "u9", "file_name": "homes.xlsx",
                                            "status": "processed", "applied": 3, "refused": 0, "reason": None},
         "lee@alder.example", "Your bulk update homes.xlsx: processed"),
    ]
    assert {event_type for event_type, *_ in expected} == set(SUBSCRIPTIONS["notifications"]) - {
        "providers.location_updated"}
    with run_container(IdentityForEveryEvent), run_container(NotificationsService):
        publish_messages(amqp_uri, [message(event_type, data) for event_type, data, *_ in expected])
        for event_type, _, recipient, subject in expected:
            assert subject in [m["Subject"] for m in inbox.wait_for(recipient)], event_type
        eventlet.sleep(1.5)  # anything more would show now
    assert len(inbox.messages) == len(expected)
    [access] = inbox.to("ed@alder.example")
    assert "* Known House" in Inbox.text(access)  # named, not numbered
    [reset] = inbox.to("flo@alder.example")
    assert "Otter-Field-64" in Inbox.text(reset)
    [link] = inbox.to("jo@alder.example")
    assert f"/reset-password?token={RESET_TOKEN}" in Inbox.text(link)
