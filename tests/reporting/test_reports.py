"""Last modified capacity, the public bed state and the data export, each
seen by the people who may see it, against the known England of conftest."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from reporting import export
from reporting.handlers.reports import area_names, bed_state, export_rows, last_modified
from tracker_common.contracts.errors import Forbidden, NotFound
from tracker_common.contracts.permissions import Role
from tracker_common.contracts.reporting import LastModifiedQuery
from tracker_common.schemas import load

from .conftest import (ALDER, ALDER_CARE, BARNSLEY, BIRCH, CEDAR, COMMISSIONER, DORMANT, NOW, SHEFFIELD,
                       SUB_SHEFFIELD, principal, profile)


@pytest.fixture
def modified(reporting_db, england):
    def _modified(actor=COMMISSIONER, **query):
        with reporting_db.read() as connection:
            return last_modified(connection, actor, load(LastModifiedQuery(), query), NOW)
    return _modified


def test_last_modified_lists_never_updated_first_then_the_oldest(modified):
    found = modified()
    assert [(row["location_id"], row["staleness"]) for row in found["locations"]] == [
        (DORMANT, "never"), (CEDAR, "stale_48h"), (BIRCH, "stale_48h"), (ALDER, "stale_48h")]
    assert found["locations"][1]["la_name"] == "Sheffield" and found["total"] == 4
    recent = modified(not_updated_for_hours=24 * 60)  # not updated for 60 days: only Dormant
    assert [row["location_id"] for row in recent["locations"]] == [DORMANT]
    assert [row["location_id"] for row in modified(la_code=SHEFFIELD)["locations"]] == [CEDAR]


def test_a_care_home_user_sees_only_their_own_locations(modified):
    staff = principal(Role.CARE_HOME_USER, organisation=ALDER_CARE)
    assert [row["location_id"] for row in modified(staff)["locations"]] == [CEDAR, ALDER]
    one_home = principal(Role.CARE_HOME_USER, organisation=ALDER_CARE, all_locations=False, locations=[ALDER])
    assert [row["location_id"] for row in modified(one_home)["locations"]] == [ALDER]
    with pytest.raises(Forbidden):
        modified(principal(Role.APPROVER, organisation=ALDER_CARE))


def test_an_inactive_location_leaves_the_report(modified, apply):
    apply(locations=[profile(DORMANT, "Dormant Hall", version=2, active=False)])
    assert DORMANT not in [row["location_id"] for row in modified()["locations"]]


def test_the_bed_state_of_a_local_authority_and_of_a_sub_icb(reporting_db, england):
    with reporting_db.read() as connection:
        barnsley = bed_state(connection, {"la_code": BARNSLEY}, NOW)
        sheffield = bed_state(connection, {"sub_icb_code": SUB_SHEFFIELD}, NOW)
    assert barnsley["area"] == {"code": BARNSLEY, "kind": "local_authority", "name": "Barnsley"}
    assert [(h["name"], h["total_accepting"], h["admission_status"]) for h in barnsley["locations"]] == [
        ("Alder House", 2, "accepting"), ("Birch Lodge", 0, "not_accepting"), ("Dormant Hall", 0, None)]
    assert barnsley["totals"] == [{"vacancy_type": "dementia_nursing", "vacant_accepting": 1},
                                  {"vacancy_type": "general_residential", "vacant_accepting": 1}]
    assert barnsley["total_accepting"] == 2
    assert [h["location_id"] for h in sheffield["locations"]] == [CEDAR] and sheffield["total_accepting"] == 10
    assert "provider_name" not in barnsley["locations"][0]  # only what homes declare, and when


def test_the_bed_state_of_an_unknown_area_is_not_found(reporting_db, england):
    with reporting_db.read() as connection, pytest.raises(NotFound) as missing:
        bed_state(connection, {"la_code": "E06000099"}, NOW)
    assert "E06000099" in missing.value.detail


def exported(reporting_db, actor, file_format="csv", limit=100, **query):
    with reporting_db.read() as connection:
        rows, truncated = export_rows(connection, actor, query, limit)
        content = export.to_file(rows, area_names(connection, rows), file_format)
    return content, truncated


def test_extended_reporting_exports_the_locations_aligned_to_it(reporting_db, england, apply):
    apply(locations=[profile("1-1000000009", "=HYPERLINK(\"http://x\")", la_code=BARNSLEY)])
    analyst = principal(Role.NON_CARE_HOME_USER, Role.EXTENDED_REPORTING, organisation=BARNSLEY, aligned=[BARNSLEY])
    content, truncated = exported(reporting_db, analyst)
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert not truncated
    assert [(r["Location"], r["Vacancy type"], r["Vacant"]) for r in table] == [
        ("'=HYPERLINK(\"http://x\")", "", ""),  # a name Excel would run is made text
        ("Alder House", "General residential", "1"), ("Alder House", "Dementia nursing", "2"),
        ("Birch Lodge", "General residential", "0"), ("Dormant Hall", "", "")]
    alder = table[1]
    assert (alder["Local Authority"], alder["ICB"], alder["Last updated (UK time)"]) == (
        "Barnsley", "NHS South Yorkshire ICB", "2026-11-20 10:00")
    workbook, _ = exported(reporting_db, analyst, "xlsx")
    sheet = load_workbook(io.BytesIO(workbook)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == export.HEADERS and cells[2][1] == "Alder House" and cells[2][13] == 1


def test_the_export_is_refused_without_extended_reporting_and_says_when_it_is_cut(reporting_db, england):
    with pytest.raises(Forbidden):
        exported(reporting_db, COMMISSIONER)
    admin = principal(Role.ADMIN)
    _, truncated = exported(reporting_db, admin, limit=3)
    assert truncated
    content, _ = exported(reporting_db, admin, limit=3, la_code=SHEFFIELD)
    assert "Cedar Court" in content.decode("utf-8-sig")


def test_areas_are_listed_by_kind_in_name_order(reporting_db, england):
    from reporting.handlers.reports import areas

    with reporting_db.read() as connection:
        found = areas(connection)
    assert [a["name"] for a in found["local_authorities"]] == ["Barnsley", "Sheffield"]
    assert [(a["name"], a["parent_code"]) for a in found["sub_icbs"]] == [("Barnsley", "E54000061"),
                                                                        ("Sheffield", "E54000061")]
    assert len(found["icbs"]) == len(found["nhs_regions"]) == 1
