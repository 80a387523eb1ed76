"""Fixtures for the notifications service's tests: its own test database
built by its real migrations (with the shipped templates), and a real SMTP
server whose inbox tests read -- and which can be told to refuse."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

import notifications
from notifications.delivery import SmtpProvider
from notifications.handlers.sending import install_templates
from notifications.models import Base, outbox, processed_events
from tracker_common.clock import FrozenClock
from tracker_common.keys import message_sealer
from tracker_common.testing import empty_database, free_port, migrated_database_url, wait_until

MIGRATIONS = Path(notifications.__file__).parent / "migrations"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


class Inbox:
    """An aiosmtpd handler keeping what arrives. `refuse(address, *replies)`
    makes the next RCPTs to `address` get those replies ("450 ...") before
    it is accepted; `always=True` repeats the last one for ever."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.replies: dict[str, list[str]] = {}
        self.always: dict[str, str] = {}
        self.rcpt_attempts: dict[str, int] = {}

    def refuse(self, address: str, *replies: str, always: bool = False) -> None:
        self.replies[address.lower()] = list(replies)
        if always:
            self.always[address.lower()] = replies[-1]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts[address.lower()] = self.rcpt_attempts.get(address.lower(), 0) + 1
        replies = self.replies.get(address.lower())
        if replies:
            return replies.pop(0)
        if address.lower() in self.always:
            return self.always[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"].lower() == address.lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list:
        return wait_until(lambda: len(self.to(address)) >= count and self.to(address), timeout=timeout,
                          message=f"{count} email(s) to {address}")

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def smtp():
    """A real SMTP server on a free port: yields (inbox, port)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def provider(smtp):
    _, port = smtp
    return SmtpProvider("127.0.0.1", port, "Capacity Tracker <noreply@tracker.example>", timeout=5)


@pytest.fixture(scope="session")
def notifications_database_url():
    return migrated_database_url("notifications", MIGRATIONS)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def sealer():
    return message_sealer()


@pytest.fixture
def notifications_db(notifications_database_url, clock):
    database = empty_database(notifications_database_url, Base.metadata, (outbox, processed_events), clock)
    with database.unit_of_work() as uow:
        install_templates(uow)
        uow.commit()
    yield database
    database.dispose()
