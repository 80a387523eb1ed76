"""The reports' rules, in plain functions: which month a return counts in,
what a location's position is, the utilisation of a cell, and how grouped
figures become a table of rows against columns."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker_common.clock import LONDON
from tracker_common.contracts.reporting import (COLLECTION_FIRST_DAY, COLLECTION_LAST_DAY, NOTICE_CONSECUTIVE,
                                                NOTICE_IN_YEAR, NOTICE_LOOKBACK)
from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, LOCATION_KINDS

VACANT = ("vacant_reserved", "vacant_accepting", "vacant_not_available")


def month_of(at: datetime) -> date:
    """The calendar month (UK time) a moment falls in, as its first day: a
    return sent at 00:30 on 1 December in winter or summer counts in December."""
    local = at.astimezone(LONDON)
    return date(local.year, local.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def position(vacancies: list[dict]) -> list[dict]:
    """What reports keep of a return, a row per vacancy type: its capacity,
    the beds used and the beds spare (reserved, accepting or not available:
    all are empty beds). Flexible vacancies are entered on one type only,
    so adding the types counts each bed once."""
    return [{"vacancy_type": v["vacancy_type"], "maximum_capacity": v["maximum_capacity"],
             "occupied": v["occupied"], "vacant": sum(v[name] for name in VACANT),
             "vacant_accepting": v["vacant_accepting"], "flexible": v["flexible"]}
            for v in vacancies]


def cell(maximum_capacity: int, occupied: int, vacant: int, locations: int) -> dict:
    """One cell of a utilisation table: capacity, used, spare, and used as a
    percentage of capacity (None where there is no capacity)."""
    return {"locations": locations, "maximum_capacity": maximum_capacity, "occupied": occupied, "vacant": vacant,
            "utilisation_percent": round(occupied * 100 / maximum_capacity, 1) if maximum_capacity else None}


def humanise(word: str) -> str:
    """"dementia_nursing" -> "Dementia nursing"."""
    return word.replace("_", " ").capitalize()


def fixed_names(dimension: str, keys) -> dict[str, str]:
    """The names of keys that need no lookup (months, vacancy types, kinds)."""
    if dimension == "month":
        return {k: f"{date.fromisoformat(k + '-01'):%B %Y}" for k in keys}
    return {k: humanise(k) for k in keys}


_ORDERS = {"vacancy_type": {t: i for i, t in enumerate(LONG_TERM_VACANCY_TYPES)},
           "kind": {k: i for i, k in enumerate(LOCATION_KINDS)}}
UNKNOWN = "Not known"


def ordered(dimension: str, keys, names: dict[str, str]) -> list:
    """Months in time order, vacancy types and kinds in the vocabulary's
    order, everything else by name; what is not known goes last."""
    def key(k):
        if k is None:
            return (2, "", "")
        if dimension == "month":
            return (0, k, "")
        if dimension in _ORDERS:
            return (0, f"{_ORDERS[dimension].get(k, 99):03}", k)
        return (0, (names.get(k) or k).lower(), k)
    return sorted(keys, key=key)


@dataclass(frozen=True)
class Group:
    """A line of grouped figures: the row's and the column's keys, None
    where the line is a total over that dimension (`row_total`/`column_total`)."""

    row: str | None
    column: str | None
    row_total: bool
    column_total: bool
    maximum_capacity: int
    occupied: int
    vacant: int
    locations: int


def table(groups: list[Group], names: dict[str, dict[str, str]], rows_by: str, columns_by: str | None,
          page: int, per_page: int, months: list[str] = (), row_count: int | None = None) -> dict:
    """Rows against columns, each cell and each total from its own group
    (counting a location once in a total even when it is in several cells).
    Rows are paged; columns are all there. Every one of `months` is a row
    (or column) of month, nothing in it when no location sent that month:
    a chart over time shows the gap rather than leave the month out. When
    `row_count` is given, the groups' rows are the page already, of that
    many rows in all."""
    cells, row_totals, column_totals, grand = {}, {}, {}, None
    for month in months:
        if rows_by == "month":
            row_totals[month] = cell(0, 0, 0, 0)
        elif columns_by == "month":
            column_totals[month] = cell(0, 0, 0, 0)
    if months:
        names = {**names, "month": {**fixed_names("month", months), **names.get("month", {})}}
    for g in groups:
        figures = cell(g.maximum_capacity, g.occupied, g.vacant, g.locations)
        if g.row_total and g.column_total:
            grand = figures
        elif g.column_total:
            row_totals[g.row] = figures
        elif g.row_total:
            column_totals[g.column] = figures
        else:
            cells[(g.row, g.column)] = figures
    row_names, column_names = names.get(rows_by, {}), names.get(columns_by, {})
    row_keys = ordered(rows_by, row_totals, row_names)
    column_keys = ordered(columns_by, column_totals, column_names) if columns_by else []
    shown = row_keys[(page - 1) * per_page: page * per_page] if row_count is None else row_keys
    row_count = len(row_keys) if row_count is None else row_count
    return {
        "rows_by": rows_by, "columns_by": columns_by,
        "columns": [{"key": k, "name": column_names.get(k, UNKNOWN) if k else UNKNOWN,
                     "total": column_totals[k]} for k in column_keys],
        "rows": [{"key": k, "name": row_names.get(k, UNKNOWN) if k else UNKNOWN,
                  "cells": [cells.get((k, c)) for c in column_keys] if columns_by else [],
                  "total": row_totals[k]} for k in shown],
        "total": grand or cell(0, 0, 0, 0),
        "page": page, "per_page": per_page, "total_rows": row_count,
        "has_more": page * per_page < row_count,
    }


ROLLUP_AREAS = {"local_authority": "la_code", "sub_icb": "sub_icb_code", "icb": "icb_code",
                "nhs_region": "nhs_region_code"}  # a kind of area -> the key of a query limited to one


def rollup_level(dimensions, query: dict) -> tuple[str, str | None] | None:
    """Which of the monthly rollup's kinds of area answers a utilisation
    report by `dimensions` (None: none does): month, vacancy type and at
    most one kind of area, limited to one area at most, of the same kind
    as the area dimension. As (kind, the area's code or None for all)."""
    dimensions = [d for d in dimensions if d]
    if any(d not in ("month", "vacancy_type", *ROLLUP_AREAS) for d in dimensions):
        return None
    areas = [d for d in dimensions if d in ROLLUP_AREAS]
    limits = [kind for kind, key in ROLLUP_AREAS.items() if query.get(key)]
    if len(areas) > 1 or len(limits) > 1 or (areas and limits and areas != limits):
        return None
    if limits:
        return limits[0], query[ROLLUP_AREAS[limits[0]]]
    return (areas[0] if areas else "england"), None


# -- the ASC collection's compliance ---------------------------------------------------------
def collection_month(at: datetime) -> date | None:
    """The month whose collection window (the 8th to the 14th, UK time) a
    return sent at `at` falls in; None when sent outside any window."""
    local = at.astimezone(LONDON)
    if COLLECTION_FIRST_DAY <= local.day <= COLLECTION_LAST_DAY:
        return date(local.year, local.month, 1)
    return None


def required_from(first_appeared_at: datetime) -> date:
    """The first month a location must send within the window: the month it
    appeared in when it appeared before that month's window closed, else
    the next one (a home registered on the 20th has missed nothing yet)."""
    local = first_appeared_at.astimezone(LONDON)
    month = date(local.year, local.month, 1)
    return month if local.day <= COLLECTION_LAST_DAY else add_months(month, 1)


def month_status(month: date, sent_in_window: bool, required: date | None, today: date) -> str:
    """One location's month: "submitted" (within the window), "missed" (the
    window closed without a return), "open" (this month's window has not
    closed yet, nothing sent in it so far), or "not_required" (before the
    location appeared)."""
    if sent_in_window:
        return "submitted"
    if required is None or month < required:
        return "not_required"
    if month > today.replace(day=1) or (month == today.replace(day=1) and today.day <= COLLECTION_LAST_DAY):
        return "open"
    return "missed"


def formal_notice(statuses: list[str]) -> str | None:
    """The formal notice's rule over a location's last 12 months (oldest
    first): "consecutive" when it missed 3 months in a row, "in_year" when it
    missed 4 of the 12, else None. Months not required or still open are
    not missed, and break a run."""
    recent = statuses[-NOTICE_LOOKBACK:]
    run = longest = 0
    for status in recent:
        run = run + 1 if status == "missed" else 0
        longest = max(longest, run)
    if longest >= NOTICE_CONSECUTIVE:
        return "consecutive"
    if recent.count("missed") >= NOTICE_IN_YEAR:
        return "in_year"
    return None


def months_up_to(last: date, count: int) -> list[date]:
    """`count` months ending with `last`, oldest first."""
    return [add_months(last, offset) for offset in range(1 - count, 1)]
