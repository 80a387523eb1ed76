"""The living demo, end to end: a tiny fictional England prepared as `make
run` prepares it (homes set up, a year of returns, the demo's people and
Terms of Use, all through the services' own handlers before they start),
then the running system shows it: current, stale and never updated homes,
12 months of history, search results, the bed state and the utilisation
chart, to the demo's people signing in with the demo password. Seeding
again changes nothing.

It runs a system of its own (its databases, vhost and Redis database: the
seeding changes what the shared `system` fixture's tests expect), stopped at
the end of the module."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone

import pytest

from tests.system.conftest import PYTHON, ROOT, System
from tracker_common.clock import LONDON
from tracker_common.testing import wait_until

DEMO_PASSWORD = "Puffin-Orchard-Compass-61"
SEEDING = (("providers", "seed-demo"), ("capacity", "seed-demo-history"), ("identity", "seed-demo-people"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in ("TEST_SYSTEM_NAME", "TEST_SYSTEM_REDIS_URL")}
    os.environ["TEST_SYSTEM_NAME"] = (saved["TEST_SYSTEM_NAME"] or "capacity_tracker_system") + "_living"
    os.environ["TEST_SYSTEM_REDIS_URL"] = os.environ.get("TEST_DEMO_SYSTEM_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        system = System(tmp_path_factory.mktemp("demo-system"))
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    system.env["DEMO_PASSWORD"] = DEMO_PASSWORD
    data = tmp_path_factory.mktemp("demo-synthetic")
    subprocess.run([PYTHON, "-m", "synthetic_england", "--out", str(data), "--size", "tiny"],
                   cwd=ROOT, check=True, capture_output=True)
    system.prepare(data)
    for service, command in SEEDING:
        system.manage(service, command)
    for name in ("identity", "providers", "capacity", "search", "notifications", "reporting", "gateway"):
        system.start(name)
    try:
        system.wait_healthy()
        yield system
    finally:
        for name in list(system.processes):
            system.stop(name)


def sign_in(system: System, email: str) -> str:
    """A demo person's token: the password alone (no second factor), the
    Terms of Use accepted at the first sign-in."""
    answer = system.api("POST", "/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    if answer.status_code == 403 and answer.json().get("terms_version"):
        answer = system.api("POST", "/api/v1/auth/token", json={
            "email": email, "password": DEMO_PASSWORD, "accept_terms_version": answer.json()["terms_version"]})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def people(system: System, prefix: str) -> list[tuple[str, str]]:
    return [tuple(row) for row in system.identity_sql(
        "SELECT email, organisation_id FROM users WHERE email LIKE :p ORDER BY email", p=f"{prefix}%")]


def counts(system: System) -> dict:
    return {"returns": system.sql("capacity", "SELECT count(*) FROM capacity_returns")[0][0],
            "users": system.identity_sql("SELECT count(*) FROM users")[0][0],
            "terms": system.identity_sql("SELECT count(*) FROM terms_versions")[0][0],
            "location_changes": system.sql("providers", "SELECT count(*) FROM location_changes")[0][0]}


def last_modified(system: System, token: str) -> list[dict]:
    def complete():
        found = system.api("GET", "/api/v1/reports/last-modified", token=token, params={"per_page": 500}).json()
        homes = [h for h in found["locations"] if h.get("kind", "care_home") == "care_home"]
        return homes if any(h["staleness"] == "fresh" for h in homes) else None
    return wait_until(complete, timeout=90, interval=1, message="reporting to build from the demo's events")


def test_homes_are_current_stale_or_never_updated_each_with_a_year_of_history(demo):
    council_email, la_code = people(demo, "commissioner@")[0]
    token = sign_in(demo, council_email)
    homes = last_modified(demo, token)
    seen = {h["staleness"] for h in homes}
    assert {"fresh", "never"} <= seen and seen & {"stale_24h", "stale_48h"}, seen
    now = datetime.now(timezone.utc).astimezone(LONDON)
    for home in [h for h in homes if h["staleness"] != "never"]:
        history = demo.api("GET", f"/api/v1/locations/{home['location_id']}/capacity-returns", token=token,
                           params={"per_page": 100}).json()["returns"]
        months = {datetime.fromisoformat(r["submitted_at"]).astimezone(LONDON).strftime("%Y-%m") for r in history}
        first = min(datetime.fromisoformat(r["submitted_at"]) for r in history).astimezone(LONDON)
        assert (now.year * 12 + now.month) - (first.year * 12 + first.month) == 12, home
        assert len(months) >= 10, (home, sorted(months))  # a month missed now and then


def test_the_discharge_team_finds_vacancies_and_stale_figures_are_flagged(demo):
    token = sign_in(demo, "discharge@hospital.example")
    council_email, la_code = people(demo, "commissioner@")[0]

    def results():
        page = demo.api("GET", "/api/v1/search/vacancies", token=token,
                        params={"la_code": la_code, "per_page": 100}).json()
        return page["results"] or None
    found = wait_until(results, timeout=90, interval=1, message="search to build from the demo's events")
    assert all(r["total_accepting"] >= 0 for r in found)
    assert any(r["total_accepting"] > 0 for r in found)


def test_the_public_bed_state_and_the_utilisation_chart_show_the_year(demo):
    council_email, la_code = people(demo, "commissioner@")[0]
    token = sign_in(demo, council_email)
    last_modified(demo, token)
    public = demo.api("GET", "/api/v1/reports/bed-state", params={"la_code": la_code})
    assert public.status_code == 200
    assert public.json()["locations"] and any(h["total_accepting"] > 0 for h in public.json()["locations"])
    now = datetime.now(timezone.utc).astimezone(LONDON)
    first = f"{now.year - 1}-{now.month:02d}"
    chart = demo.api("GET", "/api/v1/reports/utilisation", token=token, params={
        "rows": "month", "columns": "vacancy_type", "from_month": first, "to_month": now.strftime("%Y-%m")})
    assert chart.status_code == 200, chart.text
    rows = chart.json()["rows"]
    assert len(rows) == 13 and all(r["total"]["maximum_capacity"] > 0 for r in rows)
    assert len({r["total"]["utilisation_percent"] for r in rows}) > 3  # the chart has a shape


def test_the_demo_people_sign_in_with_the_demo_password_and_no_second_factor(demo):
    manager = sign_in(demo, "manager@care-home.example")
    me = demo.api("GET", "/api/v1/me", token=manager).json()
    [home] = me["location_ids"]  # the manager of one home
    current = demo.api("GET", f"/api/v1/locations/{home}/capacity-returns/current", token=manager)
    assert current.status_code == 200, current.text
    assert sign_in(demo, "group@care-group.example")
    council_email, la_code = people(demo, "commissioner@")[0]
    council = sign_in(demo, council_email)
    export = demo.api("GET", "/api/v1/reports/capacity-export", token=council, params={"la_code": la_code})
    assert export.status_code == 200, export.text  # extended reporting, granted


def test_seeding_again_changes_nothing(demo):
    before = counts(demo)
    for service, command in SEEDING:
        demo.manage(service, command)
    assert counts(demo) == before
