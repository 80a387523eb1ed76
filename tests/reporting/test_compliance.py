"""The ASC collection's compliance: the rules as plain functions, then the
report read from the real read model (returns applied as capacity announces
them), seen by whom it may be seen.

The world of these tests, on 23 November 2026 (the report's last 12 months
are December 2025 to November 2026):
- Alder House (Barnsley), known since December 2025, sent within the window every month but August,
  September and October 2026 (it sent on the 20th): 3 months in a row;
- Birch Lodge (Barnsley) missed January, March, May and July 2026 (it sent
  on the 2nd): 4 of the 12;
- Cedar Court (Sheffield) first appeared on 20 September 2026, after that
  month's window: required from October, which it missed; November sent;
- Dormant Hall (Barnsley) appeared on 1 June 2026 and never sent anything."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from reporting.handlers.compliance import compliance
from reporting.rules import collection_month, formal_notice, month_status, months_up_to, required_from
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.permissions import Role
from tracker_common.contracts.reporting import ComplianceQuery
from tracker_common.schemas import load

from .conftest import (ALDER, ALDER_CARE, BARNSLEY, BIRCH, CEDAR, COMMISSIONER, DORMANT, GEOGRAPHY, ICB, PROFILES,
                       SHEFFIELD, SUB_BARNSLEY, SUB_SHEFFIELD, capacity_return, principal, vacancy)

TODAY = date(2026, 11, 23)
UTC = timezone.utc
YEAR = months_up_to(date(2026, 11, 1), 12)  # December 2025 .. November 2026


# -- the rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("sent, month", [
    ("2026-06-07T23:30:00+00:00", date(2026, 6, 1)),  # 00:30 on 8 June, British Summer Time: in
    ("2026-06-07T22:59:00+00:00", None),              # 23:59 on 7 June in the UK: not yet
    ("2026-11-14T23:59:00+00:00", date(2026, 11, 1)),  # the 14th's last minute, Greenwich time: in
    ("2026-11-15T00:00:00+00:00", None),              # the 15th: closed
    ("2026-07-14T23:30:00+00:00", None),              # 00:30 on 15 July in the UK: closed
    ("2026-03-10T12:00:00+00:00", date(2026, 3, 1)),
])
def test_the_window_is_the_8th_to_the_14th_in_uk_time(sent, month):
    assert collection_month(datetime.fromisoformat(sent)) == month


def test_a_location_must_send_from_the_first_window_after_it_appeared():
    assert required_from(datetime(2026, 9, 14, 12, tzinfo=UTC)) == date(2026, 9, 1)
    assert required_from(datetime(2026, 9, 20, 12, tzinfo=UTC)) == date(2026, 10, 1)
    assert required_from(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)  # 31 Dec in the UK


def test_a_month_is_submitted_missed_open_or_not_required():
    november, october = date(2026, 11, 1), date(2026, 10, 1)
    assert month_status(october, True, october, TODAY) == "submitted"
    assert month_status(october, False, october, TODAY) == "missed"
    assert month_status(october, False, november, TODAY) == "not_required"
    assert month_status(october, False, None, TODAY) == "not_required"  # never appeared
    assert month_status(november, False, october, date(2026, 11, 14)) == "open"  # the window is still open
    assert month_status(november, False, october, date(2026, 11, 3)) == "open"  # not open yet
    assert month_status(november, False, october, date(2026, 11, 15)) == "missed"
    assert month_status(november, True, october, date(2026, 11, 9)) == "submitted"


@pytest.mark.parametrize("statuses, flag", [
    (["submitted"] * 9 + ["missed"] * 3, "consecutive"),
    (["missed"] * 3 + ["submitted"] * 9, "consecutive"),
    (["missed", "submitted"] * 3 + ["missed"] + ["submitted"] * 5, "in_year"),
    (["missed", "missed", "submitted"] * 2 + ["submitted"] * 6, "in_year"),
    (["missed", "submitted", "missed", "submitted", "missed"] + ["submitted"] * 7, None),  # 3 of 12
    (["missed", "missed", "open"], None),  # a window still open is not missed
    (["not_required"] * 10 + ["missed", "missed"], None),
    # 4 missed, but the oldest is 13 months ago: only the last 12 count
    (["missed"] + ["missed", "submitted"] * 3 + ["submitted"] * 6, None),
])
def test_the_formal_notice_flags_3_in_a_row_or_4_of_the_last_12(statuses, flag):
    assert formal_notice(statuses) == flag


# -- the report, from the read model -------------------------------------------------------
def _at(month: date, day: int) -> str:
    return datetime(month.year, month.month, day, 11, 0, tzinfo=UTC).isoformat()


def _returns() -> list[dict]:
    returns, sequence = [], {}

    def send(location, when, **alignment):
        sequence[location] = sequence.get(location, 0) + 1
        returns.append(capacity_return(location, sequence[location], when,
                                       vacancy("general_residential", 20, 18, accepting=2), **alignment))
    for month in YEAR:
        send(ALDER, _at(month, 20 if month in (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)) else 9))
        send(BIRCH, _at(month, 2 if month.month in (1, 3, 5, 7) else 12))
    send(CEDAR, _at(date(2026, 9, 1), 25), la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)
    send(CEDAR, _at(date(2026, 10, 1), 16), la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)
    send(CEDAR, _at(date(2026, 11, 1), 10), la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)
    send(CEDAR, _at(date(2026, 11, 1), 11), la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)
    return returns


@pytest.fixture
def world(apply, reporting_db):
    apply(PROFILES, _returns(), GEOGRAPHY)
    with reporting_db.unit_of_work() as uow:  # when the read model first heard of each location
        for location, seen in ((ALDER, "2025-12-01"), (BIRCH, "2025-12-01"), (CEDAR, "2026-09-20T12:00:00Z"),
                               (DORMANT, "2026-06-01")):
            uow.session.execute(text("UPDATE report_locations SET first_seen_at = :seen WHERE location_id = :id"),
                                {"seen": seen, "id": location})
        uow.commit()


@pytest.fixture
def report(reporting_db, world):
    def _report(actor=principal(Role.ADMIN), today=TODAY, **query):
        with reporting_db.read() as connection:
            return compliance(connection, actor, load(ComplianceQuery(), query), today)
    return _report


def statuses(location: dict) -> str:
    short = {"submitted": "S", "missed": "M", "open": "o", "not_required": "-"}
    return "".join(short[m["status"]] for m in location["months"])


def test_each_location_and_month_and_the_formal_notice(report):
    found = report(months=12)
    assert found["months"] == [f"{m:%Y-%m}" for m in YEAR]
    by_name = {loc["name"]: loc for loc in found["locations"]}
    assert list(by_name) == ["Alder House", "Birch Lodge", "Cedar Court", "Dormant Hall"]
    assert statuses(by_name["Alder House"]) == "SSSSSSSSMMMS"
    assert statuses(by_name["Birch Lodge"]) == "SMSMSMSMSSSS"
    assert statuses(by_name["Cedar Court"]) == "----------MS"
    assert statuses(by_name["Dormant Hall"]) == "------MMMMMM"
    assert [(name, loc["missed_in_last_12"], loc["formal_notice"]) for name, loc in by_name.items()] == [
        ("Alder House", 3, "consecutive"), ("Birch Lodge", 4, "in_year"), ("Cedar Court", 1, None),
        ("Dormant Hall", 6, "consecutive")]
    cedar = by_name["Cedar Court"]
    assert cedar["required_from"] == "2026-10" and cedar["la_name"] == "Sheffield"
    assert cedar["months"][-1] == {"month": "2026-11", "status": "submitted",
                                   "submitted_at": "2026-11-10T11:00:00+00:00"}  # its first in the window
    assert found["summary"] == {"locations": 4, "flagged": 3, "latest_month": "2026-11", "submitted_in_latest": 3,
                                "missed_in_latest": 1}


def test_the_notice_looks_at_12_months_whatever_the_months_shown(report):
    found = report()  # six months shown by default
    assert found["months"] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    birch = next(loc for loc in found["locations"] if loc["location_id"] == BIRCH)
    assert statuses(birch) == "SMSSSS" and birch["formal_notice"] == "in_year"
    earlier = report(to_month="2026-07", months=3)  # the 12 months to July 2026
    alder = next(loc for loc in earlier["locations"] if loc["location_id"] == ALDER)
    assert statuses(alder) == "SSS" and alder["formal_notice"] is None
    assert [loc["name"] for loc in report(flagged_only=True)["locations"]] == [
        "Alder House", "Birch Lodge", "Dormant Hall"]


def test_this_months_window_is_open_until_the_14th(report):
    found = report(today=date(2026, 11, 9), months=2)
    by_id = {loc["location_id"]: statuses(loc) for loc in found["locations"] if loc["location_id"] != CEDAR}
    assert by_id == {ALDER: "MS", BIRCH: "SS", DORMANT: "Mo"}  # Alder already sent on the 9th
    assert found["summary"]["latest_month"] == "2026-10"
    with pytest.raises(InvalidInput):
        report(to_month="2026-12")


def test_returns_sent_again_or_out_of_order_change_nothing(report, apply):
    before = report(months=12)
    apply(returns=list(reversed(_returns())))
    assert report(months=12) == before


def test_a_commissioner_sees_their_own_area_only(report):
    mine = report(actor=COMMISSIONER, months=1)
    assert [loc["location_id"] for loc in mine["locations"]] == [ALDER, BIRCH, DORMANT]
    assert report(actor=COMMISSIONER, la_code=BARNSLEY)["total"] == 3
    with pytest.raises(Forbidden):
        report(actor=COMMISSIONER, la_code=SHEFFIELD)
    with pytest.raises(Forbidden):
        report(actor=COMMISSIONER, sub_icb_code=SUB_SHEFFIELD)
    sheffield = principal(Role.NON_CARE_HOME_USER, Role.BROKER, organisation=SUB_SHEFFIELD, aligned=[SUB_SHEFFIELD])
    assert [loc["location_id"] for loc in report(actor=sheffield)["locations"]] == [CEDAR]
    icb = principal(Role.NON_CARE_HOME_USER, organisation=ICB, aligned=[ICB])
    assert report(actor=icb)["total"] == 4
    assert report(actor=icb, sub_icb_code=SUB_BARNSLEY)["total"] == 3  # an area within the ICB
    admin = report(la_code=SHEFFIELD)
    assert [loc["location_id"] for loc in admin["locations"]] == [CEDAR]
    assert admin["areas"] == [{"filter": "la_code", "code": SHEFFIELD, "name": "Sheffield"}]


@pytest.mark.parametrize("actor", [
    principal(Role.CARE_HOME_USER, organisation=ALDER_CARE),
    principal(Role.CARE_HOME_USER, Role.APPROVER, organisation=ALDER_CARE),
    principal(Role.NON_CARE_HOME_USER, organisation="trust-1"),  # a hospital discharge team: no area
    principal(Role.NON_CARE_HOME_USER, Role.SYSTEM_CHAMPION, organisation="trust-1"),
    principal(Role.API_USER, organisation="org-x"),
], ids=["care home user", "care home approver", "discharge team", "trust champion", "api user"])
def test_anyone_else_is_refused(report, actor):
    with pytest.raises(Forbidden):
        report(actor=actor)


def test_pages_hold_every_location_once(report):
    first, second = report(per_page=3), report(per_page=3, page=2)
    assert [loc["location_id"] for loc in first["locations"] + second["locations"]] == [ALDER, BIRCH, CEDAR, DORMANT]
    assert first["has_more"] and not second["has_more"] and first["total"] == 4
