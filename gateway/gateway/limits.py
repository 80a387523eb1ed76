"""Rate limits on what anyone may call without signing in: signing in,
applying for an account, looking up places, the public bed state. Counted
per client address in Redis, so every gunicorn worker (and every gateway)
shares the count; when Redis cannot answer, requests go through rather than
fail (the limits protect the service, they must not stop it).

Each limit is set in the environment ("30 per minute"; "10/hour;100/day")."""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tracker_common.config import env

DEFAULTS = {
    "RATE_LIMIT_SIGN_IN": "20 per minute",  # on top of the 5-wrong-passwords lock of each account
    "RATE_LIMIT_REGISTRATION": "10 per hour",
    "RATE_LIMIT_PUBLIC": "120 per minute",  # place lookups, the bed state, the areas
}

KEY_PREFIX = "tracker:rate-limit"
limiter = Limiter(key_func=get_remote_address, key_prefix=KEY_PREFIX, headers_enabled=True, swallow_errors=True,
                  strategy="moving-window")


def settings() -> dict[str, str]:
    return {name: env(name, default) for name, default in DEFAULTS.items()}


def _limit(name: str):
    return lambda: current_app.config[name]


sign_in = limiter.limit(_limit("RATE_LIMIT_SIGN_IN"), methods=["POST"])
registration = limiter.limit(_limit("RATE_LIMIT_REGISTRATION"), methods=["POST"])
public = limiter.limit(_limit("RATE_LIMIT_PUBLIC"))
