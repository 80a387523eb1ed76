"""Kill and restart things: nothing is lost, nothing is applied twice, and
the gateway says clearly what is missing meanwhile."""
from __future__ import annotations

import pytest

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system


@pytest.fixture
def restore_identity(system):
    yield
    if "identity" not in system.processes:
        system.start("identity")
    system.wait_healthy()


def test_a_consumer_killed_mid_stream_loses_nothing_and_ends_at_the_newest_snapshots(system, unique,
                                                                                    restore_identity):
    org, prefix = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", f"{prefix}-seed")
    locations = [f"{prefix}-{n}" for n in range(200)]
    system.kill("identity")  # the burst waits in identity's queue
    system.publish_many([
        ("providers.location_updated", {
            "location_id": location_id, "version": version, "organisation_id": org,
            "name": f"Home {location_id} v{version}", "postcode": "S70 9ZZ", "la_code": "E08000016",
            "sub_icb_code": "02P", "active": True})
        for version in range(1, 6) for location_id in locations])
    # Small batches, so that a kill lands mid-stream even on a busy machine
    # (500 at a time, the whole burst is applied in two transactions).
    system.start("identity", EVENT_BATCH_SIZE="5")

    def processed() -> int:
        """How far the snapshots have got: their versions summed (5 a location when all are in).
        Snapshots are applied newer-wins (apply_snapshot): one applied again changes nothing."""
        return system.identity_sql("SELECT coalesce(sum(version), 0) FROM locations WHERE id = ANY(:ids)",
                                   ids=locations)[0][0]

    everything = 5 * len(locations)
    wait_until(lambda: processed() >= 20, timeout=30, interval=0.01, message="some events to be handled")
    system.kill("identity")  # kill -9, mid-stream
    assert processed() < everything, "the kill came too late to prove anything"

    system.start("identity")
    wait_until(lambda: processed() == everything, timeout=60, message="every location at its newest snapshot")
    rows = system.identity_sql("SELECT id, version, name FROM locations WHERE id = ANY(:ids) ORDER BY id",
                               ids=locations)
    assert len(rows) == len(locations)
    assert all(version == 5 and name.endswith("v5") for _, version, name in rows)


def test_events_committed_while_the_relay_was_down_are_published_when_it_starts(system, restore_identity):
    from identity.models import outbox, processed_events
    from tracker_common.clock import SystemClock
    from tracker_common.db import Database

    observer = system.observe("identity.password_changed")
    system.kill("identity")
    database = Database(system.database_template.format(service="identity"), (outbox, processed_events),
                        SystemClock(), pool_size=1)
    with database.unit_of_work() as uow:  # committed, as by a worker killed before its relay ran
        event = uow.record_event("identity.password_changed", {"user_id": "u-1", "email": "u1@example.org"})
        uow.commit()
    database.dispose()
    assert observer.messages() == []

    system.start("identity")
    published = wait_until(observer.messages, timeout=30, message="the kept event")
    assert [m["id"] for m in published] == [event.id]


def test_while_identity_is_down_the_gateway_answers_503_and_health_names_it(system, restore_identity):
    system.stop("identity")
    health = system.api("GET", "/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["identity"].startswith("unavailable")
    assert health.json()["checks"]["broker"] == "ok"
    # Its queue outlives it, so the first call in each gateway thread waits
    # for the RPC timeout, then finds nobody consumes it: 503. Later calls
    # are refused at once.
    for _ in range(3):
        login = system.api("POST", "/api/v1/auth/token", json={"email": "a@example.org", "password": "whatever"})
        assert login.status_code == 503
        assert login.headers["Content-Type"].startswith("application/problem+json")
        assert login.json()["code"] == "service_unavailable"
        assert "identity is not running" in login.json()["detail"].replace(" service", "")

    system.start("identity")
    system.wait_healthy()
    assert system.api("POST", "/api/v1/auth/token",
                      json={"email": "a@example.org", "password": "whatever"}).status_code == 401
