"""Reading an upload: the workbook opened safely (after check_container),
recognised as this template, read row by row into one capacity return command
per location, all or nothing per location (read_upload); and the rules'
refusal of a location's return mapped back to the rows it came from
(rule_errors_as_rows)."""
from __future__ import annotations

import io
import warnings

from tracker_common.contracts.vocabulary import SHORT_STAY_SERVICES

from .cells import _check_cells, _count, _price, _Row, _text, _yes_no
from .container import _DAMAGED, check_container
from .layout import (_CAPACITY_EDITABLE, _COUNT_FIELDS, _REASON_BY_LABEL, _VACANCY_TYPE_BY_LABEL, CAPACITIES_SHEET,
                     CAPACITY_HEADERS, CARE_HOME_HEADERS, CARE_HOMES_SHEET, H_FLEXIBLE, H_LOCATION_ID, H_MAXIMUM,
                     H_NAME, H_OUT_OF_HOURS, H_PRICE, H_REASON, H_VACANCY_TYPE, INSTRUCTIONS_SHEET, MARKER,
                     MAX_COLUMNS, MAX_ROWS, META_SHEET, NOT_AVAILABLE_REASON_LABELS, SHORT_STAY_SERVICE_LABELS,
                     TEMPLATE_VERSION, VACANCY_TYPE_LABELS, ParsedUpload, RowError, UploadRefused, _norm,
                     short_stay_header)

_NOT_TEMPLATE = ("The selected file is not the Capacity Tracker bulk update spreadsheet. Download the spreadsheet, "
                 "enter your figures in it and upload it again")


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
    check_container(data)
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
