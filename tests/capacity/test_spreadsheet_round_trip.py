"""The bulk update spreadsheet read back: an untouched template gives the
current figures, edits come back, and the rules' refusals are reported by row."""
import io

from openpyxl import load_workbook

from capacity.spreadsheet import CAPACITY_HEADERS, CARE_HOME_HEADERS, RowError, read_upload, rule_errors_as_rows

from .spreadsheet_helpers import ACORN, ALL_IDS, BIRCH, _column, _edit, _expected_current, _row, _vacancy


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
