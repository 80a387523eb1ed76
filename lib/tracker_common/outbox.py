"""The outbox relay: publishes what services wrote to their outbox, with
publisher confirms, and marks it published only once the broker confirmed.

If the broker is unreachable, rows stay unpublished and the relay tries again
after a back-off; several relays (replicas) can run side by side because each
claims rows with `FOR UPDATE SKIP LOCKED`. A crash between confirm and mark
gives a duplicate, which idempotent consumers ignore.
"""
from __future__ import annotations

from datetime import timedelta

from kombu import Connection, Producer
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
                 batch_size: int = 200, retention: timedelta = timedelta(hours=24),
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
        self._producer: Producer | None = None

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                    connect_timeout=5, heartbeat=0)
            connection.connect()
            declare_topology(connection)
            self._connection = connection
            self._producer = Producer(connection.channel(), exchange=EVENTS_EXCHANGE)
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection may already be gone
                pass
        self._connection = None
        self._producer = None

    def publish_pending(self) -> int:
        """Publish one batch (at most `batch_size` events and `batch_bytes`
        bytes); returns how many were published. Raises when the broker
        fails, leaving the batch unpublished."""
        producer = self._ensure_producer()
        with self.engine.begin() as connection:
            claimed = connection.execute(
                select(self.outbox.c.seq, func.octet_length(cast(self.outbox.c.message, Text)))
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.seq)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            seqs = _within_bytes(claimed, self.batch_bytes)
            rows = connection.execute(
                select(self.outbox.c.seq, self.outbox.c.event_id, self.outbox.c.event_type,
                       self.outbox.c.message)
                .where(self.outbox.c.seq.in_(seqs)).order_by(self.outbox.c.seq)
            ).all() if seqs else []
            for row in rows:
                # With confirm_publish, publish() returns only once the broker
                # has taken responsibility for the message (or raises).
                producer.publish(
                    row.message, routing_key=row.event_type, message_id=row.event_id,
                    delivery_mode=2, serializer="json",
                    headers={"correlation_id": row.message.get("correlation_id") or ""},
                    retry=False, timeout=10, confirm_timeout=10,
                )
            if rows:
                connection.execute(
                    update(self.outbox)
                    .where(self.outbox.c.seq.in_([r.seq for r in rows]))
                    .values(published_at=self.clock.now())
                )
        for row in rows:
            EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        return len(rows)

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
