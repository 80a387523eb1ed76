"""The delivery providers against real servers: an aiosmtpd relay (the
`smtp` fixture's inbox, or one refusing in its own way) and a fake GOV.UK
Notify that checks each request as Notify would."""
from __future__ import annotations

import email
import email.policy
import threading
import time
import uuid

import jwt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from notifications.delivery import (Accepted, Email, NotifyProvider, PermanentFailure, SmtpProvider,
                                    TechnicalFailure, TemporaryFailure, provider_from_environment)
from tracker_common.testing import free_port

SERVICE_ID, SECRET = str(uuid.uuid4()), str(uuid.uuid4())
API_KEY = f"tracker_test-{SERVICE_ID}-{SECRET}"
NOTIFY_TEMPLATE = str(uuid.uuid4())


def an_email(**changes) -> Email:
    values = dict(notification_id=str(uuid.uuid4()), to="zoe@alder.example",
                  subject="Zoë, your Capacity Tracker account is ready",
                  text="Hello Zoë Ashby,\n\nThe fee is £25.\n", html="<p>Hello Zoë Ashby,</p><p>The fee is £25.</p>",
                  template_id="user-approved",
                  personalisation={"name": "Zoë Ashby", "one-time password": "Kx7-pQ2", "flagged": True,
                                   "checks": ["email confirmed"]})
    return Email(**{**values, **changes})


# SMTP -------------------------------------------------------------------------------------------------

def test_an_email_arrives_with_its_headers_and_both_parts_intact(smtp, provider):
    inbox, _ = smtp
    email = an_email()

    accepted = provider.send(email)

    assert accepted == Accepted("smtp", f"<{email.notification_id}@tracker.example>", delivered=True)
    [message] = inbox.wait_for("zoe@alder.example")
    assert message["From"] == "Capacity Tracker <noreply@tracker.example>"
    assert message["To"] == "zoe@alder.example"
    assert message["Subject"] == "Zoë, your Capacity Tracker account is ready"
    assert email.notification_id in message["Message-ID"] and message["Message-ID"] == accepted.provider_id
    assert message["X-Notification-Id"] == email.notification_id and message["Date"]
    assert inbox.text(message).replace("\r\n", "\n") == "Hello Zoë Ashby,\n\nThe fee is £25.\n"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert html.lstrip().startswith("<!DOCTYPE html>") and "<p>Hello Zoë Ashby,</p><p>The fee is £25.</p>" in html
    assert provider.status(accepted.provider_id) == "delivered"


@pytest.mark.parametrize("reply, failure, kind", [
    ("450 4.2.1 Mailbox busy", TemporaryFailure, "temporary"),
    ("550 5.1.1 No such user", PermanentFailure, "permanent"),
])
def test_a_recipient_deferred_is_a_temporary_failure_and_refused_a_permanent_one(smtp, provider, reply, failure,
                                                                                  kind):
    inbox, _ = smtp
    inbox.refuse("zoe@alder.example", reply)

    with pytest.raises(failure) as failed:
        provider.send(an_email())

    assert failed.value.kind == kind and f"the recipient: {reply}" in failed.value.detail
    assert inbox.messages == []


def test_a_closed_port_is_a_temporary_failure():
    provider = SmtpProvider("127.0.0.1", free_port(), "Capacity Tracker <noreply@tracker.example>", timeout=2)

    with pytest.raises(TemporaryFailure) as failed:
        provider.send(an_email())

    assert "could not reach the SMTP server" in failed.value.detail


def test_starttls_to_a_relay_without_it_is_a_technical_failure(smtp):
    inbox, port = smtp
    provider = SmtpProvider("127.0.0.1", port, "noreply@tracker.example", security="starttls", timeout=5)

    with pytest.raises(TechnicalFailure) as failed:
        provider.send(an_email())

    assert "STARTTLS" in failed.value.detail and inbox.messages == []


