"""A small probe service built only from the shared plumbing, so the
plumbing's promises (outbox, idempotent consumers, bounded retries, dead
letters) are tested on their own, with the real broker and PostgreSQL."""
from __future__ import annotations

import pytest
from nameko.rpc import rpc
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from tracker_common.clock import SystemClock
from tracker_common.config import load_settings
from tracker_common.contracts import events as contracts
from tracker_common.db import Database, plumbing_tables
from tracker_common.dependencies import DatabaseWithOutbox, Telemetry
from tracker_common.entrypoints import subscribe
from tracker_common.testing import fresh_database, truncate_all

PROBE = "plumbing_probe"
EVENT = "providers.location_updated"
metadata = MetaData()
outbox, processed = plumbing_tables(metadata)
applied = Table("applied", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(36), nullable=False),
                Column("location_id", String(64), nullable=False))


class Probe:
    """What the probe's handler saw and how it should misbehave."""
    calls: list[str] = []
    failures_left: dict[str, int] = {}


class ProbeService:
    name = PROBE
    db = DatabaseWithOutbox((outbox, processed))
    telemetry = Telemetry()

    @subscribe(EVENT)
    def on_location_updated(self, event):
        Probe.calls.append(event.id)
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event):
                return
            uow.session.execute(insert(applied).values(event_id=event.id, location_id=event.data["location_id"]))
            location_id = event.data["location_id"]
            if Probe.failures_left.get(location_id, 0) > 0:
                Probe.failures_left[location_id] -= 1
                raise RuntimeError("simulated handler failure")
            uow.commit()

    @rpc
    def record_location(self, location_id):
        with self.db.unit_of_work() as uow:
            uow.record_event(EVENT, location_snapshot(location_id))
            uow.commit()


def location_snapshot(location_id: str, version: int = 1) -> dict:
    return {"location_id": location_id, "version": version, "organisation_id": "prov-a", "name": "Alder House",
            "postcode": "S70 1AA", "la_code": "E08000016", "sub_icb_code": "02P", "active": True}


@pytest.fixture(scope="session")
def probe_database_url():
    url = load_settings().database_url(PROBE)
    fresh_database(url, metadata=metadata)
    return url


@pytest.fixture
def probe_db(probe_database_url, monkeypatch, amqp_uri):
    monkeypatch.setitem(contracts.SUBSCRIPTIONS, PROBE, (EVENT,))
    database = Database(probe_database_url, (outbox, processed), SystemClock(), pool_size=4)
    truncate_all(database.engine, metadata)
    Probe.calls.clear()
    Probe.failures_left.clear()
    # a clean slate on the bus: nothing left over from another test
    from kombu import Connection

    from tracker_common.bus import DEAD_LETTER_QUEUE, declare_topology, subscription_queue
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        subscription_queue(PROBE, EVENT)(connection.default_channel).purge()
        DEAD_LETTER_QUEUE(connection.default_channel).purge()
    yield database
    database.dispose()


@pytest.fixture
def applied_rows(probe_db):
    def _rows():
        with probe_db.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(select(applied.c.event_id, applied.c.location_id))]
    return _rows


@pytest.fixture
def unpublished(probe_db):
    def _count():
        with probe_db.engine.connect() as connection:
            return len(connection.execute(select(outbox.c.seq).where(outbox.c.published_at.is_(None))).all())
    return _count
