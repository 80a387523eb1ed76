"""The data export of extended reporting: every location's latest capacity,
a row per vacancy type, as CSV or an Excel workbook (the same cells)."""
from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

from tracker_common.clock import LONDON
from tracker_common.spreadsheets import Cell, csv_bytes, table_sheet

from .rules import humanise

HEADERS = ["Location ID", "Location", "Provider", "Postcode", "Local Authority", "Sub-ICB", "ICB", "NHS region",
           "Last updated (UK time)", "Admission status", "Vacancy type", "Maximum capacity", "Occupied",
           "Vacant", "Vacant, accepting admissions", "Flexible"]


def _uk_time(at: datetime | None) -> str | None:
    return at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if at else None


def rows_of(locations, areas: dict[str, str]) -> list[list[Cell]]:
    rows = []
    for location in locations:
        place = [location.location_id, location.name, location.provider_name, location.postcode,
                 areas.get(location.la_code, location.la_code), areas.get(location.sub_icb_code, location.sub_icb_code),
                 areas.get(location.icb_code, location.icb_code),
                 areas.get(location.nhs_region_code, location.nhs_region_code),
                 _uk_time(location.last_updated_at), humanise(location.admission_status or "") or None]
        if not location.vacancies:
            rows.append(place + [None] * 6)
        for v in location.vacancies:
            rows.append(place + [humanise(v["vacancy_type"]), v["maximum_capacity"], v["occupied"], v["vacant"],
                                 v["vacant_accepting"], "Yes" if v["flexible"] else "No"])
    return rows


def to_file(locations, areas: dict[str, str], file_format: str) -> bytes:
    rows = rows_of(locations, areas)
    if file_format == "csv":
        return csv_bytes(HEADERS, rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Capacity"
    table_sheet(sheet, HEADERS, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
