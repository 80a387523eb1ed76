"""Test plumbing shared by every service's tests: isolated RabbitMQ vhosts,
fresh PostgreSQL databases built by the real migrations, and a TCP proxy
that can cut a client off from the broker."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote

from kombu import Connection, Producer
from sqlalchemy import MetaData, create_engine, text

from .bus import EVENTS_EXCHANGE, declare_topology, subscription_queue_name
from .migrations import drop_database, upgrade


def reset_vhost(name: str) -> str:
    """A fresh, empty vhost (needs rabbitmqctl on this machine); returns its
    AMQP URI. Without rabbitmqctl, fall back to the default vhost."""
    if shutil.which("rabbitmqctl") is None:
        return "amqp://guest:guest@127.0.0.1:5672/"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    return f"amqp://guest:guest@127.0.0.1:5672/{quote(name, safe='')}"


def fresh_database(url: str, migrations_dir=None, metadata: MetaData | None = None) -> None:
    """Drop and rebuild a database with the real migrations (or, for test-only
    schemas, `metadata.create_all`)."""
    drop_database(url)
    if migrations_dir is not None:
        upgrade(migrations_dir, url)
    else:
        from .migrations import ensure_database

        ensure_database(url)
        engine = create_engine(url)
        metadata.create_all(engine)
        engine.dispose()


def truncate_all(engine, metadata: MetaData, attempts: int = 3) -> None:
    """Empty every table. A service running beside the test (its outbox
    relay, a consumer) may hold a lock the TRUNCATE needs in the other
    order: PostgreSQL then aborts one of the two, and emptying is tried again."""
    from sqlalchemy.exc import OperationalError

    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError as failed:
            if "deadlock detected" not in str(failed) or attempt == attempts:
                raise


def drain(amqp_uri: str, queue_name: str, timeout: float = 0.5, limit: int = 1000) -> list:
    """Take every message now in a queue: [(body, headers)]."""
    taken = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for _ in range(limit):
            message = channel.basic_get(queue_name, no_ack=True)
            if message is None:
                break
            taken.append((json.loads(message.body), dict(message.headers or {})))
    return taken


class TcpProxy:
    """Forwards a local port to the broker until `cut()`: then every
    connection through it drops and new ones are refused, as when the broker
    restarts. `restore()` lets traffic through again."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5672):
        self.target = (target_host, target_port)
        self._listener = None
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.port = self._free_port()

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def uri(self, vhost_uri: str) -> str:
        return vhost_uri.replace("127.0.0.1:5672", f"127.0.0.1:{self.port}")

    def start(self) -> "TcpProxy":
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(50)
        self._spawn(self._accept, self._listener)
        return self

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        with self._lock:
            self._threads.append(thread)

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._spawn(self._pipe, a, b)

    @staticmethod
    def _pipe(source, destination):
        # Each direction only half-closes its peer: closing a socket another
        # greenlet is still reading would leave eventlet a stale listener on a
        # descriptor number the OS hands out again at once. Sockets are closed
        # in `cut()`, once every forwarding thread has finished.
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except Exception:  # either side closed or cut: this direction is over
            pass
        finally:
            try:
                destination.shutdown(socket.SHUT_WR)
            except Exception:
                pass

    def cut(self) -> None:
        # The listening socket is shut down (which wakes its accept) and
        # closed with the rest, once its thread has finished: closed at once,
        # its thread would keep a stale reader on a descriptor number that
        # PostgreSQL's next connection may get.
        listener, self._listener = self._listener, None
        with self._lock:
            sockets, self._connections = self._connections, []
            threads, self._threads = self._threads, []
        if listener is not None:
            sockets.insert(0, listener)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Wait for every forwarding thread to see its socket closed before the
        # descriptors are released: under eventlet a reused descriptor number
        # with a reader still registered breaks the next user of that number.
        for thread in threads:
            thread.join(timeout=5)
        for s in sockets:
            try:
                s.close()
            except OSError:
                pass
        stuck = [thread for thread in threads if thread.is_alive()]
        if stuck:
            raise RuntimeError(f"{len(stuck)} proxy thread(s) still blocked after the cut")

    def restore(self) -> None:
        self.start()

    stop = cut


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout`."""
    import time

    import eventlet

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def migrated_database_url(service: str, migrations_dir) -> str:
    """A service's test database, dropped and rebuilt by its real migrations
    (the body of a session fixture)."""
    from .config import load_settings

    url = load_settings().database_url(service)
    fresh_database(url, migrations_dir)
    return url


def empty_database(url: str, base_metadata: MetaData, tables, clock):
    """A service's Database with every table emptied (the body of a test
    fixture: yield it, then dispose of it)."""
    from .db import Database

    database = Database(url, tables, clock, pool_size=2)
    truncate_all(database.engine, base_metadata)
    return database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProcessGroup:
    """Named child processes (services, the gateway) each in its own session,
    its output in `<log_dir>/<name>.log`: started, stopped, killed by name."""

    def __init__(self, cwd, env: dict, log_dir):
        self.cwd, self.env, self.log_dir = cwd, env, Path(log_dir)
        self.running: dict = {}

    def start(self, name: str, command: list[str], **env: str) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(command, cwd=self.cwd, env={**self.env, **env}, stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, name: str, sig: int | None = None) -> None:
        process = self.running.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, sig or signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def kill(self, name: str) -> None:
        self.stop(name, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


def publish_messages(amqp_uri: str, messages: list[dict]) -> None:
    """Publish event messages as their producers' relays would (for tests
    of consumers whose producer is not running): confirmed by the broker one
    by one, since a quorum queue may drop what a closing channel had not yet
    had confirmed."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection)
        producer = Producer(connection.channel(), exchange=EVENTS_EXCHANGE)
        for message in messages:
            producer.publish(message, routing_key=message["type"], serializer="json", delivery_mode=2)


def empty_subscriptions(amqp_uri: str, service: str) -> None:
    """Purge a service's event queues (declared first if need be): broker
    tests share a vhost, and every subscriber's queue exists from the first
    publish on, so a service's queues hold other tests' events."""
    from .contracts.events import SUBSCRIPTIONS

    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        for event_type in SUBSCRIPTIONS[service]:
            connection.default_channel.queue_purge(subscription_queue_name(service, event_type))


# -- reading web pages as a browser would (BeautifulSoup, a test dependency) ----------------
def page(response):
    """A page (a Flask test response, a requests response, or HTML text), parsed."""
    from bs4 import BeautifulSoup

    text = response.get_data(as_text=True) if hasattr(response, "get_data") else getattr(response, "text", response)
    return BeautifulSoup(text, "html.parser")


def error_summary(response) -> list[tuple[str | None, str]]:
    """GOV.UK's error summary: (the field id it links to, its text) of each entry."""
    box = page(response).find(class_="govuk-error-summary")
    if box is None:
        return []
    return [((item.a["href"].lstrip("#") if item.a else None), item.get_text(" ", strip=True))
            for item in box.find_all("li")]


def notices(response) -> list[str]:
    """The notification banner's messages (what was done)."""
    return [p.get_text(strip=True) for p in page(response).select(".govuk-notification-banner__heading")]


def csrf_token(response) -> str:
    """The CSRF token a page's forms carry."""
    return page(response).find("input", {"name": "csrf_token"})["value"]
