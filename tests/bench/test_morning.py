"""The England morning benchmark's plain parts (bench/morning.py): when
the returns arrive, what each says, and how a queue's lag is estimated."""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import morning  # noqa: E402  (a script's module, beside the benchmarks)


@pytest.mark.parametrize("returns", [30_000, 1_500, 7])
def test_the_morning_sends_every_return_once(returns):
    counts = morning.arrivals_per_minute(returns)
    assert sum(counts) == returns and min(counts) >= 0
    assert len(morning.arrival_times(returns, compress=10)) == returns


def test_most_returns_arrive_between_8_and_11_and_peak_there():
    counts = morning.arrivals_per_minute(30_000)
    peak_minute = counts.index(max(counts))
    assert 8 <= morning.MORNING[0] + peak_minute / 60 < 11
    assert morning.share_between(counts, 8, 11) > 0.8
    assert counts[0] > 0 and counts[-1] > 0  # some before 8 and after 11 too


def test_compressed_ten_times_the_peak_is_about_40_a_second():
    counts = morning.arrivals_per_minute(30_000)
    assert 36 <= max(counts) * 10 / 60 <= 44
    times = morning.arrival_times(30_000, compress=10)
    assert times == sorted(times)
    assert 0 <= times[0] and times[-1] <= 8 * 3600 / 10
    assert times == morning.arrival_times(30_000, compress=10)  # seeded


def test_a_return_fills_every_vacancy_type_and_short_stay_service():
    body = morning.capacity_return(["general_nursing", "dementia_nursing"], ["respite_care"], random.Random(1))
    assert [v["vacancy_type"] for v in body["vacancies"]] == ["general_nursing", "dementia_nursing"]
    for v in body["vacancies"]:
        assert v["occupied"] + v["vacant_reserved"] + v["vacant_accepting"] + v["vacant_not_available"] \
            == v["maximum_capacity"] and v["occupied"] >= 0
    assert set(body["short_stay_prices"]) == {"respite_care"}


def test_every_spaces_moments_at_a_rate():
    assert morning.every(20, 1) == [n / 20 for n in range(20)]
    assert morning.every(0.1, 60, offset=5) == [5, 15, 25, 35, 45, 55]


def test_queue_lag_is_depth_over_the_rate_it_is_read_at():
    lag = morning.QueueLag(window=10)
    assert lag.add(0, 0, 0) == 0
    # 100 events a second arrive, the depth grows by 10 a second: 90 read a second
    assert lag.add(1, 10, 100) == pytest.approx(10 / 90)
    assert lag.add(2, 20, 200) == pytest.approx(20 / 90)
    assert lag.add(3, 0, 300) == 0


def test_a_queue_nobody_reads_has_waited_since_it_filled():
    lag = morning.QueueLag(window=10)
    lag.add(0, 0, 0)
    assert lag.add(1, 50, 50) == 0.0  # just filled, nothing read yet
    assert lag.add(4, 50, 50) == 3.0


def test_usage_of_this_process_and_a_gone_one():
    cpu, rss = morning.usage(os.getpid())
    assert cpu > 0 and rss > 10 * 1024 * 1024
    assert morning.usage(2 ** 22 + 1) == (0.0, 0)
