"""PostgreSQL connections: each pool is sized from configuration (one
connection per worker and background thread by default, nothing beyond),
a service refuses to start with a pool its workers could exhaust, reads
borrow from the service's own pool, and the whole system's worst case is
the one documented in docs/operations.md, well inside max_connections."""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from nameko.containers import ServiceContainer
from sqlalchemy import create_engine, select, text

from tracker_common.clock import SystemClock
from tracker_common.config import PoolSizes, pool_sizes
from tracker_common.db import Database
from tracker_common.dependencies import DatabaseWithOutbox, RebuildWhenEmpty

from .conftest import ProbeService, outbox, processed

SERVICES = ("identity", "providers", "capacity", "search", "notifications", "reporting")
ROOT = Path(__file__).resolve().parents[2]
SUPERUSER_RESERVED = 3  # PostgreSQL's superuser_reserved_connections
COMMANDS = 4  # two operator commands (migrate, an import...) running at once, two connections each


@dataclass
class Budget:
    max_workers: int  # deploy/nameko.yaml's default
    per_process: dict[str, int]  # docs/operations.md's table
    total: int
    max_connections: int  # docker-compose.yml's PostgreSQL
    reserved: int = SUPERUSER_RESERVED
    commands: int = COMMANDS


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def budget(compose) -> Budget:
    workers = int(re.search(r"max_workers: \$\{MAX_WORKERS:(\d+)\}", (ROOT / "deploy/nameko.yaml").read_text())[1])
    rows = [[cell.strip(" *`") for cell in line.strip("|").split("|")]
            for line in (ROOT / "docs/operations.md").read_text().splitlines() if line.startswith("|")]
    per_process = {row[0]: int(row[-1]) for row in rows if row[0] in SERVICES}
    total = next(int(row[-1]) for row in rows if row[0] == "whole system")
    settings = dict(item.split("=", 1) for item in compose["services"]["postgres"]["command"] if "=" in item)
    return Budget(workers, per_process, total, int(settings["max_connections"]))


@pytest.fixture(scope="module")
def sources() -> list[tuple[str, str]]:
    paths = [*ROOT.glob("services/*/*/**/*.py"), *ROOT.glob("lib/tracker_common/**/*.py")]
    return [(str(p.relative_to(ROOT)), p.read_text()) for p in paths if "synthetic" not in p.parts]


# -- the sizes, from configuration -----------------------------------------------------------------

def test_by_default_a_pool_holds_one_connection_per_user_and_no_overflow(monkeypatch):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    assert pool_sizes(6) == PoolSizes(size=6, max_overflow=0)


def test_sizes_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "4")
    assert pool_sizes(6) == PoolSizes(size=3, max_overflow=4) and pool_sizes(6).most == 7


@pytest.mark.parametrize("size, overflow, named", [("4", "0", "lower MAX_WORKERS"), ("0", "9", "at least 1"),
                                                   ("6", "-1", "at least 0")])
def test_a_pool_its_users_could_exhaust_is_refused(monkeypatch, size, overflow, named):
    monkeypatch.setenv("DB_POOL_SIZE", size)
    monkeypatch.setenv("DB_MAX_OVERFLOW", overflow)
    with pytest.raises(ValueError) as refused:
        pool_sizes(6)
    assert "DB_POOL_SIZE" in str(refused.value) and named in str(refused.value)


def service_database(service_class, max_workers: int) -> Database:
    """What a service's DatabaseWithOutbox builds when its container is set up."""
    container = ServiceContainer(service_class, {"AMQP_URI": "memory://", "max_workers": max_workers})
    provider = next(d for d in container.dependencies if isinstance(d, DatabaseWithOutbox))
    provider.setup()
    return provider.database


def test_a_services_pool_covers_its_workers_relay_and_request_cleaner(monkeypatch, probe_database_url):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    database = service_database(ProbeService, max_workers=3)
    try:
        assert (database.engine.pool.size(), database.engine.pool._max_overflow) == (5, 0)
    finally:
        database.dispose()


def test_a_read_model_rebuilding_at_start_gets_one_more(monkeypatch, probe_database_url):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)

    class Rebuilding(ProbeService):
        rebuild = RebuildWhenEmpty(lambda uow, fetch: None)

    database = service_database(Rebuilding, max_workers=3)
    try:
        assert database.engine.pool.size() == 6
    finally:
        database.dispose()


def test_a_service_with_too_small_a_pool_does_not_start(monkeypatch, probe_database_url):
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    with pytest.raises(ValueError, match="lower MAX_WORKERS"):
        service_database(ProbeService, max_workers=3)


# -- reads share the pool ---------------------------------------------------------------------------

def connections_to(url: str) -> int:
    engine = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                      {"d": url.rsplit("/", 1)[1]}).scalar()
    finally:
        engine.dispose()


