"""The gateway's edge: what every request must pass before any route sees it,
and what every answer carries. Kept in one place so that no route can forget
it (a route added tomorrow is covered without a line of its own).

- Text reaching a service is valid Unicode without control characters: NUL
  and the like are refused here, naming the field, before PostgreSQL (which
  cannot store NUL) or a response header (where CR/LF would forge headers)
  ever sees them. Line breaks and tabs are allowed only in bodies, where
  multi-line free text (notes) lives; never in a path or a query string.
- JSON deeper than MAX_JSON_DEPTH is refused before any parser recurses.
- State-changing page requests must come from our own pages (Origin, else
  Referer, against PUBLIC_URL), beside the CSRF token.
- Every answer carries the security headers; only static files may be cached.
"""
from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, Response, g, request

from tracker_common.logs import get_logger

from .errors import for_a_person, page, problem

log = get_logger(__name__)

MAX_JSON_DEPTH = 32
# Unicode's control characters (C0, DEL, C1) and lone surrogates (not text at all).
NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF and CR allowed
CONTROL_CHARACTERS = "Must not contain control characters (such as NUL, or a line break here)."
NOT_UTF8 = "Must be valid UTF-8 text."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The pages use only their own stylesheet and images: no script at all, nothing inline.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                      "microphone=(), payment=(), usb=()")
HSTS = "max-age=31536000; includeSubDomains"


class BadInput(Exception):
    def __init__(self, status: int, errors: dict[str, list[str]]):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors


