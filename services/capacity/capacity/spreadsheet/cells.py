"""One row of an uploaded sheet and its cells: formulas and error values
found (never evaluated), and each cell read as the value it should hold (a
count of beds, a price, Y or N), with a row error, by column, when it does
not."""
from __future__ import annotations

import math
import re
from decimal import Decimal

from .layout import MAX_COUNT, MAX_WEEKLY_PRICE, MIN_WEEKLY_PRICE, RowError, _looks_like_formula

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
        if math.isnan(value) or math.isinf(value):
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
