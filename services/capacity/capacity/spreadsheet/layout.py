"""What the template and the upload reader share: the template version and
limits, the sheet names, the column headers, the labels people see for the
vocabulary keys (and the look-ups that read them back), the public data
classes, UploadRefused, and the test for text that looks like a formula."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from tracker_common.contracts.capacity import MAX_BEDS
from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, NOT_AVAILABLE_REASONS, SHORT_STAY_SERVICES

TEMPLATE_VERSION = "1"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100        # for members over 1 MB; real sheets compress about 5 to 20 times
MAX_ZIP_MEMBERS = 500
MAX_ROWS = 20_000                  # per sheet: 2,000 locations with every vacancy type
MAX_COLUMNS = 40                   # cells further right are never read
MAX_CELLS = 500_000                # cells written in the file, all sheets together
MAX_COUNT = MAX_BEDS               # as the API (tracker_common.contracts.capacity)
MIN_WEEKLY_PRICE = Decimal(100)    # a price must be above it (capacity.rules)
MAX_WEEKLY_PRICE = Decimal(10000)  # as the API

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
