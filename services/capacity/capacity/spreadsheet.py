"""The bulk update spreadsheet: the .xlsx template a provider downloads for the
locations they may update, and the upload read back, safely, into one
capacity return command per location.

Reading an upload never evaluates anything: the file is checked as a zip
first (size, macros, encryption, zip bombs, XML entity tricks), then read with
openpyxl in read-only mode without cached formula values; any formula, or
text that looks like one, is a row error. Each location is all-or-nothing: a
location with any row error is left out of the returns and listed in
`locations_with_errors`, so the caller applies the rest.
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from tracker_common.contracts.capacity import MAX_BEDS
from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, NOT_AVAILABLE_REASONS, SHORT_STAY_SERVICES

TEMPLATE_VERSION = "1"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100      # for members over 1 MB; real sheets compress about 5 to 20 times
MAX_ZIP_MEMBERS = 500
MAX_ROWS = 20_000                # per sheet: 2,000 locations with every vacancy type
MAX_COLUMNS = 40                 # cells further right are never read
MAX_CELLS = 500_000              # cells written in the file, all sheets together
MAX_COUNT = MAX_BEDS                  # as the API (tracker_common.contracts.capacity)
MIN_WEEKLY_PRICE = Decimal("100")     # a price must be above it (capacity.rules)
MAX_WEEKLY_PRICE = Decimal("10000")   # as the API

MARKER = "capacity-tracker-bulk-update"
META_SHEET = "_meta"
INSTRUCTIONS_SHEET = "Instructions"
CAPACITIES_SHEET = "Capacities"
CARE_HOMES_SHEET = "Care Homes"


# -- labels: what people see in the spreadsheet, for the vocabulary keys ------------
def _default_label(key: str) -> str:
    return key.replace("_", " ").capitalize()


VACANCY_TYPE_LABELS: dict[str, str] = {key: key.replace("_", " ").title() for key in LONG_TERM_VACANCY_TYPES}
NOT_AVAILABLE_REASON_LABELS: dict[str, str] = {
    key: {"covid_outbreak": "COVID outbreak", "la_safeguarding": "LA safeguarding"}.get(key, _default_label(key))
    for key in NOT_AVAILABLE_REASONS}
SHORT_STAY_SERVICE_LABELS: dict[str, str] = {key: _default_label(key) for key in SHORT_STAY_SERVICES}


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def _lookup(labels: dict[str, str]) -> dict[str, str]:
    """Label or key, any case and spacing -> key."""
    found = {}
    for key, label in labels.items():
        found[_norm(label)] = key
        found[_norm(key)] = key
    return found


_VACANCY_TYPE_BY_LABEL = _lookup(VACANCY_TYPE_LABELS)
_REASON_BY_LABEL = _lookup(NOT_AVAILABLE_REASON_LABELS)

# -- columns -----------------------------------------------------------------------------
H_LOCATION_ID = "Location ID"
H_NAME = "Location name"
H_POSTCODE = "Postcode"
H_VACANCY_TYPE = "Vacancy type"
H_PRICE = "Weekly price from (£)"
H_MAXIMUM = "Maximum capacity"
H_OCCUPIED = "Occupied"
H_RESERVED = "Vacant reserved"
H_ACCEPTING = "Vacant accepting admissions"
H_NOT_AVAILABLE = "Vacant not available"
H_REASON = "Reason not available"
H_FLEXIBLE = "Flexible (Y/N)"
H_OUT_OF_HOURS = "Accepts out-of-hours admissions (Y/N)"

CAPACITY_HEADERS = (H_LOCATION_ID, H_NAME, H_POSTCODE, H_VACANCY_TYPE, H_PRICE, H_MAXIMUM, H_OCCUPIED, H_RESERVED,
                    H_ACCEPTING, H_NOT_AVAILABLE, H_REASON, H_FLEXIBLE)
_COUNT_FIELDS = ((H_MAXIMUM, "maximum_capacity"), (H_OCCUPIED, "occupied"), (H_RESERVED, "vacant_reserved"),
                 (H_ACCEPTING, "vacant_accepting"), (H_NOT_AVAILABLE, "vacant_not_available"))
_CAPACITY_EDITABLE = (H_PRICE, H_MAXIMUM, H_OCCUPIED, H_RESERVED, H_ACCEPTING, H_NOT_AVAILABLE, H_REASON, H_FLEXIBLE)


def short_stay_header(service: str) -> str:
    return f"Short stay price: {SHORT_STAY_SERVICE_LABELS[service]} (£)"


CARE_HOME_HEADERS = (H_LOCATION_ID, H_NAME, H_OUT_OF_HOURS, *(short_stay_header(s) for s in SHORT_STAY_SERVICES))


@dataclass(frozen=True)
class TemplateLocation:
    location_id: str
    name: str
    postcode: str
    long_term_vacancy_types: tuple[str, ...]
    short_stay_services: tuple[str, ...]
    out_of_hours_admissions: bool | None
    current: dict | None  # the latest return (vacancies, short_stay_prices) or None


@dataclass
class RowError:
    sheet: str
    row: int             # 1-based, as the spreadsheet shows it
    column: str | None   # the column header
    message: str


@dataclass
class ParsedUpload:
    returns: dict[str, dict] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    locations_with_errors: set[str] = field(default_factory=set)
    # where each returned location's figures came from, to report the rules'
    # refusals by row (rule_errors_as_rows): location_id ->
    # {"vacancies": [Capacities row of each vacancy, in order], "care_homes": Care Homes row or None}
    source_rows: dict[str, dict] = field(default_factory=dict)


class UploadRefused(ValueError):
    """The whole file is refused; the message says why, in plain English."""


# =========================================================================================
# Building the template
# =========================================================================================
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
        ("text", "Use this spreadsheet to update costs, capacity, occupancy and vacancies for several locations "
                 "at once."),
        ("heading", "Before you start"),
        ("bullet", "This spreadsheet lists the locations you can update. Figures already filled in are each "
                   "location's latest capacity return when the spreadsheet was created."),
        ("bullet", "Only type in the yellow cells. Grey cells are locked."),
        ("bullet", "Do not change the location IDs, names, postcodes, vacancy types, column headings or sheet "
                   "names, and do not add or remove sheets. If you do, the file will not be accepted."),
        ("heading", "How to update"),
        ("step", "1. Go to the Capacities sheet. There is one row for each long term vacancy type a location "
                 "offers."),
        ("step", "2. On each row, enter the weekly price from, in pounds, and the number of beds:"),
        ("bullet", "maximum capacity: the total number of beds of that type if the home were empty"),
        ("bullet", "occupied: residents, including anyone in hospital whose bed is being held"),
        ("bullet", "vacant reserved: beds held for a new resident who has not arrived yet (not block-booked "
                   "beds)"),
        ("bullet", "vacant accepting admissions: vacancies that could be filled today, including block-booked "
                   "beds"),
        ("bullet", "vacant not available: vacant beds that cannot be filled, with the reason"),
        ("bullet", "flexible: Y if the vacancy can be used for more than one vacancy type, otherwise N"),
        ("step", "3. Go to the Care Homes sheet. Enter Y or N to say whether the location accepts admissions "
                 "out of hours, and an indicative weekly price for each short stay service it offers. Dark grey "
                 "cells are services the location does not offer."),
        ("step", "4. Save the file as an Excel Workbook (.xlsx). Do not save it as a macro-enabled workbook "
                 "(.xlsm) or as a CSV file."),
        ("step", "5. Upload the file. You must tick the declaration to confirm the figures are correct before "
                 "you can upload it."),
        ("heading", "Rules"),
        ("bullet", "The weekly price from must be more than £100."),
        ("bullet", "Occupied, vacant reserved, vacant accepting admissions and vacant not available added "
                   "together must not be more than the maximum capacity."),
        ("bullet", f"If any beds are vacant but not available, choose a reason: {reasons}."),
        ("bullet", "If one vacancy can be used for more than one vacancy type, enter it once only, on one row, "
                   "and enter Y in the Flexible column. Do not count it again on other rows."),
        ("bullet", "Enter whole numbers of beds, 0 or more. Enter 0 rather than leaving a cell blank."),
        ("bullet", "Do not use formulas: type the figures themselves. Cells with formulas are not accepted."),
        ("bullet", "Fill in every row of a location you update. To leave a location unchanged, leave all the "
                   "yellow cells on its rows of the Capacities sheet blank."),
        ("heading", "What happens next"),
        ("bullet", "We process the file in the background and email you the result."),
        ("bullet", "Each location is updated all or nothing. If any row for a location has a mistake, none of "
                   "that location's figures are saved, but the other locations are still updated. The email "
                   "tells you which rows to correct."),
        ("bullet", "Uploading unchanged figures still counts as an update: it confirms they are still true."),
        ("heading", "About this spreadsheet"),
        ("text", f"Template version: {TEMPLATE_VERSION}"),
        ("text", f"Created: {_format_when(generated_at)}"),
    ]


def _looks_like_formula(text: str) -> bool:
    """Text a spreadsheet program (or a CSV export) could take for a formula.

    "=..." and "@..." always; "+..." or "-..." only with a function call, a cell
    reference or an operator in it, so "+44 7700 900123" or "-5" are just
    wrong values, not formulas."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped[0] in "=@":
        return True
    if stripped[0] in "+-":
        return bool(_FORMULA_HINT.search(stripped[1:]))
    return False


