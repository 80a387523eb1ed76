"""Rate limits on what anyone may call without signing in: signing in,
forgotten passwords, applying for an account, looking up places, the
public bed state. Counted in Redis, so every gunicorn worker (and every
gateway) shares the count; when Redis cannot answer, requests go through
rather than fail (the limits protect the service, they must not stop it).

Every route that checks a password (the API's token and password change,
the sign-in page, the web's password change) draws on one budget per client
address and one per account (the email given), so trying passwords on
four routes gets no more tries than on one; forgotten-password links have
budgets of their own, the same way.

Each limit is set in the environment ("30 per minute"; "10/hour;100/day")."""
from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tracker_common.config import env

DEFAULTS = {
    # on top of the 5-wrong-passwords lock of each account
    "RATE_LIMIT_SIGN_IN": "20 per minute",  # per client address
    "RATE_LIMIT_SIGN_IN_ACCOUNT": "10 per minute",  # per account, from any address
    "RATE_LIMIT_PASSWORD_RESET": "10 per hour",  # links asked for and used, per client address
    "RATE_LIMIT_PASSWORD_RESET_ACCOUNT": "3 per hour",  # links sent to one address: no mail bombing
    "RATE_LIMIT_REGISTRATION": "10 per hour",
    "RATE_LIMIT_PUBLIC": "120 per minute",  # place lookups, the bed state, the areas
}

KEY_PREFIX = "tracker:rate-limit"
MAX_EMAIL_LENGTH = 254
limiter = Limiter(key_func=get_remote_address, key_prefix=KEY_PREFIX, headers_enabled=True, swallow_errors=True,
                  strategy="moving-window")


def settings() -> dict[str, str]:
    return {name: env(name, default) for name, default in DEFAULTS.items()}


def _limit(name: str):
    return lambda: current_app.config[name]


def submitted_account() -> str:
    """The account a request is about: the email of its JSON body or form,
    as identity compares it (trimmed, lower case), hashed so that no address
    is kept in Redis. Empty (no per-account count) when there is none."""
    try:
        body = request.get_json(silent=True) if request.is_json else request.form
        email = body.get("email") if hasattr(body, "get") else None
    except Exception:  # a body the view will refuse: the address's budget still counts it
        return ""
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        return ""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _shared(setting: str, scope: str, key_func=None):
    return limiter.shared_limit(_limit(setting), scope=scope, key_func=key_func, methods=["POST"])


_sign_in_by_address = _shared("RATE_LIMIT_SIGN_IN", "sign-in")
_sign_in_by_account = _shared("RATE_LIMIT_SIGN_IN_ACCOUNT", "sign-in-account", submitted_account)
_reset_by_address = _shared("RATE_LIMIT_PASSWORD_RESET", "password-reset")
_reset_by_account = _shared("RATE_LIMIT_PASSWORD_RESET_ACCOUNT", "password-reset-account", submitted_account)


def sign_in(view):
    """A route that checks a password: the shared sign-in budgets."""
    return _sign_in_by_address(_sign_in_by_account(view))


def password_reset(view):
    """A forgotten-password route: the shared password-reset budgets (the
    per-account one counts only where an email is given: asking for a link)."""
    return _reset_by_address(_reset_by_account(view))


registration = limiter.limit(_limit("RATE_LIMIT_REGISTRATION"), methods=["POST"])
public = limiter.limit(_limit("RATE_LIMIT_PUBLIC"))
