"""`/api/v1/search` endpoints answered by the search service: Find Care Home
Vacancies, its export, and the options its filters offer."""
from __future__ import annotations

import base64

from flask import Response, current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from tracker_common.contracts.permissions import Action
from tracker_common.contracts.search import EXPORT_LIMIT, ExportQuery, SearchQuery

from .auth import require_permission
from .docs import errors, secured

blp = Blueprint("search", __name__, url_prefix="/api/v1/search",
                description="Find care home vacancies by distance, Local Authority or Sub-ICB, with every filter")
SEARCH_QUERY, EXPORT_QUERY = SearchQuery(), ExportQuery()


def search(method: str, **kwargs):
    return current_app.extensions["tracker"].call("search", method, **kwargs)


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


@blp.route("/vacancies", methods=["GET"])
@secured(blp)
@blp.arguments(SEARCH_QUERY, location="query", unknown=RAISE)
@blp.response(200, SearchPage)
@errors(blp, 401, 403, 422)
def find_vacancies(query):
    """Find care homes with vacancies: nearest first from a postcode (or
    within a Local Authority / Sub-ICB), filtered. Lists are given by
    repeating the parameter (`vacancy_types=a&vacancy_types=b`). Only homes
    whose setup is complete are listed. Care home users cannot search."""
    require_permission(Action.FIND_CAPACITY)
    page = search("find_vacancies", actor=g.claims, query=SEARCH_QUERY.dump(query))
    # The service answers with the JSON text the schema documents: sent as is.
    return Response(page, mimetype="application/json")


@blp.route("/vacancies/export", methods=["GET"])
@secured(blp)
@blp.arguments(EXPORT_QUERY, location="query", unknown=RAISE)
@blp.response(200, description=f"The search as CSV or Excel (.xlsx), up to {EXPORT_LIMIT} homes", content_type="text/csv")
@errors(blp, 401, 403, 422)
def export_vacancies(query):
    """The same search, every result (up to the limit), as a file to open in
    a spreadsheet: `format=csv` or `format=xlsx`."""
    require_permission(Action.FIND_CAPACITY)
    exported = search("export_vacancies", actor=g.claims, query=EXPORT_QUERY.dump(query))
    return Response(base64.b64decode(exported["content"]), mimetype=exported["content_type"], headers={
        "Content-Disposition": f'attachment; filename="{exported["file_name"]}"',
        "X-Result-Count": str(exported["rows"]), "X-Results-Truncated": str(exported["truncated"]).lower()})


@blp.route("/options", methods=["GET"])
@secured(blp)
@blp.response(200, Options)
@errors(blp, 401, 403)
def search_options():
    """What the free-text filters can be set to: the languages spoken and
    the CQC regulated activities, specialisms and service types of the
    homes listed now."""
    require_permission(Action.FIND_CAPACITY)
    return search("search_options", actor=g.claims)


@blp.route("/ping", methods=["GET"])
@secured(blp)
@blp.response(200, Schema())
@errors(blp, 401)
def ping():
    """A round trip to the search service and nothing else: to monitor it,
    and the floor a search's latency is measured against."""
    return search("ping")
