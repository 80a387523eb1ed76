"""The shape of the bus, declared in one place.

- one durable topic exchange for every event, routing key = event type;
- one quorum queue per (consuming service, event type), bound before any
  event is published; a bounded delivery limit, then the dead-letter exchange;
- one dead-letter queue that operators watch, list and replay:
  `python -m tracker_common.bus dead-letters` / `replay [--queue Q]`.
"""
from __future__ import annotations

import json
import sys

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


def _dead_letter_origin(message) -> dict:
    headers = message.headers or {}
    deaths = headers.get("x-death") or [{}]
    body = json.loads(message.body)
    return {"queue": headers.get("x-first-death-queue"), "reason": headers.get("x-first-death-reason"),
            "deaths": deaths[0].get("count"), "event_id": body.get("id"), "event_type": body.get("type")}


def dead_letters(connection: Connection, limit: int = 1000) -> list[dict]:
    """What is in the dead-letter queue, without taking it out."""
    channel = connection.channel()
    try:
        found = []
        while len(found) < limit and (message := channel.basic_get(DEAD_LETTER_QUEUE.name)) is not None:
            found.append(_dead_letter_origin(message))
        return found
    finally:
        channel.close()  # everything read but not acknowledged goes back, in order


def replay_dead_letters(connection: Connection, queue: str | None = None, limit: int = 1000) -> int:
    """Send dead letters back to the queue they died in (all, or one queue's),
    once the cause is fixed. Consumers are idempotent, so a replay is safe."""
    channel = connection.channel()
    channel.confirm_select()
    replayed = 0
    try:
        for _ in range(limit):
            message = channel.basic_get(DEAD_LETTER_QUEUE.name)
            if message is None:
                break
            origin = _dead_letter_origin(message)
            if not origin["queue"] or (queue and origin["queue"] != queue):
                continue  # left unacknowledged: back in the queue when the channel closes
            channel.basic_publish(amqp_message(message.body, message.properties), exchange="",
                                  routing_key=origin["queue"])
            channel.basic_ack(message.delivery_tag)
            replayed += 1
        return replayed
    finally:
        channel.close()


def amqp_message(body, properties):
    from amqp import Message

    kept = {k: v for k, v in properties.items() if k in ("content_type", "content_encoding", "message_id")}
    return Message(body, delivery_mode=2, **kept)


def main(argv=None) -> int:
    """python -m tracker_common.bus [declare | dead-letters | replay [--queue QUEUE]]"""
    import argparse

    from .config import load_settings

    parser = argparse.ArgumentParser(prog="python -m tracker_common.bus")
    parser.add_argument("command", nargs="?", default="declare", choices=["declare", "dead-letters", "replay"])
    parser.add_argument("--queue", help="replay only what died in this queue")
    args = parser.parse_args(argv)
    with Connection(load_settings().amqp_uri) as connection:
        if args.command == "declare":
            declare_topology(connection)
            print("bus topology declared:", ", ".join(q.name for q in all_subscription_queues()))
        elif args.command == "dead-letters":
            letters = dead_letters(connection)
            for letter in letters:
                print(json.dumps(letter))
            print(f"{len(letters)} dead letter(s)", file=sys.stderr)
        else:
            print(f"replayed {replay_dead_letters(connection, args.queue)} dead letter(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
