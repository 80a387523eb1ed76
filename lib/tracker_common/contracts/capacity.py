"""Bodies and answers of the capacity API and of the capacity service's RPC:
validated by the gateway, loaded by the capacity service (the same classes).

These schemas check each field on its own (types, ranges, vocabulary). The
rules that need the location's facts (the vacancy types it offers, its CQC
registered beds...) and the rules across fields are in the capacity service
(`capacity.rules`), which names every broken rule at once."""
from __future__ import annotations

import decimal
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, fields, validate

from .vocabulary import LONG_TERM_VACANCY_TYPES, NOT_AVAILABLE_REASONS, SHORT_STAY_SERVICES

MAX_BEDS = 2000
MAX_STAFF = 100_000


def decimal_pattern(places: int, minimum: int, maximum: int) -> str:
    """The decimal strings from `minimum` (0 or 1) to `maximum` (a power of
    ten) with at most `places` decimal places (zeros after them forgiven), as
    a pattern: the range of a number written as a string, for the document.
    (Decimal's other spellings, "1E+3", are accepted too but not advertised.)"""
    digits = len(str(maximum)) - 1
    assert minimum in (0, 1) and maximum == 10 ** digits, "a range this pattern cannot say"
    whole = "[0-9]{1,%d}" % digits if minimum == 0 else "[1-9][0-9]{0,%d}" % (digits - 1)
    return rf"^ *0*(?:{whole}(?:\.[0-9]{{1,{places}}}0*)?|{maximum}(?:\.0+)?) *$"


class Amount(fields.Decimal):
    """A decimal with at most `places` decimal places, loaded as a Decimal and
    written as a string. marshmallow's Decimal would silently round
    "850.999" to "851.00"; this refuses it instead ("850.10" and "850.100"
    are accepted: the extra zero changes nothing)."""

    default_error_messages = {"places": "Use at most {places} decimal places."}

    def __init__(self, places: int, *, minimum: int, maximum: int, **kwargs):
        self.decimal_places = places
        # Documented as what it is written as (a decimal string); the range
        # is given as numbers, which apispec would otherwise write as strings.
        metadata = {"type": "string", "format": "decimal", "pattern": decimal_pattern(places, minimum, maximum),
                    "minimum": minimum, "maximum": maximum, **kwargs.pop("metadata", {})}
        super().__init__(places=places, as_string=True, validate=validate.Range(min=minimum, max=maximum),
                         metadata=metadata, **kwargs)

    def _format_num(self, value):
        number = decimal.Decimal(str(value))
        if number.is_finite() and number.adjusted() > 20:
            return number  # too big to quantize: left whole for the range check to refuse
        if number.is_finite() and number != number.quantize(self.places):
            raise self.make_error("places", places=self.decimal_places)
        return super()._format_num(number)


def Price(**kwargs):
    """Pounds and pence per week."""
    return Amount(2, minimum=0, maximum=10_000, **kwargs)


