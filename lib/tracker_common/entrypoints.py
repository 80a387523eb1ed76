"""`subscribe`: the event entrypoint every service uses instead of nameko's
`event_handler`, closing its loss paths:

- the queue is a durable quorum queue declared with the whole topology
  (`bus.declare_topology`) before any event is published;
- a message that does not match its contract is dead-lettered at once;
- a handler that raises is retried with a short back-off, a bounded number
  of times, then dead-lettered -- logged and counted, never silently acked;
- handlers receive a validated `Event` whose id they record
  (`UnitOfWork.first_delivery`) so a redelivery changes nothing.
"""
from __future__ import annotations

from functools import partial

import eventlet
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer

from .bus import MAX_ATTEMPTS, subscription_queue
from .contracts.events import SUBSCRIPTIONS, load_event
from .logs import get_logger
from .metrics import DEAD_LETTERS, EVENTS_CONSUMED

log = get_logger(__name__)


class SubscriptionNotRegistered(Exception):
    pass


class Subscriber(Entrypoint):
    queue_consumer = QueueConsumer()

    def __init__(self, event_type: str, **kwargs):
        self.event_type = event_type
        self.queue = None
        super().__init__(**kwargs)

    def setup(self):
        service = self.container.service_name
        if self.event_type not in SUBSCRIPTIONS.get(service, ()):
            raise SubscriptionNotRegistered(
                f"{service} subscribes to {self.event_type} but contracts.events.SUBSCRIPTIONS "
                "does not list it, so its queue would not be declared before publishing")
        self.queue = subscription_queue(service, self.event_type)
        self.queue_consumer.register_provider(self)

    def stop(self):
        self.queue_consumer.unregister_provider(self)

    def _reject(self, message, event_type: str, reason: str, **details) -> None:
        service = self.container.service_name
        DEAD_LETTERS.labels(service, event_type, reason).inc()
        EVENTS_CONSUMED.labels(service, event_type, "dead_letter").inc()
        log.error("event dead-lettered", event_type=event_type, reason=reason,
                  queue=self.queue.name, message_id=message.properties.get("message_id"), **details)
        message.reject(requeue=False)

    def handle_message(self, body, message):
        try:
            event = load_event(body)
        except ValidationError as exc:
            self._reject(message, self.event_type, "invalid_contract", errors=exc.messages)
            return
        context_data = {"correlation_id": event.correlation_id}
        try:
            self.container.spawn_worker(
                self, (event,), {}, context_data=context_data,
                handle_result=partial(self.handle_result, message, event))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, event, worker_ctx, result=None, exc_info=None):
        service = self.container.service_name
        if exc_info is None:
            EVENTS_CONSUMED.labels(service, event.type, "ok").inc()
            self.queue_consumer.ack_message(message)
            return result, exc_info
        attempts = int(message.headers.get("x-delivery-count") or 0) + 1
        if attempts >= MAX_ATTEMPTS:
            self._reject(message, event.type, "handler_failed", event_id=event.id,
                         attempts=attempts, error=repr(exc_info[1]))
        else:
            EVENTS_CONSUMED.labels(service, event.type, "retry").inc()
            log.warning("event handler failed; will retry", event_type=event.type,
                        event_id=event.id, attempt=attempts, error=repr(exc_info[1]))
            eventlet.sleep(min(0.1 * 2 ** attempts, 2.0))
            self.queue_consumer.requeue_message(message)
        return result, exc_info


subscribe = Subscriber.decorator
