"""Sending: an email accepted against its template, handed to a real SMTP
server by the dispatcher, its status followed through retries and failures;
idempotent by reference, limited per sender, secrets gone once sent; the
history administrators read, and versioned templates. The clock is frozen
and moved by hand; the database and the SMTP server are real."""
from __future__ import annotations

from sqlalchemy import select, text

import pytest

from notifications.delivery import Accepted
from notifications.handlers import dispatch, history, sending
from notifications.models import Notification
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.notifications import NotificationQuery, SendEmailRequest

SETTINGS = dispatch.DispatchSettings(batch=10, rate_limit_per_minute=100, max_attempts=3,
                                     retry_base_seconds=30, retry_cap_seconds=600, lease_seconds=300)
OTP = "Kestrel-Harbour-91"


def send(db, sealer, template="user-approved", to="sam@alder.example", reference=None, sender="identity",
         **personalisation):
    values = personalisation or {"name": "Sam Jones", "email": to, "one-time password": OTP,
                                 "sign in link": "http://localhost:8000/sign-in"}
    request = SendEmailRequest().load({"template": template, "to": to, "personalisation": values,
                                       "reference": reference})
    with db.unit_of_work() as uow:
        result = sending.send_email(uow, sealer, request, sender=sender)
        uow.commit()
    return result


def run_dispatcher(db, sealer, provider, settings=SETTINGS) -> list[str]:
    """One pass of the dispatcher: the statuses it left."""
    return [status for _, status in dispatch.dispatch_batch(db, sealer, provider, settings)]


def stored(db, notification_id) -> Notification:
    with db.unit_of_work() as uow:
        notification = uow.session.get(Notification, notification_id)
        uow.session.expunge(notification)  # readable after the unit of work
        return notification


def view(db, notification_id) -> dict:
    with db.unit_of_work() as uow:
        return history.get_notification(uow, notification_id)


def test_an_accepted_email_arrives_and_is_delivered(notifications_db, sealer, smtp, provider):
    inbox, _ = smtp
    accepted = send(notifications_db, sealer, reference="approval-1")
    assert accepted["status"] == "created" and accepted["duplicate"] is False

    assert run_dispatcher(notifications_db, sealer, provider) == ["delivered"]
    [message] = inbox.to("sam@alder.example")
    assert message["Subject"] == "Your Capacity Tracker account is ready"
    assert accepted["id"] in message["Message-ID"]
    assert f"one-time password: {OTP}" in inbox.text(message)
    found = view(notifications_db, accepted["id"])
    assert found["status"] == "delivered" and found["attempts"] == 1 and found["provider"] == "smtp"
    assert found["sent_at"] and found["completed_at"]
    assert run_dispatcher(notifications_db, sealer, provider) == []  # nothing left to do


def test_the_same_reference_twice_sends_once(notifications_db, sealer, smtp, provider):
    inbox, _ = smtp
    first = send(notifications_db, sealer, reference="event-1:sam@alder.example")
    again = send(notifications_db, sealer, reference="event-1:sam@alder.example")
    assert again == {"id": first["id"], "status": "created", "duplicate": True}
    run_dispatcher(notifications_db, sealer, provider)
    after = send(notifications_db, sealer, reference="event-1:sam@alder.example")
    assert after == {"id": first["id"], "status": "delivered", "duplicate": True}
    run_dispatcher(notifications_db, sealer, provider)
    assert len(inbox.to("sam@alder.example")) == 1


def test_missing_personalisation_is_refused_naming_every_name(notifications_db, sealer):
    with pytest.raises(InvalidInput) as refused:
        send(notifications_db, sealer, template="user-approved", name="Sam")
    assert set(refused.value.fields["personalisation"]) == {"email", "one-time password", "sign in link"}
    with pytest.raises(InvalidInput) as unknown:
        send(notifications_db, sealer, template="no-such-template", name="Sam")
    assert "template" in unknown.value.fields
    with notifications_db.unit_of_work() as uow:
        assert uow.session.scalar(select(Notification.id)) is None  # nothing was made