def Count(maximum: int, **kwargs):
    """A whole number sent as a JSON number ("3" is refused)."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=maximum), **kwargs)


def _described(text: str) -> dict:
    return {"description": text}


# -- the capacity return -------------------------------------------------------------
class VacancyFigures(Schema):
    """The figures of one long term vacancy type the location offers."""

    vacancy_type = fields.String(required=True, validate=validate.OneOf(LONG_TERM_VACANCY_TYPES),
                                 metadata=_described("The long term vacancy type these figures are for."))
    weekly_price_from = Price(required=True, metadata={
        "description": "The lowest weekly price in pounds, as a string with at most 2 decimal places. "
                       "It must be above £100.", "example": "850.00"})
    maximum_capacity = Count(MAX_BEDS, required=True, metadata=_described(
        "All the beds of this type if the home were empty."))
    occupied = Count(MAX_BEDS, required=True, metadata=_described(
        "Beds in use, including a resident in hospital whose bed is held."))
    vacant_reserved = Count(MAX_BEDS, required=True, metadata=_described(
        "Vacant beds held for a new resident waiting to be admitted (not block-booked beds)."))
    vacant_accepting = Count(MAX_BEDS, required=True, metadata=_described(
        "Vacant beds that could take an admission today, block-booked beds included."))
    vacant_not_available = Count(MAX_BEDS, required=True, metadata=_described(
        "Vacant beds that cannot take an admission; give the reason."))
    not_available_reason = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(NOT_AVAILABLE_REASONS),
        metadata=_described("Why the vacant beds are not available: required when there are any."))
    flexible = fields.Boolean(load_default=False, metadata=_described(
        "The vacancy can flex across vacancy types: enter it once, on one type, and tick this."))


class CapacityReturnRequest(Schema):
    """A location's capacity return: the figures of every long term vacancy
    type it offers and the weekly price of each short stay service it
    provides. Saving unchanged figures is a valid "still true" refresh."""

    vacancies = fields.List(fields.Nested(VacancyFigures), required=True,
                            validate=validate.Length(max=len(LONG_TERM_VACANCY_TYPES)),
                            metadata=_described("One entry for each long term vacancy type the location offers."))
    short_stay_prices = fields.Dict(
        keys=fields.String(validate=validate.OneOf(SHORT_STAY_SERVICES)), values=Price(), load_default=dict,
        metadata={"description": "The indicative weekly price in pounds of each short stay service the "
                                 "location provides, by service. Each must be above £100.",
                  "example": {"respite_care": "900.00"},
                  # the keys are the services: said in the document the only way OpenAPI 3.0 can
                  "properties": {service: {"type": "string", "format": "decimal",
                                           "pattern": decimal_pattern(2, 0, 10_000)}
                                 for service in SHORT_STAY_SERVICES},
                  "x-only-these-keys": True})
    confirm_over_registered_capacity = fields.Boolean(load_default=False, metadata=_described(
        "Confirms a total maximum capacity above the beds registered with CQC. Such a return is "
        "flagged for the System Champions."))


# -- the other returns on the provider update page ------------------------------------
class StaffGroup(Schema):
    """Headcount of one group of directly employed staff."""

    total_employed = Count(MAX_STAFF, required=True, metadata=_described(
        "Total number employed, including anyone employed on a visa."))
    visa_holders_own_sponsor = Count(MAX_STAFF, required=True, metadata=_described(
        "Health and Care / Skilled Worker visa holders employed under the organisation's own sponsor "
        "licence (not those sponsored by another employer, not other visas). Only organisations holding "
        "a sponsorship licence may enter more than 0."))
    absent_covid = Count(MAX_STAFF, required=True, metadata=_described("Number absent today, COVID-related."))
    absent_other = Count(MAX_STAFF, required=True, metadata=_described(
        "Number absent today, not COVID-related."))


class WorkforceReturnRequest(Schema):
    """Workforce headcount (the 2024 shape): registered nurses, care providing
    staff and non-care providing staff, agency and bank staff, and whether
    the organisation holds a sponsorship licence for international workers'
    visas."""

    registered_nurses = fields.Nested(StaffGroup, required=True, metadata=_described("Registered nurses."))
    care_staff = fields.Nested(StaffGroup, required=True, metadata=_described("Care providing staff."))
    non_care_staff = fields.Nested(StaffGroup, required=True, metadata=_described("Non-care providing staff."))
    agency_bank_headcount = Count(MAX_STAFF, required=True, metadata=_described(
        "Agency and bank staff: actual headcount."))
    holds_sponsorship_licence = fields.Boolean(required=True, metadata=_described(
        "Does the organisation hold a sponsorship licence for international workers' visas?"))


class VisitingReturnRequest(Schema):
    """Visiting in the last month."""

    visits_in = fields.Boolean(required=True, metadata=_described(
        "Could the location facilitate visits into it on any day for all residents who wanted one?"))
    visits_out = fields.Boolean(required=True, metadata=_described(
        "Could residents take part in visits off the premises on any day, if requested?"))


class HomeCareReturnRequest(Schema):
    """The home care return, for domiciliary care, extra care housing and
    supported living services."""

    people_using_service = Count(1_000_000, required=True, metadata=_described(
        "How many people are using the service today."))
    staff_delivering_care = Count(1_000_000, required=True, metadata=_described(
        "How many staff deliver care to people, including those currently unable to work."))
    extra_care_hours_available_per_week = Amount(
        1, minimum=0, maximum=100_000, required=True,
        metadata={"description": "How many extra care hours the service could provide per week, as a string "
                                 "with at most 1 decimal place.", "example": "12.5"})
    issues = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000),
                           metadata=_described("Any other issues the service is facing (needs it cannot meet, "
                                               "shortages...)."))


class BulkUploadRequest(Schema):
    """An uploaded bulk-update spreadsheet, as the gateway passes it on."""

    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(required=True, metadata={"description": "The file, base64"})
    declaration = fields.Boolean(required=True, metadata={
        "description": "The uploader confirms the figures are correct to the best of their knowledge"})


class Instant(fields.AwareDateTime):
    """An RFC 3339 date-time, any offset, held in UTC: PostgreSQL refuses
    offsets beyond 15:59 that RFC 3339 allows, so the offset is applied here;
    a time that would fall before year 1 or after 9999 in UTC is the first or
    last instant there is."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:
            return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=timezone.utc)


class HistoryQuery(Schema):
    """A page of a location's capacity returns, optionally in a time range."""

    since = Instant(load_default=None, metadata=_described("Returns submitted at or after this time."))
    until = Instant(load_default=None, metadata=_described("Returns submitted before this time."))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class StillTrueRequest(Schema):
    """Nothing has changed at these locations: each one's current capacity
    return is saved again as it is (a "still true" refresh)."""

    location_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=None,
                               validate=validate.Length(min=1, max=200), metadata=_described(
                                   "The locations (at most 200). Left out: all of your own locations "
                                   "(of your organisation, or given to you) that have a capacity return."))


class BulkTemplateQuery(Schema):
    provider_id = fields.String(validate=validate.Length(max=20))
    la_code = fields.String(validate=validate.Regexp(r"^E\d{8}$"))


class StaleQuery(Schema):
    """Locations whose latest return is older than this many hours (or that never sent one)."""

    older_than_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=24 * 365))


