"""`/api/v1/search` endpoints answered by the search service: Find Care Home
Vacancies, its export, and the options its filters offer."""
from __future__ import annotations

import base64

from flask import Response, current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema

from tracker_common.contracts.permissions import Action
from tracker_common.contracts.search import EXPORT_LIMIT, ExportQuery, Options, SearchPage, SearchQuery

from .auth import require_permission
from .docs import errors, secured

blp = Blueprint("search", __name__, url_prefix="/api/v1/search",
                description="Find care home vacancies by distance, Local Authority or Sub-ICB, with every filter")
SEARCH_QUERY, EXPORT_QUERY = SearchQuery(), ExportQuery()


def search(method: str, **kwargs):
    return current_app.extensions["tracker"].call("search", method, **kwargs)


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
