"""The bulk update template built for a provider's locations: its sheets,
headers, marker, locked and highlighted cells, validations."""
import io

import pytest
from openpyxl import load_workbook

from capacity.spreadsheet import (CAPACITY_HEADERS, TEMPLATE_VERSION, ParsedUpload, TemplateLocation,
                                  build_template, read_upload)

from .spreadsheet_helpers import GENERATED_AT, _row


# -- the template itself ------------------------------------------------------------------
def test_the_template_has_its_sheets_headers_and_marker(template):
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.sheetnames == ["Instructions", "Capacities", "Care Homes", "_meta"]
    assert workbook["_meta"].sheet_state == "veryHidden"
    assert workbook["_meta"]["B1"].value == "capacity-tracker-bulk-update"
    assert workbook["_meta"]["B2"].value == TEMPLATE_VERSION
    assert [c.value for c in workbook["Capacities"][1]] == list(CAPACITY_HEADERS)
    assert [c.value for c in workbook["Care Homes"][1]] == [
        "Location ID", "Location name", "Accepts out-of-hours admissions (Y/N)",
        "Short stay price: Discharge to assess (£)", "Short stay price: Intermediate care (£)",
        "Short stay price: Reablement support (£)", "Short stay price: Rehabilitation (£)",
        "Short stay price: Respite care (£)"]
    capacities = workbook["Capacities"]
    assert [[c.value for c in row] for row in capacities.iter_rows(min_row=2, max_col=4)] == [
        ["1-100", "Acorn House", "S70 1AA", "Dementia Nursing"],
        ["1-100", "Acorn House", "S70 1AA", "General Residential"],
        ["1-200", "Birch Lodge", "B1 1AA", "Mental Health Residential"],
        ["1-300", "Cedar Court", "M11 1AE", "General Nursing"],
        ["1-300", "Cedar Court", "M11 1AE", "Young Physically Disabled"]]
    assert [c.value for c in capacities[2]][4:] == [950, 20, 15, 1, 2, 2, "COVID outbreak", "N"]
    assert [c.value for c in capacities[5]][4:] == [None] * 8


def test_the_instructions_explain_the_rules_version_and_time(template):
    text = "\n".join(str(c.value) for c in load_workbook(io.BytesIO(template))["Instructions"]["A"] if c.value)
    for expected in ("more than £100", "must not be more than the maximum capacity", "choose a reason",
                     "enter it once only", "all or nothing", "tick the declaration", "Template version: 1",
                     "Created: 5 June 2024 at 9:30am (UTC)", "COVID outbreak, LA safeguarding"):
        assert expected in text


def test_identifying_cells_are_locked_and_editable_cells_unlocked_and_highlighted(template):
    workbook = load_workbook(io.BytesIO(template))
    for name in ("Instructions", "Capacities", "Care Homes"):
        assert workbook[name].protection.sheet is True
        assert workbook[name].protection.password is None
    capacities = workbook["Capacities"]
    assert capacities.freeze_panes == "A2"
    for row in capacities.iter_rows(min_row=1, max_row=capacities.max_row):
        for cell in row[:4]:
            assert cell.protection.locked is True
    for row in capacities.iter_rows(min_row=2, max_row=capacities.max_row):
        for cell in row[4:12]:
            assert cell.protection.locked is False
            assert cell.fill.fgColor.rgb == "FFFFF2CC"
    for cell in capacities[1]:
        assert cell.protection.locked is True
    care_homes = workbook["Care Homes"]
    assert care_homes.freeze_panes == "A2"
    birch = care_homes[_row(care_homes, "1-200")]
    assert birch[2].protection.locked is False  # out of hours
    assert all(cell.protection.locked is True and cell.fill.fgColor.rgb == "FFB1B4B6" for cell in birch[3:])
    acorn = care_homes[_row(care_homes, "1-100")]
    respite, discharge = acorn[7], acorn[3]
    assert respite.protection.locked is False and respite.value == 700
    assert discharge.protection.locked is False and discharge.value == 1250.75
    assert acorn[4].protection.locked is True  # intermediate care: not offered
    for letter in "ABDEIK":
        assert capacities.column_dimensions[letter].width >= 12


def test_the_template_validates_entries(template):
    workbook = load_workbook(io.BytesIO(template))
    capacities = {str(v.sqref): v for v in workbook["Capacities"].data_validations.dataValidation}
    counts = capacities["F2:J6"]
    assert (counts.type, counts.operator, counts.formula1, counts.formula2) == ("whole", "between", "0", "2000")
    price = capacities["E2:E6"]
    assert (price.type, price.operator, price.formula1) == ("decimal", "greaterThan", "100")
    reason = capacities["K2:K6"]
    assert reason.type == "list"
    assert reason.formula1 == '"COVID outbreak,LA safeguarding,Management decision,Other health outbreak,Refurbishment"'
    flexible = capacities["L2:L6"]
    assert (flexible.type, flexible.formula1) == ("list", '"Y,N"')
    assert all(v.showErrorMessage for v in capacities.values())

    care_homes = workbook["Care Homes"].data_validations.dataValidation
    by_type = {v.type: v for v in care_homes}
    assert str(by_type["list"].sqref) == "C2:C4" and by_type["list"].formula1 == '"Y,N"'
    assert (by_type["decimal"].operator, by_type["decimal"].formula1) == ("greaterThan", "100")
    assert set(str(by_type["decimal"].sqref).split()) == {"D2", "H2", "F4"}  # only services offered


def test_a_template_for_no_locations_still_reads_back():
    data = build_template([], generated_at=GENERATED_AT)
    assert read_upload(data, allowed_location_ids=set()) == ParsedUpload(returns={}, errors=[],
                                                                        locations_with_errors=set())


def test_unknown_vocabulary_cannot_go_into_a_template():
    odd = TemplateLocation(location_id="1-1", name="X", postcode="S70 1AA", long_term_vacancy_types=("castle",),
                           short_stay_services=(), out_of_hours_admissions=None, current=None)
    with pytest.raises(ValueError):
        build_template([odd], generated_at=GENERATED_AT)