class SummaryQuery(Schema):
    """The locations of a list whose latest return is wanted in brief."""

    location_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                               validate=validate.Length(min=1, max=200))


class ReturnSnapshotPage(Schema):
    """A page of returns for rebuilding read models (`after`: a location id or
    a return id, so longer than providers' `SnapshotPage` allows)."""

    after = fields.String(load_default="", validate=validate.Length(max=36))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


# -- a checked return, as kept, answered and announced ---------------------------------
def _decimal_string(description: str, **kwargs):
    """A Decimal written as a string ("850.00"), read back as a Decimal."""
    return fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal",
                                                    "description": description}, **kwargs)


class Vacancy(Schema):
    """One long term vacancy type's figures, as the rules leave them."""

    vacancy_type = fields.String(required=True)
    weekly_price_from = _decimal_string("£, a decimal string", required=True)
    maximum_capacity = fields.Integer(required=True)
    occupied = fields.Integer(required=True)
    vacant_reserved = fields.Integer(required=True)
    vacant_accepting = fields.Integer(required=True)
    vacant_not_available = fields.Integer(required=True)
    not_available_reason = fields.String(allow_none=True, load_default=None)
    flexible = fields.Boolean(required=True)


class ReturnFigures(Schema):
    """A capacity return's figures as `capacity.rules.check_capacity_return`
    leaves them: the shape it is kept in, answered in and announced in
    (prices as decimal strings on the wire, Decimals once loaded)."""

    vacancies = fields.List(fields.Nested(Vacancy), required=True)
    short_stay_prices = fields.Dict(keys=fields.String(), values=_decimal_string("£, a decimal string"),
                                    required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    admission_status = fields.String(required=True, validate=validate.OneOf(["accepting", "not_accepting"]),
                                     metadata={"description": "accepting | not_accepting"})
    residents = fields.Integer(required=True)
    over_registered_capacity = fields.Boolean(required=True, metadata={
        "description": "More capacity than CQC registered beds, confirmed: flagged for System Champions"})


class ReturnOut(ReturnFigures):
    id = fields.String()
    location_id = fields.String()
    sequence = fields.Integer()
    submitted_at = fields.String()
    submitted_by = fields.String(allow_none=True)
    submitted_by_generic = fields.Boolean()
    source = fields.String()
    still_true = fields.Boolean(metadata={"description": "The same figures as the previous return, re-stamped"})


class ReturnHistory(Schema):
    location_id = fields.String()
    page = fields.Integer()
    returns = fields.List(fields.Nested(ReturnOut))


class StillTrueOut(Schema):
    refreshed = fields.List(fields.Nested(ReturnOut), metadata={"description": "The returns saved again"})
    refused = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Location id -> why nothing was saved for it (no return yet, figures that no longer "
                       "fit, a location you may not update)"})


class WorkforceFigures(WorkforceReturnRequest):
    """A checked workforce return, as kept: with each staff figure's total."""

    totals = fields.Dict(keys=fields.String(), values=fields.Integer())


# The figures of each other return as kept and announced (the home care
# return's hours as a decimal string).
OTHER_RETURN_FIGURES = {"workforce": WorkforceFigures, "visiting": VisitingReturnRequest,
                        "home_care": HomeCareReturnRequest}


class OtherReturnOut(Schema):
    id = fields.String()
    kind = fields.String()
    location_id = fields.String()
    submitted_at = fields.String()
    figures = fields.Dict()


class StaleLocation(Schema):
    location_id = fields.String()
    name = fields.String()
    provider_id = fields.String()
    la_code = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    last_submitted_at = fields.String(allow_none=True)
    staleness = fields.String()
    reminders_enabled = fields.Boolean()


class StaleList(Schema):
    locations = fields.List(fields.Nested(StaleLocation))


# -- bulk updates ----------------------------------------------------------------------
class BulkUploadForm(Schema):
    """The form fields of an upload (the file itself is the `file` part)."""

    declaration = fields.Boolean(required=True, metadata={
        "description": "true: the figures are correct to the best of your knowledge"})


class BulkUploadOut(Schema):
    id = fields.String()
    file_name = fields.String()
    size = fields.Integer()
    status = fields.String(metadata={"description": "received (waiting for the worker) | processed | refused"})
    uploaded_at = fields.String()
    processed_at = fields.String(allow_none=True)
    results = fields.Dict(metadata={"description": "applied: locations updated; refused: location -> why; "
                                                   "row_errors: sheet, row, column, message"})


# -- staleness (capacity, reports and pages all say it the same way) ------------------
def staleness(last_submitted_at: datetime | None, now: datetime, *, thresholds_hours=(24, 48)) -> str:
    """How old a location's latest return is: "never" (no return), "fresh",
    or "stale_<h>h" for the largest threshold it is strictly older than
    (by default "stale_24h" after 24 hours, "stale_48h" after 48)."""
    if last_submitted_at is None:
        return "never"
    age = now - last_submitted_at
    label = "fresh"
    for hours in sorted(thresholds_hours):
        if age > timedelta(hours=hours):
            label = f"stale_{hours}h"
    return label
