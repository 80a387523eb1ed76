"""nameko dependency providers shared by every service: the database (with
its outbox relay), the clock, and telemetry (logs and metrics per worker)."""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Callable

import eventlet
from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from prometheus_client import start_http_server

from . import once
from .clock import clock_from_environment
from .config import env_float, env_int, load_settings, pool_sizes
from .contracts.errors import TrackerError
from .db import Database
from .logs import bind_correlation_id, clear_context, configure_logging, get_logger
from .metrics import ENTRYPOINT_CALLS, ENTRYPOINT_LATENCY
from .outbox import OutboxRelay
from .rpc import RpcPool

log = get_logger(__name__)


class Clock(DependencyProvider):
    """Injects the clock (system time, or an offset one in end-to-end tests)."""

    def setup(self):
        self.clock = clock_from_environment()

    def get_dependency(self, worker_ctx):
        return self.clock


class _WorkerDatabase:
    """What a worker sees: units of work carrying its correlation id (and,
    for a write answered once, recording its request id)."""

    def __init__(self, database: Database, correlation_id: str | None, request_id: str | None = None):
        self._database = database
        self._correlation_id = correlation_id
        self._request_id = request_id
        self._record_request = None

    def unit_of_work(self):
        return self._database.unit_of_work(self._correlation_id, self._record_request)

    # -- writes answered once (tracker_common.once) --
    def answers_requests(self) -> bool:
        return bool(self._request_id) and self._database.processed_requests is not None

    def stored_answer(self):
        with self._database.read() as connection:
            return once.stored_answer(connection, self._database.processed_requests, self._request_id)

    def record_requests(self, method: str) -> None:
        self._record_request = once.recorder(self._database.processed_requests, self._request_id, method,
                                             self._database.clock.now)

    def log_replay(self, method: str) -> None:
        log.info("request already answered: the stored answer is given again", method=method,
                 request_id=self._request_id)

    def read(self):
        return self._database.read()

    def ping(self) -> bool:
        return self._database.ping()

    def apply_once(self, event, apply) -> None:
        """`apply(uow, event.data)` and commit, unless this event was already
        processed (a redelivery): the idempotent consumer, written once."""
        with self.unit_of_work() as uow:
            if uow.first_delivery(event):
                apply(uow, event.data)
            uow.commit()

    def apply_snapshot(self, event, apply) -> None:
        """`apply(session, [snapshot])` and commit, the snapshot as loaded by
        its event's schema (typed: datetimes, Decimals): for read models
        whose snapshots are versioned, where applying one again, or an older
        one, changes nothing (so no record of processed events is needed)."""
        self.apply_snapshots([event], apply)

    def apply_snapshots(self, events: list, apply) -> None:
        """`apply(session, snapshots)` over a batch of events (a batched
        subscriber's) in one transaction, and commit."""
        with self.unit_of_work() as uow:
            apply(uow.session, [event.data for event in events])
            uow.commit()


class DatabaseWithOutbox(DependencyProvider):
    """The service's own PostgreSQL database, and the relay that publishes its
    outbox. A commit that wrote events wakes the relay at once."""

    def __init__(self, tables, read_settings: dict | None = None):
        self.tables = tables
        self.read_settings = read_settings

    def setup(self):
        settings = load_settings()
        service = self.container.service_name
        workers = int(self.container.config.get("max_workers", 10))
        # Besides the workers, the outbox relay and the forgetting of old
        # requests hold a connection, and so does a read model's rebuild at start.
        background = 2 + sum(isinstance(d, RebuildWhenEmpty) for d in self.container.dependencies)
        pool, reads = pool_sizes(workers + background), pool_sizes(workers)  # reads: workers only
        self._wake = threading.Event()
        self._wake_forgetting = threading.Event()
        self._stopping = False
        self.database = Database(settings.database_url(service), self.tables,
                                 clock_from_environment(), pool_size=pool.size, max_overflow=pool.max_overflow,
                                 after_commit=self._wake.set, read_settings=self.read_settings,
                                 read_pool_size=reads.size)
        self.relay = OutboxRelay(
            service, self.database.engine, self.database.outbox, settings.amqp_uri,
            self.database.clock,
            retention=timedelta(hours=env_int("OUTBOX_RETENTION_HOURS", 24)))

    def start(self):
        self.container.spawn_managed_thread(self._run_relay)
        if self.database.processed_requests is not None:
            self.container.spawn_managed_thread(self._forget_old_requests)

    def _forget_old_requests(self):
        """Hourly, forget answered requests older than a caller may resend
        one (the gateway keeps Idempotency-Keys 24 hours)."""
        retention = timedelta(hours=env_int("REQUEST_RETENTION_HOURS", 48))
        while not self._stopping:
            try:
                with self.database.engine.begin() as connection:
                    once.forget_before(connection, self.database.processed_requests,
                                       self.database.clock.now() - retention)
            except Exception as exc:  # database down: next hour
                log.warning("could not forget old requests", error=repr(exc))
            self._wake_forgetting.wait(3600)

    def _run_relay(self):
        self.relay.run(self._wake, lambda: self._stopping,
                       interval=float(self.container.config.get("OUTBOX_INTERVAL", 0.5)))

    def stop(self):
        self._stopping = True
        self._wake.set()
        self._wake_forgetting.set()
        self.relay.close()
        self.database.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        # The request id is this worker's alone: taken out of the context so
        # that calls this worker makes to other services do not carry it.
        request_id = worker_ctx.data.pop(once.REQUEST_ID, None)
        if not isinstance(request_id, str) or len(request_id) > once.MAX_REQUEST_ID:
            request_id = None
        return _WorkerDatabase(self.database, worker_ctx.data.get("correlation_id"), request_id)


