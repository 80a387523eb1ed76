"""psycopg2 under eventlet: once monkey-patched (as `nameko run` does) a
query waiting on PostgreSQL must let other greenlets run, or one slow query
would stall every worker of a service and miss AMQP heartbeats."""
from __future__ import annotations

import eventlet
from sqlalchemy import text

from tracker_common.clock import SystemClock
from tracker_common.db import Database

from .conftest import outbox, processed


def test_a_waiting_query_does_not_block_other_greenlets(probe_database_url):
    database = Database(probe_database_url, (outbox, processed), SystemClock(), pool_size=4)
    finished: list[str] = []

    def slow():
        with database.engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(1)"))
        finished.append("slow")

    def quick():
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        finished.append("quick")

    def heartbeat():
        eventlet.sleep(0.1)  # needs the hub while the slow query waits
        finished.append("heartbeat")

    slow_thread = eventlet.spawn(slow)
    eventlet.sleep(0.05)  # the slow query is now waiting on the server
    others = [eventlet.spawn(quick), eventlet.spawn(heartbeat)]
    for thread in [slow_thread, *others]:
        thread.wait()
    database.dispose()
    # Order, not time: a blocking driver would finish the slow query first.
    assert finished[-1] == "slow", finished
    assert sorted(finished[:2]) == ["heartbeat", "quick"]

def test_many_concurrent_workers_share_the_pool(probe_database_url):
    database = Database(probe_database_url, (outbox, processed), SystemClock(), pool_size=5)

    def query(i: int) -> int:
        with database.engine.connect() as connection:
            return connection.execute(text("SELECT CAST(:i AS integer)"), {"i": i}).scalar()

    results = list(eventlet.GreenPool(20).imap(query, range(200)))
    database.dispose()
    assert results == list(range(200))
