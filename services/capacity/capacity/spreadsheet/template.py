"""Building the template: the .xlsx a provider downloads, with the current
figures of each location they may update, its instructions, the colours,
data validations and sheet protection that guide typing, and the hidden
marker that recognises an upload as this template."""
from __future__ import annotations

import io
from copy import copy
from datetime import datetime
from decimal import Decimal, InvalidOperation

from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, SHORT_STAY_SERVICES

from .layout import (_COUNT_FIELDS, CAPACITIES_SHEET, CAPACITY_HEADERS, CARE_HOME_HEADERS, CARE_HOMES_SHEET,
                     H_FLEXIBLE, H_OUT_OF_HOURS, H_REASON, INSTRUCTIONS_SHEET, MARKER, MAX_COUNT, META_SHEET,
                     NOT_AVAILABLE_REASON_LABELS, SHORT_STAY_SERVICE_LABELS, TEMPLATE_VERSION, VACANCY_TYPE_LABELS,
                     TemplateLocation, _looks_like_formula)

_EDITABLE_FILL_COLOUR = "FFFFF2CC"   # pale yellow: type here
_LOCKED_FILL_COLOUR = "FFF3F2F1"     # light grey: identifies the row
_UNUSED_FILL_COLOUR = "FFB1B4B6"     # mid grey: not offered
_HEADER_FILL_COLOUR = "FF1D70B8"     # GOV.UK blue


