"""`Idempotency-Key` (IETF httpapi draft "The Idempotency-Key HTTP Header
Field"): a client that sends a POST again -- because it never heard the
answer -- with the same key creates nothing twice.

- same key, same body, same caller: the first answer again (status, body,
  Content-Type and Location), marked `Idempotent-Replayed: true`;
- same key, another body: 422 naming `Idempotency-Key`;
- same key while the first request is still being answered: 409;
- a malformed key: 400 naming `Idempotency-Key`.

Answers are kept in Redis for IDEMPOTENCY_KEY_HOURS (24), keyed by the caller
(the signed-in user, else the client's address), the route and the key, so
one caller never reads another's answer. Only answers that changed something
(2xx, and a web form's redirect) are kept: a refused request changed nothing,
so it simply runs again. The key also names the RPC requests the gateway
sends (`rpc_options`): a service that already applied one -- sent before a
503, or redelivered after a crash -- answers it from its first outcome.

Web forms carry a key in a hidden field (`idempotency_key`, made when the
form is rendered): the same form submitted twice creates one thing.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from base64 import b64decode, b64encode
from functools import wraps

from flask import Response, current_app, g, has_request_context, request
from redis.exceptions import RedisError

from tracker_common.config import env_int
from tracker_common.logs import get_logger

from .docs import errors
from .errors import problem

log = get_logger(__name__)
HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"^[!-~]{1,255}$")  # printable ASCII, as the draft's sf-string allows
PREFIX = "tracker:idempotency:"
# A worker that died mid-request frees its key after this. Safe even if a
# slow first request outlives it: the services' request ids (made from the
# key) keep a second one from being applied.
IN_FLIGHT_SECONDS = env_int("IDEMPOTENCY_IN_FLIGHT_SECONDS", 30)
WEB_WAIT_SECONDS = 15  # a form sent twice at once: the second waits for the first's answer
KEPT_HEADERS = ("Content-Type", "Location")

PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": "A unique value you make for this request (a UUID, optionally quoted as a "
                   "structured-field string), to send it again safely: the same key with the same body "
                   "gives the first answer again (marked `Idempotent-Replayed: true`) and creates nothing; "
                   "with another body 422; while the first is still being answered 409. Kept 24 hours, "
                   "per caller.",
}

# Delete the in-flight marker only if it is still ours (never another request's answer).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class _Claim:
    """This request's hold on a key: `outcome` is new, replay, mismatch or in_flight."""

    def __init__(self, redis_key: str, fingerprint: str, marker: str, outcome: str, stored: dict | None):
        self.redis_key, self.fingerprint, self.marker = redis_key, fingerprint, marker
        self.outcome, self.stored = outcome, stored


def _redis():
    return current_app.extensions["tracker"].session_store


def _hours() -> int:
    return env_int("IDEMPOTENCY_KEY_HOURS", 24)


def parse_key(raw: str) -> str | None:
    """The key from the header (an sf-string `"..."`, or bare), or None when malformed."""
    raw = raw.strip()
    if not KEY.match(raw):
        return None
    if len(raw) >= 3 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return raw


def caller_scope() -> str:
    claims = g.get("claims")
    if claims:
        return f"user:{claims['sub']}"
    return f"address:{request.remote_addr}"


