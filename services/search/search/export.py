"""A vacancy search exported to CSV and to Excel, for a discharge nurse to keep, share,
sort and filter away from the screen.

Both formats are built from one list of columns (COLUMNS), so a CSV and a workbook of
the same search hold the same cells: vocabulary codes as words (LABELS), times in UTC.
Names and notes come from providers: text a spreadsheet could take for a formula
(=, +, -, @, tab, carriage return first) gets a leading single quote, so opening an
export never runs anything."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracker_common.spreadsheets import Cell, cell_text, fit_columns, safe

Result = dict[str, Any]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Only the codes that title-casing gets wrong; label() title-cases the rest.
LABELS: dict[str, str] = {
    "sub_icb": "Sub-ICB", "local_authority": "Local Authority", "la_safeguarding": "LA Safeguarding",
    "personal_health_budget": "Personal Health Budget (PHB)", "discharge_to_assess": "Discharge to Assess",
    "covid_outbreak": "COVID Outbreak", "accepting": "Accepting admissions",
    "not_accepting": "Not accepting admissions", "7_days": "Last 7 days", "24_hours": "Last 24 hours",
}

# The search query's keys as the Search sheet shows them, in the form's order.
CRITERIA_LABELS: dict[str, str] = {
    "postcode": "Postcode", "radius_miles": "Radius (miles)", "la_code": "Local Authority",
    "sub_icb_code": "Sub-ICB", "stay": "Stay", "vacancy_types": "Vacancy types",
    "accepting_today": "Accepting admissions today", "regulated_activities": "CQC regulated activities",
    "specialisms": "CQC specialisms", "service_types": "CQC service types",
    "contract_las": "Contract with Local Authorities", "contract_sub_icbs": "Contract with Sub-ICBs",
    "ratings": "CQC ratings", "brand": "Brand or provider", "max_weekly_price": "Maximum weekly price",
    "languages": "Languages", "notes_contain": "Notes contain", "funding_sources": "Funding sources",
    "updated_within": "Updated within", "out_of_hours_admissions": "Out-of-hours admissions", "sort": "Sorted by",
}
CODED_CRITERIA = {"stay", "vacancy_types", "funding_sources", "updated_within", "sort"}
PAGING = {"page", "per_page", "format"}  # an export is the whole search: paging would only mislead


def label(code: str | None) -> str:
    """The words for a vocabulary code: LABELS, else "dementia_nursing" -> "Dementia Nursing"."""
    if not code:
        return ""
    return LABELS.get(code) or code.replace("_", " ").title()


def _labels(codes: Iterable[str] | None) -> str:
    return ", ".join(label(code) for code in codes or ())


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _money(amount: str | None) -> str:
    """A price as people write it ("1100.00" -> "£1,100.00"); amounts travel as strings, never rounded."""
    if amount in (None, ""):
        return ""
    try:
        return f"£{Decimal(str(amount)):,.2f}"
    except InvalidOperation:
        return str(amount)


def _utc_text(moment: datetime | str | None) -> str:
    """A time as people read it, in UTC ("2026-11-23T08:15:00+00:00" -> "23 Nov 2026 08:15"); naive is UTC.
    Month names are spelt here rather than by strftime, which follows the machine's locale."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}"


def _address(result: Result) -> str:
    address = result.get("address") or {}
    parts = (address.get(key) for key in ("street_address", "address_line_2", "city", "county"))
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _vacancies(result: Result) -> str:
    """Each type's count accepting and price: "Dementia Residential: 2 (flexible), £850.00 a week; ..."."""
    texts = []
    for vacancy in result.get("vacancies") or ():
        text = label(vacancy.get("vacancy_type"))
        if vacancy.get("vacant_accepting") is not None:
            text += f": {vacancy['vacant_accepting']}"
        if vacancy.get("flexible"):
            text += " (flexible)"
        price = _money(vacancy.get("weekly_price_from"))
        texts.append(f"{text}, {price} a week" if price else text)
    return "; ".join(texts)


def _short_stay_prices(result: Result) -> str:
    prices = result.get("short_stay_prices") or {}
    return "; ".join(f"{label(service)} {_money(price)} a week" if price else label(service)
                     for service, price in prices.items())


def _rooms(result: Result) -> str:
    """One cell that reads as a sentence: "En-suite; equipment: Hoist; accessibility: Lift"."""
    rooms = result.get("rooms") or {}
    parts = []
    if rooms.get("en_suite") is not None:
        parts.append("En-suite" if rooms["en_suite"] else "Not en-suite")
    for key in ("equipment", "accessibility"):
        if rooms.get(key):
            parts.append(f"{key}: {_labels(rooms[key])}")
    return "; ".join(parts)


def _contracts(result: Result) -> str:
    return "; ".join(f"{label(contract.get('commissioner_kind'))} {contract.get('commissioner_code') or ''}".strip()
                     for contract in result.get("approved_contracts") or ())


def _part(result: Result, group: str, key: str) -> Any:
    return (result.get(group) or {}).get(key)


def _texts(items: Iterable[str] | None) -> str:
    return "; ".join(items or ())  # free text from CQC may hold commas ("Treatment of disease, disorder or injury")