_FORMULA_HINT = re.compile(r"[A-Za-z_][\w.]*\s*\(|\$?\b[A-Za-z]{1,3}\$?\d+\b|[!=<>&^*/\"'|;:{}\[\]]")


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


# =========================================================================================
# Reading an upload
# =========================================================================================
_NOT_XLSX = "The selected file must be an Excel spreadsheet (.xlsx)"
_NOT_TEMPLATE = ("The selected file is not the Capacity Tracker bulk update spreadsheet. Download the spreadsheet, "
                 "enter your figures in it and upload it again")
_ENCRYPTED = ("The selected file is password protected, or is an old Excel 97-2003 workbook (.xls). Remove the "
              "password and save it as an Excel Workbook (.xlsx)")
_MACROS = ("The selected file must not contain macros. Save it as an Excel Workbook (.xlsx), not a "
           "macro-enabled workbook (.xlsm)")
_TOO_BIG_INSIDE = ("The selected file is too large once opened. Download the spreadsheet again and enter only "
                   "your figures")
_DAMAGED = "The selected file is damaged and cannot be read. Save it again as an Excel Workbook (.xlsx)"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted OOXML, or a legacy .xls
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_UNSAFE_XML = (b"<!doctype", b"<!entity")


def _check_container(data: bytes) -> None:
    """Everything that can be refused without parsing a workbook."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"The selected file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)}MB")
    if data.startswith(_CFB_MAGIC):
        raise UploadRefused(_ENCRYPTED)
    if not data.startswith(b"PK\x03\x04"):
        raise UploadRefused(_NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(_NOT_XLSX) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise UploadRefused(_NOT_XLSX)
        names = [m.filename for m in members]
        lower = [name.lower() for name in names]
        if len(set(lower)) != len(lower):
            raise UploadRefused(_DAMAGED)
        if any(m.flag_bits & 0x1 for m in members):
            raise UploadRefused(_ENCRYPTED)
        if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" or name.startswith("xl/activex/") for name in lower):
            raise UploadRefused(_MACROS)
        if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
            raise UploadRefused(_TOO_BIG_INSIDE)
        for member in members:
            if member.file_size > 1024 * 1024 and (
                    member.compress_size == 0 or member.file_size / member.compress_size > MAX_COMPRESSION_RATIO):
                raise UploadRefused(_TOO_BIG_INSIDE)
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UploadRefused(_NOT_XLSX)
        if "[content_types].xml" not in lower or "xl/workbook.xml" not in lower:
            raise UploadRefused(_NOT_XLSX)
        content_types = _read_member(archive, names[lower.index("[content_types].xml")]).lower()
        if b"macroenabled" in content_types or b"vbaproject" in content_types:
            raise UploadRefused(_MACROS)
        if b"spreadsheetml.sheet.main+xml" not in content_types and \
                b"spreadsheetml.template.main+xml" not in content_types:
            raise UploadRefused(_NOT_XLSX)
        cells = 0
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels", ".vml")):
                cells += _scan_xml(archive, member)
                if cells > MAX_CELLS:
                    raise UploadRefused(_TOO_BIG_INSIDE)
            else:
                _read_member(archive, member.filename, keep=False)  # checks its CRC


def _read_member(archive: zipfile.ZipFile, name: str, *, keep: bool = True) -> bytes:
    """A member, read through (which checks its CRC against the declared size)."""
    parts = []
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(1 << 16):
                if keep:
                    parts.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(_DAMAGED) from None
    return b"".join(parts)


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """Refuse DTDs and entities (no part of a real workbook has them); count the cells."""
    cells = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1 << 16):
                window = (tail + chunk).lower()
                if any(marker in window for marker in _UNSAFE_XML):
                    raise UploadRefused(_DAMAGED)
                cells += len(_CELL_TAG.findall(chunk))
                tail = chunk[-16:]
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRefused(_DAMAGED) from None
    return cells


def _header_text(value) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _open_workbook(data: bytes):
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_vba=False,
                                 keep_links=False, rich_text=False)
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - anything openpyxl cannot read is refused, not crashed on
        raise UploadRefused(_DAMAGED) from None


def _check_template(workbook) -> None:
    names = workbook.sheetnames
    if META_SHEET not in names:
        raise UploadRefused(_NOT_TEMPLATE)
    meta = {}
    for row in workbook[META_SHEET].iter_rows(min_row=1, max_row=10, max_col=2, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0])] = row[1] if len(row) > 1 else None
    if meta.get("marker") != MARKER:
        raise UploadRefused(_NOT_TEMPLATE)
    if str(meta.get("template_version")) != TEMPLATE_VERSION:
        raise UploadRefused(
            f"The selected file was made from an old version of the spreadsheet (version "
            f"{meta.get('template_version')}). Download the spreadsheet again, enter your figures in it and "
            f"upload it again")
    for required in (INSTRUCTIONS_SHEET, CAPACITIES_SHEET, CARE_HOMES_SHEET):
        if required not in names:
            raise UploadRefused(f"The selected file has no {required} sheet. Do not rename or remove the "
                                f"sheets: download the spreadsheet again and enter your figures in it")


class _Row:
    """One row of a sheet, by header; collects its errors."""

    def __init__(self, sheet: str, number: int, cells, headers: tuple[str, ...]):
        self.sheet, self.number = sheet, number
        self.cells = {header: cells[i] if i < len(cells) else None for i, header in enumerate(headers)}
        self.extra = cells[len(headers):]
        self.errors: list[RowError] = []
        self.skip: set[str] = set()  # cells with a formula or an error value: not read further

    def value(self, header: str):
        cell = self.cells.get(header)
        value = None if cell is None else cell.value
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.sheet, self.number, column, message))

    def all_cells(self):
        from openpyxl.utils import get_column_letter

        for header, cell in self.cells.items():
            yield header, cell
        for offset, cell in enumerate(self.extra, start=len(self.cells) + 1):
            yield f"Column {get_column_letter(offset)}", cell

    def blank(self, headers=None) -> bool:
        cells = self.all_cells() if headers is None else ((h, self.cells.get(h)) for h in headers)
        return all(_is_blank(cell) for _, cell in cells)


def _is_blank(cell) -> bool:
    if cell is None:
        return True
    if getattr(cell, "data_type", None) == "f":
        return False
    value = cell.value
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(workbook, sheet_name: str, expected: tuple[str, ...]):
    sheet = workbook[sheet_name]
    if sheet.max_row is not None and sheet.max_row > MAX_ROWS + 1:
        raise UploadRefused(f"The {sheet_name} sheet has more than {MAX_ROWS:,} rows")
    rows = sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 2, min_col=1, max_col=MAX_COLUMNS)
    header = next(rows, ())
    found = tuple(_header_text(cell.value) for cell in header[:len(expected)])
    if found != tuple(_header_text(h) for h in expected):
        raise UploadRefused(f"The column headings on the {sheet_name} sheet have been changed. Download the "
                            f"spreadsheet again and enter your figures in it")
    for number, cells in enumerate(rows, start=2):
        row = _Row(sheet_name, number, cells, expected)
        if row.blank():
            continue
        if number > MAX_ROWS + 1:
            raise UploadRefused(f"The {sheet_name} sheet has more than {MAX_ROWS:,} rows")
        yield row


def _check_cells(row: _Row) -> set[str]:
    """Formulas and error values anywhere in the row: errors, never evaluated.
    Returns the headers of the cells that must not be read further."""
    bad = set()
    for header, cell in row.all_cells():
        if cell is None:
            continue
        if cell.data_type == "f" or (isinstance(cell.value, str) and _looks_like_formula(cell.value)):
            row.error(header, "Remove the formula and type the value itself: formulas are not allowed")
            bad.add(header)
        elif cell.data_type == "e":
            row.error(header, f"Replace the error value {cell.value} with the figure itself")
            bad.add(header)
    return bad


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def _number(value, *, money: bool = False) -> Decimal | None:
    """A cell's value as a Decimal, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        text = value.strip()
        if money:
            text = text.replace("£", "", 1).strip()
            if _GROUPED_NUMBER.fullmatch(text):
                text = text.replace(",", "")
        if _PLAIN_NUMBER.fullmatch(text):
            return Decimal(text)
    return None


