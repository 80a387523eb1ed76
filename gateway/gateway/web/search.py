"""Find Care Home Vacancies, for a discharge team: the search is in the
page's address (a search can be bookmarked, shared, reloaded), checked with
the API's own schema, shown as a list and on a map (where JavaScript runs),
printed, and exported to CSV or Excel.

Every filter of the API is on the form: the areas (Local Authorities and
Sub-ICBs, by name) come from reporting, which names them; the languages and
CQC activities, specialisms and service types from the search service's
options (the homes listed now). Both are kept a few minutes per process, and
a page whose lists cannot be had still searches (the filters asked are kept).

The map's tiles come from MAP_TILE_URL (OpenStreetMap's by default; empty:
no map), credited with MAP_ATTRIBUTION; the page allows images from that
server only (gateway.edge.image_source)."""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

from flask import Response, current_app, g, render_template, request
from marshmallow import ValidationError

from tracker_common.contracts.errors import Forbidden, InvalidInput, TrackerError
from tracker_common.contracts.permissions import Action, may
from tracker_common.contracts.search import RATINGS, UPDATED_WITHIN, ExportQuery, SearchQuery
from tracker_common.config import env
from tracker_common.contracts.vocabulary import FUNDING_SOURCES, LONG_TERM_VACANCY_TYPES, SHORT_STAY_SERVICES
from tracker_common.logs import get_logger

from ..edge import image_source
from . import blp, by_field, call, error_page, field_errors, label, page_links, pounds, signed_in, when

log = get_logger(__name__)

SEARCH_QUERY, EXPORT_QUERY = SearchQuery(), ExportQuery()
LISTS = ("vacancy_types", "ratings", "funding_sources", "regulated_activities", "specialisms", "service_types",
         "languages", "contract_las", "contract_sub_icbs")
FIELDS = ("postcode", "radius_miles", "la_code", "sub_icb_code", "stay", "accepting_today", "max_weekly_price",
          "updated_within", "out_of_hours_admissions", "notes_contain", "brand", "sort", "page", *LISTS)
TITLES = {"postcode": "Postcode", "radius_miles": "Within", "la_code": "Local Authority", "sub_icb_code": "Sub-ICB",
          "stay": "Stay", "vacancy_types": "Vacancy type", "max_weekly_price": "Maximum weekly price",
          "ratings": "CQC rating", "funding_sources": "Funding", "updated_within": "Last updated",
          "notes_contain": "Notes contain", "brand": "Brand or provider", "page": "Page", "accepting_today": "Show",
          "out_of_hours_admissions": "Out of hours", "sort": "Sort by",
          "regulated_activities": "CQC regulated activities", "specialisms": "CQC specialisms",
          "service_types": "CQC service types", "languages": "Languages spoken",
          "contract_las": "Contract with a Local Authority", "contract_sub_icbs": "Contract with a Sub-ICB"}
LABELS = {(name,): (name, title) for name, title in TITLES.items()}
# A list's items are checked one by one: "languages.0" is still the languages box.
LABELS.update({(name, str(i)): (name, TITLES[name]) for name in LISTS for i in range(50)})
SORTS = {"": "Nearest first (with a postcode), else by name", "name": "Name", "last_updated": "Most recently updated",
         "distance": "Nearest first"}
# The form's folded parts (GOV.UK details), open when one of their filters is asked or refused.
GROUPS = {"area": ("la_code", "sub_icb_code"),
          "more": ("max_weekly_price", "funding_sources", "ratings", "updated_within", "out_of_hours_admissions",
                   "notes_contain", "brand", "sort"),
          "care": ("regulated_activities", "specialisms", "service_types", "languages"),
          "contracts": ("contract_las", "contract_sub_icbs")}
OPTIONS_SECONDS = 300  # how long a gateway process keeps the areas and the filters' options
NO_AREAS = {"local_authorities": [], "sub_icbs": []}
NO_OPTIONS = {"languages": [], "regulated_activities": [], "specialisms": [], "service_types": []}
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"


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


def _kept(name: str, fetch, empty: dict) -> dict:
    """What `fetch` answers, kept OPTIONS_SECONDS in this process (per app);
    `empty` when its service cannot answer or knows nothing yet (a system
    still filling its read models): not kept, asked again next time."""
    kept = current_app.extensions.setdefault("search_page_lists", {})
    if name in kept and time.monotonic() - kept[name][0] < OPTIONS_SECONDS:
        return kept[name][1]
    try:
        answer = fetch()
    except TrackerError as failed:
        log.warning("search page list not available", list=name, error=failed.__class__.__name__)
        return empty
    if any(answer.get(key) for key in empty):
        kept[name] = (time.monotonic(), answer)
    return answer


def _choices() -> dict:
    """What the form's lists offer: areas by name, the options of the homes listed now."""
    areas = _kept("areas", lambda: call("reporting", "areas"), NO_AREAS)
    options = _kept("options", lambda: call("search", "search_options", actor=g.claims), NO_OPTIONS)
    return {"local_authorities": areas.get("local_authorities", []), "sub_icbs": areas.get("sub_icbs", []),
            **{key: options.get(key, []) for key in NO_OPTIONS}}


