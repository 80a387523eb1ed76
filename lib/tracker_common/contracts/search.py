"""The search query ("Find Care Home Vacancies"): validated by the gateway
(query string) and again by the search service; and what the search service
answers (a page of results, the filters' options), as the HTTP API documents it.

Within one filter, lists mean "any of" for options a home either has or not
(vacancy types, ratings, service types, funding sources, contracts) and "all
of" for needs the person has (languages, regulated activities, specialisms):
a person who needs Polish and Urdu needs a home speaking both."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..postcodes import InvalidPostcode, parse_postcode_or_outcode
from .capacity import Amount
from .vocabulary import CQC_RATINGS, FUNDING_SOURCES, LONG_TERM_VACANCY_TYPES, SHORT_STAY_SERVICES

ONS_CODE = validate.Regexp(r"^E\d{8}$", error="Not an ONS code (E followed by 8 digits).")
STAYS = ("long_term", "short_stay")
NOT_RATED = "Not rated"
RATINGS = (*CQC_RATINGS, NOT_RATED)
UPDATED_WITHIN = {"any": None, "7_days": 7 * 24, "24_hours": 24}
SORTS = ("distance", "name", "last_updated")
MAX_PER_PAGE = 100
MAX_RESULTS_REACHABLE = 5_000  # page * per_page: beyond this, narrow the search
MAX_RADIUS_MILES = 500  # England is about 400 miles from end to end
EXPORT_LIMIT = 5_000


def _texts(max_items: int, max_length: int = 100, **kwargs):
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_length)),
                       validate=validate.Length(max=max_items), **kwargs)


def _choices(options, **kwargs):
    return fields.List(fields.String(validate=validate.OneOf(options)),
                       validate=validate.Length(max=len(options)), **kwargs)


_OUT = "(?:[A-Za-z][0-9]{1,2}|[A-Za-z]{2}[0-9]{1,2}|[A-Za-z][0-9][A-Za-z]|[A-Za-z]{2}[0-9][A-Za-z])"
_IN = "[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}"
# What parse_postcode_or_outcode accepts, for the API's document.
POSTCODE_OR_DISTRICT = rf"^ *(?:{_OUT}(?: ?{_IN})?|[Gg][Ii][Rr](?: ?0[Aa][Aa])?) *$"


class Postcode(fields.String):
    """A full postcode or a postcode district, normalised ("s701aa" -> "S70 1AA")."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": POSTCODE_OR_DISTRICT, "maxLength": 20, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            outcode, postcode = parse_postcode_or_outcode(text)
        except InvalidPostcode as exc:
            raise ValidationError(str(exc))
        return postcode or outcode