class RebuildWhenEmpty(DependencyProvider):
    """At start, a read model found empty (a new installation, a reset
    database, a service added late) is refilled from the owning services'
    snapshots, retrying until they answer. `rebuild(uow, fetch)` does the
    work: it must skip a model that is not empty and take a lock, so that
    several instances starting together rebuild once."""

    def __init__(self, rebuild: Callable[..., object]):
        self.rebuild = rebuild

    def setup(self):
        self.pool = RpcPool(self.container.config["AMQP_URI"], env_float("REBUILD_RPC_TIMEOUT", 60.0))
        self.stopping = False

    def start(self):
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.stopping = True
        self.pool.close()

    def _fetch(self, service: str, method: str, after: str) -> dict:  # a snapshots.Fetch
        return self.pool.call(service, method, after=after)

    def _run(self):
        database = next(d for d in self.container.dependencies if isinstance(d, DatabaseWithOutbox)).database
        delay = 1.0
        while not self.stopping:
            try:
                with database.unit_of_work() as uow:
                    self.rebuild(uow, self._fetch)
                return
            except TrackerError as exc:  # a service not up yet: try again
                log.warning("read model rebuild postponed", reason=exc.detail, retry_in_s=delay)
            eventlet.sleep(delay)
            delay = min(delay * 2, 30.0)


class Telemetry(DependencyProvider):
    """Binds the correlation id to every log line of a worker; counts and
    times every entrypoint by outcome; serves /metrics on METRICS_PORT."""

    _started_ports: set[int] = set()

    def setup(self):
        configure_logging(self.container.service_name, load_settings().log_level)
        self._started = {}

    def start(self):
        port = env_int("METRICS_PORT", 0)
        if port and port not in Telemetry._started_ports:
            start_http_server(port)
            Telemetry._started_ports.add(port)

    def worker_setup(self, worker_ctx):
        bind_correlation_id(worker_ctx.data.get("correlation_id"),
                            entrypoint=worker_ctx.entrypoint.method_name)
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        service = self.container.service_name
        entrypoint = worker_ctx.entrypoint.method_name
        elapsed = time.perf_counter() - self._started.pop(worker_ctx, time.perf_counter())
        expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ())
        if exc_info is None:
            outcome = "ok"
        elif expected and isinstance(exc_info[1], expected):
            outcome = "expected_error"
        else:
            outcome = "error"
            log.error("entrypoint failed", exc_info=exc_info)
        # A timer's uneventful tick (every second or so) is noise at info: debug.
        level = log.debug if outcome == "ok" and isinstance(worker_ctx.entrypoint, Timer) else log.info
        level("entrypoint finished", outcome=outcome, duration_ms=round(elapsed * 1000, 1),
              error_code=getattr(exc_info[1], "code", None) if exc_info else None)
        ENTRYPOINT_CALLS.labels(service, entrypoint, outcome).inc()
        ENTRYPOINT_LATENCY.labels(service, entrypoint).observe(elapsed)

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        clear_context("correlation_id", "entrypoint")