def _count(row: _Row, header: str) -> int | None:
    value = row.value(header)
    label = header[0].upper() + header[1:]
    if value is None:
        row.error(header, f"Enter the number for {header.lower()}, or 0 if there are none")
        return None
    number = _number(value)
    if number is None or number != number.to_integral_value():
        row.error(header, f"{label} must be a whole number, like 12")
        return None
    if number < 0:
        row.error(header, f"{label} must be 0 or more")
        return None
    if number > MAX_COUNT:
        row.error(header, f"{label} must be {MAX_COUNT:,} or fewer")
        return None
    return int(number)


def _price(row: _Row, header: str, what: str, *, required: bool) -> str | None:
    value = row.value(header)
    if value is None:
        if required:
            row.error(header, f"Enter the {what}")
        return None
    number = _number(value, money=True)
    if number is None:
        row.error(header, f"The {what} must be an amount in pounds, like 850.00")
        return None
    if number != number.quantize(Decimal("0.01")):
        row.error(header, f"The {what} must be in pounds and pence, like 850.50")
        return None
    if number <= MIN_WEEKLY_PRICE:
        row.error(header, f"The {what} must be more than £{MIN_WEEKLY_PRICE}")
        return None
    if number > MAX_WEEKLY_PRICE:
        row.error(header, f"The {what} must be £{MAX_WEEKLY_PRICE:,} or less")
        return None
    return str(number.quantize(Decimal("0.01")))


