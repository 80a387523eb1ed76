"""Email delivery: one interface over the ways an email can leave the system.

* :class:`SmtpProvider` hands the rendered email to an SMTP relay (the local
  mail catcher on a developer machine, or an organisation's relay). A relay
  that answers 250 is as far as SMTP can tell: the email counts as delivered.
* :class:`NotifyProvider` sends through GOV.UK Notify, which renders its own
  copy of the template from the personalisation and tells later, when asked,
  whether the email arrived.

Both raise only :class:`DeliveryFailure` subclasses, so the dispatcher
decides from the kind alone whether to retry: ``temporary`` (try again
later), ``permanent`` (the recipient cannot receive it) or ``technical``
(our configuration or a bug). A failure's detail is read by administrators
and stored, so it never holds the subject, the body or personalisation.
"""
from __future__ import annotations

import html
import json
import queue
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from tracker_common.config import env, env_float, env_int

DEFAULT_SENDER = "Capacity Tracker <noreply@capacity-tracker.localhost>"
NOTIFY_URL = "https://api.notifications.service.gov.uk"
SECURITY = ("none", "starttls", "tls")
SENDING, DELIVERED = "sending", "delivered"
FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")
_NOTIFY_STATUSES = {"created": SENDING, "sending": SENDING, "pending": SENDING, DELIVERED: DELIVERED,
                    **{failure: failure for failure in FAILURES}}
# A Notify API key ends with the service id and the secret, both UUIDs.
_NOTIFY_KEY = re.compile(r"-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}" * 2 + r"$", re.IGNORECASE)
_DETAIL_LENGTH = 300


@dataclass(frozen=True)
class Email:
    notification_id: str
    to: str
    subject: str
    text: str  # the plain-text body
    html: str  # the HTML body: a fragment, wrapped in a document for SMTP
    template_id: str  # ours, e.g. "user-approved"
    personalisation: dict  # raw values: GOV.UK Notify renders its own copy of the template
    reference: str | None = None


@dataclass(frozen=True)
class Accepted:
    provider: str  # "smtp" or "notify"
    provider_id: str | None  # Notify's notification id; for SMTP the Message-ID
    delivered: bool  # False: the provider tells later, ask `status()`


class DeliveryFailure(Exception):
    """An email the provider did not take. ``detail`` is a short reason fit
    to store and show: never the subject, body or personalisation."""

    kind = "technical"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later: the network, a busy server, a rate limit."""

    kind = "temporary"


class PermanentFailure(DeliveryFailure):
    """The recipient cannot be sent this email: trying again will not help."""

    kind = "permanent"


class TechnicalFailure(DeliveryFailure):
    """Our configuration or a bug: someone has to fix something first."""

    kind = "technical"


class Provider(Protocol):
    name: str

    def send(self, email: Email) -> Accepted:
        """Hand over one email; raises a :class:`DeliveryFailure`, nothing else."""

    def status(self, provider_id: str) -> str:
        """Where the email is now: "sending", "delivered" or one of :data:`FAILURES`."""


def _values(personalisation: dict) -> Iterator[str]:
    for value in personalisation.values():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, bool):
                yield str(item)


def _redacted(detail: str, email: Email) -> str:
    """A server's reason with anything of the email's content cut out: a
    relay or API may quote what it refused, and details are stored."""
    for value in sorted({email.subject, *_values(email.personalisation)}, key=len, reverse=True):
        if len(value) >= 4:  # shorter ones would also cut reply codes such as "550"
            detail = detail.replace(value, "[redacted]")
    return detail[:_DETAIL_LENGTH]


def _unexpected(exc: Exception) -> TechnicalFailure:
    # Only the type: an unexpected error's message may quote the email.
    return TechnicalFailure(f"unexpected error: {type(exc).__name__}")


# SMTP ----------------------------------------------------------------------

def _document(subject: str, body: str) -> str:
    """An HTML fragment as a whole email document, styled like GOV.UK's
    emails; inline styles, as many mail clients drop style sheets."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(subject)}</title></head>
