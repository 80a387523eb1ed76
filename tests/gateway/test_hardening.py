"""The gateway's edge, as an attacker finds it: no input gives a 500 or
reaches a service when it cannot be right (control characters, text that is
not UTF-8, JSON nested without end, a header smuggled in a redirect); every
405 says what is allowed; every answer carries the security headers; a form
sent from another site is refused; gunicorn names no software."""
from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, free_port, page

from .conftest import HERE, HOME, LOCATION, at_home

TEMPLATES = Path(__file__).parents[2] / "gateway" / "gateway" / "templates"
TOKEN_ANSWER = {"access_token": "t", "token_type": "bearer", "expires_in": 900}
CONTROL = "Must not contain control characters"


def auth(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def refused(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == set(fields), response.json
    return response.json


# -- JSON nested without end ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/auth/token", f"/api/v1/locations/{HOME}/notes"])
def test_json_nested_50000_deep_is_a_400_naming_the_body_not_a_500(client, services, token, path):
    response = client.post(path, data=nested(50_000), content_type="application/json",
                           headers=auth(token(Role.CARE_HOME_USER)))
    problem = refused(response, 400, "body")
    assert problem["code"] == "malformed_request" and "32 levels" in problem["errors"]["body"][0]
    assert services.calls == []


def test_json_is_allowed_32_levels_deep_and_refused_at_33(client, services):
    services.answer = TOKEN_ANSWER

    def send(levels: int):
        return client.post("/api/v1/auth/token", data='{"email": "a@example.org", "password": "Heron-Valley", '
                           f'"extra": {nested(levels - 1)}}}', content_type="application/json")

    assert send(33).status_code == 400 and services.calls == []
    assert send(32).status_code == 422  # past the edge: the schema refuses the unknown field, as ever


# -- control characters and text that is not UTF-8 -------------------------------------------------
@pytest.mark.parametrize("password", ["Heron\x00Valley", "Heron\x1bValley", "Heron\rValley\x7f", "Heron\ud800"],
                         ids=["NUL", "escape", "DEL", "a lone surrogate"])
def test_control_characters_in_a_json_field_are_refused_naming_it(client, services, password):
    services.answer = TOKEN_ANSWER
    response = client.post("/api/v1/auth/token", json={"email": "a@example.org", "password": password})
    problem = refused(response, 422, "password")
    assert problem["code"] == "invalid_input" and problem["errors"]["password"][0].startswith(CONTROL)
    assert services.calls == []


def test_nested_fields_are_named_by_their_path(client, services, token):
    response = client.put(f"/api/v1/locations/{HOME}/services", headers=auth(token(Role.CARE_HOME_USER)),
                          json={"languages": ["English", "Pol\x00ish"], "rooms": {"equipment": ["hoist\x00"]}})
    refused(response, 422, "languages.1", "rooms.equipment.0")
    assert services.calls == []


def test_multi_line_text_keeps_its_line_breaks_and_tabs(client, services, token):
    services.answer = LOCATION
    response = client.post(f"/api/v1/locations/{HOME}/notes", headers=auth(token(Role.CARE_HOME_USER)),
                           json={"text": "Lift out of order.\r\nUse the ramp:\tside door."})
    assert response.status_code < 300, response.json
    assert services.sent_to("providers", "add_note")["payload"]["text"].endswith("\tside door.")


def test_a_json_body_that_is_not_utf8_is_refused_naming_the_body(client, services):
    response = client.post("/api/v1/auth/token", data=b'{"email": "a\xff@example.org", "password": "x"}',
                           content_type="application/json")
    assert "UTF-8" in refused(response, 400, "body")["errors"]["body"][0]
    assert services.calls == []


@pytest.mark.parametrize("path", ["/api/v1/locations/%00", "/api/v1/locations/1-0%0d%0aX", "/api/v1/locations/%ff",
                                  "/api/v1/locations/%c0%80"])
def test_a_path_with_a_control_character_or_not_utf8_is_a_400_naming_the_path(client, services, token, path):
    services.answer = LOCATION
    refused(client.get(path, headers=auth(token(Role.ADMIN))), 400, "path")
    assert services.calls == []


@pytest.mark.parametrize("query, field", [("name=Willow%00", "name"), ("name=Wil%0Alow", "name"),
                                          ("name=%ff", "name"), ("na%00me=x", "query")])
def test_a_query_with_a_control_character_or_not_utf8_is_refused_naming_the_parameter(client, services, token,
                                                                                        query, field):
    services.answer = {"locations": [], "has_more": False}
    refused(client.get(f"/api/v1/locations?{query}", headers=auth(token(Role.ADMIN))), 422, field)
    assert services.calls == []


# -- the pages' forms ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Pets welcome\x00", "Pets %ff welcome"], ids=["NUL", "not UTF-8"])
def test_a_page_form_with_a_control_character_or_not_utf8_is_refused_naming_the_field(browser, backend, sign_in,
                                                                                      text):
    sign_in()
    at_home(backend)
    token = csrf_token(browser.get(HERE + "/notes/new"))
    backend.calls.clear()
    body = "csrf_token=" + token + "&text=" + text.replace(" ", "+")
    response = browser.post(HERE + "/notes/new", data=body.encode("latin-1"),
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "‘text’" in page(response).get_text()
    assert backend.calls == []


def test_a_next_page_smuggling_a_header_goes_home_after_signing_in(browser, backend, token):
    backend.answers[("identity", "authenticate")] = {**TOKEN_ANSWER, "access_token": token(Role.CARE_HOME_USER)}
    response = browser.post("/sign-in", data={
        "email": "casey@care.example", "password": "Heron-Valley-Beacon-27", "next": "/x\r\nSet-Cookie: evil=1",
        "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not any("evil" in value for value in response.headers.getlist("Set-Cookie"))


def test_a_next_page_with_a_line_break_in_the_address_is_refused(browser, backend):
    response = browser.get("/sign-in?next=/x%0d%0aSet-Cookie:%20evil=1")
    assert response.status_code == 400 and "‘next’" in page(response).get_text()


# -- 405 says what is allowed --------------------------------------------------------------------
def test_a_405_from_the_api_names_the_allowed_methods(client):
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"].split(", ")


def test_a_405_page_names_the_allowed_methods(browser):
    response = browser.put("/sign-in", headers={"Accept": "text/html"})
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


# -- security headers ----------------------------------------------------------------------------
def assert_secured(response) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "default-src 'self'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # PUBLIC_URL is http here
    assert "Server" not in headers


def test_every_kind_of_answer_carries_the_security_headers_and_is_not_stored(client, services, token, browser,
                                                                             sign_in):
    services.answer = {"user_id": "u-1"}
    answers = [client.get("/api/v1/me", headers=auth(token(Role.CARE_HOME_USER))),  # personal data
               client.get("/api/v1/no-such-thing"),  # an error
               client.post("/api/v1/auth/token", data=nested(100), content_type="application/json"),  # refused
               client.get("/api/v1/docs"), browser.get("/sign-in")]
    sign_in()
    at_home(services)
    answers.append(browser.get(HERE))  # a page for a signed-in person
    for response in answers:
        assert_secured(response)
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_static_files_are_secured_and_may_be_cached(client):
    response = client.get("/static/tracker.css")
    assert response.status_code == 200
    assert_secured(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_strict_transport_security_when_the_public_address_is_https(services):
    from gateway.app import create_app

    services.public_url = "https://tracker.example"
    response = create_app(services).test_client().get("/api/v1/no-such-thing")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_holds_inline_script_or_style(client):
    # A page may load a script file (CSP: 'self' only), never hold script or style of its own.
    inline = re.compile(r"<script(?!\s+src=\"\{\{ url_for\('static', filename='[^']+'\) \}\}\"(?: defer)?></script>)|<style|"
                        r"\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    offending = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if inline.search(path.read_text())]
    assert offending == []
    docs = page(client.get("/api/v1/docs"))
    assert docs.find("link", rel="stylesheet")["href"] == "/static/docs.css"
    assert client.get("/static/docs.css").status_code == 200


# -- forms from other sites ----------------------------------------------------------------------
def sign_in_form(browser) -> dict:
    return {"email": "casey@care.example", "password": "Heron-Valley-Beacon-27",
            "csrf_token": csrf_token(browser.get("/sign-in"))}


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost:8001"},
                                     {"Referer": "https://evil.example/page"},
                                     {"Origin": "https://evil.example", "Referer": "http://localhost:8000/sign-in"}],
                         ids=["another site", "an opaque origin", "another port", "referred by another site",
                              "origin wins over referer"])
def test_a_form_sent_from_another_site_is_refused_despite_its_csrf_token(browser, backend, token, headers):
    backend.answers[("identity", "authenticate")] = {**TOKEN_ANSWER, "access_token": token(Role.CARE_HOME_USER)}
    form = sign_in_form(browser)
    response = browser.post("/sign-in", data=form, headers=headers)
    assert response.status_code == 403 and "another website" in page(response).get_text()
    assert backend.calls == []


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost:8000"}, {"Origin": "HTTP://LOCALHOST:8000"},
                                     {"Referer": "http://localhost:8000/sign-in?next=/capacity"}, {}],
                         ids=["our origin", "our origin in capitals", "referred by our page", "neither header"])
def test_a_form_from_our_own_pages_or_naming_no_origin_is_accepted(browser, backend, token, headers):
    backend.answers[("identity", "authenticate")] = {**TOKEN_ANSWER, "access_token": token(Role.CARE_HOME_USER)}
    response = browser.post("/sign-in", data=sign_in_form(browser), headers=headers)
    assert response.status_code == 302


def test_the_api_takes_bearer_tokens_from_any_origin(client, services):
    services.answer = TOKEN_ANSWER
    response = client.post("/api/v1/auth/token", json={"email": "a@example.org", "password": "Heron-Valley"},
                           headers={"Origin": "https://partner.example"})
    assert response.status_code == 200


# -- gunicorn, as a real process -----------------------------------------------------------------
HELLO_APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
'''


def test_gunicorn_names_no_server_software(tmp_path):
    (tmp_path / "hello.py").write_text(HELLO_APP)
    port = free_port()
    conf = Path(__file__).parents[2] / "gateway" / "gunicorn.conf.py"
    env = {**os.environ, "GATEWAY_BIND": f"127.0.0.1:{port}", "GATEWAY_WORKERS": "1", "GATEWAY_THREADS": "1",
           "VAR_DIR": str(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(conf), "--chdir", str(tmp_path),
                               "hello:app"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/")
                response = connection.getresponse()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        assert response.status == 200 and response.read() == b"hello"
        assert response.getheader("Server") is None, response.getheaders()
    finally:
        server.terminate()
        server.wait(timeout=15)
