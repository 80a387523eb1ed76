"""Utilisation against a small known England: every figure below is worked
out by hand from conftest's returns.

November: Alder's last November return (20 Nov) counts, not its 5 Nov one:
    general residential 20 beds, 19 used, 1 spare; dementia nursing 10, 8, 2.
  Birch: general residential 30, 30, 0. Cedar sent nothing in November.
October: Alder 20, 18, 2 (general residential); Cedar 40, 30, 10 (dementia
  nursing), sent at 00:30 on 1 October UK time."""
from __future__ import annotations

from datetime import date

import pytest

from reporting.handlers.reports import utilisation
from tracker_common.contracts.errors import Forbidden
from tracker_common.contracts.permissions import Role
from tracker_common.contracts.reporting import UtilisationQuery
from tracker_common.schemas import load

from .conftest import ALDER, BARNSLEY, BIRCH, COMMISSIONER, SHEFFIELD, principal

TODAY = date(2026, 11, 23)


def figures(maximum, occupied, vacant, locations, percent):
    return {"maximum_capacity": maximum, "occupied": occupied, "vacant": vacant, "locations": locations,
            "utilisation_percent": percent}


@pytest.fixture
def report(reporting_db, england):
    def _report(actor=COMMISSIONER, **query):
        with reporting_db.read() as connection:
            return utilisation(connection, actor, load(UtilisationQuery(), query), TODAY)
    return _report


def test_vacancy_type_by_local_authority_this_month(report):
    found = report(rows="local_authority", columns="vacancy_type")
    assert (found["from_month"], found["to_month"]) == ("2026-11", "2026-11")
    assert [(c["key"], c["name"]) for c in found["columns"]] == [
        ("dementia_nursing", "Dementia nursing"), ("general_residential", "General residential")]
    assert [(r["key"], r["name"]) for r in found["rows"]] == [(BARNSLEY, "Barnsley")]
    barnsley = found["rows"][0]
    assert barnsley["cells"] == [figures(10, 8, 2, 1, 80.0), figures(50, 49, 1, 2, 98.0)]
    assert barnsley["total"] == figures(60, 57, 3, 2, 95.0)
    assert [c["total"] for c in found["columns"]] == [figures(10, 8, 2, 1, 80.0), figures(50, 49, 1, 2, 98.0)]
    assert found["total"] == figures(60, 57, 3, 2, 95.0)


def test_a_return_just_after_midnight_uk_time_counts_in_the_uk_month(report):
    found = report(rows="local_authority", from_month="2026-10")
    assert [(r["name"], r["total"]) for r in found["rows"]] == [
        ("Barnsley", figures(20, 18, 2, 1, 90.0)), ("Sheffield", figures(40, 30, 10, 1, 75.0))]
    assert found["columns"] == [] and found["rows"][0]["cells"] == []
    assert found["total"] == figures(60, 48, 12, 2, 80.0)


def test_the_chart_over_months_by_vacancy_type_counts_each_location_once_in_totals(report):
    found = report(rows="month", columns="vacancy_type", from_month="2026-09", to_month="2026-11")
    # September: nobody sent anything, and the month is there, empty.
    assert [(r["key"], r["name"]) for r in found["rows"]] == [
        ("2026-09", "September 2026"), ("2026-10", "October 2026"), ("2026-11", "November 2026")]
    september, october, november = found["rows"]
    assert september["cells"] == [None, None] and september["total"] == figures(0, 0, 0, 0, None)
    assert october["cells"] == [figures(40, 30, 10, 1, 75.0), figures(20, 18, 2, 1, 90.0)]
    assert november["cells"] == [figures(10, 8, 2, 1, 80.0), figures(50, 49, 1, 2, 98.0)]
    # Across months the beds add up, but a location is one location.
    assert [c["total"] for c in found["columns"]] == [figures(50, 38, 12, 2, 76.0), figures(70, 67, 3, 2, 95.7)]
    assert found["total"] == figures(120, 105, 15, 3, 87.5)


def test_a_cell_with_nothing_is_empty_and_names_come_from_the_read_model(report):
    found = report(rows="location", columns="vacancy_type", from_month="2026-11")
    assert [(r["key"], r["name"]) for r in found["rows"]] == [(ALDER, "Alder House"), (BIRCH, "Birch Lodge")]
    assert found["rows"][1]["cells"] == [None, figures(30, 30, 0, 1, 100.0)]
    by_provider = report(rows="provider")
    assert [(r["name"], r["total"]["maximum_capacity"]) for r in by_provider["rows"]] == [
        ("Alder Care Ltd", 30), ("Birch Homes", 30)]
    by_region = report(rows="nhs_region", columns="icb")
    assert [r["name"] for r in by_region["rows"]] == ["North East and Yorkshire"]
    assert [c["name"] for c in by_region["columns"]] == ["NHS South Yorkshire ICB"]


def test_a_geography_filter_keeps_only_its_locations_and_names_itself(report):
    found = report(rows="vacancy_type", from_month="2026-10", la_code=SHEFFIELD)
    assert [(r["key"], r["total"]) for r in found["rows"]] == [("dementia_nursing", figures(40, 30, 10, 1, 75.0))]
    assert found["areas"] == [{"filter": "la_code", "code": SHEFFIELD, "name": "Sheffield"}]
    assert report(rows="vacancy_type", sub_icb_code="E38000099")["rows"] == []


def test_rows_are_paged_with_the_totals_of_everything(report):
    first = report(rows="location", from_month="2026-11", per_page=1)
    second = report(rows="location", from_month="2026-11", per_page=1, page=2)
    assert [r["key"] for r in first["rows"]] == [ALDER] and first["has_more"] and first["total_rows"] == 2
    assert [r["key"] for r in second["rows"]] == [BIRCH] and not second["has_more"]
    assert first["total"] == second["total"] == figures(60, 57, 3, 2, 95.0)


def test_a_month_with_no_returns_is_all_zeros(report):
    found = report(rows="local_authority", from_month="2026-01")
    assert found["rows"] == [] and found["total"] == figures(0, 0, 0, 0, None)
    over_time = report(rows="vacancy_type", columns="month", from_month="2026-07", to_month="2026-08")
    assert [(c["key"], c["name"], c["total"]) for c in over_time["columns"]] == [
        ("2026-07", "July 2026", figures(0, 0, 0, 0, None)), ("2026-08", "August 2026", figures(0, 0, 0, 0, None))]
    assert over_time["rows"] == []


def test_care_home_users_and_approvers_cannot_see_utilisation(report):
    for roles in ((Role.CARE_HOME_USER,), (Role.CARE_HOME_USER, Role.APPROVER)):
        with pytest.raises(Forbidden):
            report(actor=principal(*roles, organisation="1-100000001"), rows="local_authority")
