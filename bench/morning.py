"""The plain parts of the England morning benchmark: when the returns
arrive, what a return says, how long a queue's backlog would take to read,
and how much CPU and memory each process uses (psutil if installed, else
/proc)."""
from __future__ import annotations

import math
import os
import random
from collections import deque
from pathlib import Path

MORNING = (6.0, 14.0)  # the hours the returns arrive in (local time)
PEAK_HOUR, PEAK_SPREAD_MINUTES, PEAK_SHARE = 9.5, 45.0, 0.88  # the rest evenly over the morning


def arrivals_per_minute(returns: int, start: float = MORNING[0], end: float = MORNING[1]) -> list[int]:
    """How many returns arrive in each minute of the morning: most around
    half past nine (a bell 45 minutes either side: about 85 % between 8 and
    11), the rest evenly spread. Whole numbers adding up to `returns`
    (largest remainders), so 30,000 peak at about 4 a second."""
    minutes = int(round((end - start) * 60))
    centre = (PEAK_HOUR - start) * 60

    def bell(m: float) -> float:
        return 0.5 * (1 + math.erf((m - centre) / (PEAK_SPREAD_MINUTES * math.sqrt(2))))

    inside = bell(minutes) - bell(0)
    shares = [PEAK_SHARE * (bell(m + 1) - bell(m)) / inside + (1 - PEAK_SHARE) / minutes for m in range(minutes)]
    exact = [returns * share for share in shares]
    counts = [int(e) for e in exact]
    by_remainder = sorted(range(minutes), key=lambda m: exact[m] - counts[m], reverse=True)
    for m in by_remainder[:returns - sum(counts)]:
        counts[m] += 1
    return counts


def arrival_times(returns: int, compress: float, seed: int = 15, hours: tuple[float, float] = MORNING) -> list[float]:
    """When each return is sent, in seconds from the morning's start, the
    morning compressed `compress` times (each minute's returns at seeded
    random moments within it). `hours`: only the returns of that part of
    the morning, from its start (8.5, 10.5: the peak, at its own rate)."""
    rng, times = random.Random(seed), []
    first, last = (hours[0] - MORNING[0]) * 3600, (hours[1] - MORNING[0]) * 3600
    for minute, count in enumerate(arrivals_per_minute(returns)):
        times += sorted(minute * 60 + rng.uniform(0, 60) for _ in range(count))
    return [(t - first) / compress for t in times if first <= t < last]


def share_between(counts: list[int], first_hour: float, last_hour: float, start: float = MORNING[0]) -> float:
    """The share of the returns arriving between two hours of the morning."""
    first, last = int((first_hour - start) * 60), int((last_hour - start) * 60)
    return sum(counts[first:last]) / sum(counts)


def every(rate_per_second: float, seconds: float, offset: float = 0.0) -> list[float]:
    """Evenly spaced moments at a rate, for `seconds`."""
    return [offset + n / rate_per_second for n in range(int(seconds * rate_per_second))]


def capacity_return(vacancy_types: list[str], short_stay: list[str], rng: random.Random) -> dict:
    """A return as a home's form sends it: every long term vacancy type it
    offers, a price for each short stay service."""
    vacancies = []
    for vacancy_type in vacancy_types:
        maximum = rng.randint(5, 30)
        accepting, reserved = rng.choice([0, 0, 1, 1, 2, 3]), rng.choice([0, 0, 0, 1])
        vacancies.append({"vacancy_type": vacancy_type, "weekly_price_from": f"{rng.randint(650, 1400)}.00",
                          "maximum_capacity": maximum, "occupied": maximum - accepting - reserved,
                          "vacant_reserved": reserved, "vacant_accepting": accepting, "vacant_not_available": 0})
    return {"vacancies": vacancies, "short_stay_prices": {s: f"{rng.randint(700, 1500)}.00" for s in short_stay},
            "confirm_over_registered_capacity": True}


class QueueLag:
    """A queue's backlog in seconds: its depth ÷ the rate it is read at,
    over the last `window` seconds. The rate read is what arrived (events
    the benchmark knows were sent its way) less what the depth grew by. A
    queue that holds events and read none in the window has waited at
    least as long as it has not been empty."""

    def __init__(self, window: float = 10.0):
        self.window, self.samples, self.nonempty_since = window, deque(), None

    def add(self, now: float, depth: int, arrived_total: int) -> float:
        """A sample (`arrived_total`: events sent its way so far); the lag now, in seconds."""
        self.samples.append((now, depth, arrived_total))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()
        if depth == 0:
            self.nonempty_since = None
            return 0.0
        if self.nonempty_since is None:
            self.nonempty_since = now
        then, depth_then, arrived_then = self.samples[0]
        read = (arrived_total - arrived_then) - (depth - depth_then)
        if now > then and read > 0:
            return depth / (read / (now - then))
        return now - self.nonempty_since


# -- CPU and memory of a process and its children ---------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def _proc_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def usage(pid: int, tree: bool = True) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) of a process and (`tree`) its descendants
    (a gunicorn master and its workers); (0, 0) once it is gone."""
    try:
        import psutil
        gone = (OSError, psutil.Error)
    except ImportError:
        psutil, gone = None, (OSError, ValueError, IndexError)
    try:
        if psutil:
            parent = psutil.Process(pid)
            family = [parent] + (parent.children(recursive=True) if tree else [])
            cpu = sum(p.cpu_times().user + p.cpu_times().system for p in family)
            return cpu, sum(p.memory_info().rss for p in family)
        pids, cpu, rss = [pid], 0.0, 0
        while pids:
            current = pids.pop()
            one_cpu, one_rss = _proc_usage(current)
            cpu, rss = cpu + one_cpu, rss + one_rss
            pids += _children(current) if tree else []
        return cpu, rss
    except gone:
        return 0.0, 0
