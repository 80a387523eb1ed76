"""What the spreadsheet tests share: three locations to build a template
for, and ways to edit a workbook's cells (the template itself is the
`template` fixture of conftest.py)."""
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from capacity.spreadsheet import CAPACITY_HEADERS, CARE_HOME_HEADERS, TemplateLocation

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
