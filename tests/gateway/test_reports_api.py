"""`/api/v1/reports` at the edge: each report's query checked before any
call, the permission of each report, the public bed state, and the export
sent as a file."""
from __future__ import annotations

import base64

import pytest

from tracker_common.contracts.errors import NotFound
from tracker_common.contracts.permissions import Role

BARNSLEY = "E08000016"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_utilisation_sends_the_checked_query_and_returns_the_table(client, services, token):
    services.answer = {"rows_by": "month", "columns_by": "vacancy_type", "from_month": "2026-01", "to_month": "2026-03",
                       "areas": [], "columns": [], "rows": [], "total": {"locations": 0}, "page": 1, "per_page": 100,
                       "total_rows": 0, "has_more": False}
    answer = client.get("/api/v1/reports/utilisation?rows=month&columns=vacancy_type&from_month=2026-01"
                        f"&to_month=2026-03&la_code={BARNSLEY}", headers=bearer(token(Role.NON_CARE_HOME_USER)))
    assert answer.status_code == 200 and answer.json["rows_by"] == "month"
    sent = services.sent_to("reporting", "utilisation")
    assert sent["query"] == {"rows": "month", "columns": "vacancy_type", "from_month": "2026-01",
                             "to_month": "2026-03", "la_code": BARNSLEY, "page": 1, "per_page": 100}
    assert sent["actor"]["sub"] == "u-1"


@pytest.mark.parametrize("query, field", [
    ("rows=postcode", "rows"),
    ("rows=local_authority&from_month=2026-01&to_month=2026-02", "to_month"),
    ("rows=month&from_month=January", "from_month"),
    ("rows=month&colour=red", "colour"),
])
def test_a_bad_utilisation_query_is_refused_before_any_call(client, services, token, query, field):
    answer = client.get(f"/api/v1/reports/utilisation?{query}", headers=bearer(token(Role.NON_CARE_HOME_USER)))
    assert answer.status_code == 422 and field in answer.json["errors"]
    assert services.calls == []


def test_each_report_needs_its_permission(client, services, token):
    care_home = bearer(token(Role.CARE_HOME_USER))
    assert client.get("/api/v1/reports/utilisation?rows=month", headers=care_home).status_code == 403
    assert client.get("/api/v1/reports/capacity-export", headers=bearer(token(Role.NON_CARE_HOME_USER))
                      ).status_code == 403
    assert client.get("/api/v1/reports/last-modified").status_code == 401
    assert services.calls == []
    services.answer = {"locations": [], "page": 1, "per_page": 50, "total": 0, "has_more": False,
                       "generated_at": "2026-03-02T09:00:00+00:00"}
    assert client.get("/api/v1/reports/last-modified", headers=care_home).status_code == 200


def test_the_bed_state_is_public_and_an_unknown_area_is_not_found(client, services):
    services.answer = {"area": {"code": BARNSLEY, "kind": "local_authority", "name": "Barnsley"},
                       "generated_at": "2026-03-02T09:00:00+00:00", "locations": [], "totals": [],
                       "total_accepting": 0}
    answer = client.get(f"/api/v1/reports/bed-state?la_code={BARNSLEY}")
    assert answer.status_code == 200 and answer.json["area"]["name"] == "Barnsley"
    assert services.sent_to("reporting", "bed_state") == {"query": {"la_code": BARNSLEY}}
    assert client.get("/api/v1/reports/bed-state").status_code == 422
    services.answers[("reporting", "bed_state")] = NotFound("No Local Authority has the code E06000099.")
    missing = client.get("/api/v1/reports/bed-state?la_code=E06000099")
    assert missing.status_code == 404 and "E06000099" in missing.json["detail"]


def test_the_export_is_a_file_to_download(client, services, token):
    services.answer = {"file_name": "capacity-20260302-0900.csv", "content_type": "text/csv; charset=utf-8",
                       "locations": 2, "truncated": False, "content": base64.b64encode(b"Location ID\r\n").decode()}
    answer = client.get("/api/v1/reports/capacity-export?format=csv",
                        headers=bearer(token(Role.EXTENDED_REPORTING)))
    assert answer.status_code == 200 and answer.data == b"Location ID\r\n"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="capacity-20260302-0900.csv"'
    assert (answer.headers["X-Locations"], answer.headers["X-Truncated"]) == ("2", "false")


def test_last_login_is_answered_by_identity_for_those_holding_activity_reports(client, services, token):
    services.answer = {"organisation_id": "prov-a", "organisation_name": "Alder Care", "users": [], "page": 1,
                       "per_page": 50, "total": 0, "has_more": False}
    answer = client.get("/api/v1/reports/last-login?not_logged_in_for_days=30",
                        headers=bearer(token(Role.CARE_HOME_USER)))
    assert answer.status_code == 200 and answer.json["organisation_name"] == "Alder Care"
    assert services.sent_to("identity", "last_logins")["query"] == {"not_logged_in_for_days": 30, "page": 1,
                                                                     "per_page": 50}
    assert client.get("/api/v1/reports/last-login", headers=bearer(token(Role.APPROVER))).status_code == 403
    assert client.get("/api/v1/reports/last-login?not_logged_in_for_days=0",
                      headers=bearer(token(Role.CARE_HOME_USER))).status_code == 422


def test_collection_compliance_sends_the_checked_query_and_is_refused_to_care_homes(client, services, token):
    services.answer = {"months": ["2026-02"], "to_month": "2026-02", "areas": [], "locations": [], "page": 1,
                       "per_page": 50, "total": 0, "has_more": False, "flagged_only": True,
                       "summary": {"locations": 0, "flagged": 0, "latest_month": "2026-02", "submitted_in_latest": 0,
                                   "missed_in_latest": 0}}
    answer = client.get(f"/api/v1/reports/collection-compliance?la_code={BARNSLEY}&to_month=2026-02&months=1"
                        "&flagged_only=true", headers=bearer(token(Role.NON_CARE_HOME_USER)))
    assert answer.status_code == 200 and answer.json["flagged_only"] is True
    assert services.sent_to("reporting", "collection_compliance")["query"] == {
        "la_code": BARNSLEY, "to_month": "2026-02", "months": 1, "flagged_only": True, "page": 1, "per_page": 50}
    services.calls.clear()
    assert client.get("/api/v1/reports/collection-compliance", headers=bearer(token(Role.CARE_HOME_USER))
                      ).status_code == 403
    assert client.get("/api/v1/reports/collection-compliance?months=13",
                      headers=bearer(token(Role.ADMIN))).status_code == 422
    assert services.calls == []
