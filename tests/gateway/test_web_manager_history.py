"""A care home manager's history of a location's returns on the web: newest
first with who and when, "still true" marked, an accessible chart with its
figures in a table, paged; a discharge team sees it without the forms.

The services are a fake answering each (service, method) as the test says
(tests/gateway/conftest.py); pages are read with an HTML parser."""
from __future__ import annotations

from tracker_common.contracts.permissions import Role
from tracker_common.testing import page

from .conftest import HOME, at_home

HERE = f"/locations/{HOME}"


# -- the history --------------------------------------------------------------------------------------
def a_return(sequence: int, at: str, vacant: int, accepting: int, *, still_true=False, by="u-1", **extra) -> dict:
    return {"id": f"r-{sequence}", "location_id": HOME, "sequence": sequence, "submitted_at": at,
            "submitted_by": by, "submitted_by_generic": False, "source": "form", "still_true": still_true,
            "admission_status": "accepting" if accepting else "not_accepting",
            "totals": {"maximum_capacity": 30, "occupied": 30 - vacant, "vacant": vacant,
                       "vacant_accepting": accepting, "vacant_reserved": 0, "vacant_not_available": vacant - accepting},
            "vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "850.00",
                           "maximum_capacity": 30, "occupied": 30 - vacant, "vacant_reserved": 0,
                           "vacant_accepting": accepting, "vacant_not_available": vacant - accepting,
                           "not_available_reason": "refurbishment" if vacant > accepting else None,
                           "flexible": False}], **extra}


HISTORY = [a_return(22, "2026-03-02T08:05:00+00:00", 3, 2, still_true=True),
           a_return(21, "2026-03-01T08:30:00+00:00", 3, 2, by="u-7"),
           a_return(20, "2026-02-27T15:40:00+00:00", 5, 4, by=None, submitted_by_generic=True),
           a_return(19, "2026-02-20T11:00:00+00:00", 1, 0, source="bulk", by="u-7")]


def history(backend, returns=HISTORY, older=()):
    def answer(location_id, query, **kwargs):
        if query.get("until"):
            return {"location_id": location_id, "page": 1, "returns": list(older)}
        return {"location_id": location_id, "page": query["page"], "returns": returns[:query["per_page"]]}
    backend.answers[("capacity", "return_history")] = answer


def test_the_history_is_newest_first_with_who_and_when_and_still_true_marked(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    history(backend)
    shown = page(browser.get(f"{HERE}/returns"))
    entries = shown.select("#history > li")
    assert [e["data-sequence"] for e in entries] == ["22", "21", "20", "19"]
    first, second, third, fourth = (e.get_text(" ", strip=True) for e in entries)
    assert "8:05am on 2 March 2026" in first and "Still true" in first and "By You." in first
    assert "By Another user." in second and "Still true" not in second
    assert "By A shared account." in third and "5 vacant, 4 accepting" in third
    assert "Bulk upload" in fourth and "not available (refurbishment)" in fourth
    assert ("identity", "list_users") not in backend.calls  # a standard user sees no one's name
    assert backend.sent_to("capacity", "return_history")["query"]["until"].startswith("2026-02-02T09:00:00")


def test_an_approver_sees_who_sent_each(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER, Role.APPROVER)
    at_home(backend)
    history(backend)
    backend.answers[("identity", "list_users")] = [{"id": "u-7", "name": "Priya Raman-Oyelaran"}]
    shown = page(browser.get(f"{HERE}/returns"))
    assert "By Priya Raman-Oyelaran." in shown.select("#history > li")[1].get_text(" ", strip=True)
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "prov-a"


def test_the_chart_is_an_accessible_picture_with_its_figures_in_a_table(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    history(backend, older=[a_return(12, "2026-01-30T10:00:00+00:00", 6, 6)])
    shown = page(browser.get(f"{HERE}/returns"))
    svg = shown.find("svg")
    assert svg["role"] == "img" and svg["aria-labelledby"] == "chart-title chart-desc"
    assert svg.find("title").get_text() == "Vacant beds at Willow House, 2 Feb to 2 Mar"
    assert svg.find("desc").get_text() == ("5 returns in this time. Now 3 vacant, 2 of them accepting admissions; "
                                           "at most 6 vacant. The table below has every figure.")
    vacant = [tuple(map(float, p.split(","))) for p in svg.select_one(".app-chart__line--vacant")["points"].split()]
    assert vacant[0][0] == 44 and vacant[-1][0] == 632  # from the chart's first day (the return in force) to now
    assert all(a[0] <= b[0] for a, b in zip(vacant, vacant[1:]))  # time runs left to right
    rows = [[c.get_text(strip=True) for c in row.select("td")] for row in shown.select("#chart-table tbody tr")]
    assert rows[0] == ["8:05am on 2 March 2026 (still true)", "3", "2"] and len(rows) == 4
    assert not shown.select("script")


def test_the_history_is_paged(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    many = [a_return(100 - i, "2026-03-01T08:30:00+00:00", 3, 2) for i in range(20)]
    history(backend, many)
    shown = page(browser.get(f"{HERE}/returns?page=2"))
    assert backend.sent[-3][2]["query"] == {"page": 2, "per_page": 20}
    assert shown.find("a", rel="next")["href"] == "?page=3" and shown.find("a", rel="prev")["href"] == "?page=1"


def test_a_discharge_team_sees_the_history_but_no_forms(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend)
    history(backend)
    shown = page(browser.get(f"{HERE}/returns"))
    assert shown.select("#history > li") and shown.find("nav", class_="app-returns-nav") is None


def test_no_return_yet_says_so(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    history(backend, [])
    text = page(browser.get(f"{HERE}/returns")).get_text(" ", strip=True)
    assert "No capacity return yet." in text and "has not sent a capacity return yet" in text