class EdgeFlask(Flask):
    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect never carries a line break or other control character
        into the Location header: such a place (from `next`, say) goes home."""
        if NOT_IN_A_LINE.search(location):
            log.warning("redirect to a location with control characters refused")
            location = "/"
        return super().redirect(location, code)


# -- requests ----------------------------------------------------------------------------------
def refuse_bad_input() -> Response | tuple | None:
    """The answer refusing the request, or None to let it through."""
    try:
        check_path()
        errors = check_fields(request.query_string, NOT_IN_A_LINE, "query")
        errors.update(check_body())
    except BadInput as bad:
        return refusal(bad.status, bad.errors)
    return refusal(422, errors) if errors else None


def check_path() -> None:
    environ = request.environ
    # The path as sent (gunicorn's RAW_URI): PATH_INFO may already have had
    # what is not UTF-8 replaced by the server.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    try:
        paths = [environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8"),  # WSGI: a byte a character
                 unquote_to_bytes(urlsplit(raw.encode("latin-1")).path).decode("utf-8")]
    except UnicodeError:
        raise BadInput(400, {"path": [NOT_UTF8]}) from None
    if any(NOT_IN_A_LINE.search(path) for path in paths):
        raise BadInput(400, {"path": [CONTROL_CHARACTERS]})


def check_fields(encoded: bytes, refused: re.Pattern, where: str) -> dict[str, list[str]]:
    """Each field of a query string or form body (name=value&...), decoded
    strictly: werkzeug would quietly replace what is not UTF-8."""
    errors: dict[str, list[str]] = {}
    for pair in encoded.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            name_text = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            errors[where] = ["A field's name is not valid UTF-8 text."]
            continue
        if NOT_IN_A_LINE.search(name_text):
            errors[where] = ["A field's name must not contain control characters."]
            continue
        try:
            value_text = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            errors[name_text] = [NOT_UTF8]
            continue
        if refused.search(value_text):
            errors[name_text] = [CONTROL_CHARACTERS]
    return errors


def check_body() -> dict[str, list[str]]:
    if request.is_json:
        return check_json(request.get_data(cache=True))
    if request.mimetype == "application/x-www-form-urlencoded":
        return check_fields(request.get_data(cache=True), NOT_IN_TEXT, "body")
    if request.mimetype == "multipart/form-data":
        errors = {name: [CONTROL_CHARACTERS] for name, value in request.form.items(multi=True)
                  if NOT_IN_TEXT.search(value)}
        errors.update({name: ["The file's name must not contain control characters."]
                       for name, upload in request.files.items(multi=True)
                       if upload.filename and NOT_IN_A_LINE.search(upload.filename)})
        return errors
    return {}


def check_json(raw: bytes) -> dict[str, list[str]]:
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8
    except UnicodeDecodeError:
        raise BadInput(400, {"body": [NOT_UTF8]}) from None
    try:
        document = json.loads(text)
    except RecursionError:  # far deeper than the cap: the decoder gave up first
        raise BadInput(400, {"body": [f"Must not be nested more than {MAX_JSON_DEPTH} levels deep."]}) from None
    except ValueError:
        return {}  # not JSON: the route's own parser says so, as it always has
    return check_document(document)


def check_document(document) -> dict[str, list[str]]:
    """Every text in the document, named by its path (`contacts.0.name`);
    iterative, so a deep document cannot exhaust the stack here either."""
    errors: dict[str, list[str]] = {}
    stack = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if NOT_IN_TEXT.search(value):
                errors[path or "body"] = [CONTROL_CHARACTERS]
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadInput(400, {"body": [f"Must not be nested more than {MAX_JSON_DEPTH} levels deep."]})
        for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
            if isinstance(key, str) and NOT_IN_A_LINE.search(key):
                errors[path or "body"] = ["A field's name must not contain control characters."]
                continue
            stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))
    return errors


def refusal(status: int, errors: dict[str, list[str]]):
    log.info("bad input refused at the edge", fields=sorted(errors))
    if for_a_person():
        named = ", ".join(f"‘{name}’" for name in sorted(errors))
        return page(400, message=f"The request had characters that cannot be accepted in {named}. "
                                 "Go back, check what you entered and try again. Nothing has been saved.")
    if status == 400:
        return problem(400, "malformed_request", "The request is malformed", errors=errors)
    return problem(422, "invalid_input", "The request has invalid fields", errors=errors)


def origin_of(url: str | None) -> tuple | None:
    """(scheme, host, port) of a URL, or None if it has none (`null`, junk)."""
    try:
        parts = urlsplit(url or "")
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return None
    return (scheme, host, port) if scheme and host else None


def refuse_foreign_origin(public_url: str):
    """A form sent to a page from another site's page is refused, whatever
    its CSRF token; a request naming no origin at all is left to the token."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return None  # the API takes bearer tokens, which no other site's page holds
    sent_from = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent_from or origin_of(sent_from) == origin_of(public_url):
        return None
    log.warning("form from another site refused", origin=origin_of(sent_from))
    if for_a_person():
        return page(403, "This form was sent from another website",
                    "Nothing has been saved. Go to the Capacity Tracker's own page and try again.")
    return problem(403, "forbidden", "Forbidden", "The request came from another website.")


# -- answers -----------------------------------------------------------------------------------
def image_source(url_template: str) -> str | None:
    """The Content-Security-Policy source of the server a URL template
    (map tiles: `https://{s}.tile.example/{z}/{x}/{y}.png`) names:
    `https://*.tile.example`; None for a path on this site, or a URL that
    is no plain http(s) server (it is then not allowed at all)."""
    found = IMAGE_SERVER.match(url_template or "")
    if not found:
        return None
    return f"{found['scheme'].lower()}://{found['host'].replace('{s}', '*').lower()}{found['port'] or ''}"


IMAGE_SERVER = re.compile(r"^(?P<scheme>https?)://(?P<host>(?:\{s\}\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)"
                          r"(?P<port>:\d{1,5})?(?:/[^\s;,']*)?$")


def secure(response: Response, https: bool) -> Response:
    headers = response.headers
    # A page may show images from one more server (the map's tiles): the view names it in g.img_sources.
    extra = " ".join(source for source in g.get("img_sources", ()) if source)
    headers["Content-Security-Policy"] = (CONTENT_SECURITY_POLICY.replace("img-src 'self'", f"img-src 'self' {extra}")
                                          if extra else CONTENT_SECURITY_POLICY)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if https:
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        # Pages and API answers may hold personal data, and most requests
        # carry a session or token: no browser or proxy keeps a copy.
        headers["Cache-Control"] = "no-store"
    return response