def test_reads_and_writes_take_turns_on_one_connection(probe_database_url):
    database = Database(probe_database_url, (outbox, processed), SystemClock(), pool_size=1)
    try:
        with database.unit_of_work() as uow:
            uow.session.execute(select(outbox.c.seq)).all()
            assert uow.session.connection().connection.dbapi_connection.autocommit is False
        with database.read() as connection:
            connection.execute(select(outbox.c.seq)).all()
            # outside any transaction: the query is its own, one round trip
            assert connection.connection.dbapi_connection.autocommit is True
            assert connection.execute(text("SELECT now() = statement_timestamp()")).scalar() is True
        with database.unit_of_work() as uow:  # back in the pool, transactional again
            assert uow.session.connection().connection.dbapi_connection.autocommit is False
        assert connections_to(probe_database_url) == 1
    finally:
        database.dispose()


def test_reads_with_settings_of_their_own_have_a_pool_sized_for_the_workers(probe_database_url):
    database = Database(probe_database_url, (outbox, processed), SystemClock(), pool_size=5,
                        read_settings={"enable_bitmapscan": "off"}, read_pool_size=2)
    try:
        with database.read() as connection:
            assert connection.execute(text("SHOW enable_bitmapscan")).scalar() == "off"
        assert (database._read_engine.pool.size(), database._read_engine.pool._max_overflow) == (2, 0)
        with database.engine.connect() as connection:
            assert connection.execute(text("SHOW enable_bitmapscan")).scalar() == "on"
    finally:
        database.dispose()


# -- the whole system's worst case ------------------------------------------------------------------

def worst_case(service: str, max_workers: int) -> int:
    """The most connections one process of `service` may hold, by the rules
    above, read from its service class."""
    module = importlib.import_module(f"{service}.service")
    service_class = next(c for c in vars(module).values() if getattr(c, "name", None) == service
                         and isinstance(c, type))
    providers = [v for v in vars(service_class).values()]
    database = next(p for p in providers if isinstance(p, DatabaseWithOutbox))
    rebuilding = sum(isinstance(p, RebuildWhenEmpty) for p in providers)
    return max_workers + 2 + rebuilding + (max_workers if database.read_settings else 0)


def test_the_documented_budget_is_the_systems_worst_case_and_fits_twice(budget):
    computed = {service: worst_case(service, budget.max_workers) for service in SERVICES}
    assert budget.per_process == computed
    assert budget.total == sum(computed.values())
    # A second copy (tests beside a demo, a blue/green deploy) fits beside the
    # first, with PostgreSQL's superuser reserve and operator commands to spare.
    assert 2 * budget.total + budget.reserved + budget.commands <= budget.max_connections


def test_no_feature_that_transaction_pooling_breaks_is_used(sources):
    """PgBouncer pools by transaction (docker-compose.yml): a session-level
    advisory lock, LISTEN, a prepared statement, a cursor WITH HOLD, a
    session SET or a temporary table outliving its transaction would leak
    between clients."""
    forbidden = re.compile(r"pg_advisory_lock|pg_try_advisory_lock\(|\bLISTEN\b|\bPREPARE\b|WITH HOLD"
                           r"|[\"']SET (?!LOCAL)|CREATE TEMP(?:ORARY)? TABLE(?![^\"']*ON COMMIT DROP)")
    found = [(path, match.group(0)) for path, code in sources for match in forbidden.finditer(code)]
    assert found == []


# -- docker-compose.yml agrees ----------------------------------------------------------------------

def test_compose_offers_pgbouncer_by_choice_holding_fewer_connections_than_the_budget(compose, budget):
    services = compose["services"]
    pgbouncer = services["pgbouncer"]
    assert pgbouncer["profiles"] == ["pgbouncer"]  # opt-in
    settings = pgbouncer["environment"]
    assert settings["POOL_MODE"] == "transaction" and settings["DB_HOST"] == "postgres"
    # however many replicas connect, PostgreSQL sees at most this many
    assert int(settings["MAX_DB_CONNECTIONS"]) * len(SERVICES) <= budget.total
    assert int(settings["DEFAULT_POOL_SIZE"]) <= int(settings["MAX_DB_CONNECTIONS"])
    assert settings["RESERVE_POOL_SIZE"] == "0"
    # per-connection settings cannot follow a pooled connection: ignored there, JIT off on the server
    assert settings["IGNORE_STARTUP_PARAMETERS"].split(",") == ["options"]
    assert "jit=off" in services["postgres"]["command"]


def test_compose_points_the_services_at_pgbouncer_only_when_asked(compose):
    services = compose["services"]
    for name in SERVICES:
        template = services[name]["environment"]["DATABASE_URL_TEMPLATE"]
        assert "@${DATABASE_HOST:-postgres}:5432/capacity_tracker_{service}" in template, name
        assert services[name]["depends_on"]["pgbouncer"] == {"condition": "service_healthy", "required": False}
    # creating databases and migrating always goes straight to PostgreSQL
    assert "@postgres:5432/" in services["setup"]["environment"]["DATABASE_URL_TEMPLATE"]
    assert "DATABASE_URL_TEMPLATE" not in services["gateway"]["environment"] or \
        services["gateway"]["environment"]["DATABASE_URL_TEMPLATE"] == \
        compose["x-tracker"]["environment"]["DATABASE_URL_TEMPLATE"]
