"""The shape of the bus, declared in one place.

- one durable topic exchange for every event, routing key = event type;
- one quorum queue per (consuming service, event type), bound before any
  event is published; a bounded delivery limit, then the dead-letter exchange;
- one dead-letter queue that operators watch.
"""
from __future__ import annotations

from kombu import Connection, Exchange, Queue

from .config import env_int
from .contracts.events import SUBSCRIPTIONS

EVENTS_EXCHANGE = Exchange("tracker.events", type="topic", durable=True, auto_delete=False)
DEAD_LETTER_EXCHANGE = Exchange("tracker.dead-letters", type="fanout", durable=True, auto_delete=False)
DEAD_LETTER_QUEUE = Queue("tracker.dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="#",
                          durable=True, auto_delete=False)

# Attempts before a failing event is dead-lettered. The consumer counts them
# (x-delivery-count); the broker's delivery limit is a backstop one above it,
# for consumers that crash before they can count.
MAX_ATTEMPTS = env_int("EVENT_MAX_ATTEMPTS", 5)


def subscription_queue_name(service: str, event_type: str) -> str:
    return f"{service}--{event_type}"


def subscription_queue(service: str, event_type: str) -> Queue:
    return Queue(
        subscription_queue_name(service, event_type),
        exchange=EVENTS_EXCHANGE,
        routing_key=event_type,
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": MAX_ATTEMPTS + 1,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def all_subscription_queues() -> list[Queue]:
    return [subscription_queue(service, event_type)
            for service, event_types in SUBSCRIPTIONS.items()
            for event_type in event_types]


def declare_topology(connection: Connection) -> None:
    """Declare exchanges and every subscriber's queue (idempotent)."""
    channel = connection.default_channel
    EVENTS_EXCHANGE(channel).declare()
    DEAD_LETTER_EXCHANGE(channel).declare()
    DEAD_LETTER_QUEUE(channel).declare()
    for queue in all_subscription_queues():
        queue(channel).declare()


def main() -> None:  # `python -m tracker_common.bus` declares the topology
    from .config import load_settings

    with Connection(load_settings().amqp_uri) as connection:
        declare_topology(connection)
    print("bus topology declared:", ", ".join(q.name for q in all_subscription_queues()))


if __name__ == "__main__":
    main()
