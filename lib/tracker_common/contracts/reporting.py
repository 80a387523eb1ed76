"""Queries of the reports: validated by the gateway (query string) and again
by the reporting service; and what the reporting service answers, as the
HTTP API documents it.

Utilisation sets any two dimensions against each other ("vacancy type by
Local Authority", "location by vacancy type", "month by vacancy type" for the
chart over time), for one month or a range of months, within a geography."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .permissions import Action, Scope, scopes
from .search import ONS_CODE

DIMENSIONS = ("month", "vacancy_type", "location", "provider", "kind", "local_authority", "sub_icb", "icb",
              "nhs_region")
MAX_MONTHS = 36
MAX_ROWS_PER_PAGE = 500
EXPORT_LIMIT = 50_000
FORMATS = ("csv", "xlsx")


class Month(fields.String):
    """A calendar month written "2026-11", loaded as its first day."""

    PATTERN = r"^ *(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2]) *$"

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": self.PATTERN, "example": "2026-11", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            year, month = text.split("-")
            if len(year) != 4 or len(month) != 2:
                raise ValueError
            return date(int(year), int(month), 1)
        except ValueError:
            raise ValidationError("Not a month: write it as 2026-11.")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:%Y-%m}"


def months_apart(first: date, last: date) -> int:
    """How many calendar months `first`..`last` spans, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


class _Geography(Schema):
    """Only locations within these areas (all that are given)."""

    nhs_region_code = fields.String(validate=ONS_CODE, metadata={"description": "NHS region (E40...)"})
    icb_code = fields.String(validate=ONS_CODE, metadata={"description": "Integrated Care Board (E54...)"})
    sub_icb_code = fields.String(validate=ONS_CODE, metadata={"description": "Sub-ICB location (E38...)"})
    la_code = fields.String(validate=ONS_CODE, metadata={"description": "Local Authority"})


def _page():
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


def _per_page(default: int):
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_ROWS_PER_PAGE))


class UtilisationQuery(_Geography):
    rows = fields.String(required=True, validate=validate.OneOf(DIMENSIONS),
                         metadata={"description": "What each row is"})
    columns = fields.String(load_default=None, validate=validate.OneOf(DIMENSIONS),
                            metadata={"description": "What each column is (none: one column, the total)"})
    from_month = Month(load_default=None, metadata={"description": "First month, 2026-11 (default: this month)"})
    to_month = Month(load_default=None, metadata={"description": "Last month (default: the first month)"})
    page = _page()
    per_page = _per_page(100)

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors = {}
        if data.get("columns") and data["columns"] == data.get("rows"):
            errors["columns"] = ["Choose a different dimension for the columns than for the rows."]
        first, last = data.get("from_month"), data.get("to_month")
        if first and last:
            if last < first:
                errors["to_month"] = ["The last month is before the first."]
            elif months_apart(first, last) > MAX_MONTHS:
                errors["to_month"] = [f"At most {MAX_MONTHS} months at a time."]
            elif last != first and "month" not in (data.get("rows"), data.get("columns")):
                # A location's months would be added together.
                errors["to_month"] = ["For more than one month, put month on the rows or the columns."]
        if errors:
            raise ValidationError(errors)


class LastModifiedQuery(_Geography):
    not_updated_for_hours = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=24 * 366),
        metadata={"description": "Only locations not updated for this long (and those never updated)"})
    page = _page()
    per_page = _per_page(50)


class BedStateQuery(Schema):
    """One Local Authority or one Sub-ICB (exactly one)."""

    la_code = fields.String(validate=ONS_CODE)
    sub_icb_code = fields.String(validate=ONS_CODE)

    @validates_schema
    def _one_area(self, data, **kwargs):
        if bool(data.get("la_code")) == bool(data.get("sub_icb_code")):
            raise ValidationError("Give one Local Authority (la_code) or one Sub-ICB (sub_icb_code).", "la_code")


class ExportQuery(_Geography):
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


# -- the ASC collection's compliance ----------------------------------------------------
# Adult social care providers send their capacity every month within the
# collection window, the 8th to the 14th (UK time); a location that misses 3
# months in a row, or 4 in the last 12, is flagged for the formal notice.
COLLECTION_FIRST_DAY, COLLECTION_LAST_DAY = 8, 14
NOTICE_CONSECUTIVE, NOTICE_IN_YEAR, NOTICE_LOOKBACK = 3, 4, 12
MAX_COMPLIANCE_MONTHS = 12
COMPLIANCE_STATUSES = ("submitted", "missed", "open", "not_required")


def sees_compliance(principal) -> bool:
    """Administrators, and commissioners of an area: people of a Local
    Authority, Sub-ICB, ICB or region (their organisation's own code). A
    discharge team of an NHS trust has no area and sees none."""
    held = scopes(principal, Action.VIEW_COMPLIANCE)
    return Scope.ANY in held or (bool(held) and bool(principal.aligned_codes))


class ComplianceQuery(_Geography):
    to_month = Month(load_default=None, metadata={"description": "The last month shown, 2026-11 (default: this "
                                                                "month)"})
    months = fields.Integer(load_default=6, validate=validate.Range(min=1, max=MAX_COMPLIANCE_MONTHS),
                            metadata={"description": "How many months up to to_month are shown (the formal "
                                                     "notice's rule always looks at the last 12)"})
    flagged_only = fields.Boolean(load_default=False, metadata={
        "description": "Only the locations flagged for the formal notice"})
    page = _page()
    per_page = _per_page(50)


