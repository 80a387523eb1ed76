"""The OpenAPI document says what the gateway and the services enforce:
each pattern written in it accepts exactly what the schema behind it
accepts, every refusal the edge can give is documented, and the rules
across fields are in it. (The whole API is fuzzed against the document in
tests/system/test_openapi_fuzz.py; these are the parts of it, fast.)"""
from __future__ import annotations

import re

import pytest
from marshmallow import Schema

from tracker_common.contracts.capacity import HistoryQuery, Price, decimal_pattern
from tracker_common.contracts.identity import Identifier, Name
from tracker_common.contracts.reporting import Month
from tracker_common.contracts.search import POSTCODE_OR_DISTRICT, Postcode


@pytest.fixture(scope="module")
def document():
    from gateway.app import create_app

    from .conftest import Services
    return create_app(Services()).test_client().get("/api/v1/openapi.json").get_json()


def accepts(field, value) -> bool:
    schema = Schema.from_dict({"value": field})()
    return not schema.validate({"value": value})


def documented(pattern: str, value: str) -> bool:
    return re.search(pattern, value) is not None  # as JSON Schema applies a pattern: anywhere unless anchored


AGREEMENT = [
    (Identifier(), re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,63}$").pattern,
     ["prov-1", "1-101", "a", "", "../x", " a", "a b", "x" * 64, "x" * 65, "é"]),
    (Name(), None, ["Ann", " Ann ", "Siobhán O'Brien-Smith Jr.", "79 Lime Drive", "Lime 79", "\tAnn", "-Ann", ""]),
    (Postcode(), POSTCODE_OR_DISTRICT,
     ["S70 1AA", "s701aa", "SW1A", " gir 0aa ", "S7O 1AA", "xx", "S70 1AC", "", "S70-1AA", "SW1A 1AA 1AA"]),
    (Month(), Month.PATTERN, ["2026-11", " 2026-01 ", "2026-13", "2026-1", "0000-01", "0001-01", "26-11", ""]),
    (Price(), decimal_pattern(2, 0, 10_000),
     # (Decimal's other spellings, "1E+3", are accepted beyond the document: capacity's rules want them)
     ["0", "850.00", "850.100", "10000", "10000.00", "10000.01", "99999", "0.5", "850.999", "-1", " 85 ",
      "1,000", "£85"]),
]


@pytest.mark.parametrize("field, pattern, values", AGREEMENT, ids=lambda x: type(x).__name__ if not isinstance(
    x, (str, list, type(None))) else "")
def test_a_documented_pattern_accepts_what_the_schema_accepts(field, pattern, values):
    if pattern is None:  # a Regexp validator: the pattern apispec writes in the document
        pattern = next(v.regex.pattern for v in field.validators if hasattr(v, "regex"))
    for value in values:
        assert documented(pattern, value) == accepts(field, value), value


def test_a_history_query_from_any_offset_reaches_the_database_in_utc():
    # PostgreSQL refuses offsets beyond 15:59 (this was a 500); years 1 to 9999 in any offset are valid
    query = HistoryQuery().load({"since": "0243-05-17T10:00:00-21:06", "until": "0001-01-01T00:00:00+05:00"})
    assert query["since"].utcoffset().total_seconds() == 0 and query["since"].year == 243
    assert query["until"].utcoffset().total_seconds() == 0 and query["until"].year == 1


def test_problem_answers_may_carry_members_of_their_own(document):
    # RFC 7807 extension members: locked_until, rule, terms_version, mfa_token...
    assert document["components"]["schemas"]["Problem"].get("additionalProperties") is True


def test_every_refusal_of_the_edge_is_documented(document):
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "400" in responses, (method, path)  # a path that is not UTF-8 or holds control characters
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
            if any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert {"414", "422"} <= responses.keys(), (method, path)
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] in ("path", "query") and schema.get("type") == "string" \
                        and "enum" not in schema and "format" not in schema:
                    assert not documented(schema["pattern"], "a\x00b"), (method, path, parameter["name"])
                    assert not documented(schema["pattern"], "a\nb"), (method, path, parameter["name"])


def test_free_text_in_a_body_may_break_lines_but_holds_no_other_control_character(document):
    note = document["components"]["schemas"]["NoteBody"]["properties"]
    text = next(value for value in note.values() if value.get("type") == "string")
    assert documented(text["pattern"], "First line\nsecond line\ttabbed")
    assert not documented(text["pattern"], "a\x00b") and not documented(text["pattern"], "a\x85b")


def test_rules_across_fields_are_in_the_document(document):
    schemas = document["components"]["schemas"]
    for name, decision in (("DecisionRequest", "approve"), ("ContractDecision", "approve")):
        assert {"enum": [decision]} in [branch["properties"].get("decision") for branch in schemas[name]["anyOf"]]
        assert ["reason"] in [branch.get("required") for branch in schemas[name]["anyOf"]]
    assert schemas["ProfileUpdate"]["minProperties"] == 1
    prices = schemas["CapacityReturnRequest"]["properties"]["short_stay_prices"]
    assert prices["additionalProperties"] is False and "respite_care" in prices["properties"]


def test_a_postcode_in_a_path_is_documented_as_the_service_checks_it(document):
    parameters = document["paths"]["/api/v1/postcodes/{postcode}"]["parameters"]
    assert next(p for p in parameters if p["name"] == "postcode")["schema"]["pattern"] == POSTCODE_OR_DISTRICT


def test_an_upload_is_documented_as_multipart_only(document):
    body = document["paths"]["/api/v1/capacity/bulk-uploads"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    assert body["multipart/form-data"]["schema"]["properties"]["declaration"]["enum"] == [True]