def _offered(choices: dict, asked: dict) -> dict:
    """The lists with what was asked in them too (a language no home lists
    now, an area reporting could not name): the form shows it chosen."""
    offered = {key: list(values) for key, values in choices.items()}
    for key in NO_OPTIONS:
        offered[key] += [v for v in asked.get(key, []) if v not in offered[key]]
    for key, names in (("local_authorities", ("la_code", "contract_las")), ("sub_icbs", ("sub_icb_code", "contract_sub_icbs"))):
        known = {place["code"] for place in offered[key]}
        for name in names:
            for code in asked.get(name, []) if name.startswith("contract") else [asked.get(name)]:
                if code and code not in known:
                    offered[key].append({"code": code, "name": code})
                    known.add(code)
    return offered


def _render(template: str, status: int = 200, **context):
    asked, messages = context["asked"], context["messages"]
    context["opened"] = {group for group, names in GROUPS.items()
                         if any(messages.get(n) or asked.get(n) not in (None, "", "any", "false") for n in names)}
    return render_template(template, **context), status


def _criteria(asked: dict, choices: dict) -> list[tuple[str, str]]:
    """The search in words, as the person asked it (for the page and its print)."""
    names = {**{a["code"]: a["name"] for a in choices["local_authorities"]},
             **{a["code"]: a["name"] for a in choices["sub_icbs"]}}
    said = []
    for name in FIELDS:
        value = asked.get(name)
        if not value or name == "page":
            continue
        if name in ("la_code", "sub_icb_code", "contract_las", "contract_sub_icbs"):
            text = ", ".join(names.get(code, code) for code in (value if isinstance(value, list) else [value]))
        elif name in ("vacancy_types", "funding_sources"):
            text = ", ".join(label(v) for v in value)
        elif isinstance(value, list):
            text = ", ".join(value)
        elif name == "radius_miles":
            text = f"{value} miles"
        elif name == "max_weekly_price":
            text = f"£{value} a week"
        elif name == "stay":
            text = label(value)
        elif name == "accepting_today":
            text = "Only homes that can admit today" if value != "false" else "Also homes without a vacancy today"
        elif name == "out_of_hours_admissions":
            text = "Admits out of hours" if value == "true" else "Any"
        elif name == "updated_within":
            text = "Any time" if value == "any" else "Within " + value.replace("_", " ")
        elif name == "sort":
            text = SORTS.get(value, value)
        else:
            text = value
        said.append((TITLES[name], text))
    return said


def map_settings() -> dict | None:
    """The map's tiles and their credit (None: no map)."""
    tiles = env("MAP_TILE_URL", OSM_TILES).strip()
    if tiles.lower() in ("none", "off"):
        return None
    if not tiles.startswith("/") and image_source(tiles) is None:
        log.warning("MAP_TILE_URL is not an http(s) server or a path: no map shown")
        return None
    return {"tiles": tiles, "attribution": env("MAP_ATTRIBUTION", OSM_ATTRIBUTION),
            "attribution_url": env("MAP_ATTRIBUTION_URL", OSM_COPYRIGHT if tiles == OSM_TILES else "")}


def _search_page(template: str):
    if not may(g.principal, Action.FIND_CAPACITY):
        return error_page(Forbidden())
    asked = _asked()
    choices = _choices()
    context = {"asked": asked, "long_term": LONG_TERM_VACANCY_TYPES, "short_stay": SHORT_STAY_SERVICES,
               "ratings": RATINGS, "funding": FUNDING_SOURCES, "updated": tuple(UPDATED_WITHIN), "sorts": SORTS,
               "choices": _offered(choices, asked), "criteria": _criteria(asked, choices), "results": None, "errors": [],
               "messages": {}, "map": None}
    if not asked:  # the empty form
        return _render(template, **context)
    try:
        query = SEARCH_QUERY.load(asked)
        found = json.loads(call("search", "find_vacancies", actor=g.claims, query=SEARCH_QUERY.dump(query)))
    except (ValidationError, InvalidInput) as refused:
        errors = _refused(refused)
        return _render(template, 422, **{**context, "errors": errors, "messages": by_field(errors)})
    except TrackerError as refused:
        return error_page(refused)
    names = {place["code"]: place["name"] for key in ("local_authorities", "sub_icbs") for place in choices[key]}
    for result in found["results"]:
        result["updated"] = when(result.get("last_updated"))
        result["contract_names"] = [names.get(c.get("commissioner_code"), c.get("commissioner_code"))
                                    for c in result.get("approved_contracts") or ()]
        for note in result.get("notes") or ():
            note["when"] = when(note.get("updated_at"))
    pages = page_links(request.path, asked, query["page"], found["has_more"])
    exports = {kind: f"/search/export.{kind}?" + urlencode({k: v for k, v in asked.items() if k != "page"}, doseq=True)
               for kind in ("csv", "xlsx")}
    here = urlencode(asked, doseq=True)
    shown_map = map_settings() if found["results"] and template == "web/search.html" else None
    if shown_map:
        g.img_sources = (image_source(shown_map["tiles"]),)  # the tiles' server, on this page only
    return _render(template, **{**context, "results": found["results"], "found": found, "pages": pages,
                                "exports": exports, "map": shown_map, "print_link": f"/search/print?{here}",
                                "search_link": f"/search?{here}", "searched_at": when(found["searched_at"])})


@blp.route("/search")
@signed_in
def find_vacancies():
    return _search_page("web/search.html")


@blp.route("/search/print")
@signed_in
def print_vacancies():
    """The same search as a page to print: the search in words and the
    results, nothing else (the print button's page where no JavaScript runs)."""
    return _search_page("web/search_print.html")


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
