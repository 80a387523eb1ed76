"""Bulk updates through the use cases on the real database: the template,
an upload kept for the worker, and the worker applying each location
all-or-nothing."""
from __future__ import annotations

import base64
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from capacity.handlers import bulk
from capacity.models import BulkUpload, CapacityReturn
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.permissions import Principal, Role

ALDER, ELM, BIRCH = "1-1000000001", "1-1000000002", "1-1000000003"
GROUP = "1-100000001"
MANAGER = Principal("u-1", GROUP, frozenset({Role.CARE_HOME_USER}))
NURSE = Principal("u-5", "trust", frozenset({Role.NON_CARE_HOME_USER}))


@pytest.fixture
def homes(known_location):
    known_location(ALDER)
    known_location(ELM, registered_beds=10, name="Elm Court Residential and Nursing Home")
    known_location(BIRCH, provider="1-100000002")


def template_for(db, actor) -> bytes:
    with db.unit_of_work() as uow:
        return base64.b64decode(bulk.bulk_template(uow, actor, {})["content"])


def fill(data: bytes, figures: dict) -> bytes:
    """figures: (location id, vacancy type label) -> {column header: value}; every
    other row of those locations is filled with a valid line."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Capacities"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = dict(zip(headers, (c.value for c in row)))
        key = (values["Location ID"], values["Vacancy type"])
        line = {"Weekly price from (£)": 800, "Maximum capacity": 5, "Occupied": 4, "Vacant reserved": 0,
                "Vacant accepting admissions": 1, "Vacant not available": 0, "Flexible (Y/N)": "N",
                **figures.get(key, {})}
        for cell, header in zip(row, headers):
            if header in line:
                cell.value = line[header]
    homes_sheet = workbook["Care Homes"]
    home_headers = [c.value for c in homes_sheet[1]]
    for row in homes_sheet.iter_rows(min_row=2):
        for cell, header in zip(row, home_headers):
            if header and header.startswith("Short stay price: Respite"):
                cell.value = 950
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(db, actor, content: bytes, *, declaration=True, name="update.xlsx") -> dict:
    with db.unit_of_work() as uow:
        result = bulk.receive_bulk_upload(uow, actor, {"file_name": name, "declaration": declaration,
                                                       "content": base64.b64encode(content).decode()})
        uow.commit()
        return result


def work(db, upload_id):
    with db.unit_of_work() as uow:
        result = bulk.process_bulk_upload(uow, upload_id)
        uow.commit()
        return result


def test_the_template_holds_only_the_homes_the_user_may_update(capacity_db, homes):
    sheet = load_workbook(io.BytesIO(template_for(capacity_db, MANAGER)))["Capacities"]
    assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {ALDER, ELM}


def test_an_upload_is_kept_for_the_worker_who_applies_each_home_all_or_nothing(capacity_db, homes, recorded_events):
    content = fill(template_for(capacity_db, MANAGER), {
        (ELM, "Dementia Residential"): {"Occupied": 9}})  # 9 + 0 + 1 > 5: this home is refused
    received = upload(capacity_db, MANAGER, content)
    assert received["status"] == "received"
    assert [m["data"]["upload_id"] for m in recorded_events("capacity.bulk_upload_received")] == [received["id"]]
    with capacity_db.unit_of_work() as uow:
        assert uow.session.scalars(select(CapacityReturn)).all() == []  # nothing yet: the worker does it

    done = work(capacity_db, received["id"])
    assert done["status"] == "processed"
    assert done["results"]["applied"] == [ALDER] and list(done["results"]["refused"]) == [ELM]
    assert done["results"]["names"] == {ALDER: "Alder House", ELM: "Elm Court Residential and Nursing Home"}  # each home by its name
    assert any(e["sheet"] == "Capacities" for e in done["results"]["row_errors"])
    with capacity_db.unit_of_work() as uow:
        saved = uow.session.scalars(select(CapacityReturn)).all()
        assert [(r.location_id, r.source) for r in saved] == [(ALDER, "bulk")]
        assert uow.session.get(BulkUpload, received["id"]).content is None
    processed = recorded_events("capacity.bulk_upload_processed")[-1]["data"]
    assert (processed["applied"], processed["refused"], processed["uploaded_by"]) == (1, 1, MANAGER.user_id)
    assert work(capacity_db, received["id"]) is None  # redelivered: nothing happens twice


def test_without_the_declaration_or_with_a_file_that_is_no_workbook_nothing_is_kept(capacity_db, homes):
    template = template_for(capacity_db, MANAGER)
    with pytest.raises(InvalidInput) as refused:
        upload(capacity_db, MANAGER, template, declaration=False)
    assert "declaration" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        upload(capacity_db, MANAGER, b"Location ID,Occupied\n1-1000000001,3\n", name="update.csv")
    assert "file" in refused.value.fields
    with capacity_db.unit_of_work() as uow:
        assert uow.session.scalars(select(BulkUpload)).all() == []


def test_those_who_may_not_update_homes_cannot_upload(capacity_db, homes):
    with pytest.raises(Forbidden):
        upload(capacity_db, NURSE, template_for(capacity_db, MANAGER))


def test_the_uploaders_rights_are_checked_again_by_the_worker(capacity_db, homes):
    content = fill(template_for(capacity_db, MANAGER), {})
    workbook = load_workbook(io.BytesIO(content))
    workbook["Capacities"]["A2"].value = BIRCH  # another provider's home
    out = io.BytesIO()
    workbook.save(out)
    done = work(capacity_db, upload(capacity_db, MANAGER, out.getvalue())["id"])
    assert BIRCH not in done["results"]["applied"]
    assert any(e["message"].startswith(f"You cannot update location {BIRCH}") for e in done["results"]["row_errors"])


def test_out_of_hours_answers_that_changed_are_sent_to_the_providers_service(capacity_db, homes):
    content = fill(template_for(capacity_db, MANAGER), {})
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["Care Homes"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("Accepts out-of-hours admissions (Y/N)")
    for row in sheet.iter_rows(min_row=2):  # the homes were known to admit out of hours
        row[column].value = "N" if row[0].value == ALDER else "Y"
    out = io.BytesIO()
    workbook.save(out)
    sent = []
    received = upload(capacity_db, MANAGER, out.getvalue())
    with capacity_db.unit_of_work() as uow:
        done = bulk.process_bulk_upload(uow, received["id"],
                                        set_out_of_hours=lambda claims, location, value: sent.append(
                                            (claims["sub"], location, value)))
        uow.commit()
    assert sent == [(MANAGER.user_id, ALDER, False)]
    assert done["results"]["out_of_hours_updated"] == [ALDER]
