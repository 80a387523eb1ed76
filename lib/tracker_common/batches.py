"""Batched subscribers: a read model applies many events in one transaction.

Applying a snapshot costs little beside what each transaction costs (its
commit, its round trips), so a read model that took events one at a time
could not keep up with England loaded or rebuilt through the bus. A
batched subscriber:

- consumes its queue on a connection and channel of its own, with a
  bounded prefetch (two batches), so the broker never sends more than it
  may hold unacknowledged;
- validates every message on receipt (what does not match its contract is
  dead-lettered at once, as by `Subscriber`) and queues it in memory; the
  consumer's thread does nothing else, so it keeps reading the socket and
  answering the broker's heartbeats however many messages wait (nameko
  would spawn a thread per message, each blocked on a free worker);
- hands whatever has arrived, up to `EVENT_BATCH_SIZE` events, to one
  worker at a time, in arrival order: under load batches grow by
  themselves, and one event arriving alone is applied at once;
- once the worker's transaction has committed, acknowledges the batch with
  one multiple ack (of its last delivery tag: the earlier ones are this
  batch's or already settled, since batches are handled in order on this
  channel alone);
- when a batch fails, applies its events again one at a time, so that the
  one that fails is retried with back-off and dead-lettered alone after
  `EVENT_MAX_ATTEMPTS`, and the others are applied;
- when stopped, finishes and acknowledges what it holds before leaving;
  anything delivered after that goes back to the queue with the channel.

The handler receives a list of validated `Event`s and must be idempotent
for the whole list (a versioned snapshot applied newer-wins, or a processed
event recorded per event in the same transaction): after a crash between
commit and acknowledgement the whole batch is delivered again.
"""
from __future__ import annotations

from itertools import groupby

import eventlet
from eventlet.event import Event as Signal
from eventlet.queue import Empty, LightQueue
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled

from .bus import MAX_ATTEMPTS
from .config import env_float, env_int
from .contracts.events import load_event
from .entrypoints import BROKER_ERRORS, Subscriber, _QueueConsumer
from .logs import get_logger
from .metrics import EVENT_BATCH_SIZE, EVENTS_CONSUMED

log = get_logger(__name__)

BATCH_SIZE = env_int("EVENT_BATCH_SIZE", 500)
# How long a batch waits for more events after its first (0: take what has
# arrived, which keeps a lone event's latency at its own cost).
BATCH_LINGER_S = env_float("EVENT_BATCH_LINGER_S", 0.0)
_STOP = object()


class _BatchQueueConsumer(_QueueConsumer):
    """One batched subscriber's own consumer: its connection, its channel,
    its prefetch; messages handled in the consumer's thread (validation and
    queueing only)."""

    def __init__(self, queue_key: str = "", prefetch: int = 0):
        super().__init__()
        self.queue_key, self.prefetch = queue_key, prefetch

    @property
    def sharing_key(self):
        return type(self), self.queue_key

    @property
    def prefetch_count(self):
        return self.prefetch

    def handle_message(self, provider, body, message):
        provider.handle_message(body, message)


class BatchSubscriber(Subscriber):
    def __init__(self, event_type: str, batch_size: int | None = None, **kwargs):
        super().__init__(event_type, **kwargs)
        self.batch_size = batch_size or BATCH_SIZE
        self.queue_consumer = _BatchQueueConsumer(event_type, 2 * self.batch_size)

    def setup(self):
        self._pending = LightQueue()
        self._accepting = True
        self._runner = None
        super().setup()

    def start(self):
        self._runner = self.container.spawn_managed_thread(
            self._run, identifier=f"{type(self).__name__}.run[{self.event_type}]")

    def stop(self):
        """Finish what is held, then stop consuming (what arrives meanwhile
        stays unacknowledged and goes back to the queue)."""
        self._accepting = False
        self._pending.put(_STOP)
        if self._runner is not None:
            self._runner.wait()
        super().stop()

    def handle_message(self, body, message):
        if not self._accepting:
            return  # returned to the queue when the channel closes
        try:
            event = load_event(body)
        except ValidationError as exc:
            self._reject(message, self.event_type, "invalid_contract", errors=exc.messages)
            return
        self._pending.put((event, message))

    # -- the batches, one at a time, in arrival order --
    def _run(self):
        while True:
            first = self._pending.get()
            if first is _STOP:
                return
            batch, stop = [first], False
            deadline = eventlet.hubs.get_hub().clock() + BATCH_LINGER_S
            while len(batch) < self.batch_size:
                try:
                    wait = deadline - eventlet.hubs.get_hub().clock()
                    item = self._pending.get(timeout=wait) if wait > 0 else self._pending.get_nowait()
                except Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._handle(batch)
            except ContainerBeingKilled:
                return  # unacknowledged: the broker gives them again
            if stop:
                return

    def _handle(self, batch: list) -> None:
        service = self.container.service_name
        failure = self._work([event for event, _ in batch])
        if failure is None:
            EVENT_BATCH_SIZE.labels(service, self.event_type).observe(len(batch))
            EVENTS_CONSUMED.labels(service, self.event_type, "ok").inc(len(batch))
            self._ack_all([message for _, message in batch])
            return
        if len(batch) > 1:
            log.warning("a batch of events failed; applying them one at a time", event_type=self.event_type,
                        size=len(batch), error=repr(failure))
            for item in batch:
                self._handle([item])
            return
        event, message = batch[0]
        attempts = int(message.headers.get("x-delivery-count") or 0) + 1
        if attempts >= MAX_ATTEMPTS:
            self._reject(message, event.type, "handler_failed", event_id=event.id, attempts=attempts,
                         error=repr(failure))
            return
        EVENTS_CONSUMED.labels(service, event.type, "retry").inc()
        log.warning("event handler failed; will retry", event_type=event.type, event_id=event.id,
                    attempt=attempts, error=repr(failure))
        eventlet.sleep(min(0.1 * 2 ** attempts, 2.0))
        self._settle(self.queue_consumer.requeue_message, message)

    def _work(self, events: list) -> BaseException | None:
        """Run the handler over `events` in a worker; its error, or None."""
        done = Signal()

        def handle_result(worker_ctx, result=None, exc_info=None):
            done.send(exc_info[1] if exc_info else None)
            return result, exc_info

        self.container.spawn_worker(self, (events,), {},
                                    context_data={"correlation_id": events[0].correlation_id},
                                    handle_result=handle_result)
        return done.wait()

    @staticmethod
    def _ack_all(messages: list) -> None:
        """One multiple ack per channel (a reconnection may have started a
        new one; what was delivered on a closed channel is delivered again)."""
        for channel, delivered in groupby(messages, key=lambda m: m.channel):
            last = max(m.delivery_tag for m in delivered)
            if not channel.connection:
                continue
            try:
                channel.basic_ack(last, multiple=True)
            except BROKER_ERRORS as exc:
                log.warning("could not acknowledge a batch: broker connection lost", error=repr(exc))
