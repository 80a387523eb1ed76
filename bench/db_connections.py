"""How many PostgreSQL connections the whole system holds: every service
under `nameko run` and the gateway under gunicorn, as `make run` starts
them, on scratch databases, driven by concurrent clients through the API
(reads of every service and capacity returns, whose events the read models
consume), sampling pg_stat_activity throughout.

    .venv/bin/python bench/db_connections.py \\
        --database-url-template postgresql+psycopg2://postgres@127.0.0.1:5432/ct_conn_{service} \\
        --vhost ct-conn --redis-url redis://127.0.0.1:6379/13 [--clients 32] [--seconds 30] \
        [--direct-url-template ...]

With PgBouncer in front, give the services its address in
--database-url-template and PostgreSQL's in --direct-url-template (set-up and
counting go straight to PostgreSQL, which is where connections cost).

Pool sizes come from the environment as in production (MAX_WORKERS,
DB_POOL_SIZE, DB_MAX_OVERFLOW): run it once with today's defaults and once
with the old sizing (MAX_WORKERS=10 DB_POOL_SIZE=12 DB_MAX_OVERFLOW=12) to
compare. Last line: JSON (peak and at rest, per service and in all).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SERVICES = ("identity", "providers", "capacity", "search", "notifications", "reporting")
RETURN = {"vacancies": [{"vacancy_type": "general_nursing", "weekly_price_from": "1150.00", "maximum_capacity": 8,
                         "occupied": 6, "vacant_reserved": 0, "vacant_accepting": 2, "vacant_not_available": 0}],
          "short_stay_prices": {"respite_care": "990.00"}, "confirm_over_registered_capacity": True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url-template", required=True)
    parser.add_argument("--direct-url-template", help="PostgreSQL itself, when the services go through a pooler")
    parser.add_argument("--vhost", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()

    from tracker_common.testing import ProcessGroup, free_port, reset_vhost, wait_until

    port, smtp_port, mail_port = free_port(), free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="db-connections-"))
    env = {**os.environ, "DATABASE_URL_TEMPLATE": args.database_url_template,
           "AMQP_URI": reset_vhost(args.vhost), "REDIS_URL": args.redis_url, "VAR_DIR": str(work / "var"),
           "GATEWAY_BIND": f"127.0.0.1:{port}", "GATEWAY_THREADS": "16", "RPC_TIMEOUT": "10",
           "ADMIN_EMAIL": "admin@tracker.example", "ADMIN_PASSWORD": "Osprey-Meadow-Lantern-58",
           "SMTP_PORT": str(smtp_port), "RATE_LIMIT_SIGN_IN": "100000 per minute",
           "RATE_LIMIT_PUBLIC": "100000 per minute", "PYTHONUNBUFFERED": "1"}
    direct = args.direct_url_template or args.database_url_template
    os.environ.update({"DATABASE_URL_TEMPLATE": direct, "VAR_DIR": env["VAR_DIR"]})
    prepare({**env, "DATABASE_URL_TEMPLATE": direct}, work)

    group = ProcessGroup(ROOT, env, work)
    for service in SERVICES:
        group.start(service, [PYTHON, "-m", "nameko", "run", "--config", "deploy/nameko.yaml", f"{service}.service"])
    group.start("mail", [PYTHON, "-m", "notifications.mailcatcher", "--smtp-port", str(smtp_port),
                                  "--http-port", str(mail_port)])
    group.start("gateway", [PYTHON, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"])
    base = f"http://127.0.0.1:{port}"
    counter = Counter(direct)
    try:
        wait_until(lambda: healthy(base), timeout=90, interval=0.5, message=f"a healthy system (logs in {work})")
        token, homes = ready(base, direct)
        idle = counter.sample()
        counter.start()
        requests_made = load(base, token, homes, args.clients, args.seconds)
        time.sleep(3)  # events still being consumed
        counter.stop()
        at_rest = counter.sample()
    finally:
        group.stop_all()
    report = {"through": "pooler" if args.direct_url_template else "PostgreSQL", "clients": args.clients, "seconds": args.seconds, "requests": requests_made,
              "max_workers": os.environ.get("MAX_WORKERS", "nameko.yaml default"),
              "db_pool_size": os.environ.get("DB_POOL_SIZE", "default"),
              "db_max_overflow": os.environ.get("DB_MAX_OVERFLOW", "default"),
              "after_start": idle, "peak": counter.peak, "peak_total": counter.peak_total,
              "at_rest_after_load": at_rest, "at_rest_total": sum(at_rest.values())}
    print(json.dumps(report))


def prepare(env: dict, work: Path) -> None:
    from tracker_common.migrations import drop_database

    def manage(service: str, *command: str) -> None:
        subprocess.run([PYTHON, "-m", f"{service}.manage", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True)

    subprocess.run([PYTHON, "-m", "tracker_common.keys"], env=env, cwd=ROOT, check=True, capture_output=True)
    data = work / "synthetic"
    subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(data), "--size", "tiny"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    for service in SERVICES:
        drop_database(env["DATABASE_URL_TEMPLATE"].format(service=service))
        manage(service, "migrate")
    manage("identity", "seed-demo")
    manage("identity", "create-admin")
    manage("providers", "load-geography")
    manage("providers", "import-postcodes", str(data / "ONSPD.csv"))
    manage("providers", "import-cqc", str(data / "HSCA_Active_Locations.csv"))


def healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def ready(base: str, template: str) -> tuple[str, list[dict]]:
    """An administrator's token (signed here with the run's own keys, so a
    second factor at sign-in does not matter) and a few care homes set up to
    take capacity returns."""
    from tracker_common.contracts.permissions import Principal, Role
    from tracker_common.keys import signing_key
    from tracker_common.tokens import issue_access_token
    from datetime import datetime, timezone

    engine = create_engine(template.format(service="identity"))
    with engine.connect() as connection:
        admin_id, organisation = connection.execute(text(
            "SELECT id, organisation_id FROM users WHERE admin ORDER BY created_at LIMIT 1")).one()
    engine.dispose()
    token = issue_access_token(Principal(admin_id, organisation, frozenset({Role.ADMIN, Role.NON_CARE_HOME_USER})),
                               private_key=signing_key(), now=datetime.now(timezone.utc), lifetime_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    homes = requests.get(f"{base}/api/v1/locations", headers=headers, timeout=30,
                         params={"kind": "care_home", "per_page": 10}).json()["locations"]
    for home in homes:
        requests.put(f"{base}/api/v1/locations/{home['id']}/services", headers=headers, timeout=30, json={
            "short_stay_services": ["respite_care"], "long_term_vacancy_types": ["general_nursing"]})
        requests.patch(f"{base}/api/v1/locations/{home['id']}/profile", headers=headers, timeout=30, json={
            "care_types": ["nursing"], "funding_sources": ["local_authority"]})
    return token, homes


def load(base: str, token: str, homes: list[dict], clients: int, seconds: float) -> dict:
    """`clients` threads, each going round every service's reads and a
    capacity return, until `seconds` have passed. Returns counts by status."""
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        home = homes[number % len(homes)]
        calls = [("GET", "/api/v1/me", None), ("GET", "/api/v1/locations", None),
                 ("GET", f"/api/v1/locations/{home['id']}/capacity-returns", None),
                 ("GET", f"/api/v1/search/vacancies?postcode={home['postcode']}", None),
                 ("GET", "/api/v1/reports/last-modified", None), ("GET", "/api/v1/notifications", None),
                 ("POST", f"/api/v1/locations/{home['id']}/capacity-returns", RETURN)]
        turn = number
        while time.monotonic() < deadline:
            method, path, body = calls[turn % len(calls)]
            turn += 1
            try:
                status = str(http.request(method, f"{base}{path}", json=body, timeout=30).status_code)
            except requests.RequestException as failed:
                status = failed.__class__.__name__
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class Counter:
    """Samples, four times a second, the connections held to each of the
    run's databases (its own connection is to `postgres`, not counted)."""

    def __init__(self, template: str):
        url = make_url(template.format(service="postgres"))
        self.prefix = url.database.removesuffix("postgres")
        self.engine = create_engine(url.set(database="postgres"), pool_size=1)
        self.peak: dict[str, int] = {}
        self.peak_total = 0
        self._stopping = threading.Event()

    def sample(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT datname, count(*) FROM pg_stat_activity WHERE datname LIKE :p GROUP BY datname"),
                {"p": self.prefix.replace("_", r"\_") + "%"}).all()
        return {name.removeprefix(self.prefix): count for name, count in rows}

    def start(self) -> None:
        def run():
            while not self._stopping.is_set():
                now = self.sample()
                for service, count in now.items():
                    self.peak[service] = max(self.peak.get(service, 0), count)
                self.peak_total = max(self.peak_total, sum(now.values()))
                self._stopping.wait(0.25)
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


if __name__ == "__main__":
    main()