def test_a_temporary_failure_is_retried_with_back_off_then_delivered(notifications_db, sealer, smtp, provider,
                                                                    clock):
    inbox, _ = smtp
    inbox.refuse("sam@alder.example", "450 4.2.1 Mailbox busy")
    accepted = send(notifications_db, sealer)
    assert run_dispatcher(notifications_db, sealer, provider) == ["sending"]
    retry = stored(notifications_db, accepted["id"])
    assert (retry.next_attempt_at - clock.now()).total_seconds() == 30
    assert "450" in retry.failure
    assert run_dispatcher(notifications_db, sealer, provider) == []  # not due yet
    clock.advance(seconds=31)
    assert run_dispatcher(notifications_db, sealer, provider) == ["delivered"]
    assert len(inbox.to("sam@alder.example")) == 1
    found = view(notifications_db, accepted["id"])
    assert [(h["attempt"], h["outcome"]) for h in found["history"]] == [(1, "retry"), (2, "delivered")]
    assert found["failure"] is None


def test_temporary_failures_end_in_temporary_failure_after_the_last_attempt(notifications_db, sealer, smtp,
                                                                            provider, clock):
    inbox, _ = smtp
    inbox.refuse("sam@alder.example", "451 4.3.0 Try later", always=True)
    accepted = send(notifications_db, sealer)
    waits = []
    for _ in range(SETTINGS.max_attempts):
        run_dispatcher(notifications_db, sealer, provider)
        due = stored(notifications_db, accepted["id"]).next_attempt_at
        if due:
            waits.append((due - clock.now()).total_seconds())
            clock.advance(seconds=waits[-1])
    assert waits == [30, 60]  # then the third attempt is the last
    final = stored(notifications_db, accepted["id"])
    assert final.status == "temporary-failure" and final.attempts == 3 and final.next_attempt_at is None
    assert inbox.rcpt_attempts["sam@alder.example"] == 3 and inbox.to("sam@alder.example") == []


def test_a_permanent_failure_is_not_retried(notifications_db, sealer, smtp, provider, clock):
    inbox, _ = smtp
    inbox.refuse("nobody@alder.example", "550 5.1.1 No such user", always=True)
    accepted = send(notifications_db, sealer, to="nobody@alder.example")
    assert run_dispatcher(notifications_db, sealer, provider) == ["permanent-failure"]
    clock.advance(hours=2)
    assert run_dispatcher(notifications_db, sealer, provider) == []
    assert inbox.rcpt_attempts["nobody@alder.example"] == 1
    assert "550" in view(notifications_db, accepted["id"])["failure"]


def test_an_unreachable_server_is_a_temporary_failure_and_nothing_is_lost(notifications_db, sealer, smtp, clock):
    from notifications.delivery import SmtpProvider
    from tracker_common.testing import free_port

    inbox, port = smtp
    down = SmtpProvider("127.0.0.1", free_port(), "Capacity Tracker <noreply@tracker.example>", timeout=2)
    up = SmtpProvider("127.0.0.1", port, "Capacity Tracker <noreply@tracker.example>", timeout=5)
    send(notifications_db, sealer)
    assert run_dispatcher(notifications_db, sealer, down) == ["sending"]
    clock.advance(seconds=31)
    assert run_dispatcher(notifications_db, sealer, up) == ["delivered"]
    assert len(inbox.to("sam@alder.example")) == 1


def test_a_dispatcher_that_dies_mid_send_leaves_the_email_to_be_sent_after_its_lease(
        notifications_db, sealer, smtp, provider, clock):
    inbox, _ = smtp
    accepted = send(notifications_db, sealer)
    with notifications_db.unit_of_work() as uow:  # claimed, then the process dies
        assert len(dispatch.claim(uow, sealer, SETTINGS)) == 1
        uow.commit()
    assert run_dispatcher(notifications_db, sealer, provider) == []  # another instance leaves it alone
    clock.advance(seconds=SETTINGS.lease_seconds + 1)
    assert run_dispatcher(notifications_db, sealer, provider) == ["delivered"]
    assert stored(notifications_db, accepted["id"]).attempts == 2
    assert len(inbox.to("sam@alder.example")) == 1


