"""The second factor, as plain rules: who must have one, TOTP codes
(RFC 6238, by pyotp) that cannot be used twice, recovery codes and the
short-lived challenge that carries a sign-in from its password to its code.
No nameko or SQLAlchemy here."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tracker_common.config import env, env_int
from tracker_common.contracts.permissions import Role

# Approvers, System Champions and administrators decide who gets access to
# everything else: their passwords alone are not enough.
DEFAULT_REQUIRED_FOR = frozenset({Role.APPROVER, Role.SYSTEM_CHAMPION, Role.ADMIN})
EVERYONE = "everyone"
ISSUER = "Capacity Tracker"
STEP_SECONDS = 30
# A code of the step before or after is accepted too: phone clocks drift and
# people type slowly (RFC 6238 section 6 recommends at most one step).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# No 0/o, 1/l/i to misread when copied from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 12  # 12 of 31 symbols: 59 bits
_NOT_CODE = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class MfaPolicy:
    required_for: frozenset[Role] = DEFAULT_REQUIRED_FOR
    everyone: bool = False
    challenge_seconds: int = 300  # from the password to the code

    @classmethod
    def from_environment(cls) -> "MfaPolicy":
        """MFA_REQUIRED_FOR: `everyone`, or a comma-separated list of roles
        (approver, system_champion, admin, broker...); empty for no one."""
        text = env("MFA_REQUIRED_FOR", ",".join(sorted(r.value for r in DEFAULT_REQUIRED_FOR))).strip().lower()
        seconds = env_int("MFA_CHALLENGE_SECONDS", cls.challenge_seconds)
        if text == EVERYONE:
            return cls(frozenset(), True, seconds)
        roles = frozenset(Role(part.strip()) for part in text.split(",") if part.strip() and part.strip() != "none")
        return cls(roles, False, seconds)

    def requires(self, roles) -> bool:
        if Role.API_USER in roles:  # API users hold keys, never passwords
            return False
        return self.everyone or bool(self.required_for & set(roles))


@dataclass(frozen=True)
class MfaKeys:
    """Keys derived (HKDF) from identity's MFA key, one per purpose."""

    secrets: Fernet  # seals TOTP secrets at rest
    challenges: Fernet  # seals the challenge handed out after the password
    recovery: bytes  # keys the hashes of recovery codes

    @classmethod
    def from_key(cls, key: bytes) -> "MfaKeys":
        def derive(purpose: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)
        return cls(Fernet(base64.urlsafe_b64encode(derive(b"capacity-tracker totp secrets"))),
                   Fernet(base64.urlsafe_b64encode(derive(b"capacity-tracker mfa challenges"))),
                   derive(b"capacity-tracker recovery codes"))


# -- TOTP ---------------------------------------------------------------------------------
def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def is_totp_code(code: str) -> bool:
    return bool(re.fullmatch(r"\d{6}", _NOT_CODE.sub("", code)))


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is (within the drift allowed), if it
    is later than `last_step`: a code once used, or any earlier one, is
    refused, so a code seen over a shoulder cannot be replayed."""
    code = _NOT_CODE.sub("", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # every step compared, in constant time, whatever matched before
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (last_step is None or step > last_step):
            found = step
    return found


# -- recovery codes --------------------------------------------------------------------------
def new_recovery_codes() -> list[str]:
    codes = set()
    while len(codes) < RECOVERY_CODES:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.add("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return sorted(codes)


def recovery_code_hash(key: bytes, code: str) -> str:
    """A keyed hash (HMAC-SHA256) of a recovery code, as typed in any case
    and with or without its hyphens. Not the password hash: the codes are
    59 random bits each, so a slow hash adds nothing against guessing, and
    checking ten argon2 hashes would cost a third of a second per attempt;
    the key (never in the database) means a stolen table cannot be
    searched offline at all."""
    normalised = _NOT_CODE.sub("", code).lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


# -- the challenge between password and code ---------------------------------------------------
def seal_challenge(keys: MfaKeys, *, user_id: str, password_changed_at: datetime | None, now: datetime) -> str:
    """Proof that the password was right (and the account could sign in),
    sealed and dated: worth a code for `challenge_seconds`, and void once
    the password changes."""
    body = {"sub": user_id, "pwd": password_changed_at.isoformat() if password_changed_at else None}
    return keys.challenges.encrypt_at_time(json.dumps(body).encode(), int(now.timestamp())).decode()


def open_challenge(keys: MfaKeys, token: str, *, now: datetime, ttl_seconds: int) -> dict | None:
    """The challenge's body, or None when it is not ours or has expired."""
    try:
        return json.loads(keys.challenges.decrypt_at_time(token.encode(), ttl_seconds, int(now.timestamp())))
    except (InvalidToken, ValueError):
        return None
