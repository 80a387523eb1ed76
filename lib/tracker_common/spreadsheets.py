"""Tables written as CSV and Excel files that people open safely: what
every export shares.

Text a spreadsheet could take for a formula (=, +, -, @, tab, carriage
return first) gets a leading single quote, so opening an export never runs
anything; characters Excel refuses are dropped; CSV is UTF-8 with a byte
order mark (without it Excel reads "Café" as "CafÃ©"), CRLF line ends and
RFC 4180 quoting (the csv module's defaults)."""
from __future__ import annotations

import csv
import io

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)


def safe(value: Cell) -> Cell:
    """Text that a spreadsheet could run as a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_text(value: Cell) -> Cell:
    """openpyxl refuses control characters (a pasted vertical tab in a note): drop them."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def fit_columns(sheet, rows: list[list[Cell]], minimum: int = 10, maximum: int = 50) -> None:
    """Widths from the longest text in each column (first lines only), within reason."""
    for index, column in enumerate(zip(*rows), start=1):
        longest = max(len(str(value).split("\n")[0]) if value is not None else 0 for value in column)
        sheet.column_dimensions[get_column_letter(index)].width = max(minimum, min(maximum, longest + 2))


def csv_bytes(headers: list[str], rows: list[list[Cell]]) -> bytes:
    """A header row and the rows, made safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([safe(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def table_sheet(sheet, headers: list[str], rows: list[list[Cell]]) -> None:
    """Fill `sheet` with a bold, frozen header row and an autofilter (to sort
    and filter at once), the rows made safe, numbers kept numbers."""
    rows = [[safe(cell_text(value)) for value in row] for row in rows]
    for row in (headers, *rows):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    fit_columns(sheet, [headers, *rows])
