"""The entrypoints every service uses instead of nameko's own.

`rpc`: nameko's RPC entrypoint, except that a reply the broker cannot take
(it restarted while the worker ran) is logged and dropped instead of
killing the whole service. The request stays unacknowledged: a broker that
kept it gives it again once the consumer has reconnected (writes are
answered once, by request id); the caller has had its 503 meanwhile. Every
queue is consumed again at most a few seconds after the broker is back.

`RpcProxy`: nameko's RPC client dependency, on that same connection.

`subscribe`: the event entrypoint, instead of nameko's `event_handler`,
closing its loss paths:

- the queue is a durable quorum queue declared with the whole topology
  (`bus.declare_topology`) before any event is published;
- a message that does not match its contract is dead-lettered at once;
- a handler that raises is retried with a short back-off, a bounded number
  of times, then dead-lettered -- logged and counted, never silently acked;
- handlers receive a validated `Event` whose id they record
  (`UnitOfWork.first_delivery`) so a redelivery changes nothing.

`subscribe(event_type, batch=True)`: the same, for a read model that
applies many events in one transaction (`tracker_common.batches`): the
handler receives a list of validated events.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import partial

import eventlet
from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener as _NamekoReplyListener
from nameko.rpc import Rpc as _NamekoRpc
from nameko.rpc import RpcConsumer as _NamekoRpcConsumer
from nameko.rpc import RpcProxy as _NamekoRpcProxy

from .bus import MAX_ATTEMPTS, subscription_queue
from .contracts.events import SUBSCRIPTIONS, load_event
from .logs import get_logger
from .metrics import DEAD_LETTERS, EVENTS_CONSUMED, RPC_REPLIES_LOST

log = get_logger(__name__)

# What a publish, ack or reject raises when the broker connection is gone
# (refused, reset, closed): kombu's, py-amqp's and the socket's own errors.
BROKER_ERRORS = (OSError, AMQPError, OperationalError)
# kombu waits 2, 4, 6 ... up to 30 s between attempts to reconnect; a service
# should be back within seconds of the broker.
RECONNECT_INTERVAL_MAX_S = 3.0


class _QueueConsumer(QueueConsumer):
    """nameko's consumer of every queue of a service, reconnecting at most
    RECONNECT_INTERVAL_MAX_S after the broker is back, forever."""

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                         interval_start=1, interval_step=1,
                                         interval_max=RECONNECT_INTERVAL_MAX_S)
            yield connection


class _RpcConsumer(_NamekoRpcConsumer):
    """nameko's RPC consumer, whose reply failing with the broker connection
    ends the worker quietly: nameko would let the error escape the worker
    thread, and an error escaping any thread kills the service container."""

    queue_consumer = _QueueConsumer()

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_ERRORS as exc:
            service = self.container.service_name
            RPC_REPLIES_LOST.labels(service).inc()
            log.warning("rpc reply lost with the broker connection; the request stays unacknowledged",
                        routing_key=message.delivery_info.get("routing_key"), error=repr(exc))
            return result, exc_info


class Rpc(_NamekoRpc):
    rpc_consumer = _RpcConsumer()


rpc = Rpc.decorator


class _ReplyListener(_NamekoReplyListener):
    queue_consumer = _QueueConsumer()


class RpcProxy(_NamekoRpcProxy):
    """nameko's RPC client dependency, its replies consumed on the service's
    one reconnecting connection (nameko's own would open a second one, which
    reconnects up to 30 s late)."""

    rpc_reply_listener = _ReplyListener()


class SubscriptionNotRegistered(Exception):
    pass


class Subscriber(Entrypoint):
    queue_consumer = _QueueConsumer()

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
        try:
            message.reject(requeue=False)
        except BROKER_ERRORS as exc:  # the broker gives it again after reconnecting; it fails again
            log.warning("could not dead-letter an event: broker connection lost", error=repr(exc))

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
            self._settle(self.queue_consumer.requeue_message, message)

    @staticmethod
    def _settle(action, message) -> None:
        """Ack or requeue; nameko ignores only the builtin ConnectionError,
        and a broker gone mid-ack raises py-amqp's: the broker gives the
        message again after reconnecting (the handler is idempotent)."""
        try:
            action(message)
        except BROKER_ERRORS as exc:
            log.warning("could not settle an event: broker connection lost", error=repr(exc))

    def handle_result(self, message, event, worker_ctx, result=None, exc_info=None):
        service = self.container.service_name
        if exc_info is None:
            EVENTS_CONSUMED.labels(service, event.type, "ok").inc()
            self._settle(self.queue_consumer.ack_message, message)
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
            self._settle(self.queue_consumer.requeue_message, message)
        return result, exc_info


def subscribe(event_type: str, *, batch: bool = False, **kwargs):
    """The event entrypoint: one event per worker, or (`batch=True`) a list
    of events per worker, applied in one transaction and acknowledged
    together once committed."""
    if batch:
        from .batches import BatchSubscriber
        return BatchSubscriber.decorator(event_type, **kwargs)
    return Subscriber.decorator(event_type, **kwargs)