class SearchQuery(Schema):
    postcode = Postcode(metadata={"description": "Search from here (a full postcode, or a district such as "
                                                 "S70): nearest first, straight-line distance"})
    radius_miles = fields.Float(validate=validate.Range(min=0.1, max=MAX_RADIUS_MILES),
                                metadata={"description": "Only homes this close to the postcode"})
    la_code = fields.String(validate=ONS_CODE, metadata={"description": "Only homes in this Local Authority"})
    sub_icb_code = fields.String(validate=ONS_CODE, metadata={"description": "Only homes in this Sub-ICB"})
    stay = fields.String(load_default="long_term", validate=validate.OneOf(STAYS))
    vacancy_types = fields.List(fields.String(), validate=validate.Length(max=len(LONG_TERM_VACANCY_TYPES)),
                                metadata={"description": "Long term vacancy types (stay=long_term) or short "
                                                         "stay services (stay=short_stay); any of them"})
    accepting_today = fields.Boolean(load_default=True, metadata={
        "description": "true: only homes that could admit today; false: also homes without a vacancy today"})
    regulated_activities = _texts(20, 200, metadata={"description": "CQC regulated activities (all of them)"})
    specialisms = _texts(30, 200, metadata={"description": "CQC specialisms (all of them)"})
    service_types = _texts(30, 200, metadata={"description": "CQC service types (any of them)"})
    contract_las = fields.List(fields.String(validate=ONS_CODE), validate=validate.Length(max=50),
                               metadata={"description": "An approved contract with any of these Local Authorities"})
    contract_sub_icbs = fields.List(fields.String(validate=ONS_CODE), validate=validate.Length(max=50),
                                    metadata={"description": "An approved contract with any of these Sub-ICBs"})
    ratings = _choices(RATINGS, metadata={"description": "CQC overall rating (any of them)"})
    brand = fields.String(validate=validate.Length(min=2, max=100),
                          metadata={"description": "Part of the brand or provider name"})
    max_weekly_price = Amount(2, minimum=1, maximum=100_000,
                              metadata={"description": "£ a week: the price of the vacancy types searched"})
    languages = _texts(10, 40, metadata={"description": "Languages spoken (all of them; English always is)"})
    notes_contain = fields.String(validate=validate.Length(min=2, max=100), metadata={
        "description": "Words in the home's notes or room details (hoist, bariatric, lift, pets…)"})
    funding_sources = _choices(FUNDING_SOURCES, metadata={"description": "Accepts any of these funding sources"})
    updated_within = fields.String(load_default="any", validate=validate.OneOf(tuple(UPDATED_WITHIN)))
    out_of_hours_admissions = fields.Boolean(load_default=False, metadata={
        "description": "true: only homes admitting outside 9–5 Monday to Friday"})
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={
        "description": "distance (the default with a postcode), name (the default otherwise), last_updated"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))

    @validates_schema
    def coherent(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if not any(data.get(k) for k in ("postcode", "la_code", "sub_icb_code")):
            errors["postcode"] = ["Give a postcode, a Local Authority (la_code) or a Sub-ICB (sub_icb_code)."]
        if data.get("la_code") and data.get("sub_icb_code"):
            errors["sub_icb_code"] = ["Search one Local Authority or one Sub-ICB, not both."]
        if data.get("radius_miles") is not None and not data.get("postcode"):
            errors["radius_miles"] = ["A radius needs a postcode to measure from."]
        if data.get("sort") == "distance" and not data.get("postcode"):
            errors["sort"] = ["Sorting by distance needs a postcode."]
        valid_types = LONG_TERM_VACANCY_TYPES if data.get("stay", "long_term") == "long_term" else SHORT_STAY_SERVICES
        wrong = [t for t in data.get("vacancy_types") or () if t not in valid_types]
        if wrong:
            kind = "long term vacancy types" if data.get("stay", "long_term") == "long_term" else "short stay services"
            errors["vacancy_types"] = [f"Not {kind}: {', '.join(wrong)}. Choose from: {', '.join(valid_types)}."]
        if data.get("page", 1) * data.get("per_page", 20) > MAX_RESULTS_REACHABLE:
            errors["page"] = [f"Only the first {MAX_RESULTS_REACHABLE} results can be paged through: "
                              "narrow the search instead."]
        if errors:
            raise ValidationError(errors)


class ExportQuery(SearchQuery):
    """The same search, exported whole (up to EXPORT_LIMIT homes)."""

    format = fields.String(required=True, validate=validate.OneOf(("csv", "xlsx")))


# -- the answers ----------------------------------------------------------------------------
class _VacancyFound(Schema):
    vacancy_type = fields.String()
    weekly_price_from = fields.String(metadata={"description": "£ a week"})
    vacant_accepting = fields.Integer(metadata={"description": "Vacancies that could be admitted today"})
    flexible = fields.Boolean(metadata={"description": "Can be used for any type the home offers (counted once)"})


class Result(Schema):
    location_id = fields.String()
    name = fields.String()
    provider_name = fields.String()
    brand_name = fields.String(allow_none=True)
    address = fields.Dict(metadata={"description": "street_address, address_line_2, city, county, postcode"})
    telephone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    manager = fields.Dict(metadata={"description": "name, email, phone, nhsmail"})
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    la_code = fields.String(allow_none=True)
    sub_icb_code = fields.String(allow_none=True)
    distance_miles = fields.Float(allow_none=True, metadata={"description": "Straight line from the postcode"})
    cqc = fields.Dict(metadata={"description": "overall_rating, rating_published, registered_beds"})
    care_types = fields.List(fields.String())
    funding_sources = fields.List(fields.String())
    out_of_hours_admissions = fields.Boolean(allow_none=True)
    rooms = fields.Dict()
    services = fields.Dict(metadata={"description": "short_stay_services, long_term_vacancy_types, languages, "
                                                    "regulated_activities, specialisms, service_types"})
    approved_contracts = fields.List(fields.Dict())
    notes = fields.List(fields.Dict())
    last_updated = fields.String(allow_none=True, metadata={"description": "When the vacancies were last updated"})
    stale = fields.Boolean(metadata={"description": "Not updated for more than 48 hours"})
    admission_status = fields.String(metadata={"description": "accepting | not_accepting"})
    vacancies = fields.List(fields.Nested(_VacancyFound))
    short_stay_prices = fields.Dict(keys=fields.String(), values=fields.String())
    total_accepting = fields.Integer(metadata={"description": "Vacancies accepting admissions, each counted once"})


class Origin(Schema):
    postcode = fields.String()
    precision = fields.String(metadata={"description": "postcode | postcode_district (an unknown postcode's district)"})
    latitude = fields.Float()
    longitude = fields.Float()


class SearchPage(Schema):
    results = fields.List(fields.Nested(Result))
    page = fields.Integer()
    per_page = fields.Integer()
    has_more = fields.Boolean()
    origin = fields.Nested(Origin, allow_none=True, metadata={"description": "Where distances are measured from"})
    searched_at = fields.String()


class Options(Schema):
    languages = fields.List(fields.String())
    regulated_activities = fields.List(fields.String())
    specialisms = fields.List(fields.String())
    service_types = fields.List(fields.String())
