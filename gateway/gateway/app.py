"""Flask app factory for the gateway."""
from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

from flask import Flask, Response, g, redirect, render_template, request
from flask_smorest import Api
from flask_session import Session
from flask_wtf.csrf import CSRFProtect
from kombu import Connection
from prometheus_client import Counter, Histogram
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker_common.clock import clock_from_environment
from tracker_common.config import env, env_int, load_settings
from tracker_common.keys import verification_key, web_session_key
from tracker_common.logs import bind_correlation_id, configure_logging, get_logger
from tracker_common.revocation import RevocationList
from tracker_common.rpc import RpcPool

from . import edge, limits, metrics as gateway_metrics
from .docs import complete as complete_document
from .errors import for_a_person, problem, register_error_handlers
from .idempotency import rpc_options

log = get_logger(__name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
HTTP_REQUESTS = Counter("tracker_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
HTTP_LATENCY = Histogram("tracker_http_request_seconds", "HTTP request latency", ["method", "endpoint"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class Tracker:
    """The gateway's connections, built once per process (lazily per thread
    for RPC clients, which must not cross a fork)."""

    def __init__(self):
        settings = load_settings()
        token_lifetime = env_int("ACCESS_TOKEN_SECONDS", 900)
        self.amqp_uri = settings.amqp_uri
        self.rpc = RpcPool(settings.amqp_uri, settings.rpc_timeout)
        self.health_rpc = RpcPool(settings.amqp_uri, min(settings.rpc_timeout, 3.0))
        self.public_key = verification_key()
        self.clock = clock_from_environment()
        self.revocations = RevocationList.from_url(settings.redis_url, token_lifetime)
        self.token_lifetime = token_lifetime
        self.public_url = env("PUBLIC_URL", "http://localhost:8000")
        self.session_secret = web_session_key()
        self.session_store = self.revocations.client  # web sessions live in Redis, beside revocations
        self.redis_url = settings.redis_url  # and the rate limits' counts
        self.services = [s for s in env("HEALTH_SERVICES", "identity,providers,capacity,search,notifications,reporting")
                         .split(",") if s]

    def call(self, service: str, method: str, **kwargs):
        # rpc_options: the request id and whether a lost connection is retried, from the request answered
        return self.rpc.call(service, method, correlation_id=getattr(g, "correlation_id", None),
                             **rpc_options(), **kwargs)


def create_app(tracker: Tracker | None = None) -> Flask:
    configure_logging("gateway", load_settings().log_level)
    app = edge.EdgeFlask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=env_int("MAX_REQUEST_BYTES", 1_000_000),
        API_TITLE="Capacity Tracker API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "The open Capacity Tracker for England's adult social care. "
                                    "Errors are RFC 7807 problem details (application/problem+json)."},
            "components": {"securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An access token from POST /api/v1/auth/token, or an API key (ctk_...)."}}},
        },
    )
    tracker = tracker or Tracker()
    app.extensions["tracker"] = tracker
    app.config.update(
        # Web pages: the session (the access token, the CSRF secret) is kept
        # in Redis; the browser holds only its random id, in a cookie scripts
        # cannot read. Signing out deletes it, so a copied cookie is worthless.
        SECRET_KEY=tracker.session_secret,
        SESSION_TYPE="redis",
        SESSION_REDIS=tracker.session_store,
        SESSION_KEY_PREFIX="tracker:web-session:",
        SESSION_PERMANENT=False,  # the cookie ends with the browser
        PERMANENT_SESSION_LIFETIME=timedelta(hours=env_int("WEB_SESSION_HOURS", 8)),  # kept in Redis
        SESSION_COOKIE_NAME="tracker_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=tracker.public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # as long as the session: a form filled slowly still saves
    )
    Session(app)
    app.config.update(RATELIMIT_STORAGE_URI=tracker.redis_url, **limits.settings())
    limits.limiter.init_app(app)
    proxies = env_int("TRUSTED_PROXIES", 0)
    if proxies:  # behind a reverse proxy, the client's address is in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    api = Api(app)
    csrf = CSRFProtect(app)
    register_error_handlers(app)

    from .capacity_api import blp as capacity_blp
    from .identity_api import blp as identity_blp
    from .providers_api import blp as providers_blp
    from .notifications_api import blp as notifications_blp
    from .reports_api import blp as reports_blp
    from .search_api import blp as search_blp
    api.register_blueprint(identity_blp)
    api.register_blueprint(providers_blp)
    api.register_blueprint(capacity_blp)
    api.register_blueprint(search_blp)
    api.register_blueprint(notifications_blp)
    api.register_blueprint(reports_blp)
    complete_document(api.spec)  # what no single field says: the edge's rules, rules across fields
    for blueprint in (identity_blp, providers_blp, capacity_blp, search_blp, notifications_blp, reports_blp):
        csrf.exempt(blueprint)  # the API takes bearer tokens, never cookies: nothing to forge

    from .web import blp as web_blp
    app.register_blueprint(web_blp)

    def start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.correlation_id = incoming if REQUEST_ID.match(incoming) else str(uuid.uuid4())
        g.started = time.perf_counter()
        bind_correlation_id(g.correlation_id)
        if request.endpoint in ("capacity.upload_bulk_update", "web.bulk_update"):  # the multipart routes
            request.max_content_length = 7 * 1024 * 1024
        elif request.url_rule is not None and request.method in ("POST", "PUT", "PATCH") \
                and request.path.startswith("/api/") and (request.content_length or request.data) \
                and not request.is_json:  # (a method the route does not take: 405, not this)
            return problem(415, "unsupported_media_type", "Unsupported Media Type",
                           "Send the body as JSON with 'Content-Type: application/json'.")
        return edge.refuse_foreign_origin(tracker.public_url) or edge.refuse_bad_input()

    # First of all the hooks: bad input is refused before the CSRF check, the
    # rate limits or anything else reads the body (or stores it).
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)

    @app.after_request
    def finish_request(response: Response):
        response.headers["X-Request-ID"] = g.get("correlation_id", "")
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        HTTP_LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        log.info("request", method=request.method, path=request.path, status=response.status_code)
        return edge.secure(response, https=tracker.public_url.startswith("https://"))

    @app.get("/healthz")
    def healthz():
        """200 only when the broker, Redis and every built service answer."""
        gateway = app.extensions["tracker"]
        checks = {}
        try:
            with Connection(gateway.amqp_uri, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as exc:  # any failure means "not healthy", named in the body
            checks["broker"] = f"unavailable: {exc.__class__.__name__}"
        try:
            gateway.revocations.client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {exc.__class__.__name__}"
        for service in gateway.services:
            try:
                gateway.health_rpc.call(service, "health", correlation_id=g.correlation_id)
                checks[service] = "ok"
            except Exception as exc:
                checks[service] = f"unavailable: {getattr(exc, 'detail', exc.__class__.__name__)}"
        healthy = all(v == "ok" for v in checks.values())
        return {"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503

    @app.get("/metrics")
    def metrics():
        return Response(gateway_metrics.render(), mimetype=gateway_metrics.CONTENT_TYPE)

    @app.get("/api/v1/docs")
    def docs():
        spec = api.spec.to_dict()
        return render_template("docs.html", spec=spec)

    @app.get("/")
    def index():
        """People (browsers) start at the page for their job; programs get the API's index."""
        if for_a_person():
            return redirect("/start")
        return {"service": "Capacity Tracker API", "docs": "/api/v1/docs",
                "openapi": "/api/v1/openapi.json", "health": "/healthz"}

    return app