_YES = {"y", "yes"}
_NO = {"n", "no"}


def _yes_no(row: _Row, header: str) -> bool | None:
    value = row.value(header)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    row.error(header, f"{header.replace(' (Y/N)', '')} must be Y or N")
    return None


def _location(row: _Row, allowed: set[str]) -> str | None:
    if H_LOCATION_ID in row.skip:
        return None
    location_id = _text(row.value(H_LOCATION_ID))
    if location_id is None:
        row.error(H_LOCATION_ID, "Enter the location ID")
        return None
    if location_id not in allowed:
        row.error(H_LOCATION_ID, f"You cannot update location {location_id}: it is not one of the locations "
                                 f"you may update")
    return location_id


def _capacity_row(row: _Row, allowed: set[str], seen: dict) -> tuple[str | None, dict | None]:
    row.skip = _check_cells(row)
    location_id = _location(row, allowed)
    if row.blank(_CAPACITY_EDITABLE):
        return location_id, None  # nothing entered: see read_upload

    vacancy_type = None
    if H_VACANCY_TYPE not in row.skip:
        label = _text(row.value(H_VACANCY_TYPE))
        vacancy_type = _VACANCY_TYPE_BY_LABEL.get(_norm(label)) if label else None
        if label is None:
            row.error(H_VACANCY_TYPE, "Enter the vacancy type")
        elif vacancy_type is None:
            row.error(H_VACANCY_TYPE, f"Vacancy type ‘{label}’ is not recognised: use one of "
                                      f"{', '.join(VACANCY_TYPE_LABELS.values())}")
    if location_id is not None and vacancy_type is not None:
        first = seen.setdefault((location_id, vacancy_type), row.number)
        if first != row.number:
            row.error(H_VACANCY_TYPE, f"{VACANCY_TYPE_LABELS[vacancy_type]} is entered more than once for "
                                      f"location {location_id} (first on row {first}): enter each vacancy "
                                      f"type once")

    price = None if H_PRICE in row.skip else _price(row, H_PRICE, "weekly price from", required=True)
    counts = {key: (None if header in row.skip else _count(row, header)) for header, key in _COUNT_FIELDS}

    reason = None
    if H_REASON not in row.skip:
        label = _text(row.value(H_REASON))
        if label is not None:
            reason = _REASON_BY_LABEL.get(_norm(label))
            if reason is None:
                row.error(H_REASON, f"Reason not available ‘{label}’ is not recognised: use one of "
                                    f"{', '.join(NOT_AVAILABLE_REASON_LABELS.values())}")
        elif counts["vacant_not_available"]:
            row.error(H_REASON, "Choose a reason why the vacant beds are not available")
    flexible = None if H_FLEXIBLE in row.skip else _yes_no(row, H_FLEXIBLE)

    if None not in counts.values():
        used = sum(counts[k] for k in ("occupied", "vacant_reserved", "vacant_accepting", "vacant_not_available"))
        if used > counts["maximum_capacity"]:
            row.error(H_MAXIMUM, f"Occupied, vacant reserved, vacant accepting admissions and vacant not "
                                 f"available add up to {used}, which is more than the maximum capacity of "
                                 f"{counts['maximum_capacity']}")
    if row.errors:
        return location_id, None
    return location_id, {"vacancy_type": vacancy_type, "weekly_price_from": price, **counts,
                         "not_available_reason": reason, "flexible": bool(flexible)}


