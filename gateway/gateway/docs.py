"""Decorators that document an endpoint's security and error responses in
the OpenAPI document, next to the code that produces them."""
from __future__ import annotations

from functools import reduce

from tracker_common.contracts.errors import Problem
from tracker_common.contracts.search import POSTCODE_OR_DISTRICT

from .auth import BEARER, login_required

ERROR_DESCRIPTIONS = {
    400: "Malformed request (the body is not valid JSON)",
    401: "Not authenticated, or bad credentials",
    403: "Not allowed",
    404: "Not found (or not visible to you)",
    409: "Conflicts with the current state",
    413: "Request too large",
    415: "The body is not JSON",
    422: "Invalid fields, or a rule broken that needs what the services hold (an organisation that must "
         "exist, a location's vacancy types...) or relates fields: each named in `errors`",
    423: "Account locked",
    429: "Too many requests from your address: wait for Retry-After seconds",
    503: "A service or the broker is unavailable",
    504: "A service did not answer in time",
}


def errors(blp, *statuses: int):
    """Document problem+json responses (always 503/504: every call crosses RPC)."""
    codes = sorted(set(statuses) | {503, 504})

    def decorate(view):
        return reduce(lambda v, code: blp.alt_response(
            code, schema=Problem, description=ERROR_DESCRIPTIONS[code],
            content_type="application/problem+json")(v), codes, view)
    return decorate


def secured(blp):
    """Require a bearer token / API key, and say so in the document."""
    def decorate(view):
        return blp.doc(security=[BEARER])(login_required(view))
    return decorate


# -- what the document must say beyond what each field says ----------------------------------
# The edge refuses control characters (gateway.edge) in every text: a
# path or query value holds none at all, a body's text may hold line breaks
# and tabs. Said once here for every text of every request.
NO_CONTROL_IN_A_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
NO_CONTROL_IN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
TEXT_FORMATS_CHECKED_ELSEWHERE = {"email", "date-time", "date", "binary", "uuid", "decimal"}

# Rules across fields that a body's schema enforces (validates_schema), in
# the document's words: each body schema named here gets these keywords.
BODY_RULES = {
    "DecisionRequest": {"description": "A reason is required to reject.", "anyOf": [
        {"properties": {"decision": {"enum": ["approve"]}}},
        {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": r"\S"}}}]},
    "ContractDecision": {"description": "A reason is required to decline.", "anyOf": [
        {"properties": {"decision": {"enum": ["approve"]}}},
        {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": r"\S"}}}]},
    "ProfileUpdate": {"minProperties": 1},
}
# Path parameters the services check beyond "some text", by name.
PATH_PARAMETERS = {"postcode": {"pattern": POSTCODE_OR_DISTRICT, "maxLength": 20}}


def complete(spec) -> None:
    """Add to the generated document what no single field says: the edge's
    refusals (control characters, a malformed path, a body too large) and
    the rules across fields of BODY_RULES. Called once, after every blueprint is registered."""
    schemas = spec.components.schemas
    for name, rules in BODY_RULES.items():
        if name in schemas:
            schemas[name].update(rules)
    for schema in schemas.values():
        # A dict whose keys are a vocabulary lists them as `properties` and marks itself
        # `x-only-these-keys` (apispec would write its values' schema as additionalProperties).
        for value in (schema.get("properties") or {}).values():
            if value.pop("x-only-these-keys", False):
                value["additionalProperties"] = False
    bodies: set[str] = set()
    for path_item in spec._paths.values():
        for parameter in path_item.get("parameters", []):
            parameter.get("schema", {}).update(PATH_PARAMETERS.get(parameter["name"], {}))
            _no_control(parameter.get("schema"), NO_CONTROL_IN_A_LINE)
        for method, operation in path_item.items():
            if method == "parameters":
                continue
            # The edge refuses a path that is not UTF-8 or holds control characters (400),
            # and a query string's field holding them (422), on every route.
            operation["responses"].setdefault("400", _problem(400))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("query", "path"):
                    _no_control(parameter.get("schema"), NO_CONTROL_IN_A_LINE)
                if parameter.get("in") == "query":
                    operation["responses"].setdefault("422", _problem(422))
                    operation["responses"].setdefault("414", REQUEST_LINE_TOO_LONG)
            body = operation.get("requestBody")
            if not body:
                continue
            operation["responses"].setdefault("413", _problem(413))
            for content in body.get("content", {}).values():
                _no_control(content.get("schema"), NO_CONTROL_IN_TEXT, schemas, bodies)


# gunicorn's own answer, before the API sees the request (limit_request_line).
REQUEST_LINE_TOO_LONG = {"description": "The address with its query is too long (over 4 KB)",
                         "content": {"text/html": {"schema": {"type": "string"}}}}


def _problem(code: int) -> dict:
    return {"description": ERROR_DESCRIPTIONS[code],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _no_control(schema, pattern: str, components=None, seen: set | None = None) -> None:
    """Give every free text of `schema` (following $refs into `components`) the pattern."""
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if reference:
        name = reference.rsplit("/", 1)[-1]
        if components is not None and name not in seen:
            seen.add(name)
            _no_control(components.get(name), pattern, components, seen)
        return
    if schema.get("type") == "string" and not ({"pattern", "enum"} & schema.keys()) \
            and schema.get("format") not in TEXT_FORMATS_CHECKED_ELSEWHERE:
        schema["pattern"] = pattern
    for key in ("properties", "patternProperties"):
        for value in (schema.get(key) or {}).values():
            _no_control(value, pattern, components, seen)
    for key in ("items", "additionalProperties"):
        _no_control(schema.get(key), pattern, components, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for value in schema.get(key) or []:
            _no_control(value, pattern, components, seen)
