"""Rows of locations are sorted and paged by the database: each page is
the one sorting every location by name in Python would show (names the
same, names long, names missing, names in any case), with the totals of
every location."""
from __future__ import annotations

from datetime import date

import pytest

from reporting import repository
from reporting.handlers.reports import _names, utilisation
from reporting.rules import Group, add_months, table
from tracker_common.contracts.reporting import UtilisationQuery, months_apart
from tracker_common.schemas import load

from tracker_common.contracts.permissions import Role

from .conftest import SHEFFIELD, SUB_SHEFFIELD, capacity_return, principal, profile, vacancy

ANALYST = principal(Role.NON_CARE_HOME_USER)
TODAY = date(2026, 11, 23)
LONG = ("The Very Long Named Residential and Nursing Home for Older People with Dementia and Complex Needs "
        "at the Old Rectory, Upper Wharfedale Road, by the River, near the Village Green ")
NAMES = ["Oak Lodge", "oak lodge", "Oak Lodge", "Ash House", LONG + "(East Wing)", LONG + "(West Wing)",
         "Élan Court", "Zeal House", "", "Birch Lodge", "Ash House", "ash house", "Cedar Court", "Yew Tree"]


@pytest.fixture
def homes(apply):
    """Fourteen homes, some of the same name, one with none, over two Local
    Authorities, all sending in November, most in October too."""
    profiles, returns = [], []
    for n, name in enumerate(NAMES):
        location_id = f"1-30000000{13 - n:02}"  # codes in the opposite order to the list
        where = {} if n % 3 else {"la_code": SHEFFIELD, "sub_icb_code": SUB_SHEFFIELD}
        profiles.append(profile(location_id, name, **where))
        returns.append(capacity_return(location_id, 1, "2026-11-10T10:00:00+00:00",
                                       vacancy("general_residential", 20 + n, 10 + n, accepting=1),
                                       *([vacancy("dementia_nursing", 5, 5)] if n % 2 else []), **where))
        if n % 4:  # and in December
            returns.append(capacity_return(location_id, 2, "2026-12-01T10:00:00+00:00",
                                           vacancy("general_residential", 9, 9), **where))
    apply(profiles, returns)


def python_sorted(connection, query: dict) -> dict:
    """What reports answered before: every location's groups, sorted and
    paged in Python."""
    first = query.get("from_month") or TODAY.replace(day=1)
    last = query.get("to_month") or first
    rows_by, columns_by = query["rows"], query.get("columns")
    groups = [Group(*row) for row in repository.utilisation_groups(connection, rows_by, columns_by, first, last,
                                                                   query)]
    names = {d: _names(connection, d, {g.row if d == rows_by else g.column for g in groups})
             for d in filter(None, (rows_by, columns_by))}
    months = [f"{add_months(first, n):%Y-%m}" for n in range(months_apart(first, last))] \
        if "month" in (rows_by, columns_by) else []
    return table(groups, names, rows_by, columns_by, query["page"], query["per_page"], months)


@pytest.mark.parametrize("asked", [
    {"rows": "location", "columns": "vacancy_type", "from_month": "2026-11", "per_page": 5},
    {"rows": "location", "columns": "vacancy_type", "from_month": "2026-11", "per_page": 5, "page": 3},
    {"rows": "location", "columns": "vacancy_type", "from_month": "2026-11", "per_page": 5, "page": 4},
    {"rows": "location", "from_month": "2026-11", "per_page": 1, "page": 14},
    {"rows": "location", "columns": "month", "from_month": "2026-10", "to_month": "2026-12", "per_page": 4,
     "page": 2},
    {"rows": "location", "columns": "vacancy_type", "from_month": "2026-11", "la_code": SHEFFIELD, "per_page": 2,
     "page": 2},
    {"rows": "location", "columns": "local_authority", "from_month": "2026-11", "sub_icb_code": SUB_SHEFFIELD,
     "per_page": 3},
    {"rows": "location", "columns": "provider", "from_month": "2026-12", "per_page": 100},
])
def test_each_page_is_the_one_python_would_show(reporting_db, homes, asked):
    query = load(UtilisationQuery(), asked)
    with reporting_db.read() as connection:
        found = utilisation(connection, ANALYST, query, TODAY)
        expected = python_sorted(connection, query)
    for key in ("rows", "columns", "total", "total_rows", "has_more", "page", "per_page"):
        assert found[key] == expected[key], key


def test_names_the_same_sort_by_code_and_the_last_page_is_short(reporting_db, homes):
    def page(number):
        query = load(UtilisationQuery(), {"rows": "location", "from_month": "2026-11", "per_page": 4,
                                          "page": number})
        with reporting_db.read() as connection:
            return utilisation(connection, ANALYST, query, TODAY)

    pages = [page(n) for n in (1, 2, 3, 4, 5)]
    shown = [(row["name"], row["key"]) for p in pages for row in p["rows"]]
    assert [len(p["rows"]) for p in pages] == [4, 4, 4, 2, 0]
    assert [p["has_more"] for p in pages] == [True, True, True, False, False]
    assert {p["total_rows"] for p in pages} == {14}
    assert {p["total"]["locations"] for p in pages} == {14}
    # A home with no name shows its code, and sorts by it ("1-..." before letters); the same name, by code.
    assert shown == [("Not known", "1-3000000005"),
                     ("ash house", "1-3000000002"), ("Ash House", "1-3000000003"), ("Ash House", "1-3000000010"),
                     ("Birch Lodge", "1-3000000004"), ("Cedar Court", "1-3000000001"),
                     ("Oak Lodge", "1-3000000011"), ("oak lodge", "1-3000000012"), ("Oak Lodge", "1-3000000013"),
                     (LONG + "(East Wing)", "1-3000000009"), (LONG + "(West Wing)", "1-3000000008"),
                     ("Yew Tree", "1-3000000000"), ("Zeal House", "1-3000000006"), ("Élan Court", "1-3000000007")]