def test_each_sender_has_its_own_rate_limit(notifications_db, sealer, smtp, provider, clock):
    inbox, _ = smtp
    limited = dispatch.DispatchSettings(**{**SETTINGS.__dict__, "rate_limit_per_minute": 2})
    for n in range(5):
        send(notifications_db, sealer, to=f"user{n}@alder.example", sender="reminders")
    send(notifications_db, sealer, to="approver@council.example", sender="identity")
    assert run_dispatcher(notifications_db, sealer, provider, limited) == ["delivered"] * 3
    assert {m["To"] for m in inbox.messages} == {"user0@alder.example", "user1@alder.example",
                                                 "approver@council.example"}
    clock.advance(seconds=30)
    assert run_dispatcher(notifications_db, sealer, provider, limited) == []  # still within the minute
    clock.advance(seconds=31)
    assert run_dispatcher(notifications_db, sealer, provider, limited) == ["delivered"] * 2
    clock.advance(seconds=61)
    assert run_dispatcher(notifications_db, sealer, provider, limited) == ["delivered"]
    assert len(inbox.messages) == 6


def test_secrets_are_not_kept_once_the_email_is_out(notifications_db, sealer, smtp, provider):
    accepted = send(notifications_db, sealer)
    with notifications_db.engine.connect() as connection:
        sealed = connection.execute(text("SELECT personalisation_sealed FROM notifications")).scalar()
        assert sealed is not None and OTP.encode() not in bytes(sealed)  # encrypted while waiting
    run_dispatcher(notifications_db, sealer, provider)
    with notifications_db.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM notifications")).mappings().one()
        assert row["personalisation_sealed"] is None
        assert OTP not in str(dict(row))
        assert OTP not in str(connection.execute(text("SELECT * FROM delivery_attempts")).all())
    found = view(notifications_db, accepted["id"])
    assert found["personalisation"]["one-time password"] == "(hidden)"
    assert "one-time password: (hidden)" in found["body"] and OTP not in str(found)


class FakeNotify:
    """A provider that accepts and reports later (as GOV.UK Notify does)."""

    name = "notify"

    def __init__(self):
        self.statuses = {}

    def send(self, email):
        self.statuses[email.notification_id] = "sending"
        return Accepted("notify", f"notify-{email.notification_id}", delivered=False)

    def status(self, provider_id):
        return self.statuses[provider_id.removeprefix("notify-")]


def test_a_provider_that_reports_later_is_asked_until_it_says(notifications_db, sealer, clock):
    notify = FakeNotify()
    accepted = send(notifications_db, sealer)
    assert run_dispatcher(notifications_db, sealer, notify) == ["sending"]
    assert stored(notifications_db, accepted["id"]).personalisation_sealed is None  # the provider has it
    clock.advance(seconds=11)
    assert run_dispatcher(notifications_db, sealer, notify) == ["sending"]
    notify.statuses[accepted["id"]] = "permanent-failure"
    clock.advance(seconds=11)
    assert run_dispatcher(notifications_db, sealer, notify) == ["permanent-failure"]
    found = view(notifications_db, accepted["id"])
    assert found["provider"] == "notify" and found["attempts"] == 1


def test_history_by_recipient_reference_and_status(notifications_db, sealer, smtp, provider, clock):
    inbox, _ = smtp
    inbox.refuse("gone@alder.example", "550 No such user", always=True)
    first = send(notifications_db, sealer, reference="a")
    clock.advance(seconds=1)
    second = send(notifications_db, sealer, reference="b", to="SAM@alder.example")
    clock.advance(seconds=1)
    send(notifications_db, sealer, to="gone@alder.example")
    run_dispatcher(notifications_db, sealer, provider)

    def find(**query):
        with notifications_db.unit_of_work() as uow:
            return history.find_notifications(uow, NotificationQuery().load(query))

    by_recipient = find(to="Sam@Alder.example")
    assert [n["id"] for n in by_recipient["notifications"]] == [second["id"], first["id"]]  # newest first
    assert find(reference="a")["notifications"][0]["id"] == first["id"]
    assert [n["to"] for n in find(status="permanent-failure")["notifications"]] == ["gone@alder.example"]
    page = find(per_page=2, page=2)
    assert page["total"] == 3 and [n["id"] for n in page["notifications"]] == [first["id"]]