COLUMNS: tuple[tuple[str, Callable[[Result], Cell]], ...] = (
    ("Distance (miles)", lambda r: None if r.get("distance_miles") is None else round(r["distance_miles"], 1)),
    ("Name", lambda r: r.get("name")),
    ("Provider", lambda r: r.get("provider_name")),
    ("Brand", lambda r: r.get("brand_name")),
    ("Address", _address),
    ("Postcode", lambda r: _part(r, "address", "postcode")),
    ("Telephone", lambda r: r.get("telephone")),
    ("Manager", lambda r: _part(r, "manager", "name")),
    ("Manager email", lambda r: _part(r, "manager", "email")),
    ("Manager phone", lambda r: _part(r, "manager", "phone")),
    ("NHSmail", lambda r: _part(r, "manager", "nhsmail")),
    ("CQC rating", lambda r: _part(r, "cqc", "overall_rating")),
    ("Registered beds", lambda r: _part(r, "cqc", "registered_beds")),
    ("Last updated (UTC)", lambda r: _utc_text(r.get("last_updated"))),
    ("Stale", lambda r: _yes_no(bool(r.get("stale")))),
    ("Admission status", lambda r: label(r.get("admission_status"))),
    ("Vacancies accepting", lambda r: r.get("total_accepting")),
    ("Vacancies by type", _vacancies),
    ("Short stay prices", _short_stay_prices),
    ("Short stay services", lambda r: _labels(_part(r, "services", "short_stay_services"))),
    ("Long term vacancy types", lambda r: _labels(_part(r, "services", "long_term_vacancy_types"))),
    ("Languages", lambda r: ", ".join(_part(r, "services", "languages") or ())),
    ("Care types", lambda r: _labels(r.get("care_types"))),
    ("Funding sources", lambda r: _labels(r.get("funding_sources"))),
    ("Out-of-hours admissions", lambda r: _yes_no(r.get("out_of_hours_admissions"))),
    ("Rooms", _rooms),
    ("Contracts", _contracts),
    ("Notes", lambda r: " | ".join(note.get("text") or "" for note in r.get("notes") or ())),
    ("CQC regulated activities", lambda r: _texts(_part(r, "services", "regulated_activities"))),
    ("CQC specialisms", lambda r: _texts(_part(r, "services", "specialisms"))),
    ("CQC service types", lambda r: _texts(_part(r, "services", "service_types"))),
    ("Location ID", lambda r: r.get("location_id")),
)


def _rows(results: list[Result], clean: Callable[[Cell], Cell] = lambda value: value) -> list[list[Cell]]:
    """The cells of every result, cleaned first, then made safe (cleaning could expose an "=")."""
    return [[safe(clean(cell(result))) for _, cell in COLUMNS] for result in results]


def to_csv(results: list[Result], criteria: dict, generated_at: datetime) -> bytes:
    """The results as CSV: a header row, then one row per home in the order given.

    UTF-8 with a byte order mark, without which Excel reads "Café" as "CafÃ©";
    CRLF line ends and quoting as RFC 4180 (the csv module's defaults).
    criteria and generated_at are not written (a CSV holds one table) but are
    taken so that both formats are called alike."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header for header, _ in COLUMNS)
    writer.writerows(_rows(results))
    return buffer.getvalue().encode("utf-8-sig")


def _criteria_rows(criteria: dict) -> list[tuple[str, Cell]]:
    """A row per criterion the search used, known keys in the form's order, then any others."""
    keys = [key for key in CRITERIA_LABELS if key in criteria]
    keys += [key for key in criteria if key not in CRITERIA_LABELS and key not in PAGING]
    rows: list[tuple[str, Cell]] = []
    for key in keys:
        value = criteria[key]
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            value = _yes_no(value)
        elif isinstance(value, (list, tuple)):
            value = _labels(value) if key in CODED_CRITERIA else ", ".join(str(item) for item in value)
        elif key in CODED_CRITERIA:
            value = label(str(value))
        elif key == "max_weekly_price":
            value = _money(value)
        rows.append((CRITERIA_LABELS.get(key) or label(key), value))
    return rows


def to_xlsx(results: list[Result], criteria: dict, generated_at: datetime) -> bytes:
    """The results as an Excel workbook: sheet "Vacancies" (bold, frozen header row and
    an autofilter, so a nurse can sort and filter at once) and sheet "Search" (what was
    searched, when, and how many homes were found). Counts and distances are numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Vacancies"
    headers: list[Cell] = [header for header, _ in COLUMNS]
    rows = _rows(results, cell_text)
    for row in (headers, *rows):
        sheet.append(row)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for cell in sheet[get_column_letter(headers.index("Distance (miles)") + 1)][1:]:
        cell.number_format = "0.0"  # shown with one decimal, kept a number for sorting
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    fit_columns(sheet, [headers, *rows])

    search = workbook.create_sheet("Search")
    search.append(["Criterion", "Value"])
    for name, value in _criteria_rows(criteria):
        search.append([name, safe(cell_text(value))])
    search.append(["Generated", f"{_utc_text(generated_at)} UTC"])
    search.append(["Results", len(results)])
    for cell in search[1]:
        cell.font = bold
    search.column_dimensions["A"].width = 32
    search.column_dimensions["B"].width = 60

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
