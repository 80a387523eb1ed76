"""The bulk update's worker checks and writes every location of a file
together: what people see of it is what they saw when each location was
checked and recorded on its own, in its own savepoint (the reference
below, the worker as it was), for a file that mixes good rows, rule breaks,
rows with errors, duplicated locations and rows, a home left blank and a
home the uploader may not update."""
from __future__ import annotations

import base64
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from capacity.handlers import bulk, returns
from capacity.models import Base, CapacityReturn, LatestReturn
from capacity.spreadsheet import read_upload, rule_errors_as_rows, short_stay_header
from tracker_common.contracts.capacity import CapacityReturnRequest
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.schemas import load
from tracker_common.testing import truncate_all

GROUP = "1-100000001"
MANAGER = Principal("u-1", GROUP, frozenset({Role.CARE_HOME_USER}))
SENT_BEFORE, OVER_BEDS, NO_RESPITE_PRICE, UNPROVIDED_PRICE = "1-1000000001", "1-1000000002", "1-1000000003", \
    "1-1000000004"
TWICE_A_TYPE, TWICE_A_HOME, LEFT_BLANK, NOW_NO_NIGHTS = "1-1000000005", "1-1000000006", "1-1000000007", \
    "1-1000000008"
NOT_THEIRS = "1-1000000009"
RESPITE, D2A = short_stay_header("respite_care"), short_stay_header("discharge_to_assess")
LINE = {"Weekly price from (£)": 845.5, "Maximum capacity": 12, "Occupied": 9, "Vacant reserved": 1,
        "Vacant accepting admissions": 1, "Vacant not available": 1,
        "Reason not available": "Refurbishment", "Flexible (Y/N)": "N"}


def know_the_homes(known_location):
    for location_id in (SENT_BEFORE, NO_RESPITE_PRICE, UNPROVIDED_PRICE, TWICE_A_TYPE, TWICE_A_HOME, LEFT_BLANK,
                        NOW_NO_NIGHTS):
        known_location(location_id, name=f"The Long Name Residential and Nursing Home {location_id[-1]}")
    known_location(OVER_BEDS, registered_beds=10, name="Elm Court")
    known_location(NOT_THEIRS, provider="1-100000002", name="Another Group's Home")