def _care_home_row(row: _Row, allowed: set[str], seen: dict) -> tuple[str | None, dict | None]:
    row.skip = _check_cells(row)
    location_id = _location(row, allowed)
    if location_id is not None:
        first = seen.setdefault(location_id, row.number)
        if first != row.number:
            row.error(H_LOCATION_ID, f"Location {location_id} is entered more than once (first on row {first}): "
                                     f"enter each location once")
    out_of_hours = None if H_OUT_OF_HOURS in row.skip else _yes_no(row, H_OUT_OF_HOURS)
    prices = {}
    for service in SHORT_STAY_SERVICES:
        header = short_stay_header(service)
        if header in row.skip:
            continue
        price = _price(row, header, f"short stay price for {SHORT_STAY_SERVICE_LABELS[service].lower()}",
                       required=False)
        if price is not None:
            prices[service] = price
    if row.errors:
        return location_id, None
    return location_id, {"out_of_hours_admissions": out_of_hours, "short_stay_prices": prices}


def read_upload(data: bytes, *, allowed_location_ids: set[str]) -> ParsedUpload:
    """Read an uploaded bulk update into one capacity return command per
    location, all or nothing per location. Raises UploadRefused when the
    whole file cannot be taken."""
    _check_container(data)
    workbook = _open_workbook(data)
    try:
        _check_template(workbook)
        allowed = set(allowed_location_ids)
        rows: list[tuple[_Row, str | None]] = []
        vacancies: dict[str, list[tuple[int, dict]]] = {}
        filled: set[str] = set()
        unfilled: dict[str, list[_Row]] = {}
        seen: dict = {}
        for row in _read_rows(workbook, CAPACITIES_SHEET, CAPACITY_HEADERS):
            location_id, vacancy = _capacity_row(row, allowed, seen)
            rows.append((row, location_id))
            if location_id is None:
                continue
            if row.blank(_CAPACITY_EDITABLE):
                unfilled.setdefault(location_id, []).append(row)
            else:
                filled.add(location_id)
            if vacancy is not None:
                vacancies.setdefault(location_id, []).append((row.number, vacancy))
        care_homes: dict[str, tuple[int, dict]] = {}
        seen = {}
        for row in _read_rows(workbook, CARE_HOMES_SHEET, CARE_HOME_HEADERS):
            location_id, facts = _care_home_row(row, allowed, seen)
            rows.append((row, location_id))
            if location_id is not None and facts is not None:
                care_homes.setdefault(location_id, (row.number, facts))
    finally:
        workbook.close()

    # A return has the figures of every vacancy type the location offers
    # (capacity.rules): a location partly filled in is an error on its blank
    # rows; one left wholly blank is simply not updated.
    for location_id in filled & set(unfilled):
        for row in unfilled[location_id]:
            label = row.value(H_VACANCY_TYPE)
            row.error(None, f"Enter the figures for {label if isinstance(label, str) else 'this vacancy type'}: "
                            f"every vacancy type of a location you update needs them. To leave location "
                            f"{location_id} unchanged, leave all of its rows blank")

    # A row whose location ID is unreadable still names its location: the
    # error counts against every location with that name, so none of them is
    # half applied.
    ids_by_name: dict[str, set[str]] = {}
    for row, location_id in rows:
        name = row.value(H_NAME)
        if location_id is not None and isinstance(name, str) and H_NAME not in row.skip:
            ids_by_name.setdefault(_norm(name), set()).add(location_id)

    parsed = ParsedUpload()
    for row, location_id in rows:
        if not row.errors:
            continue
        parsed.errors.extend(row.errors)
        if location_id is not None:
            parsed.locations_with_errors.add(location_id)
        else:
            name = row.value(H_NAME)
            if isinstance(name, str) and H_NAME not in row.skip:
                parsed.locations_with_errors |= ids_by_name.get(_norm(name), set())
    sheet_order = {CAPACITIES_SHEET: 0, CARE_HOMES_SHEET: 1}
    parsed.errors.sort(key=lambda error: (sheet_order.get(error.sheet, 2), error.row))  # stable: columns in order

    for location_id, entered in vacancies.items():
        if location_id in parsed.locations_with_errors or location_id not in allowed:
            continue
        care_home_row, extra = care_homes.get(location_id, (None, {}))
        parsed.returns[location_id] = {
            "vacancies": [vacancy for _, vacancy in entered],
            "short_stay_prices": extra.get("short_stay_prices", {}),
            "out_of_hours_admissions": extra.get("out_of_hours_admissions"),
        }
        parsed.source_rows[location_id] = {"vacancies": [number for number, _ in entered],
                                            "care_homes": care_home_row}
    return parsed


