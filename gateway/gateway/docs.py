"""Decorators that document an endpoint's security and error responses in
the OpenAPI document, next to the code that produces them."""
from __future__ import annotations

from functools import reduce

from .auth import BEARER, login_required
from .errors import Problem

ERROR_DESCRIPTIONS = {
    400: "Malformed request (the body is not valid JSON)",
    401: "Not authenticated, or bad credentials",
    403: "Not allowed",
    404: "Not found (or not visible to you)",
    409: "Conflicts with the current state",
    413: "Request too large",
    415: "The body is not JSON",
    422: "Invalid fields (each named in `errors`)",
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