def request_fingerprint() -> str:
    """What makes two requests "the same": method, route, query and body
    (a form's fields and files, whatever multipart boundary carried them)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in sorted(request.form.items(multi=True)):
            if name not in ("csrf_token", FORM_FIELD):
                digest.update(json.dumps([name, value]).encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            content = upload.stream.read()
            upload.stream.seek(0)
            digest.update(json.dumps([name, upload.filename, hashlib.sha256(content).hexdigest()]).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(key: str) -> _Claim:
    route = request.url_rule.rule if request.url_rule else request.path
    scope = hashlib.sha256(f"{caller_scope()}\n{request.method} {route}\n{key}".encode()).hexdigest()
    fingerprint = request_fingerprint()
    redis_key = PREFIX + scope
    marker = json.dumps({"state": "in_flight", "fingerprint": fingerprint, "owner": str(uuid.uuid4())})
    claim = _Claim(redis_key, fingerprint, marker, "new", None)
    g.idempotency = claim  # names this request's RPC calls (rpc_options), with or without Redis
    try:
        if _redis().set(redis_key, marker, nx=True, ex=IN_FLIGHT_SECONDS):
            return claim
        stored_text = _redis().get(redis_key)
    except RedisError as exc:  # the services' request ids still stop a second write
        log.warning("idempotency keys unavailable (Redis)", error=exc.__class__.__name__)
        claim.marker = None
        return claim
    if stored_text is None:  # expired between the two calls: try once more
        return _claim(key)
    stored = json.loads(stored_text)
    if stored["fingerprint"] != fingerprint:
        claim.outcome = "mismatch"
    elif stored["state"] == "in_flight":
        claim.outcome = "in_flight"
    else:
        claim.outcome, claim.stored = "replay", stored
    return claim


def _finish(claim: _Claim, response: Response) -> Response:
    """Keep an answer that changed something; free the key otherwise."""
    if claim.marker is None:
        return response
    try:
        if 200 <= response.status_code < 400:
            record = {"state": "done", "fingerprint": claim.fingerprint, "status": response.status_code,
                      "headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
                      "body": b64encode(response.get_data()).decode()}
            _redis().set(claim.redis_key, json.dumps(record), ex=_hours() * 3600)
        else:
            _release(claim)
    except RedisError as exc:
        log.warning("idempotent answer not kept (Redis)", error=exc.__class__.__name__)
    return response


def _release(claim: _Claim) -> None:
    if claim.marker is None:
        return
    try:
        _redis().eval(_RELEASE, 1, claim.redis_key, claim.marker)
    except RedisError as exc:
        log.warning("idempotency key not released (Redis)", error=exc.__class__.__name__)


def _replay(stored: dict) -> Response:
    response = Response(b64decode(stored["body"]), status=stored["status"], headers=stored["headers"])
    response.headers[REPLAYED] = "true"
    return response


def _run(claim: _Claim, view, args, kwargs):
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except BaseException:
        _release(claim)
        raise
    return _finish(claim, response)


def _key_problem(status: int, code: str, title: str, detail: str) -> Response:
    return problem(status, code, title, detail, errors={HEADER: [detail]})


def idempotent(blp):
    """An API POST that creates something takes an `Idempotency-Key` (put it
    under the route's authentication, so the caller is known)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            raw = request.headers.get(HEADER)
            if raw is None:
                return view(*args, **kwargs)
            key = parse_key(raw)
            if key is None:
                return _key_problem(400, "invalid_idempotency_key", "The Idempotency-Key is not valid",
                                    "Send 1 to 255 printable ASCII characters (a UUID, say), or a quoted string.")
            claim = _claim(key)
            if claim.outcome == "mismatch":
                return _key_problem(422, "idempotency_key_reused", "The Idempotency-Key was used for another request",
                                    "This key was already used with a different request body: make a new key "
                                    "for a new request.")
            if claim.outcome == "in_flight":
                answer = _key_problem(409, "idempotency_key_in_use", "A request with this Idempotency-Key is "
                                      "being answered", "The first request with this key has not been answered "
                                      "yet: try again in a moment.")
                answer.headers["Retry-After"] = "1"
                return answer
            if claim.outcome == "replay":
                return _replay(claim.stored)
            return _run(claim, view, args, kwargs)
        return errors(blp, 400, 409, 422)(blp.doc(parameters=[PARAMETER])(wrapper))
    return decorate


def form_once(view):
    """A web form that creates something, sent with its hidden
    `idempotency_key`: sent twice (a double click, a reload), it creates once
    and both get the first answer (the second waits for it)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = parse_key(request.form.get(FORM_FIELD, "")) if request.method == "POST" else None
        if key is None:
            return view(*args, **kwargs)
        claim = _claim(key)
        deadline = time.monotonic() + WEB_WAIT_SECONDS
        while claim.outcome == "in_flight" and time.monotonic() < deadline:
            time.sleep(0.2)
            claim = _claim(key)
        if claim.outcome == "replay":
            return _replay(claim.stored)
        if claim.outcome == "mismatch":  # changed after going back, and sent again: a new submission
            g.pop("idempotency", None)
            return view(*args, **kwargs)
        if claim.outcome == "in_flight":  # still unanswered: the services' request ids keep it single
            return view(*args, **kwargs)
        return _run(claim, view, args, kwargs)
    return wrapper


def new_form_key() -> str:
    """The hidden field's value for a form being rendered (kept when the same
    form is shown again with its errors: nothing was created then)."""
    sent = request.form.get(FORM_FIELD) if request.method == "POST" else None
    return sent if sent and parse_key(sent) else str(uuid.uuid4())


def rpc_options() -> dict:
    """How the gateway sends this request's next RPC call: its request id
    (from the Idempotency-Key when there is one, so that the same request
    sent again is recognised by the service) and whether a call that lost
    its broker connection may be sent again (reads, and keyed writes)."""
    if not has_request_context():
        return {}
    claim = g.get("idempotency")
    keyed = claim is not None
    options = {"retry": request.method in ("GET", "HEAD") or keyed}
    if keyed:
        g.rpc_calls = g.get("rpc_calls", 0) + 1
        options["request_id"] = hashlib.sha256(
            f"{claim.redis_key}\n{claim.fingerprint}\n{g.rpc_calls}".encode()).hexdigest()
    return options
