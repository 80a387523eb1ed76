"""Time, injectable: rules take a clock so tests never sleep; and times
written for people, in UK time as GOV.UK writes them.

`OffsetClock` lets a test move a running service's time forward by writing a
number of seconds to a file named by `CLOCK_OFFSET_FILE`; without that
variable the system clock is used.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that moves only when told to (for unit tests)."""

    def __init__(self, at: datetime | None = None):
        self.at = at or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)


class OffsetClock:
    """System time plus an offset read from a file (for end-to-end tests)."""

    def __init__(self, path: Path):
        self.path = path

    def now(self) -> datetime:
        try:
            offset = float(self.path.read_text().strip() or 0)
        except FileNotFoundError:
            offset = 0.0
        return datetime.now(timezone.utc) + timedelta(seconds=offset)


def clock_from_environment() -> Clock:
    path = os.environ.get("CLOCK_OFFSET_FILE")
    return OffsetClock(Path(path)) if path else SystemClock()


def london_time(at: datetime) -> str:
    """"2:05pm on 23 November 2026", UK time, as GOV.UK writes times."""
    local = at.astimezone(LONDON)
    return f"{local.strftime('%I:%M%p').lstrip('0').lower()} on {local.day} {local.strftime('%B %Y')}"


def london_date(at: datetime) -> str:
    local = at.astimezone(LONDON)
    return f"{local.day} {local.strftime('%B %Y')}"
