"""The demo's year of capacity returns, as plain rules: which homes are
current, stale or never updated, when each sends its returns, and figures
that the capacity rules accept and that vary."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from statistics import mean

import pytest

from capacity import demo
from capacity.rules import LocationFacts, check_capacity_return
from tracker_common.clock import LONDON
from tracker_common.contracts import capacity as bodies
from tracker_common.contracts.capacity import staleness
from tracker_common.schemas import load

NOW = datetime(2026, 10, 20, 10, 30, tzinfo=timezone.utc)
IDS = [f"1-{100000000 + i}" for i in range(1500)]


def test_most_homes_are_current_some_stale_a_few_never_the_same_on_every_run():
    shares = Counter(demo.category(location_id) for location_id in IDS)
    assert shares["current"] / len(IDS) == pytest.approx(0.74, abs=0.04)
    assert shares["stale_24h"] / len(IDS) == pytest.approx(0.10, abs=0.03)
    assert shares["stale_48h"] / len(IDS) == pytest.approx(0.08, abs=0.03)
    assert shares["never"] / len(IDS) == pytest.approx(0.08, abs=0.03)
    assert [demo.category(i) for i in IDS[:50]] == [demo.category(i) for i in IDS[:50]]
    assert [demo.category(i, seed=7) for i in IDS[:50]] != [demo.category(i) for i in IDS[:50]]


@pytest.mark.parametrize("location_id", IDS[:300])
def test_the_latest_return_is_as_fresh_as_the_homes_category(location_id):
    times = demo.return_times(location_id, NOW)
    kind = demo.category(location_id)
    if kind == "never":
        assert times == []
        return
    assert times == sorted(times) and times[-1] < NOW
    assert staleness(times[-1], NOW) == {"current": "fresh"}.get(kind, kind)


def _months_before(now: datetime, count: int) -> list[tuple[int, int]]:
    local = now.astimezone(LONDON)
    index = local.year * 12 + local.month - 1
    return [((index - back) // 12, (index - back) % 12 + 1) for back in range(1, count + 1)]


def test_twelve_months_of_history_mostly_in_the_collection_window_with_a_few_months_missed():
    sending = [i for i in IDS[:400] if demo.category(i) != "never"]
    missed = in_window = months_sent = 0
    for location_id in sending:
        times = demo.return_times(location_id, NOW)
        local = [t.astimezone(LONDON) for t in times]
        assert local[0] < datetime(2025, 11, 1, tzinfo=LONDON)  # 12 whole months before October 2026
        for year, month in _months_before(NOW, 12):
            this_month = [t for t in local if (t.year, t.month) == (year, month)]
            if not this_month:
                missed += 1
                continue
            months_sent += 1
            in_window += any(8 <= t.day <= 14 for t in this_month)
            assert all(8 <= t.hour <= 17 for t in this_month)  # sent in working hours
    assert in_window == months_sent  # a month with returns always has the collection's
    assert 0.03 < missed / (len(sending) * 12) < 0.15  # a few homes miss a month now and then


def _home(location_id="1-100000001", types=("dementia_residential", "general_residential"),
          short_stay=("respite_care",), beds=40) -> demo.Home:
    return demo.Home(location_id, tuple(types), tuple(short_stay), beds)


@pytest.mark.parametrize("home", [
    _home(),
    _home("1-100000002", ("general_nursing",), (), 12),
    _home("1-100000003", ("dementia_nursing", "general_nursing", "learning_disability_nursing",
                          "mental_health_residential", "young_physically_disabled"),
          ("discharge_to_assess", "respite_care"), 6),
    _home("1-100000004", ("general_residential",), ("rehabilitation",), None),
    _home("1-100000005", ("general_residential", "dementia_residential"), (), 3),
])
def test_every_planned_return_is_accepted_by_the_capacity_rules(home):
    facts = LocationFacts(home.location_id, "care_home", home.long_term_vacancy_types,
                          home.short_stay_services, home.registered_beds)
    plan = demo.planned_returns(home, NOW)
    assert plan
    for when, body in plan:
        checked = check_capacity_return(facts, load(bodies.CapacityReturnRequest(), body))
        assert checked["totals"]["maximum_capacity"] >= len(home.long_term_vacancy_types)
        if home.registered_beds and home.registered_beds >= len(home.long_term_vacancy_types):
            assert checked["over_registered_capacity"] is False


def test_figures_vary_by_month_busier_in_winter_and_prices_rise_each_april():
    homes = [_home(f"1-2000000{i:02d}", beds=40) for i in range(40)]

    def occupancy(month: int, year: int = 2026) -> float:
        at = datetime(year, month, 10, 11, tzinfo=timezone.utc)
        return mean(sum(v["occupied"] for v in demo.figures(h, at)["vacancies"]) / 40 for h in homes)

    assert occupancy(1) > occupancy(7)
    one = homes[0]
    bodies_by_month = [demo.figures(one, datetime(2026, m, 10, 11, tzinfo=timezone.utc)) for m in range(1, 13)]
    assert len({str(b["vacancies"]) for b in bodies_by_month}) > 6
    march = demo.figures(one, datetime(2026, 3, 10, tzinfo=timezone.utc))["vacancies"][0]["weekly_price_from"]
    april = demo.figures(one, datetime(2026, 4, 10, tzinfo=timezone.utc))["vacancies"][0]["weekly_price_from"]
    assert float(april) > float(march)


def test_some_current_homes_latest_return_only_says_nothing_has_changed():
    current = [i for i in IDS[:200] if demo.category(i) == "current"]
    still_true = [i for i in current if (lambda plan: plan[-1][1] == plan[-2][1])(demo.planned_returns(_home(i), NOW))]
    assert 0.2 < len(still_true) / len(current) < 0.6


def test_running_again_sends_nothing_the_same_day_and_only_the_days_since_later():
    home = _home(next(i for i in IDS if demo.category(i) == "current"))
    plan = demo.planned_returns(home, NOW)
    assert demo.to_send(plan, None) == plan
    latest = plan[-1][0]
    assert demo.to_send(demo.planned_returns(home, NOW + timedelta(hours=3)), latest) == []
    later = demo.to_send(demo.planned_returns(home, NOW + timedelta(days=40)), latest)
    assert later and all(when > latest + demo.RERUN_GAP for when, _ in later)
    assert staleness(later[-1][0], NOW + timedelta(days=40)) == "fresh"
