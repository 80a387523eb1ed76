"""The outbox relay: publishes what services wrote to their outbox, with
publisher confirms, and marks it published only once the broker confirmed.

If the broker is unreachable, rows stay unpublished and the relay tries again
after a back-off; several relays (replicas) can run side by side because each
claims rows with `FOR UPDATE SKIP LOCKED`. A crash between confirm and mark
gives a duplicate, which idempotent consumers ignore.
"""
from __future__ import annotations

import time
from datetime import timedelta

import amqp
from kombu import Connection
from sqlalchemy import Text, cast, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.schema import Table

from .bus import EVENTS_EXCHANGE, declare_topology
from .logs import get_logger
from .metrics import EVENTS_PUBLISHED, OUTBOX_LAG, OUTBOX_PENDING

log = get_logger(__name__)


def _within_bytes(claimed: list, limit: int) -> list[int]:
    """The first rows (seq, size) whose sizes add up to at most `limit`
    bytes, and always the first: a batch never holds hundreds of large
    events (a postcode directory's parts are ~300 KB each) in memory."""
    seqs, total = [], 0
    for seq, size in claimed:
        if seqs and total + size > limit:
            break
        seqs.append(seq)
        total += size
    return seqs


class OutboxRelay:
    def __init__(self, service: str, engine: Engine, outbox: Table, amqp_uri: str, clock,
                 batch_size: int = 1_000, retention: timedelta = timedelta(hours=24),
                 batch_bytes: int = 4_000_000):
        self.service = service
        self.batch_bytes = batch_bytes
        self.engine = engine
        self.outbox = outbox
        self.amqp_uri = amqp_uri
        self.clock = clock
        self.batch_size = batch_size
        self.retention = retention
        self._connection: Connection | None = None
        self._channel = None
        self._sent = self._confirmed = 0
        self._refused = False

    def _ensure_channel(self):
        """The relay's connection and its channel in confirm mode: a batch
        is published in one go and its confirms awaited together (the
        broker confirms each as its queues have taken it; waiting for each
        before sending the next would cost a round trip and a quorum
        queue's write per event)."""
        if self._channel is None:
            connection = Connection(self.amqp_uri, connect_timeout=5, heartbeat=0)
            connection.connect()
            declare_topology(connection)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._connection, self._channel = connection, channel
            self._sent = self._confirmed = 0
            self._refused = False
        return self._channel

    def _on_ack(self, delivery_tag, multiple):
        self._confirmed = max(self._confirmed, delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self._refused = True
        self._confirmed = max(self._confirmed, delivery_tag)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection may already be gone
                pass
        self._connection = None
        self._channel = None

    def publish_pending(self) -> int:
        """Publish one batch (at most `batch_size` events and `batch_bytes`
        bytes); returns how many were published. Raises when the broker
        fails, leaving the batch unpublished."""
        channel = self._ensure_channel()
        with self.engine.begin() as connection:
            claimed = connection.execute(
                select(self.outbox.c.seq, func.octet_length(cast(self.outbox.c.message, Text)))
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.seq)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            seqs = _within_bytes(claimed, self.batch_bytes)
            # the message as stored JSON text, published as it is (not parsed and written again)
            rows = connection.execute(
                select(self.outbox.c.seq, self.outbox.c.event_id, self.outbox.c.event_type,
                       cast(self.outbox.c.message, Text).label("body"),
                       self.outbox.c.message["correlation_id"].as_string().label("correlation_id"))
                .where(self.outbox.c.seq.in_(seqs)).order_by(self.outbox.c.seq)
            ).all() if seqs else []
            if rows:
                self._publish_confirmed(channel, rows)
            if rows:
                connection.execute(
                    update(self.outbox)
                    .where(self.outbox.c.seq.in_([r.seq for r in rows]))
                    .values(published_at=self.clock.now())
                )
        for row in rows:
            EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        return len(rows)

    def _publish_confirmed(self, channel, rows, timeout: float = 10.0) -> None:
        """Publish `rows` (persistent, each with its event id), then wait
        until the broker has confirmed every one; raises if it refused any
        or did not confirm in time (the rows stay unpublished: sent again)."""
        for row in rows:
            channel.basic_publish(
                amqp.Message(row.body, content_type="application/json", content_encoding="utf-8",
                             delivery_mode=2, message_id=row.event_id,
                             application_headers={"correlation_id": row.correlation_id or ""}),
                exchange=EVENTS_EXCHANGE.name, routing_key=row.event_type)
        self._sent += len(rows)
        deadline = time.monotonic() + timeout
        while self._confirmed < self._sent:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the broker confirmed {self._confirmed} of {self._sent} events")
            self._connection.drain_events(timeout=remaining)
        if self._refused:
            raise ConnectionError("the broker refused to take an event (nack)")

    def measure_lag(self) -> tuple[int, float]:
        with self.engine.connect() as connection:
            pending, oldest = connection.execute(
                select(func.count(), func.min(self.outbox.c.created_at))
                .where(self.outbox.c.published_at.is_(None))
            ).one()
        lag = (self.clock.now() - oldest).total_seconds() if oldest else 0.0
        OUTBOX_PENDING.labels(self.service).set(pending)
        OUTBOX_LAG.labels(self.service).set(max(lag, 0.0))
        return pending, lag

    def purge_published(self) -> int:
        """Forget published events after the retention period (they may carry
        sealed secrets such as one-time passwords)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(self.outbox).where(
                    self.outbox.c.published_at.is_not(None),
                    self.outbox.c.published_at < self.clock.now() - self.retention,
                )
            )
        return result.rowcount

    def run(self, wake, should_stop, interval: float = 0.5, max_backoff: float = 10.0) -> None:
        """Loop until `should_stop()`: publish whenever woken or every
        `interval`; back off while the broker is unreachable."""
        backoff = interval
        cycles = 0
        while not should_stop():
            try:
                while self.publish_pending():  # until a batch finds nothing left
                    pass
                cycles += 1
                if cycles % 20 == 1:
                    self.measure_lag()
                if cycles % 7200 == 1:
                    self.purge_published()
                backoff = interval
                wake.wait(interval)
            except Exception as exc:  # broker or database down: keep rows, retry later
                log.warning("outbox relay failed; will retry", error=repr(exc), retry_in=backoff)
                self.close()
                try:
                    self.measure_lag()
                except Exception:
                    pass
                wake.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
            wake.clear()
