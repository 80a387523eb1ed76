"""Who is calling: a bearer access token (verified here with identity's
public key, revocation checked in Redis) or an API key (checked by identity).
Deny by default: every route needs a principal unless marked public."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from redis.exceptions import RedisError

from tracker_common.contracts.errors import Forbidden, NotAuthenticated
from tracker_common.contracts.identity import API_KEY_PREFIX
from tracker_common.contracts.permissions import Action, Principal, Target, may, scopes
from tracker_common.rpc import ServiceUnavailable
from tracker_common.tokens import verify_access_token

BEARER = {"bearerAuth": []}


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <access token or API key>'.")
    return token.strip()


def authenticate() -> dict:
    """The verified claims of the caller (also kept on `g`)."""
    token = _bearer_token()
    if token.startswith(API_KEY_PREFIX):
        claims = current_app.extensions["tracker"].call("identity", "authenticate_api_key", key=token)
        return sign_in_request(claims)
    return sign_in_request(verify_token(token))


def verify_token(token: str) -> dict:
    """The claims of a valid access token that has not been revoked (by a
    password change, a deactivation, a sign-out): else NotAuthenticated."""
    gateway = current_app.extensions["tracker"]
    claims = verify_access_token(token, public_key=gateway.public_key, now=gateway.clock.now())
    try:
        revoked = gateway.revocations.is_revoked(claims["sub"], int(claims["iat_ms"]))
    except RedisError:
        raise ServiceUnavailable("Token revocation cannot be checked (Redis is not reachable).")
    if revoked:
        raise NotAuthenticated("This access token has been revoked; log in again.")
    return claims


def client_of_request() -> dict:
    """Who is asking, for identity's audit of sign-ins: the client's address
    (the forwarded one behind TRUSTED_PROXIES) and its user agent."""
    return {"address": (request.remote_addr or "")[:45] or None,
            "user_agent": request.user_agent.string[:300] or None}


def sign_in_request(claims: dict) -> dict:
    g.claims = claims
    g.principal = Principal.from_claims(claims)
    return claims


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)
    return wrapper


def require_permission(action: Action, target: Target = Target()) -> None:
    """Edge check (services check again where the data is)."""
    if not may(g.principal, action, target):
        raise Forbidden()


def require_some_scope(action: Action) -> None:
    """Edge check of an action held only over some locations (a care home
    user's own, an analyst's aligned ones): the service narrows it."""
    if not scopes(g.principal, action):
        raise Forbidden()