class Relay:
    """Keeps what it is sent and answers DATA with `reply`. One relay at a
    time: under eventlet, two asyncio loops in one process see each other."""

    def __init__(self, reply: str = "250 OK"):
        self.reply, self.messages = reply, []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return self.reply


def test_a_refused_message_is_permanent_and_its_detail_holds_none_of_the_email():
    port = free_port()  # a content filter quoting what it refused:
    controller = Controller(Relay("554 5.7.1 Refused: 'Zoë Ashby' and 'Kx7-pQ2' look like spam"),
                            hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(PermanentFailure) as failed:
            SmtpProvider("127.0.0.1", port, "noreply@tracker.example", timeout=5).send(an_email())
    finally:
        controller.stop()

    assert failed.value.detail.startswith("SMTP server refused the message: 554")
    assert "Zoë" not in failed.value.detail and "Kx7-pQ2" not in failed.value.detail


def test_an_email_that_cannot_be_built_is_a_technical_failure_naming_no_content(provider):
    with pytest.raises(TechnicalFailure) as failed:
        provider.send(an_email(subject="Zoë Ashby\nBcc: everyone@alder.example"))

    assert failed.value.detail == "unexpected error: ValueError"


def check_password(server, session, envelope, mechanism, auth_data):
    right = (auth_data.login, auth_data.password) == (b"tracker", b"right")
    return AuthResult(success=right, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture
def relay_requiring_auth():
    inbox, port = Relay(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=check_password,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.mark.parametrize("username, password, reason", [
    ("tracker", "wrong", "SMTP server refused our credentials: 535"),
    (None, None, "SMTP server refused the sender: 530"),
])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_refused_or_missing_are_a_technical_failure(relay_requiring_auth, username, password, reason):
    _, port = relay_requiring_auth
    provider = SmtpProvider("127.0.0.1", port, "noreply@tracker.example", username, password, timeout=5)

    with pytest.raises(TechnicalFailure) as failed:
        provider.send(an_email())

    assert failed.value.detail.startswith(reason)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_right_credentials_send_the_email(relay_requiring_auth):
    inbox, port = relay_requiring_auth
    provider = SmtpProvider("127.0.0.1", port, "noreply@tracker.example", "tracker", "right", timeout=5)

    provider.send(an_email())

    [message] = inbox.messages
    assert message["To"] == "zoe@alder.example"
    assert message["Subject"] == "Zoë, your Capacity Tracker account is ready"


# GOV.UK Notify -----------------------------------------------------------------------------------------

class FakeNotify:
    """GOV.UK Notify's email and status endpoints. Refuses (403) a request
    whose token Notify would refuse; a `refusal` (status, error, message)
    makes sends fail."""

    def __init__(self):
        self.received: list[dict] = []
        self.issued: list[str] = []
        self.statuses: dict[str, str] = {}
        self.refusal: tuple[int, str, str] | None = None
        self.delay = 0.0
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        app = Flask(__name__)
        app.post("/v2/notifications/email")(self.send)
        app.get("/v2/notifications/<notification_id>")(self.status)
        self.server = make_server("127.0.0.1", port, app, threaded=True)

    @staticmethod
    def error(status: int, error: str, message: str):
        return jsonify(status_code=status, errors=[{"error": error, "message": message}]), status

    def token_refused(self):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as exc:
            return self.error(403, "AuthError", f"Invalid token: {exc}")
        if scheme != "Bearer" or claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
            return self.error(403, "AuthError", "Invalid token: API key not found")
        return None

    def send(self):
        time.sleep(self.delay)
        if refused := self.token_refused():
            return refused
        if self.refusal:
            return self.error(*self.refusal)
        body = request.get_json()
        if missing := {"email_address", "template_id", "personalisation", "reference"} - set(body):
            return self.error(400, "ValidationError", f"{', '.join(sorted(missing))} is a required property")
        self.received.append(body)
        notification_id = str(uuid.uuid4())
        self.issued.append(notification_id)
        template = {"id": body["template_id"], "version": 1, "uri": f"{self.url}/v2/template/{body['template_id']}"}
        return jsonify(id=notification_id, reference=body["reference"],
                       uri=f"{self.url}/v2/notifications/{notification_id}",
                       content={"subject": "Your account is ready", "body": "Hello", "from_email": "ct@notify.example"},
                       template=template), 201

    def status(self, notification_id):
        if refused := self.token_refused():
            return refused
        return jsonify(id=notification_id, type="email", status=self.statuses.get(notification_id, "created"))


@pytest.fixture
def notify():
    fake = FakeNotify()
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def notify_provider(notify):
    return NotifyProvider(API_KEY, {"user-approved": NOTIFY_TEMPLATE}, base_url=notify.url, timeout=5)


def test_notify_is_sent_the_mapped_template_and_raw_personalisation_with_a_signed_token(notify, notify_provider):
    email = an_email()

    accepted = notify_provider.send(email)

    [sent] = notify.received
    assert sent == {"email_address": "zoe@alder.example", "template_id": NOTIFY_TEMPLATE,
                    "personalisation": email.personalisation, "reference": email.notification_id}
    assert accepted == Accepted("notify", notify.issued[0], delivered=False)
    # Signed with another secret, Notify (and so the fake) refuses the key.
    wrong_secret = NotifyProvider(f"tracker_test-{SERVICE_ID}-{uuid.uuid4()}", {"user-approved": NOTIFY_TEMPLATE},
                                  base_url=notify.url)
    with pytest.raises(TechnicalFailure, match=r"\(403\): AuthError: Invalid token"):
        wrong_secret.send(an_email())
    assert len(notify.received) == 1


@pytest.mark.parametrize("status, error, failure", [
    (400, "ValidationError", PermanentFailure),
    (403, "AuthError", TechnicalFailure),
    (429, "RateLimitError", TemporaryFailure),
    (500, "Exception", TemporaryFailure),
])
def test_notify_errors_are_classified_by_status(notify, notify_provider, status, error, failure):
    notify.refusal = (status, error, "email_address Not a valid email address")

    with pytest.raises(failure) as failed:
        notify_provider.send(an_email())

    assert type(failed.value) is failure
    assert f"({status}): {error}: email_address Not a valid email address" in failed.value.detail


def test_notify_unreachable_or_too_slow_is_a_temporary_failure_to_send_or_ask(notify):
    closed = NotifyProvider(API_KEY, {"user-approved": NOTIFY_TEMPLATE}, base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TemporaryFailure) as unreachable:
        closed.send(an_email())
    assert unreachable.value.detail == "could not reach GOV.UK Notify: ConnectionError"
    with pytest.raises(TemporaryFailure):
        closed.status(str(uuid.uuid4()))

    notify.delay = 1.0
    slow = NotifyProvider(API_KEY, {"user-approved": NOTIFY_TEMPLATE}, base_url=notify.url, timeout=0.2)
    with pytest.raises(TemporaryFailure) as timed_out:
        slow.send(an_email())
    assert timed_out.value.detail == "could not reach GOV.UK Notify: ReadTimeout"


def test_a_template_with_no_notify_template_is_a_technical_failure_naming_it(notify, notify_provider):
    with pytest.raises(TechnicalFailure) as failed:
        notify_provider.send(an_email(template_id="password-reset"))

    assert "'password-reset'" in failed.value.detail and notify.received == []
    assert notify_provider.unmapped(["user-approved", "password-reset", "contract-decided"]) == [
        "password-reset", "contract-decided"]


@pytest.mark.parametrize("notify_status, ours", [
    ("created", "sending"), ("sending", "sending"), ("pending", "sending"), ("delivered", "delivered"),
    ("permanent-failure", "permanent-failure"), ("temporary-failure", "temporary-failure"),
    ("technical-failure", "technical-failure"), ("validation-failed", "sending"),
])
def test_notify_statuses_are_read_as_ours(notify, notify_provider, notify_status, ours):
    accepted = notify_provider.send(an_email())
    notify.statuses[accepted.provider_id] = notify_status

    assert notify_provider.status(accepted.provider_id) == ours


# Configuration -----------------------------------------------------------------------------------------

@pytest.fixture
def environment(monkeypatch):
    for name in ("EMAIL_PROVIDER EMAIL_FROM SMTP_HOST SMTP_PORT SMTP_USERNAME SMTP_PASSWORD SMTP_SECURITY "
                 "SMTP_TIMEOUT NOTIFY_API_KEY NOTIFY_BASE_URL NOTIFY_REPLY_TO_ID NOTIFY_TEMPLATE_IDS").split():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("settings, expected", [
    ({}, ("127.0.0.1", 1025, None, None, "none", 10.0, "Capacity Tracker <noreply@capacity-tracker.localhost>")),
    ({"EMAIL_PROVIDER": "smtp", "NOTIFY_API_KEY": API_KEY, "SMTP_HOST": "relay.example", "SMTP_PORT": "587",
      "SMTP_USERNAME": "tracker", "SMTP_PASSWORD": "pw", "SMTP_SECURITY": "starttls", "SMTP_TIMEOUT": "3.5",
      "EMAIL_FROM": "Tracker <ct@alder.example>"},
     ("relay.example", 587, "tracker", "pw", "starttls", 3.5, "Tracker <ct@alder.example>")),
])
def test_smtp_is_the_default_and_chosen_even_with_a_notify_key(environment, settings, expected):
    for name, value in settings.items():
        environment.setenv(name, value)

    provider = provider_from_environment()

    assert isinstance(provider, SmtpProvider)
    assert (provider.host, provider.port, provider.username, provider.password, provider.security,
            provider.timeout, provider.sender) == expected


def test_a_notify_key_chooses_notify_which_sends_our_reference_and_reply_to_address(environment, notify):
    environment.setenv("NOTIFY_API_KEY", API_KEY)
    environment.setenv("NOTIFY_BASE_URL", notify.url)
    environment.setenv("NOTIFY_TEMPLATE_IDS", f'{{"user-approved": "{NOTIFY_TEMPLATE}"}}')
    environment.setenv("NOTIFY_REPLY_TO_ID", "reply-to-2")

    provider = provider_from_environment()
    provider.send(an_email(reference="application-42"))

    assert isinstance(provider, NotifyProvider) and provider.unmapped(["user-approved"]) == []
    [sent] = notify.received
    assert (sent["template_id"], sent["reference"], sent["email_reply_to_id"]) == (
        NOTIFY_TEMPLATE, "application-42", "reply-to-2")


@pytest.mark.parametrize("settings, named", [
    ({"EMAIL_PROVIDER": "notify"}, "NOTIFY_API_KEY"),
    ({"NOTIFY_API_KEY": API_KEY, "NOTIFY_TEMPLATE_IDS": "{user-approved: 1}"}, "NOTIFY_TEMPLATE_IDS"),
    ({"NOTIFY_API_KEY": API_KEY, "NOTIFY_TEMPLATE_IDS": '["user-approved"]'}, "NOTIFY_TEMPLATE_IDS"),
    ({"NOTIFY_API_KEY": "not-a-notify-key"}, "NOTIFY_API_KEY"),
    ({"EMAIL_PROVIDER": "carrier-pigeon"}, "EMAIL_PROVIDER"),
    ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY"),
])
def test_a_wrong_setting_is_refused_naming_the_variable(environment, settings, named):
    for name, value in settings.items():
        environment.setenv(name, value)

    with pytest.raises(ValueError, match=named) as refused:
        provider_from_environment()
    assert "not-a-notify-key" not in str(refused.value)  # a key is a secret, even a wrong one