def test_a_new_template_version_is_used_from_the_next_email(notifications_db, sealer, smtp, provider):
    inbox, _ = smtp
    old = send(notifications_db, sealer, reference="old")
    with notifications_db.unit_of_work() as uow:
        published = sending.publish_version(uow, "user-approved", {
            "subject": "Welcome, ((name))", "body": "Your password is ((one-time password))."}, author="admin-1")
        uow.commit()
    assert published["version"] == 2 and [v["version"] for v in published["versions"]] == [2, 1]
    assert published["versions"][0]["created_by"] == "admin-1"
    new = send(notifications_db, sealer, reference="new")
    run_dispatcher(notifications_db, sealer, provider)
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == ["Welcome, Sam Jones", "Your Capacity Tracker account is ready"]  # each its own version
    assert view(notifications_db, old["id"])["template"] == {"id": "user-approved", "version": 1}
    assert view(notifications_db, new["id"])["template"] == {"id": "user-approved", "version": 2}


def test_a_template_version_may_only_use_its_own_placeholders(notifications_db):
    with notifications_db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as refused:
            sending.publish_version(uow, "account-locked", {
                "subject": "Locked ((Name))", "body": "Until ((locked until)), ((one-time password))"}, author="a")
    assert "one-time password" in refused.value.fields["body"][0]
    assert "subject" not in refused.value.fields  # placeholders match case-insensitively
    with notifications_db.unit_of_work() as uow:
        assert sending.get_template(uow, "account-locked")["version"] == 1


def test_a_preview_renders_new_wording_with_sample_values_and_saves_nothing(notifications_db):
    with notifications_db.unit_of_work() as uow:
        shown = sending.preview(uow, "user-approved", {
            "subject": "Welcome, ((Name))",
            "body": "# Your account\n\nSign in at ((sign in link)) with <b>((one-time password))</b>."})
    assert shown["subject"] == "Welcome, [name]"
    assert shown["html"] == ("<h2>Your account</h2>\n<p>Sign in at [sign in link] with &lt;b&gt;[one-time password]"
                             "&lt;/b&gt;.</p>")
    assert shown["text"].startswith("# Your account")
    with notifications_db.unit_of_work() as uow:
        assert sending.get_template(uow, "user-approved")["version"] == 1


def test_a_preview_refuses_what_publishing_would(notifications_db):
    with notifications_db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as refused:
            sending.preview(uow, "account-locked", {"subject": "Locked ((name)", "body": "Until ((unlock time))"})
    assert refused.value.fields["subject"] == ["A placeholder is not closed: write it as ((name)), on one line."]
    assert refused.value.fields["body"][0].startswith("Unknown placeholder(s): unlock time. This template can use:")
    with notifications_db.unit_of_work() as uow:
        with pytest.raises(InvalidInput):
            sending.publish_version(uow, "account-locked", {"subject": "Locked ((name)", "body": "x"}, author="a")


def test_emails_past_the_retention_period_are_forgotten(notifications_db, sealer, smtp, provider, clock):
    from datetime import timedelta

    old = send(notifications_db, sealer, reference="old")
    run_dispatcher(notifications_db, sealer, provider)
    clock.advance(days=80)
    waiting = send(notifications_db, sealer, reference="waiting")  # not finished: kept whatever its age
    clock.advance(days=11)
    with notifications_db.unit_of_work() as uow:
        assert history.forget_old(uow, timedelta(days=90)) == 1
        uow.commit()
    with notifications_db.unit_of_work() as uow:
        assert uow.session.get(Notification, old["id"]) is None
        assert uow.session.get(Notification, waiting["id"]) is not None
        assert uow.session.execute(text("SELECT count(*) FROM delivery_attempts")).scalar() == 0