<body style="margin:0;padding:0;font-family:Helvetica,Arial,sans-serif;font-size:19px;line-height:1.32;\
color:#0b0c0c;background:#ffffff">
<div style="background:#0b0c0c;border-bottom:10px solid #1d70b8;padding:10px 15px">
<span style="color:#ffffff;font-weight:700;font-size:24px">Capacity Tracker</span></div>
<div style="max-width:580px;padding:15px">
{body}
</div>
</body>
</html>
"""


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


def _by_code(code: int, where: str, reply: str) -> DeliveryFailure:
    """A refusal of the recipient or the message: 4xx is worth a retry, 5xx is final."""
    if 400 <= code < 500:
        return TemporaryFailure(f"SMTP server deferred the {where}: {reply}")
    if 500 <= code < 600:
        return PermanentFailure(f"SMTP server refused the {where}: {reply}")
    return TemporaryFailure(f"SMTP server gave an unexpected reply to the {where}: {reply}")


def _smtp_failure(exc: Exception) -> DeliveryFailure:
    """Which kind of failure an smtplib error is (order matters: subclasses first)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()), (0, b""))
        return _by_code(code, "recipient", _reply(code, message))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TechnicalFailure(f"SMTP server refused our credentials: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return TemporaryFailure(f"SMTP server deferred the sender: {reply}")
        return TechnicalFailure(f"SMTP server refused the sender: {reply}")
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code(exc.smtp_code, "message", _reply(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPResponseException):
        # Refused before any recipient was named (greeting, HELO, STARTTLS):
        # the server will not talk to us, whoever the email is for.
        reply = _reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return TemporaryFailure(f"SMTP server is not accepting mail now: {reply}")
        return TechnicalFailure(f"SMTP server refused the session: {reply}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TechnicalFailure(f"SMTP server does not support what we asked: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryFailure("SMTP server disconnected")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TechnicalFailure(f"SMTP server's certificate was not trusted: {exc.verify_message}")
    if isinstance(exc, TimeoutError):
        return TemporaryFailure("SMTP server did not answer in time")
    if isinstance(exc, OSError):
        return TemporaryFailure(f"could not reach the SMTP server: {type(exc).__name__}")
    return _unexpected(exc)


class SmtpProvider:
    """Sends each email over its own connection to an SMTP relay. The
    relay's 250 is the last we hear, so an accepted email is delivered."""

    name = "smtp"

    def __init__(self, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, security: str = "none", timeout: float = 10.0) -> None:
        if security not in SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY)}, not {security!r}")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.security, self.timeout = security, timeout
        self.sender_address = parseaddr(sender)[1]
        self.domain = self.sender_address.rpartition("@")[2] or "localhost"

    def message(self, email: Email) -> EmailMessage:
        """The email as it goes on the wire: plain text with an HTML alternative."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{email.notification_id}@{self.domain}>"
        message["X-Notification-Id"] = email.notification_id
        # Quoted-printable keeps the message 7-bit, so no relay has to
        # understand 8BITMIME for accents or "£" to arrive intact.
        message.set_content(email.text, cte="quoted-printable")
        message.add_alternative(_document(email.subject, email.html), subtype="html", cte="quoted-printable")
        return message

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def send(self, email: Email) -> Accepted:
        """Hand the email to the relay; returns it as delivered, with its
        Message-ID. Raises TemporaryFailure (network, 4xx), PermanentFailure
        (recipient or message refused with 5xx) or TechnicalFailure (our
        credentials or sender refused, anything unexpected)."""
        try:
            message = self.message(email)
            smtp = self._connect()
            try:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message, from_addr=self.sender_address, to_addrs=[email.to])
            finally:
                _quit(smtp)
        except Exception as exc:
            failure = _smtp_failure(exc)
            raise type(failure)(_redacted(failure.detail, email)) from None
        return Accepted(self.name, str(message["Message-ID"]), delivered=True)

    def status(self, provider_id: str) -> str:
        """SMTP tells nothing after the relay took the email."""
        return DELIVERED


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the email is already taken, so a failure here is no failure to send."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


# GOV.UK Notify ---------------------------------------------------------------

def _notify_reason(error: APIError) -> str:
    """Notify's error names and messages, e.g. "BadRequestError: Template not found"."""
    message = error.message
    if isinstance(message, list):
        return "; ".join(f"{item.get('error', 'Error')}: {item.get('message', '')}" if isinstance(item, dict)
                         else str(item) for item in message)
    return str(message)


def _notify_failure(error: APIError) -> DeliveryFailure:
    if error.response is None:
        # The client turns a refused connection or a timeout into an HTTP503Error
        # with no response; the requests exception is its cause.
        cause = type(error.__cause__).__name__ if error.__cause__ else "no response"
        return TemporaryFailure(f"could not reach GOV.UK Notify: {cause}")
    status, reason = error.status_code, _notify_reason(error)
    if status == 400:
        return PermanentFailure(f"GOV.UK Notify refused the email (400): {reason}")
    if status == 429 or status >= 500:
        return TemporaryFailure(f"GOV.UK Notify could not take the email now ({status}): {reason}")
    if status in (401, 403):
        return TechnicalFailure(f"GOV.UK Notify refused our API key ({status}): {reason}")
    return TechnicalFailure(f"GOV.UK Notify answered {status}: {reason}")


class NotifyProvider:
    """Sends through GOV.UK Notify with its templates (``template_ids`` maps
    ours to Notify's); Notify tells later whether each email arrived."""

    name = "notify"

    def __init__(self, api_key: str, template_ids: dict[str, str], base_url: str = NOTIFY_URL,
                 email_reply_to_id: str | None = None, timeout: float = 10) -> None:
        if not _NOTIFY_KEY.search(api_key or ""):
            # The key itself stays out of the message: it is a secret.
            raise ValueError("the GOV.UK Notify API key must end with the service id and secret (two UUIDs)")
        self._api_key = api_key
        self.template_ids = dict(template_ids)
        self.base_url, self.email_reply_to_id, self.timeout = base_url, email_reply_to_id, timeout
        # Notify's client is not thread-safe; the dispatcher sends from several
        # green threads at once, so each borrows a client of its own.
        self._idle: queue.LifoQueue[NotificationsAPIClient] = queue.LifoQueue()

    @contextmanager
    def _client(self) -> Iterator[NotificationsAPIClient]:
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = NotificationsAPIClient(self._api_key, base_url=self.base_url, timeout=self.timeout)
        try:
            yield client
        finally:
            self._idle.put(client)

    def unmapped(self, template_ids) -> list[str]:
        """Those of our templates with no Notify template to send them with."""
        return [template_id for template_id in template_ids if not self.template_ids.get(template_id)]

    def send(self, email: Email) -> Accepted:
        """Ask Notify to send the email; returns Notify's id, not yet
        delivered. Raises PermanentFailure (400), TemporaryFailure (429, 5xx,
        Notify unreachable) or TechnicalFailure (401/403, a template with no
        Notify id, anything unexpected)."""
        notify_template = self.template_ids.get(email.template_id)
        if not notify_template:
            raise TechnicalFailure(f"no GOV.UK Notify template for {email.template_id!r} in NOTIFY_TEMPLATE_IDS")
        try:
            with self._client() as client:
                response = client.send_email_notification(
                    email_address=email.to, template_id=notify_template, personalisation=email.personalisation,
                    reference=email.reference or email.notification_id, email_reply_to_id=self.email_reply_to_id)
            return Accepted(self.name, str(response["id"]), delivered=False)
        except APIError as error:
            failure = _notify_failure(error)
            raise type(failure)(_redacted(failure.detail, email)) from None
        except Exception as exc:
            raise _unexpected(exc) from None

    def status(self, provider_id: str) -> str:
        """Notify's status of an email as ours: still "sending", "delivered"
        or a failure. Raises TemporaryFailure when Notify cannot be asked."""
        try:
            with self._client() as client:
                found = client.get_notification_by_id(provider_id)
            return _NOTIFY_STATUSES.get(found.get("status"), SENDING)
        except APIError as error:
            raise TemporaryFailure(f"could not ask GOV.UK Notify the status: {error.status_code}") from None
        except Exception as exc:
            raise TemporaryFailure(f"could not ask GOV.UK Notify the status: {type(exc).__name__}") from None


# Configuration ---------------------------------------------------------------

def _template_ids(name: str) -> dict[str, str]:
    raw = env(name, "{}")
    try:
        mapping = json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} is not valid JSON: it must be an object of our template ids "
                         "to GOV.UK Notify template ids") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ValueError(f"{name} must be a JSON object of our template ids to GOV.UK Notify template ids")
    return mapping


