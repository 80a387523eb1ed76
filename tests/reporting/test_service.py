"""The reporting service on a real broker: its read model kept from the
events (in any order, twice over), its reports answered over RPC, and an
empty model rebuilt at start from the owning services' snapshot RPCs.

Until the rebuild test, every test starts from a non-empty model (the
geography applied first), so the service's rebuild-when-empty skips at once
without calling providers or capacity, which are not running here."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from reporting.models import MonthlyPosition
from reporting.service import ReportingService
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.events import new_event, schema_of
from tracker_common.contracts.permissions import Role
from tracker_common.testing import empty_subscriptions, publish_messages, wait_until

from .conftest import BARNSLEY, COMMISSIONER, GEOGRAPHY, PROFILES, RETURNS, principal


@pytest.fixture(autouse=True)
def reporting_queues_empty(amqp_uri):
    """Other services' tests publish to the same vhost, and every
    subscriber's queue exists from the first publish on."""
    empty_subscriptions(amqp_uri, "reporting")


def message(event_type: str, snapshot: dict) -> dict:
    data = schema_of(event_type).load(snapshot)
    return new_event(event_type, data, occurred_at=datetime.now(timezone.utc)).to_message()


def consumed(event_type: str) -> float:
    return REGISTRY.get_sample_value("tracker_events_consumed_total", {
        "service": "reporting", "event_type": event_type, "outcome": "ok"}) or 0.0


def call(container, method: str, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def test_events_in_any_order_and_twice_make_the_same_report(reporting_db, apply, amqp_uri, run_container):
    apply(geography=GEOGRAPHY)
    before = consumed("capacity.return_submitted")
    with run_container(ReportingService) as container:
        returns = [message("capacity.return_submitted", r) for r in reversed(RETURNS)]
        publish_messages(amqp_uri, returns + [message("providers.location_updated", p) for p in PROFILES] + returns)
        wait_until(lambda: consumed("capacity.return_submitted") - before >= 2 * len(RETURNS), timeout=20,
                   message="every return delivered twice")
        report = call(container, "utilisation", COMMISSIONER.to_claims(),
                      {"rows": "local_authority", "columns": "vacancy_type", "from_month": "2026-11"})
    assert [(r["name"], r["total"]["maximum_capacity"], r["total"]["occupied"]) for r in report["rows"]] == [
        ("Barnsley", 60, 57)]
    with reporting_db.read() as connection:
        assert connection.scalar(select(func.count()).select_from(MonthlyPosition)) == 4


def test_bad_queries_and_people_without_the_permission_are_refused(reporting_db, apply, run_container):
    apply(geography=GEOGRAPHY)
    with run_container(ReportingService) as container:
        with pytest.raises(InvalidInput) as refused:
            call(container, "utilisation", COMMISSIONER.to_claims(), {"rows": "postcode"})
        assert "rows" in refused.value.fields
        with pytest.raises(InvalidInput) as refused:
            call(container, "bed_state", {"la_code": BARNSLEY, "sub_icb_code": "E38000006"})
        assert "la_code" in refused.value.fields
        with pytest.raises(Forbidden):
            call(container, "export_capacity", COMMISSIONER.to_claims(), {"format": "csv"})
        care_home = principal(Role.CARE_HOME_USER, organisation="1-100000001").to_claims()
        with pytest.raises(Forbidden):
            call(container, "utilisation", care_home, {"rows": "vacancy_type"})
        assert call(container, "bed_state", {"la_code": BARNSLEY})["area"]["name"] == "Barnsley"


class Providers:
    name = "providers"

    @rpc
    def location_snapshots(self, after="", limit=500):
        return {"snapshots": PROFILES, "next": None}

    @rpc
    def geography_snapshots(self, after=""):
        return {"snapshots": [GEOGRAPHY], "next": None}


class Capacity:
    name = "capacity"

    @rpc
    def return_history_snapshots(self, after="", limit=500):
        return {"snapshots": RETURNS, "next": None}


def test_an_empty_model_is_rebuilt_at_start_from_the_owners_snapshots(reporting_db, run_container):
    with run_container(Providers), run_container(Capacity), run_container(ReportingService) as container:
        def positions():
            with reporting_db.read() as connection:
                return connection.scalar(select(func.count()).select_from(MonthlyPosition))
        wait_until(lambda: positions() == 4, timeout=20, message="the rebuild at start")
        found = call(container, "last_modified", COMMISSIONER.to_claims(), {})
    assert found["total"] == 4 and found["locations"][0]["staleness"] == "never"


def test_a_newer_geography_on_the_bus_renames_the_areas(reporting_db, apply, amqp_uri, run_container):
    apply(geography=GEOGRAPHY)
    before = consumed("providers.geography_published")
    renamed = {**GEOGRAPHY, "version": GEOGRAPHY["version"] + 1,
               "local_authorities": [[BARNSLEY, "Barnsley Metropolitan Borough"]]}
    with run_container(ReportingService) as container:
        publish_messages(amqp_uri, [message("providers.geography_published", renamed)])
        wait_until(lambda: consumed("providers.geography_published") > before, timeout=20,
                   message="the geography applied")
        areas = call(container, "areas")
    assert areas["local_authorities"] == [{"code": BARNSLEY, "name": "Barnsley Metropolitan Borough",
                                           "parent_code": None}]
