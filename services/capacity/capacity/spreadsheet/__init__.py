"""The bulk update spreadsheet: the .xlsx template a provider downloads for the
locations they may update, and the upload read back, safely, into one
capacity return command per location.

Reading an upload never evaluates anything: the file is checked as a zip
first (size, macros, encryption, zip bombs, XML entity tricks), then read with
openpyxl in read-only mode without cached formula values; any formula, or
text that looks like one, is a row error. Each location is all-or-nothing: a
location with any row error is left out of the returns and listed in
`locations_with_errors`, so the caller applies the rest.

The modules, none importing this package's __init__:
  layout     the constants, limits, sheet names, headers, labels and data
             classes the others share
  template   build_template
  container  check_container: the checks on the bytes and the zip before
             openpyxl opens an upload
  cells      one uploaded row and its cells, read into values with row errors
  upload     read_upload and rule_errors_as_rows
"""
from .container import _check_container as _check_container  # its name before it was public
from .container import check_container
from .layout import (CAPACITIES_SHEET, CAPACITY_HEADERS, CARE_HOME_HEADERS, CARE_HOMES_SHEET, H_ACCEPTING,
                     H_FLEXIBLE, H_LOCATION_ID, H_MAXIMUM, H_NAME, H_NOT_AVAILABLE, H_OCCUPIED, H_OUT_OF_HOURS,
                     H_POSTCODE, H_PRICE, H_REASON, H_RESERVED, H_VACANCY_TYPE, INSTRUCTIONS_SHEET, MARKER,
                     MAX_CELLS, MAX_COLUMNS, MAX_COMPRESSION_RATIO, MAX_COUNT, MAX_ROWS, MAX_UNCOMPRESSED_BYTES,
                     MAX_UPLOAD_BYTES, MAX_WEEKLY_PRICE, MAX_ZIP_MEMBERS, META_SHEET, MIN_WEEKLY_PRICE,
                     NOT_AVAILABLE_REASON_LABELS, SHORT_STAY_SERVICE_LABELS, TEMPLATE_VERSION, VACANCY_TYPE_LABELS,
                     ParsedUpload, RowError, TemplateLocation, UploadRefused, short_stay_header)
from .template import build_template
from .upload import read_upload, rule_errors_as_rows

__all__ = [
    # limits and the template's identity
    "TEMPLATE_VERSION", "MAX_UPLOAD_BYTES", "MAX_UNCOMPRESSED_BYTES", "MAX_COMPRESSION_RATIO", "MAX_ZIP_MEMBERS",
    "MAX_ROWS", "MAX_COLUMNS", "MAX_CELLS", "MAX_COUNT", "MIN_WEEKLY_PRICE", "MAX_WEEKLY_PRICE", "MARKER",
    # sheets, labels and columns
    "META_SHEET", "INSTRUCTIONS_SHEET", "CAPACITIES_SHEET", "CARE_HOMES_SHEET",
    "VACANCY_TYPE_LABELS", "NOT_AVAILABLE_REASON_LABELS", "SHORT_STAY_SERVICE_LABELS",
    "H_LOCATION_ID", "H_NAME", "H_POSTCODE", "H_VACANCY_TYPE", "H_PRICE", "H_MAXIMUM", "H_OCCUPIED", "H_RESERVED",
    "H_ACCEPTING", "H_NOT_AVAILABLE", "H_REASON", "H_FLEXIBLE", "H_OUT_OF_HOURS",
    "CAPACITY_HEADERS", "CARE_HOME_HEADERS", "short_stay_header",
    # data
    "TemplateLocation", "RowError", "ParsedUpload", "UploadRefused",
    # what it does
    "build_template", "check_container", "read_upload", "rule_errors_as_rows",
]
