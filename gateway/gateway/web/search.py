"""Find Care Home Vacancies, for a discharge team: the search is in the
page's address (a search can be bookmarked, shared, reloaded), checked with
the API's own schema, and exported to CSV or Excel."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from flask import Response, g, render_template, request
from marshmallow import ValidationError

from tracker_common.contracts.errors import Forbidden, InvalidInput, TrackerError
from tracker_common.contracts.permissions import Action, may
from tracker_common.contracts.search import RATINGS, UPDATED_WITHIN, ExportQuery, SearchQuery
from tracker_common.contracts.vocabulary import FUNDING_SOURCES, LONG_TERM_VACANCY_TYPES, SHORT_STAY_SERVICES

from . import blp, by_field, call, error_page, field_errors, page_links, pounds, signed_in, when

SEARCH_QUERY, EXPORT_QUERY = SearchQuery(), ExportQuery()
LISTS = ("vacancy_types", "ratings", "funding_sources")
FIELDS = ("postcode", "radius_miles", "stay", "accepting_today", "max_weekly_price", "updated_within",
          "out_of_hours_admissions", "notes_contain", "brand", "page", *LISTS)
LABELS = {(name,): (name, title) for name, title in (
    ("postcode", "Postcode"), ("radius_miles", "Within"), ("stay", "Stay"), ("vacancy_types", "Vacancy type"),
    ("max_weekly_price", "Maximum weekly price"), ("ratings", "CQC rating"), ("funding_sources", "Funding"),
    ("updated_within", "Last updated"), ("notes_contain", "Notes contain"), ("brand", "Brand or provider"),
    ("page", "Page"), ("accepting_today", "Show"), ("out_of_hours_admissions", "Out of hours"))}


def _asked() -> dict:
    """The search in the address, as the API's query (empty boxes left out)."""
    asked = {}
    for name in FIELDS:
        if name in LISTS:
            values = [v for v in request.args.getlist(name) if v]
            if values:
                asked[name] = values
        elif request.args.get(name, "").strip():
            asked[name] = request.args[name].strip()
    if "max_weekly_price" in asked:
        asked["max_weekly_price"] = pounds(asked["max_weekly_price"])
    return asked


def _refused(exc: ValidationError | InvalidInput) -> list[dict]:
    messages = exc.normalized_messages() if isinstance(exc, ValidationError) else exc.fields
    return field_errors(InvalidInput(fields=messages), LABELS)


@blp.route("/search")
@signed_in
def find_vacancies():
    if not may(g.principal, Action.FIND_CAPACITY):
        return error_page(Forbidden())
    asked = _asked()
    context = {"asked": asked, "long_term": LONG_TERM_VACANCY_TYPES, "short_stay": SHORT_STAY_SERVICES,
               "ratings": RATINGS, "funding": FUNDING_SOURCES, "updated": tuple(UPDATED_WITHIN),
               "results": None, "errors": [], "messages": {}}
    if not asked:  # the empty form
        return render_template("web/search.html", **context)
    try:
        query = SEARCH_QUERY.load(asked)
        found = json.loads(call("search", "find_vacancies", actor=g.claims, query=SEARCH_QUERY.dump(query)))
    except (ValidationError, InvalidInput) as refused:
        errors = _refused(refused)
        return render_template("web/search.html", **{**context, "errors": errors,
                                                     "messages": by_field(errors)}), 422
    except TrackerError as refused:
        return error_page(refused)
    for result in found["results"]:
        result["updated"] = when(result.get("last_updated"))
    pages = page_links("/search", asked, query["page"], found["has_more"])
    exports = {kind: f"/search/export.{kind}?" + urlencode({k: v for k, v in asked.items() if k != "page"}, doseq=True)
               for kind in ("csv", "xlsx")}
    return render_template("web/search.html", **{**context, "results": found["results"], "found": found,
                                                 "pages": pages, "exports": exports})


@blp.route("/search/export.<kind>")
@signed_in
def export_vacancies(kind: str):
    if not may(g.principal, Action.FIND_CAPACITY):
        return error_page(Forbidden())
    try:
        query = EXPORT_QUERY.load({**_asked(), "format": kind})
        exported = call("search", "export_vacancies", actor=g.claims, query=EXPORT_QUERY.dump(query))
    except (ValidationError, InvalidInput) as refused:
        errors = _refused(refused)
        return render_template("web/problem.html", title="This search cannot be exported",
                               message=" ".join(e["text"] for e in errors)), 422
    except TrackerError as refused:
        return error_page(refused)
    return Response(base64.b64decode(exported["content"]), mimetype=exported["content_type"], headers={
        "Content-Disposition": f'attachment; filename="{exported["file_name"]}"'})
