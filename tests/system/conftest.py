"""The real system on test databases: identity under `nameko run` and the
gateway under gunicorn, as separate processes, talking over a RabbitMQ vhost
of their own. Tests drive it through HTTP, kill and restart its processes,
and move its clock (CLOCK_OFFSET_FILE) instead of sleeping."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection, Queue
from sqlalchemy import create_engine, text

from tracker_common.bus import EVENTS_EXCHANGE
from tracker_common.keys import message_sealer
from tracker_common.migrations import drop_database
from tracker_common.testing import ProcessGroup, free_port, reset_vhost, wait_until

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


class System:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.clock_file = tmp / "clock-offset"
        self.mfa_secrets: dict[str, str] = {}  # email -> the key of their authenticator app
        self.mfa_steps: dict[str, int] = {}  # email -> the last time step whose code was used
        self.clock_file.write_text("0")
        self.port = free_port()
        self.identity_metrics_port = free_port()
        self.smtp_port, self.mail_port = free_port(), free_port()
        # TEST_SYSTEM_NAME / TEST_SYSTEM_REDIS_URL let two runs on one machine keep apart
        name = os.environ.get("TEST_SYSTEM_NAME", "capacity_tracker_system")
        self.amqp_uri = reset_vhost(name.replace("_", "-"))
        self.database_template = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}_{{service}}"
        self.env = {
            **os.environ,
            "AMQP_URI": self.amqp_uri,
            "DATABASE_URL_TEMPLATE": self.database_template,
            "REDIS_URL": os.environ.get("TEST_SYSTEM_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "CLOCK_OFFSET_FILE": str(self.clock_file),
            "OUTBOX_INTERVAL": "0.1",
            "GATEWAY_BIND": f"127.0.0.1:{self.port}",
            "GATEWAY_WORKERS": "2",
            "RPC_TIMEOUT": "5",
            "ADMIN_EMAIL": "admin@tracker.example",
            "ADMIN_PASSWORD": "Osprey-Meadow-Lantern-58",
            "PYTHONUNBUFFERED": "1",
            "SMTP_PORT": str(self.smtp_port),
            "EMAIL_RETRY_BASE_SECONDS": "1",
            # the journeys register and sign in far more often than a person would
            "RATE_LIMIT_SIGN_IN": "10000 per minute", "RATE_LIMIT_REGISTRATION": "10000 per minute",
            "RATE_LIMIT_SIGN_IN_ACCOUNT": "10000 per minute", "RATE_LIMIT_PASSWORD_RESET": "10000 per minute",
            "RATE_LIMIT_PASSWORD_RESET_ACCOUNT": "10000 per minute",
            "PUBLIC_URL": "https://tracker.example",
        }
        self.group = ProcessGroup(ROOT, self.env, tmp)
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()

    # -- processes -------------------------------------------------------------
    def manage(self, service: str, *args: str) -> None:
        done = subprocess.run([PYTHON, "-m", f"{service}.manage", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    def prepare(self, demo_data: Path) -> None:
        for service in ("identity", "providers", "capacity", "search", "notifications", "reporting"):
            drop_database(self.database_template.format(service=service))
        import redis
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        for command in ("migrate", "seed-demo", "create-admin"):
            self.manage("identity", command)
        self.manage("providers", "migrate")
        self.manage("capacity", "migrate")
        self.manage("search", "migrate")
        self.manage("notifications", "migrate")
        self.manage("reporting", "migrate")
        self.manage("providers", "load-geography")
        self.manage("providers", "import-postcodes", str(demo_data / "ONSPD.csv"))
        self.manage("providers", "import-cqc", str(demo_data / "HSCA_Active_Locations.csv"))

    def start(self, name: str, **env: str) -> None:
        """Start a process; `name` is a service, "gateway", or a second
        instance of a service ("search-2": same service, same queues);
        `env` adds to its environment (EVENT_BATCH_SIZE="5")."""
        if name == "gateway":
            command = [PYTHON, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"]
        elif name == "mail":
            command = [PYTHON, "-m", "notifications.mailcatcher", "--smtp-port", str(self.smtp_port),
                       "--http-port", str(self.mail_port)]
        else:
            service = name.split("-", 1)[0]
            command = [PYTHON, "-m", "nameko", "run", "--config", "deploy/nameko.yaml", f"{service}.service"]
        extra = {"METRICS_PORT": str(self.identity_metrics_port)} if name == "identity" else {}
        self.group.start(name, command, **extra, **env)

    @property
    def processes(self) -> dict:
        return self.group.running

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        self.group.stop(name, sig)

    def kill(self, name: str) -> None:
        self.group.kill(name)

    def wait_healthy(self, timeout: float = 60) -> None:
        def healthy():
            try:
                return self.http.get(f"{self.base}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(healthy, timeout=timeout, interval=0.3, message=f"healthy system (logs in {self.tmp})")

    def log(self, name: str) -> str:
        return self.group.log(name)

    # -- HTTP ------------------------------------------------------------------------
    def api(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def login(self, email: str, password: str, **extra) -> str:
        """An access token, the second factor given where identity asks for
        one (approvers and administrators set up an app at their first login)."""
        response = self.api("POST", "/api/v1/auth/token", json={"email": email, "password": password, **extra})
        asked = response.json().get("code") if response.status_code == 403 else None
        if asked == "mfa_enrolment_required":
            challenge = {"mfa_token": response.json()["mfa_token"]}
            key = self.api("POST", "/api/v1/auth/mfa/enrolment", json=challenge)
            assert key.status_code == 200, key.text
            self.mfa_secrets[email.lower()] = key.json()["secret"]
            response = self.api("POST", "/api/v1/auth/mfa/enrolment/confirmation",
                                json={**challenge, "code": self.mfa_code(email)})
        elif asked == "mfa_required":
            response = self.api("POST", "/api/v1/auth/mfa", json={"mfa_token": response.json()["mfa_token"],
                                                                  "code": self.mfa_code(email)})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def mfa_code(self, email: str) -> str:
        """The authenticator app's code, on the system's clock. A code is
        good once, and the next step's is accepted early: after two logins
        in the same 30 seconds this waits for the clock."""
        import pyotp
        while True:
            now = time.time() + float(self.clock_file.read_text() or 0)
            step = max(int(now // 30), self.mfa_steps.get(email.lower(), -1) + 1)
            if step <= int(now // 30) + 1:
                break
            time.sleep(1)
        self.mfa_steps[email.lower()] = step
        return pyotp.TOTP(self.mfa_secrets[email.lower()]).at(step * 30)

    def admin_token(self) -> str:
        """The administrator's token, kept while it works and has five
        minutes left on the system's clock (each login costs a code)."""
        import jwt
        cached = getattr(self, "_admin_token", None)
        now = time.time() + float(self.clock_file.read_text() or 0)
        if cached and jwt.decode(cached, options={"verify_signature": False})["exp"] - now > 300 and \
                self.api("GET", "/api/v1/me", token=cached).status_code == 200:
            return cached
        self._admin_token = self.login(self.env["ADMIN_EMAIL"], self.env["ADMIN_PASSWORD"])
        return self._admin_token

    def home_without_a_return(self, token: str, *, where=lambda home: True) -> dict:
        """An imported care home that has not sent a capacity return yet (and
        what `where` asks)."""
        homes = self.api("GET", "/api/v1/locations", token=token,
                         params={"kind": "care_home", "per_page": 200}).json()["locations"]
        return next(home for home in homes if where(home) and self.api(
            "GET", f"/api/v1/locations/{home['id']}/capacity-returns/current", token=token).status_code == 404)

    def commissioner_has_approvers(self, code: str) -> bool:
        """Whether a Local Authority / Sub-ICB has approvers of its own (who
        then, not the administrators, decide its contracts)."""
        return bool(self.identity_sql(
            "SELECT 1 FROM users u JOIN organisations o ON o.id = u.organisation_id "
            "WHERE o.ons_code = :code AND u.level = 'approver' AND u.status = 'active'", code=code))

    def onboard(self, *, name: str, email: str, organisation_id: str, level: str = "standard",
                location_id: str | None = None, password: str = "Heron-Valley-Beacon-27") -> str:
        """Register, have an administrator approve, change the one-time
        password: an access token for a new active user."""
        body = {"name": name, "email": email, "organisation_id": organisation_id, "level": level}
        if location_id:
            body["location_id"] = location_id
        application = wait_until(lambda: (lambda r: r if r.status_code == 201 else None)(
            self.api("POST", "/api/v1/registrations", json=body)), message=f"identity to know {organisation_id}")
        decided = self.api("POST", f"/api/v1/applications/{application.json()['id']}/decision",
                           token=self.admin_token(), json={"decision": "approve"})
        assert decided.status_code == 200, decided.text
        changed = self.api("POST", "/api/v1/auth/password", json={
            "email": email, "current_password": self.one_time_password(email), "new_password": password})
        assert changed.status_code == 204, changed.text
        return self.login(email, password)

    # -- what the system did ---------------------------------------------------------
    def emails(self, to: str, count: int = 1, subject: str = "", timeout: float = 30) -> list[dict]:
        """The emails to `to` (whose subject starts with `subject`) the mail
        catcher received, newest first, once there are at least `count`."""
        def arrived():
            try:
                found = [m for m in requests.get(f"http://127.0.0.1:{self.mail_port}/api/messages", timeout=5).json()
                         if m["to"].lower() == to.lower() and m["subject"].startswith(subject)]
            except requests.RequestException:
                return None
            return found if len(found) >= count else None
        return wait_until(arrived, timeout=timeout, interval=0.2, message=f"{count} email(s) to {to}")

    def advance_clock(self, **delta) -> None:
        from datetime import timedelta
        offset = float(self.clock_file.read_text() or 0) + timedelta(**delta).total_seconds()
        self.clock_file.write_text(str(offset))

    def identity_sql(self, query: str, **params):
        return self.sql("identity", query, **params)

    def sql(self, service: str, query: str, **params):
        engine = create_engine(self.database_template.format(service=service))
        try:
            with engine.connect() as connection:
                return connection.execute(text(query), params).all()
        finally:
            engine.dispose()

    def outbox_messages(self, event_type: str) -> list[dict]:
        return [row[0] for row in self.identity_sql(
            "SELECT message FROM outbox WHERE event_type = :t ORDER BY seq", t=event_type)]

    def one_time_password(self, email: str, event_type: str = "identity.user_approved") -> str:
        """What the notifications service will email: the sealed one-time password."""
        sealed = [m["data"]["one_time_password_sealed"] for m in self.outbox_messages(event_type)
                  if m["data"]["email"] == email]
        return message_sealer().decrypt(sealed[-1].encode()).decode()

    def publish(self, event_type: str, data: dict) -> str:
        """Publish an event as its owning service would (for events of
        services not running here, e.g. providers)."""
        return self.publish_many([(event_type, data)])[0]

    def publish_many(self, events: list[tuple[str, dict]]) -> list[str]:
        from datetime import datetime, timezone

        from kombu import Producer

        from tracker_common.bus import declare_topology
        from tracker_common.contracts.events import new_event
        ids = []
        with Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as connection:
            declare_topology(connection)
            producer = Producer(connection.channel(), exchange=EVENTS_EXCHANGE)
            for event_type, data in events:
                event = new_event(event_type, data, occurred_at=datetime.now(timezone.utc))
                producer.publish(event.to_message(), routing_key=event_type, serializer="json", delivery_mode=2)
                ids.append(event.id)
        return ids

    def add_care_provider(self, organisation_id: str, domain: str, location_id: str) -> None:
        """A provider and one of its locations, as the providers service announces them."""
        self.publish("providers.organisation_updated", {
            "organisation_id": organisation_id, "version": 1, "name": f"Provider {organisation_id}",
            "kind": "care_provider", "email_domains": [domain], "ons_code": None,
            "la_code": "E08000016", "sub_icb_code": "02P"})
        self.publish("providers.location_updated", {
            "location_id": location_id, "version": 1, "organisation_id": organisation_id,
            "name": f"Home {location_id}", "postcode": "S70 9ZZ", "la_code": "E08000016",
            "sub_icb_code": "02P", "active": True})
        # Two queues, handled concurrently: wait for both facts.
        wait_until(lambda: self.identity_sql(
            "SELECT 1 FROM locations l JOIN organisations o ON o.id = l.organisation_id WHERE l.id = :l",
            l=location_id), message="identity to learn of the new provider and its location")

    def observe(self, routing_key: str) -> "Observer":
        return Observer(self.amqp_uri, routing_key)


