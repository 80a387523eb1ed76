"""Every subscription in the contracts has its handler, and every handler
its subscription: a queue nobody consumes would fill up forever, and a
handler without a declared queue would miss events published before it ran."""
from __future__ import annotations

import importlib

import pytest

from tracker_common.contracts.events import EVENTS, SUBSCRIPTIONS
from tracker_common.entrypoints import Subscriber


def subscribed_event_types(service_name: str) -> set[str]:
    module = importlib.import_module(f"{service_name}.service")
    service_cls = next(value for value in vars(module).values()
                       if isinstance(value, type) and getattr(value, "name", None) == service_name)
    return {entrypoint.event_type
            for member in vars(service_cls).values()
            for entrypoint in getattr(member, "nameko_entrypoints", ())
            if isinstance(entrypoint, Subscriber)}


@pytest.mark.parametrize("service_name", sorted(SUBSCRIPTIONS))
def test_each_service_handles_exactly_what_it_subscribes_to(service_name):
    assert subscribed_event_types(service_name) == set(SUBSCRIPTIONS[service_name])


def test_subscriptions_name_only_known_events():
    for event_types in SUBSCRIPTIONS.values():
        assert set(event_types) <= set(EVENTS)