def provider_from_environment() -> Provider:
    """The provider configured by EMAIL_PROVIDER ("smtp" or "notify"; Notify
    when NOTIFY_API_KEY is set, else SMTP). Raises ValueError naming the
    variable that is missing or wrong."""
    api_key = env("NOTIFY_API_KEY", "")
    choice = env("EMAIL_PROVIDER", "notify" if api_key else "smtp").strip().lower()
    if choice == "smtp":
        security = env("SMTP_SECURITY", "none").strip().lower()
        if security not in SECURITY:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
        return SmtpProvider(env("SMTP_HOST", "127.0.0.1"), env_int("SMTP_PORT", 1025),
                            env("EMAIL_FROM", DEFAULT_SENDER), username=env("SMTP_USERNAME", "") or None,
                            password=env("SMTP_PASSWORD", "") or None, security=security,
                            timeout=env_float("SMTP_TIMEOUT", 10.0))
    if choice == "notify":
        if not api_key:
            raise ValueError("EMAIL_PROVIDER is notify but NOTIFY_API_KEY is not set")
        if not _NOTIFY_KEY.search(api_key):
            raise ValueError("NOTIFY_API_KEY is not a GOV.UK Notify API key (it must end with two UUIDs)")
        return NotifyProvider(api_key, _template_ids("NOTIFY_TEMPLATE_IDS"),
                              base_url=env("NOTIFY_BASE_URL", NOTIFY_URL),
                              email_reply_to_id=env("NOTIFY_REPLY_TO_ID", "") or None)
    raise ValueError(f"EMAIL_PROVIDER must be smtp or notify, not {choice!r}")
