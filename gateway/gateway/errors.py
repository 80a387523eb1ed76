"""One error format for the whole API: RFC 7807 problem details, with
`errors` naming each bad field. One table maps service errors to HTTP."""
from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tracker_common.contracts.errors import TrackerError, http_status
from tracker_common.logs import get_logger
from tracker_common.rpc import ServiceTimeout, ServiceUnavailable

log = get_logger(__name__)
PROBLEM_JSON = "application/problem+json"

# Errors raised at the edge (the gateway's own, not from a service).
EDGE_STATUS = {ServiceUnavailable: 503, ServiceTimeout: 504}


def problem(status: int, code: str, title: str, detail: str | None = None,
            errors: dict | None = None, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    body["correlation_id"] = getattr(g, "correlation_id", None)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _flatten_webargs(messages) -> dict:
    """webargs nests field errors under the location ('json', 'query')."""
    if not isinstance(messages, dict):
        return {"body": messages if isinstance(messages, list) else [str(messages)]}
    flat = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[location if location not in ("json", "form") else "body"] = errors
    return flat


def for_a_person() -> bool:
    """Whether the request came from a browser page (answer with HTML) rather
    than a program using the API."""
    if request.blueprint == "web":
        return True
    if request.path.startswith("/api/"):
        return False
    accept = request.accept_mimetypes
    return accept.accept_html and accept["text/html"] > accept["application/json"]


PAGES = {  # status -> (title, what to do), GOV.UK's wording for its error pages
    400: ("Sorry, there is a problem with this request", "Go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check "
                            "you copied the entire address."),
    405: ("Page not found", "Go back and try again."),
    413: ("The file is too big", "Go back and choose a smaller file."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. It has been logged."),
}


def page(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    return render_template("web/problem.html", title=title or default_title,
                           message=message or default_message), status


def handle_http_exception(error: HTTPException):
    """The error's own headers are kept (Allow on a 405, as RFC 9110 asks;
    WWW-Authenticate...), only its body is ours."""
    response = current_app.make_response(_answer_http_exception(error))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _answer_http_exception(error: HTTPException):
    if for_a_person():
        if isinstance(error, CSRFError):
            return page(400, "This form has expired", "Go back, reload the page and try again. "
                                                      "Nothing has been saved.")
        return page(error.code or 500)
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if error.code == 400 and messages:
        flat = _flatten_webargs(messages)
        return problem(400, "malformed_request", "The request body is not valid JSON", errors=flat)
    if error.code == 422 and messages:
        return problem(422, "invalid_input", "The request has invalid fields",
                       errors=_flatten_webargs(messages))
    if error.code >= 500:
        log.error("unhandled error", status=error.code, error=repr(getattr(error, "original_exception", error)))
    if error.code == 429:
        return problem(429, "too_many_requests", "Too Many Requests",
                       f"Too many requests from your address (at most {error.description}): wait, then try again.")
    code = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            413: "request_too_large", 415: "unsupported_media_type",
            429: "too_many_requests"}.get(error.code, "http_error")
    return problem(error.code, code, error.name, data.get("message") or error.description)


def handle_tracker_error(error: TrackerError):
    status = EDGE_STATUS.get(type(error)) or http_status(error)
    if for_a_person():
        return page(status, type(error).title, error.detail)
    body = dict(error.body)
    code = body.pop("code", error.code)
    detail = body.pop("detail", None)
    field_errors = body.pop("errors", None)
    if status >= 500 and status not in (503, 504):
        log.error("service error without an HTTP mapping", code=code)
    return problem(status, code, type(error).title, detail, field_errors, **body)


def handle_unexpected(error: Exception):
    log.error("unhandled exception", exc_info=error)
    if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED"):
        raise error
    if for_a_person():
        return page(500)
    return problem(500, "internal_error", "Internal Server Error",
                   "Something went wrong on our side; it has been logged.")


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(TrackerError, handle_tracker_error)
    app.register_error_handler(Exception, handle_unexpected)
