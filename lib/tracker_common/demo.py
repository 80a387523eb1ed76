"""What the demo's seeding commands share: a clock they move through the
past, a service's outbox published by its own relay, and the events waiting
in a service's queues applied by the service's own handlers, each once (as
its subscribers would, had it been running).

The seeding runs before the services start (`make seed`): providers
publishes what it announced (the homes' setup), identity and capacity take
what they need of it from their own queues, and every event the seeding
writes to an outbox is published by that service's relay when it starts.
"""
from __future__ import annotations

import sys
import time
from datetime import datetime

from kombu import Connection

from .bus import subscription_queue
from .clock import SystemClock
from .config import load_settings
from .contracts.events import load_event
from .outbox import OutboxRelay

DEFAULT_SEED = 2026  # the synthetic England's own seed: one fictional world
# Shares of the set-up homes by how fresh their latest capacity return is
# when the demo starts (the rest are current: less than 24 hours old).
NEVER_SHARE, STALE_48H_SHARE, STALE_24H_SHARE = 0.08, 0.08, 0.10


class MovingClock:
    """The system clock until told a time (`at`), then that time: a seeding
    command moves it through the past, return by return."""

    def __init__(self):
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at or SystemClock().now()


def publish_outbox(service: str, db) -> int:
    """Publish every pending event of `service`'s outbox with its relay
    (publisher confirms); returns how many."""
    relay = OutboxRelay(service, db.engine, db.outbox, load_settings().amqp_uri, SystemClock())
    published = 0
    try:
        while count := relay.publish_pending():
            published += count
    finally:
        relay.close()
    return published


def consume_pending(service: str, event_type: str, db, apply, *, batch: int = 200) -> int:
    """Apply the events of `event_type` waiting in `service`'s queue with
    `apply(uow, data)`, each once (recorded as processed, as the service's
    subscriber does), a batch to a transaction, and acknowledge them once
    committed. Returns how many were taken."""
    taken = 0
    with Connection(load_settings().amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        queue = subscription_queue(service, event_type)(channel)
        queue.declare()
        while True:
            messages = []
            while len(messages) < batch and (message := queue.get(no_ack=False)) is not None:
                messages.append(message)
            if not messages:
                break
            with db.unit_of_work() as uow:  # the idempotent consumer (dependencies.apply_once)
                relaxed(uow)
                for message in messages:
                    event = load_event(message.payload)
                    if uow.first_delivery(event):
                        apply(uow, event.data)
                        uow.session.flush()
                uow.commit()
            for message in messages:
                message.ack()
            taken += len(messages)
    return taken


def relaxed(uow) -> None:
    """This transaction's commit does not wait for the disk: the seeding is
    run again from the start if the machine stops meanwhile."""
    from sqlalchemy import text
    uow.session.execute(text("SET LOCAL synchronous_commit TO off"))


class Progress:
    """A line on stderr that says how far a seeding step is."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.started = label, total, time.monotonic()
        self._shown = -1.0

    def __call__(self, done: int, extra: str = "") -> None:
        now = time.monotonic()
        if done < self.total and now - self._shown < 0.5:
            return
        self._shown = now
        print(f"\r{self.label}: {done:,}/{self.total:,} {extra}({now - self.started:.1f} s)", end="",
              file=sys.stderr, flush=True)
        if done >= self.total:
            print(file=sys.stderr, flush=True)


def home_staff(provider_id: str):
    """The principal a demo home's returns and setup are made as: a care home
    user of its provider (the same id each run; not an account one can sign
    in as)."""
    import uuid

    from .contracts.permissions import Principal, Role
    return Principal(user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-staff:{provider_id}")),
                     organisation_id=provider_id, roles=frozenset({Role.CARE_HOME_USER}), all_locations=True)


def unit_share(seed: int, *parts: str) -> float:
    """A number in [0, 1) fixed by the seed and `parts` (e.g. a location id):
    which share of the demo a thing falls in, the same on every run."""
    import hashlib
    digest = hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def freshness(location_id: str, seed: int = DEFAULT_SEED) -> str:
    """"never", "stale_48h", "stale_24h" or "current": how fresh a set-up
    home's latest return is when the demo starts (capacity sends the returns
    so; identity gives the demo's care home manager a current home)."""
    share = unit_share(seed, "freshness", location_id)
    for name, upto in (("never", NEVER_SHARE), ("stale_48h", NEVER_SHARE + STALE_48H_SHARE),
                       ("stale_24h", NEVER_SHARE + STALE_48H_SHARE + STALE_24H_SHARE)):
        if share < upto:
            return name
    return "current"
