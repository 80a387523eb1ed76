"""Test configuration shared by every test.

Tests run against the real PostgreSQL, RabbitMQ and Redis of this machine,
isolated from a running demo: their own databases (capacity_tracker_test_*),
their own RabbitMQ vhosts and Redis database 15.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything imports socket/threading: nameko needs it

import os  # noqa: E402
import tempfile  # noqa: E402
from contextlib import contextmanager  # noqa: E402

os.environ.update({
    "VAR_DIR": tempfile.mkdtemp(prefix="capacity-tracker-test-"),
    "DATABASE_URL_TEMPLATE": os.environ.get(
        "TEST_DATABASE_URL_TEMPLATE",
        "postgresql+psycopg2://postgres@127.0.0.1:5432/capacity_tracker_test_{service}"),
    "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "EVENT_MAX_ATTEMPTS": "3",
    "METRICS_PORT": "0",
})
os.environ.pop("CLOCK_OFFSET_FILE", None)

import pytest  # noqa: E402
import redis  # noqa: E402

from tracker_common.keys import ensure_keys  # noqa: E402
from tracker_common.testing import reset_vhost  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def keys():
    ensure_keys()


@pytest.fixture(scope="session")
def amqp_uri():
    """A fresh vhost for in-process service tests."""
    uri = reset_vhost(os.environ.get("TEST_AMQP_VHOST", "capacity-tracker-test"))
    os.environ["AMQP_URI"] = uri
    return uri


@pytest.fixture(scope="session")
def redis_client():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    return client


@pytest.fixture
def container_config(amqp_uri):
    return {"AMQP_URI": amqp_uri, "max_workers": 4, "serializer": "json", "OUTBOX_INTERVAL": 0.1}


@pytest.fixture
def run_container(container_config):
    """Start a nameko service in this process; stopped at the end of the test."""
    from nameko.containers import ServiceContainer

    started = []

    @contextmanager
    def _run(service_cls, **config):
        container = ServiceContainer(service_cls, {**container_config, **config})
        container.start()
        started.append(container)
        try:
            yield container
        finally:
            container.stop()

    def start(service_cls, **config):
        container = ServiceContainer(service_cls, {**container_config, **config})
        container.start()
        started.append(container)
        return container

    _run.start = start
    yield _run
    for container in started:
        if container._died.ready() is False:
            container.kill()


# -- the fast tests: rules and contracts, no broker, database or Redis ---------------------------
# `make test-unit` runs the tests marked `unit`: those that use none of the
# fixtures below (or any fixture named *_database_url or *_db), and are not
# system tests or marked `slow` (real processes, files of many megabytes). It runs them with the database, broker and Redis addresses
# pointing nowhere, so a test that reaches one fails rather than being slow.
INFRASTRUCTURE_FIXTURES = {"amqp_uri", "redis_client", "run_container", "services", "probe_db"}


def needs_infrastructure(fixture_names) -> bool:
    return any(name in INFRASTRUCTURE_FIXTURES or name.endswith(("_database_url", "_db"))
               for name in fixture_names)


def pytest_collection_modifyitems(config, items):
    for item in items:
        system = item.get_closest_marker("system") or "system" in item.path.relative_to(item.config.rootpath).parts
        slow = item.get_closest_marker("slow")
        if not system and not slow and not needs_infrastructure(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.unit)