# -- the answers ----------------------------------------------------------------------------
class Figures(Schema):
    locations = fields.Integer(metadata={"description": "Locations counted (each once)"})
    maximum_capacity = fields.Integer()
    occupied = fields.Integer(metadata={"description": "Beds used"})
    vacant = fields.Integer(metadata={"description": "Beds spare: reserved, accepting or not available"})
    utilisation_percent = fields.Float(allow_none=True, metadata={"description": "Occupied / maximum capacity"})


class Column(Schema):
    key = fields.String(allow_none=True, metadata={"description": "None: not known (a location not aligned)"})
    name = fields.String()
    total = fields.Nested(Figures)


class Row(Column):
    cells = fields.List(fields.Nested(Figures, allow_none=True),
                        metadata={"description": "One a column, in the columns' order (null: nothing there)"})


class AreaFilter(Schema):
    filter = fields.String()
    code = fields.String()
    name = fields.String(allow_none=True)


class Utilisation(Schema):
    rows_by = fields.String()
    columns_by = fields.String(allow_none=True)
    from_month = fields.String()
    to_month = fields.String()
    areas = fields.List(fields.Nested(AreaFilter))
    columns = fields.List(fields.Nested(Column))
    rows = fields.List(fields.Nested(Row))
    total = fields.Nested(Figures)
    page = fields.Integer()
    per_page = fields.Integer()
    total_rows = fields.Integer()
    has_more = fields.Boolean()


class _LocationInArea(Schema):  # a location of a report, its areas named
    location_id = fields.String()
    name = fields.String()
    provider_name = fields.String(allow_none=True)
    la_code = fields.String(allow_none=True)
    la_name = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    sub_icb_name = fields.String(allow_none=True)


class LastModifiedLocation(_LocationInArea):
    last_updated_at = fields.String(allow_none=True)
    staleness = fields.String(metadata={"description": "never | fresh | stale_24h | stale_48h"})
    reminders_enabled = fields.Boolean()


class LastModified(Schema):
    locations = fields.List(fields.Nested(LastModifiedLocation))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    has_more = fields.Boolean()
    generated_at = fields.String()


class _BedStateVacancy(Schema):
    vacancy_type = fields.String()
    vacant_accepting = fields.Integer()
    flexible = fields.Boolean()


class _BedStateHome(Schema):
    location_id = fields.String()
    name = fields.String()
    postcode = fields.String(allow_none=True)
    last_updated_at = fields.String(allow_none=True)
    staleness = fields.String()
    admission_status = fields.String(allow_none=True)
    vacancies = fields.List(fields.Nested(_BedStateVacancy))
    total_accepting = fields.Integer()


class _Total(Schema):
    vacancy_type = fields.String()
    vacant_accepting = fields.Integer()


class BedState(Schema):
    area = fields.Dict(metadata={"description": "code, kind, name"})
    generated_at = fields.String()
    locations = fields.List(fields.Nested(_BedStateHome))
    totals = fields.List(fields.Nested(_Total))
    total_accepting = fields.Integer()


class _ComplianceMonth(Schema):
    month = fields.String(metadata={"example": "2026-11"})
    status = fields.String(metadata={"enum": list(COMPLIANCE_STATUSES), "description":
                                     "submitted (within the window), missed (the window closed without one), open "
                                     "(this month's window has not closed), not_required (before the location "
                                     "appeared)"})
    submitted_at = fields.String(allow_none=True, metadata={"description": "The first return within the window"})


class _ComplianceLocation(_LocationInArea):
    required_from = fields.String(allow_none=True, metadata={"description": "The first month it had to send"})
    months = fields.List(fields.Nested(_ComplianceMonth))
    missed_in_last_12 = fields.Integer()
    formal_notice = fields.String(allow_none=True, metadata={"enum": ["consecutive", "in_year", None], "description":
                                                             "consecutive: 3 months missed in a row; in_year: 4 of "
                                                             "the last 12; null: not flagged"})


class _ComplianceSummary(Schema):
    locations = fields.Integer()
    flagged = fields.Integer(metadata={"description": "Locations flagged for the formal notice"})
    latest_month = fields.String(allow_none=True, metadata={"description": "The newest month shown whose window "
                                                                           "has closed"})
    submitted_in_latest = fields.Integer()
    missed_in_latest = fields.Integer()


class Compliance(Schema):
    months = fields.List(fields.String())
    to_month = fields.String()
    summary = fields.Nested(_ComplianceSummary)
    areas = fields.List(fields.Nested(AreaFilter))
    locations = fields.List(fields.Nested(_ComplianceLocation))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    has_more = fields.Boolean()
    flagged_only = fields.Boolean()


class _Area(Schema):
    code = fields.String()
    name = fields.String()
    parent_code = fields.String(allow_none=True)


class Areas(Schema):
    nhs_regions = fields.List(fields.Nested(_Area))
    icbs = fields.List(fields.Nested(_Area))
    sub_icbs = fields.List(fields.Nested(_Area))
    local_authorities = fields.List(fields.Nested(_Area))
