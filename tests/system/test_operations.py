"""What operators and outside tools rely on: /healthz, the OpenAPI document,
the docs page, /metrics, and one correlation id from the HTTP request
through RPC into logs and events."""
from __future__ import annotations

import re

import pytest
import requests

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system


def test_healthz_names_the_broker_redis_and_every_built_service(system):
    response = system.api("GET", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"broker": "ok", "redis": "ok", "identity": "ok",
                                                          "providers": "ok", "capacity": "ok", "search": "ok",
                                                          "notifications": "ok", "reporting": "ok"}}


def test_the_openapi_document_covers_every_endpoint_with_its_bodies_and_errors(system):
    spec = system.api("GET", "/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    from gateway.app import create_app
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
              for rule in create_app().url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint.split(".")[0] in ("identity", "providers", "capacity", "search", "notifications")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    assert routes and routes <= documented
    for path, method in routes:
        operation = spec["paths"][path][method]
        errors = {code for code in operation["responses"] if code[0] in "45"}
        assert {"503", "504"} <= errors, (path, method)
        for code in errors - {"414"}:  # gunicorn answers an over-long address itself, in HTML
            content = operation["responses"][code]["content"]["application/problem+json"]
            assert content["schema"]["$ref"].endswith("/Problem"), (path, method, code)
        if method in ("post", "put", "patch") and "requestBody" in operation:
            assert "422" in errors and "415" in errors, (path, method)
        protected = not path.startswith(("/api/v1/auth/", "/api/v1/registrations"))
        assert bool(operation.get("security")) == protected, (path, method)
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TokenRequest")
    assert {"401", "403", "423"} <= set(token["responses"])


def test_the_docs_page_lists_every_endpoint(system):
    page = system.api("GET", "/api/v1/docs")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    spec = system.api("GET", "/api/v1/openapi.json").json()
    for path in spec["paths"]:
        assert path in page.text


def test_one_correlation_id_runs_from_the_request_through_rpc_logs_and_events(system, unique):
    observer = system.observe("identity.registration_submitted")
    correlation_id = f"corr-{unique()}"
    response = system.api("POST", "/api/v1/registrations", headers={"X-Request-ID": correlation_id},
                          json={"name": "Fay Example", "email": f"fay.{unique()}@meadowbank-care.example",
                                "organisation_id": "prov-meadowbank", "level": "standard"})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == correlation_id
    events = wait_until(observer.messages, message="the registration event")
    assert events[0]["correlation_id"] == correlation_id
    wait_until(lambda: correlation_id in system.log("identity"), message="identity's log line")
    lines = [line for line in system.log("identity").splitlines() if correlation_id in line]
    assert any('"entrypoint": "register"' in line for line in lines)


def test_a_malformed_request_id_is_replaced(system):
    response = system.api("GET", "/healthz", headers={"X-Request-ID": "bad id with spaces <script>"})
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["X-Request-ID"])


def test_metrics_count_requests_entrypoints_and_outbox_lag(system):
    system.api("POST", "/api/v1/auth/token", json={"email": "nobody@example.org", "password": "whatever"})
    gateway = system.api("GET", "/metrics").text
    # counted by route and status (which status depends on what the run did before: alone it is 401)
    assert re.search(r'tracker_http_requests_total\{endpoint="/api/v1/auth/token",method="POST",status="\d{3}"\} [1-9]',
                     gateway), [line for line in gateway.splitlines() if "/api/v1/auth/token" in line]
    identity = requests.get(f"http://127.0.0.1:{system.identity_metrics_port}/metrics", timeout=5).text
    assert re.search(r'tracker_entrypoint_calls_total\{entrypoint="authenticate",outcome="expected_error",'
                     r'service="identity"\} [1-9]', identity)
    assert 'tracker_outbox_lag_seconds{service="identity"}' in identity
    assert "tracker_dead_letters_total" in identity
