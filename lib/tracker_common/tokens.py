"""Signed, short-lived access tokens (EdDSA JWT). Identity signs them with its
private key; the gateway verifies them with the public key, without calling
identity, and checks the revocation list."""
from __future__ import annotations

import uuid
from datetime import datetime

import jwt

from .contracts.errors import NotAuthenticated
from .contracts.permissions import Principal

ISSUER = "capacity-tracker-identity"
ALGORITHM = "EdDSA"


def issue_access_token(principal: Principal, *, private_key: bytes, now: datetime,
                       lifetime_seconds: int) -> str:
    issued_ms = int(now.timestamp() * 1000)
    claims = {
        **principal.to_claims(),
        "iss": ISSUER,
        "jti": str(uuid.uuid4()),
        "iat": issued_ms // 1000,
        "iat_ms": issued_ms,
        "exp": issued_ms // 1000 + lifetime_seconds,
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def verify_access_token(token: str, *, public_key: bytes, now: datetime) -> dict:
    """The token's claims; raises NotAuthenticated when it is not valid now.
    Time is checked against the injected clock, not PyJWT's."""
    try:
        claims = jwt.decode(token, public_key, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["exp", "iat_ms", "sub", "org", "roles"]})
    except jwt.PyJWTError:
        raise NotAuthenticated("The access token is not valid.")
    if now.timestamp() >= claims["exp"]:
        raise NotAuthenticated("The access token has expired; request a new one.")
    return claims