class Observer:
    """A queue of our own bound to the events exchange, to see what is published."""

    def __init__(self, amqp_uri: str, routing_key: str):
        self.amqp_uri = amqp_uri
        self.queue = Queue(f"test-observer-{routing_key}", exchange=EVENTS_EXCHANGE, routing_key=routing_key,
                           durable=False, auto_delete=False)
        with Connection(amqp_uri) as connection:
            self.queue(connection.default_channel).declare()
            self.queue(connection.default_channel).purge()

    def messages(self) -> list[dict]:
        taken = []
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            while (message := channel.basic_get(self.queue.name, no_ack=True)) is not None:
                taken.append(json.loads(message.body))
        return taken


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    system = System(tmp_path_factory.mktemp("system"))
    demo_data = tmp_path_factory.mktemp("synthetic")
    subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(demo_data), "--size", "tiny"],
                   cwd=ROOT, check=True, capture_output=True)
    system.prepare(demo_data)
    system.start("identity")
    system.start("providers")
    system.start("capacity")
    system.start("search")
    system.start("mail")
    system.start("notifications")
    system.start("reporting")
    system.start("gateway")
    try:
        system.wait_healthy()
        yield system
    finally:
        for name in list(system.processes):
            system.stop(name)


def pytest_collection_modifyitems(items):
    """The journeys in a browser come after the other system tests (they
    change homes those tests take as never updated), and the fuzz of the API,
    which writes as an administrator (terms, people, locations), after
    every other test that shares the system."""
    items.sort(key=lambda item: (item.nodeid.startswith("tests/system/test_openapi_fuzz.py"),
                                 item.nodeid.startswith("tests/system/browser/")))


_counter = iter(range(10**9))


@pytest.fixture
def unique():
    """unique() -> a fresh lower-case word (names take letters only)."""
    def _next() -> str:
        n = int(time.time() * 1000) % 10**9 * 1000 + next(_counter)
        word = ""
        while n:
            n, digit = divmod(n, 26)
            word += chr(ord("a") + digit)
        return word
    return _next