def filled(db) -> bytes:
    with db.unit_of_work() as uow:
        template = base64.b64decode(bulk.bulk_template(uow, MANAGER, {})["content"])
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["Capacities"]
    headers = [c.value for c in sheet[1]]
    duplicate = None
    for row in sheet.iter_rows(min_row=2):
        location_id = row[0].value
        if location_id == LEFT_BLANK:
            continue
        line = dict(LINE, **({"Maximum capacity": 30} if location_id == OVER_BEDS else {}))
        for cell, header in zip(row, headers):
            if header in line:
                cell.value = line[header]
        if location_id == TWICE_A_TYPE:
            duplicate = [c.value for c in row]
    sheet.append(duplicate)
    sheet.append([NOT_THEIRS, "Another Group's Home", "S70 1AA", *duplicate[3:]])
    homes = workbook["Care Homes"]
    headers = [c.value for c in homes[1]]
    for row in homes.iter_rows(min_row=2):
        values = {RESPITE: None if row[0].value in (NO_RESPITE_PRICE, LEFT_BLANK) else 950,
                  D2A: 1200 if row[0].value == UNPROVIDED_PRICE else None}
        if row[0].value == NOW_NO_NIGHTS:
            values["Accepts out-of-hours admissions (Y/N)"] = "N"
        for cell, header in zip(row, headers):
            if header in values:
                cell.value = values[header]
        if row[0].value == TWICE_A_HOME:
            homes.append([c.value for c in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def reference_worker(uow, upload_id: str, sent: list) -> dict:
    """The worker as it was: each location checked, numbered and recorded
    with the ORM, in its own savepoint, its request loaded by the schema."""
    upload = bulk.repository.bulk_upload(uow.session, upload_id, lock=True)
    actor = Principal.from_claims(upload.claims)
    allowed = {f.location_id: f for f in bulk.editable_locations(uow, actor)}
    parsed = read_upload(upload.content, allowed_location_ids=set(allowed))
    applied, refused = [], {}
    row_errors = [bulk._row_error(e) for e in parsed.errors]
    for location_id in sorted(parsed.locations_with_errors):
        refused[location_id] = ["Some of its rows have errors (listed with the errors in the spreadsheet); "
                                "nothing was changed for it."]
    profile_changes = []
    for location_id in sorted(parsed.returns):
        figures = {k: v for k, v in parsed.returns[location_id].items() if k != "out_of_hours_admissions"}
        out_of_hours = parsed.returns[location_id].get("out_of_hours_admissions")
        figures["confirm_over_registered_capacity"] = True
        try:
            with uow.session.begin_nested():
                returns.record_capacity_return(uow, actor, allowed[location_id],
                                               load(CapacityReturnRequest(), figures), source="bulk")
            applied.append(location_id)
            if out_of_hours is not None and out_of_hours != allowed[location_id].out_of_hours_admissions:
                profile_changes.append((location_id, out_of_hours))
        except InvalidInput as error:
            errors = [bulk._row_error(e) for e in rule_errors_as_rows(parsed, location_id, error.fields)]
            refused[location_id] = [e["message"] for e in errors]
            row_errors += errors
    profile = bulk._change_profiles(lambda claims, location, value: sent.append((location, value)),
                                    upload.claims, profile_changes)
    names = {location_id: allowed[location_id].name for location_id in [*applied, *refused] if location_id in allowed}
    return bulk._finish(uow, upload, "processed", {
        "applied": applied, "refused": refused, "row_errors": row_errors[:500], "row_error_count": len(row_errors),
        "names": names, **profile})


def run(db, known_location, recorded_events, worker) -> dict:
    """A fresh database, the homes, one earlier return, then the upload through `worker`."""
    truncate_all(db.engine, Base.metadata)
    know_the_homes(known_location)
    earlier = load(CapacityReturnRequest(), {
        "vacancies": [{"vacancy_type": t, "weekly_price_from": "845.50", "maximum_capacity": 12, "occupied": 9,
                       "vacant_reserved": 1, "vacant_accepting": 1, "vacant_not_available": 1,
                       "not_available_reason": "refurbishment"}
                      for t in ("dementia_residential", "general_residential")],
        "short_stay_prices": {"respite_care": "950"}})
    with db.unit_of_work() as uow:
        returns.submit_capacity_return(uow, MANAGER, SENT_BEFORE, earlier)
        uow.commit()
    content = filled(db)
    with db.unit_of_work() as uow:
        upload_id = bulk.receive_bulk_upload(uow, MANAGER, {"file_name": "morning.xlsx", "declaration": True,
                                                            "content": base64.b64encode(content).decode()})["id"]
        uow.commit()
    sent = []
    with db.unit_of_work() as uow:
        if worker == "reference":
            done = reference_worker(uow, upload_id, sent)
        else:
            done = bulk.process_bulk_upload(uow, upload_id, set_out_of_hours=lambda claims, location, value:
                                            sent.append((location, value)))
        uow.commit()
    with db.unit_of_work() as uow:
        kept = [{c: getattr(r, c) for c in ("location_id", "sequence", "submitted_at", "submitted_by", "source",
                                            "still_true", "figures")}
                for r in uow.session.scalars(select(CapacityReturn).order_by(CapacityReturn.location_id,
                                                                             CapacityReturn.sequence))]
        ids = {r.id: (r.location_id, r.sequence) for r in uow.session.scalars(select(CapacityReturn))}
        latest = sorted((r.location_id, r.sequence, ids[r.return_id])
                        for r in uow.session.scalars(select(LatestReturn)))
    events = []
    for message in recorded_events():
        data = dict(message["data"])
        if "return_id" in data:
            data["return_id"] = ids[data["return_id"]]  # the same return, whatever its random id
        data.pop("upload_id", None)
        events.append((message["type"], message["actor"], message["occurred_at"], data))
    return {"results": done["results"], "status": done["status"], "returns": kept, "latest": latest,
            "events": events, "profile_changes": sent}


@pytest.fixture
def reference_and_now(capacity_db, known_location, recorded_events):
    return (run(capacity_db, known_location, recorded_events, "reference"),
            run(capacity_db, known_location, recorded_events, "set-based"))


def test_every_home_has_the_outcome_it_had_when_each_was_recorded_on_its_own(reference_and_now):
    before, now = reference_and_now
    assert now == before
    results = now["results"]
    assert results["applied"] == [SENT_BEFORE, OVER_BEDS, NOW_NO_NIGHTS]
    assert list(results["refused"]) == [TWICE_A_TYPE, TWICE_A_HOME, NOT_THEIRS, NO_RESPITE_PRICE, UNPROVIDED_PRICE]
    assert results["refused"][NO_RESPITE_PRICE] == [
        "Give the indicative weekly price of respite care: every short stay service provided needs one."]
    assert results["refused"][UNPROVIDED_PRICE][0].startswith("This location does not provide discharge to assess")
    assert {e["sheet"] for e in results["row_errors"]} == {"Capacities", "Care Homes"}
    assert any(e["message"].startswith(f"You cannot update location {NOT_THEIRS}") for e in results["row_errors"])
    assert LEFT_BLANK not in results["applied"] and LEFT_BLANK not in results["refused"]
    assert now["profile_changes"] == [(NOW_NO_NIGHTS, False)] and results["out_of_hours_updated"] == [NOW_NO_NIGHTS]


def test_the_returns_are_numbered_flagged_and_announced_as_before(reference_and_now):
    before, now = reference_and_now
    assert now["returns"] == before["returns"] and now["latest"] == before["latest"]
    by_location = {(r["location_id"], r["sequence"]): r for r in now["returns"]}
    again = by_location[(SENT_BEFORE, 2)]
    assert again["still_true"] and again["source"] == "bulk"  # the same figures as the form sent before
    assert again["figures"]["vacancies"][0]["weekly_price_from"] == "845.50"  # kept as a decimal string
    assert by_location[(OVER_BEDS, 1)]["figures"]["over_registered_capacity"] is True
    assert now["events"] == before["events"]
    assert [(kind, data.get("location_id")) for kind, _, _, data in now["events"]][1:] == [
        ("capacity.bulk_upload_received", None), ("capacity.return_submitted", SENT_BEFORE),
        ("capacity.return_submitted", OVER_BEDS), ("capacity.return_submitted", NOW_NO_NIGHTS),
        ("capacity.bulk_upload_processed", None)]
