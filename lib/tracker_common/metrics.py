"""Prometheus metrics every service exposes, defined once."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ENTRYPOINT_CALLS = Counter(
    "tracker_entrypoint_calls_total",
    "Entrypoint calls by outcome (ok, expected_error, error)",
    ["service", "entrypoint", "outcome"],
)
ENTRYPOINT_LATENCY = Histogram(
    "tracker_entrypoint_latency_seconds",
    "Entrypoint latency",
    ["service", "entrypoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PENDING = Gauge(
    "tracker_outbox_pending_events", "Events written but not yet published", ["service"]
)
OUTBOX_LAG = Gauge(
    "tracker_outbox_lag_seconds", "Age of the oldest unpublished event", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "tracker_events_published_total", "Events published with broker confirmation", ["service", "event_type"]
)
EVENTS_CONSUMED = Counter(
    "tracker_events_consumed_total", "Events handled by outcome (ok, duplicate, retry, dead_letter)",
    ["service", "event_type", "outcome"],
)
DEAD_LETTERS = Counter(
    "tracker_dead_letters_total", "Events sent to the dead-letter queue", ["service", "event_type", "reason"]
)
RPC_RETRIES = Counter(
    "tracker_rpc_retries_total",
    "RPC calls sent again on a fresh connection after the broker connection was lost", ["service"])
RPC_REPLIES_LOST = Counter(
    "tracker_rpc_replies_lost_total",
    "RPC replies the broker could not take (its connection was lost while the worker ran)", ["service"])
EVENT_BATCH_SIZE = Histogram(
    "tracker_event_batch_size", "Events applied together by a batched subscriber", ["service", "event_type"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