def _format_when(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    time = f"{hour}{'' if moment.minute == 0 else f':{moment.minute:02d}'}{'am' if moment.hour < 12 else 'pm'}"
    zone = f" ({moment.tzname()})" if moment.tzinfo is not None and moment.tzname() else ""
    return f"{moment.day} {moment:%B %Y} at {time}{zone}"


def _instructions(generated_at: datetime) -> list[tuple[str, str]]:
    """(style, text) lines: title, heading, text, step, bullet."""
    reasons = ", ".join(NOT_AVAILABLE_REASON_LABELS.values())
    return [
        ("title", "Update capacity for many locations"),
        ("text", ("Use this spreadsheet to update costs, capacity, occupancy and vacancies for several locations "
                  "at once.")),
        ("heading", "Before you start"),
        ("bullet", ("This spreadsheet lists the locations you can update. Figures already filled in are each "
                    "location's latest capacity return when the spreadsheet was created.")),
        ("bullet", "Only type in the yellow cells. Grey cells are locked."),
        ("bullet", ("Do not change the location IDs, names, postcodes, vacancy types, column headings or sheet "
                    "names, and do not add or remove sheets. If you do, the file will not be accepted.")),
        ("heading", "How to update"),
        ("step", ("1. Go to the Capacities sheet. There is one row for each long term vacancy type a location "
                  "offers.")),
        ("step", "2. On each row, enter the weekly price from, in pounds, and the number of beds:"),
        ("bullet", "maximum capacity: the total number of beds of that type if the home were empty"),
        ("bullet", "occupied: residents, including anyone in hospital whose bed is being held"),
        ("bullet", ("vacant reserved: beds held for a new resident who has not arrived yet (not block-booked "
                    "beds)")),
        ("bullet", ("vacant accepting admissions: vacancies that could be filled today, including block-booked "
                    "beds")),
        ("bullet", "vacant not available: vacant beds that cannot be filled, with the reason"),
        ("bullet", "flexible: Y if the vacancy can be used for more than one vacancy type, otherwise N"),
        ("step", ("3. Go to the Care Homes sheet. Enter Y or N to say whether the location accepts admissions "
                  "out of hours, and an indicative weekly price for each short stay service it offers. Dark grey "
                  "cells are services the location does not offer.")),
        ("step", ("4. Save the file as an Excel Workbook (.xlsx). Do not save it as a macro-enabled workbook "
                  "(.xlsm) or as a CSV file.")),
        ("step", ("5. Upload the file. You must tick the declaration to confirm the figures are correct before "
                  "you can upload it.")),
        ("heading", "Rules"),
        ("bullet", "The weekly price from must be more than £100."),
        ("bullet", ("Occupied, vacant reserved, vacant accepting admissions and vacant not available added "
                    "together must not be more than the maximum capacity.")),
        ("bullet", f"If any beds are vacant but not available, choose a reason: {reasons}."),
        ("bullet", ("If one vacancy can be used for more than one vacancy type, enter it once only, on one row, "
                    "and enter Y in the Flexible column. Do not count it again on other rows.")),
        ("bullet", "Enter whole numbers of beds, 0 or more. Enter 0 rather than leaving a cell blank."),
        ("bullet", "Do not use formulas: type the figures themselves. Cells with formulas are not accepted."),
        ("bullet", ("Fill in every row of a location you update. To leave a location unchanged, leave all the "
                    "yellow cells on its rows of the Capacities sheet blank.")),
        ("heading", "What happens next"),
        ("bullet", "We process the file in the background and email you the result."),
        ("bullet", ("Each location is updated all or nothing. If any row for a location has a mistake, none of "
                    "that location's figures are saved, but the other locations are still updated. The email "
                    "tells you which rows to correct.")),
        ("bullet", "Uploading unchanged figures still counts as an update: it confirms they are still true."),
        ("heading", "About this spreadsheet"),
        ("text", f"Template version: {TEMPLATE_VERSION}"),
        ("text", f"Created: {_format_when(generated_at)}"),
    ]


def _safe_text(value) -> str:
    """Text written to the template: never a formula, whatever a name holds."""
    text = "" if value is None else str(value)
    return f"'{text}" if _looks_like_formula(text) else text


def _price_value(text) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def build_template(locations: list[TemplateLocation], *, generated_at: datetime) -> bytes:
    """The bulk update template for these locations, as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import MultiCellRange
    from openpyxl.worksheet.datavalidation import DataValidation

    editable_fill = PatternFill("solid", fgColor=_EDITABLE_FILL_COLOUR)
    locked_fill = PatternFill("solid", fgColor=_LOCKED_FILL_COLOUR)
    unused_fill = PatternFill("solid", fgColor=_UNUSED_FILL_COLOUR)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL_COLOUR)
    unlocked = Protection(locked=False)

    for location in locations:
        unknown = [t for t in location.long_term_vacancy_types if t not in VACANCY_TYPE_LABELS]
        unknown += [s for s in location.short_stay_services if s not in SHORT_STAY_SERVICE_LABELS]
        if unknown:
            raise ValueError(f"Location {location.location_id} has unknown vacancy types or services: {unknown}")

    workbook = Workbook()
    workbook.properties.title = "Capacity Tracker bulk update"
    workbook.properties.creator = "Capacity Tracker"

    # -- Instructions ------------------------------------------------------------------
    sheet = workbook.active
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 110
    fonts = {"title": Font(bold=True, size=18), "heading": Font(bold=True, size=14)}
    for row, (style, text) in enumerate(_instructions(generated_at), start=1):
        cell = sheet.cell(row=row, column=1, value=("•  " + text) if style == "bullet" else text)
        cell.font = fonts.get(style, Font(size=11))
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=2 if style == "bullet" else 0)
    _protect(sheet)

    def headers(sheet, titles):
        for column, title in enumerate(titles, start=1):
            cell = sheet.cell(row=1, column=column, value=title)
            cell.font = Font(bold=True, color="FFFFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[1].height = 45
        sheet.freeze_panes = "A2"

    styles: dict[tuple, object] = {}

    def style(cell, fill, protection=None, number_format=None):
        """Styles set once, then copied: setting them cell by cell is slow."""
        key = (fill.fgColor.rgb, protection is not None, number_format)
        if key in styles:
            cell._style = copy(styles[key])
            return
        cell.fill = fill
        if protection is not None:
            cell.protection = protection
        if number_format:
            cell.number_format = number_format
        styles[key] = copy(cell._style)

    def locked(cell, value):
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula
        style(cell, locked_fill)

    def editable(cell, value, number_format=None):
        cell.value = value
        style(cell, editable_fill, unlocked, number_format)

    # -- Capacities --------------------------------------------------------------------
    sheet = workbook.create_sheet(CAPACITIES_SHEET)
    headers(sheet, CAPACITY_HEADERS)
    row = 1
    for location in locations:
        current = {v.get("vacancy_type"): v for v in ((location.current or {}).get("vacancies") or [])}
        offered = [t for t in LONG_TERM_VACANCY_TYPES if t in location.long_term_vacancy_types]
        for vacancy_type in offered:
            row += 1
            now = current.get(vacancy_type) or {}
            locked(sheet.cell(row=row, column=1), _safe_text(location.location_id))
            locked(sheet.cell(row=row, column=2), _safe_text(location.name))
            locked(sheet.cell(row=row, column=3), _safe_text(location.postcode))
            locked(sheet.cell(row=row, column=4), VACANCY_TYPE_LABELS[vacancy_type])
            editable(sheet.cell(row=row, column=5), _price_value(now.get("weekly_price_from")), "£#,##0.00")
            for column, (_, key) in enumerate(_COUNT_FIELDS, start=6):
                value = now.get(key)
                editable(sheet.cell(row=row, column=column), value if isinstance(value, int) else None, "0")
            reason = now.get("not_available_reason")
            editable(sheet.cell(row=row, column=11), NOT_AVAILABLE_REASON_LABELS.get(reason) if reason else None)
            flexible = now.get("flexible")
            editable(sheet.cell(row=row, column=12), None if flexible is None else ("Y" if flexible else "N"))
    capacity_rows = row
    if capacity_rows > 1:
        last = capacity_rows
        validations = [
            (_count_validation(DataValidation), f"F2:J{last}"),
            (_price_validation(DataValidation), f"E2:E{last}"),
            (_list_validation(DataValidation, list(NOT_AVAILABLE_REASON_LABELS.values()), H_REASON), f"K2:K{last}"),
            (_list_validation(DataValidation, ["Y", "N"], H_FLEXIBLE), f"L2:L{last}"),
        ]
        for validation, cells in validations:
            validation.add(cells)
            sheet.add_data_validation(validation)
    _widths(sheet, CAPACITY_HEADERS, get_column_letter)
    _protect(sheet)

    # -- Care Homes --------------------------------------------------------------------
    sheet = workbook.create_sheet(CARE_HOMES_SHEET)
    headers(sheet, CARE_HOME_HEADERS)
    offered: dict[int, list[int]] = {}  # column -> rows where the service is offered
    for row, location in enumerate(locations, start=2):
        prices = (location.current or {}).get("short_stay_prices") or {}
        locked(sheet.cell(row=row, column=1), _safe_text(location.location_id))
        locked(sheet.cell(row=row, column=2), _safe_text(location.name))
        out_of_hours = location.out_of_hours_admissions
        editable(sheet.cell(row=row, column=3), None if out_of_hours is None else ("Y" if out_of_hours else "N"))
        for column, service in enumerate(SHORT_STAY_SERVICES, start=4):
            cell = sheet.cell(row=row, column=column)
            if service in location.short_stay_services:
                editable(cell, _price_value(prices.get(service)), "£#,##0.00")
                offered.setdefault(column, []).append(row)
            else:
                style(cell, unused_fill)
    if locations:
        yes_no = _list_validation(DataValidation, ["Y", "N"], H_OUT_OF_HOURS)
        yes_no.add(f"C2:C{len(locations) + 1}")
        sheet.add_data_validation(yes_no)
    if offered:
        price_validation = _price_validation(DataValidation)
        price_validation.sqref = MultiCellRange(" ".join(
            _ranges(get_column_letter(column), rows) for column, rows in sorted(offered.items())))
        sheet.add_data_validation(price_validation)
    _widths(sheet, CARE_HOME_HEADERS, get_column_letter)
    _protect(sheet)

    # -- the marker that recognises an upload as this template ---------------------------
    sheet = workbook.create_sheet(META_SHEET)
    for row, (key, value) in enumerate((("marker", MARKER), ("template_version", TEMPLATE_VERSION),
                                        ("generated_at", generated_at.isoformat())), start=1):
        sheet.cell(row=row, column=1, value=key)
        sheet.cell(row=row, column=2, value=value).data_type = "s"
    sheet.sheet_state = "veryHidden"
    _protect(sheet)

    workbook.active = 0
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _ranges(letter: str, rows: list[int]) -> str:
    """Sorted rows of one column as ranges: "D2:D5 D9"."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return " ".join(f"{letter}{a}" if a == b else f"{letter}{a}:{letter}{b}" for a, b in runs)


def _protect(sheet) -> None:
    """Protection without a password: guidance against changing the locked
    cells, not security. Columns and rows may still be resized."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _count_validation(DataValidation):
    return DataValidation(type="whole", operator="between", formula1="0", formula2=str(MAX_COUNT),
                          allow_blank=True, showErrorMessage=True, errorTitle="Whole number needed",
                          error=f"Enter a whole number of beds, from 0 to {MAX_COUNT:,}",
                          showInputMessage=True, promptTitle="Beds", prompt="A whole number, 0 or more")


def _price_validation(DataValidation):
    return DataValidation(type="decimal", operator="greaterThan", formula1="100", allow_blank=True,
                          showErrorMessage=True, errorTitle="Price more than £100 needed",
                          error="Enter a weekly price in pounds, more than £100, like 850.00",
                          showInputMessage=True, promptTitle="Weekly price", prompt="In pounds, more than £100")


def _list_validation(DataValidation, choices: list[str], title: str):
    return DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle=title[:32],
                          error="Choose one of: " + ", ".join(choices))


def _widths(sheet, titles, get_column_letter) -> None:
    for column, title in enumerate(titles, start=1):
        longest = max((len(str(c.value)) for c in sheet[get_column_letter(column)][1:] if c.value is not None),
                      default=0)
        sheet.column_dimensions[get_column_letter(column)].width = max(12, min(40, max(longest + 2,
                                                                                        len(title) // 2 + 4)))