_VACANCY_FIELD_HEADERS = {"vacancy_type": H_VACANCY_TYPE, "weekly_price_from": H_PRICE,
                          **{key: header for header, key in _COUNT_FIELDS},
                          "not_available_reason": H_REASON, "flexible": H_FLEXIBLE}


def rule_errors_as_rows(parsed: ParsedUpload, location_id: str, errors: dict) -> list[RowError]:
    """The rules' refusal of one location's return (`ReturnRefused.errors` or
    `InvalidInput.fields`: marshmallow-shaped, vacancies keyed by their index
    in the command) as row errors of the upload, so the uploader is told which
    rows to correct. Messages not about one row go on the location's first row."""
    where = parsed.source_rows.get(location_id) or {"vacancies": [], "care_homes": None}
    vacancy_rows = where["vacancies"]
    first = (CAPACITIES_SHEET, vacancy_rows[0]) if vacancy_rows else (CARE_HOMES_SHEET, where["care_homes"] or 0)
    found: list[RowError] = []

    def messages(value) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [m for item in value for m in messages(item)]
        if isinstance(value, dict):
            return [m for item in value.values() for m in messages(item)]
        return [str(value)]

    for key, value in errors.items():
        if key == "vacancies" and isinstance(value, dict):
            for index, nested in value.items():
                index = int(index) if isinstance(index, str) and index.isdigit() else index  # from JSON
                row = vacancy_rows[index] if isinstance(index, int) and 0 <= index < len(vacancy_rows) else None
                if row is None or not isinstance(nested, dict):
                    found += [RowError(first[0], first[1], None, m) for m in messages(nested)]
                    continue
                for name, text in nested.items():
                    found += [RowError(CAPACITIES_SHEET, row, _VACANCY_FIELD_HEADERS.get(name), m)
                              for m in messages(text)]
        elif key == "short_stay_prices" and isinstance(value, dict) and where["care_homes"]:
            for service, text in value.items():
                column = short_stay_header(service) if service in SHORT_STAY_SERVICE_LABELS else None
                found += [RowError(CARE_HOMES_SHEET, where["care_homes"], column, m) for m in messages(text)]
        else:
            found += [RowError(first[0], first[1], None, m) for m in messages(value)]
    return found
