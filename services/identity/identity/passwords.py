"""Password rules for Capacity Tracker accounts: the policy, hashing and
one-time passwords. Plain Python so it can be unit tested without a broker
or a database."""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tracker_common.config import env, env_int
from zxcvbn.frequency_lists import FREQUENCY_LISTS


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    history: int = 4  # a new password may not be one of the last 4 (current included)
    max_age_days: int = 90
    reminder_days: tuple[int, ...] = (18, 10, 5, 2, 1)
    max_failed_logins: int = 5
    lockout_hours: int = 24

    @classmethod
    def from_environment(cls) -> "PasswordPolicy":
        default = cls()
        reminders = env("PASSWORD_REMINDER_DAYS", ",".join(map(str, default.reminder_days)))
        return cls(
            min_length=env_int("PASSWORD_MIN_LENGTH", default.min_length),
            history=env_int("PASSWORD_HISTORY", default.history),
            max_age_days=env_int("PASSWORD_MAX_AGE_DAYS", default.max_age_days),
            # Furthest-out reminder first, each day once, whatever order ops wrote them in.
            reminder_days=tuple(sorted({int(d) for d in reminders.split(",") if d.strip()}, reverse=True)),
            max_failed_logins=env_int("MAX_FAILED_LOGINS", default.max_failed_logins),
            lockout_hours=env_int("LOCKOUT_HOURS", default.lockout_hours),
        )


def _load_common_passwords() -> frozenset[str]:
    extra = Path(__file__).with_name("common_passwords.txt").read_text(encoding="utf-8").splitlines()
    words = list(FREQUENCY_LISTS["passwords"]) + [w.strip() for w in extra if not w.startswith("#")]
    return frozenset(w.lower() for w in words if w)


COMMON_PASSWORDS: frozenset[str] = _load_common_passwords()

# "Password123!" is as guessable as "password": attackers try the list with
# digits and symbols appended first.
_TRAILING_NOISE = string.digits + string.punctuation + string.whitespace
_NAME_PART = re.compile(r"[^\W\d_]+")  # runs of letters, any script

# OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def _is_common(password: str) -> bool:
    lowered = password.lower()
    return lowered in COMMON_PASSWORDS or lowered.rstrip(_TRAILING_NOISE) in COMMON_PASSWORDS


def policy_problems(password: str, *, name: str, email: str,
                    previous_hashes: Sequence[str], policy: PasswordPolicy) -> list[str]:
    """Everything wrong with `password`, in plain English; empty when acceptable.
    `previous_hashes` is newest first, starting with the current password."""
    problems = []
    folded = password.casefold()
    if len(password) < policy.min_length:
        problems.append(f"Use at least {policy.min_length} characters.")
    if _is_common(password):
        problems.append("This is a commonly used password. Choose one that is harder to guess.")
    email = email.strip().casefold()
    local_part = email.rpartition("@")[0]
    if (email and email in folded) or (len(local_part) >= 3 and local_part in folded):
        problems.append("Don't include your email address, or the part before the @.")
    # Short parts ("Al", "Jo") would reject too many good passwords by chance.
    if any(len(part) >= 3 and part in folded for part in _NAME_PART.findall(name.casefold())):
        problems.append("Don't include your name.")
    if any(verify_password(h, password) for h in previous_hashes[:policy.history]):
        problems.append(f"Don't reuse any of your last {policy.history} passwords.")
    return problems


def _run_here(function, *args):
    return function(*args)


# Hashing costs ~35 ms of CPU on purpose. A service under eventlet hands it to
# a real thread (argon2 releases the GIL) so one login does not stall every
# other worker and the AMQP heartbeats: see `offload_hashing`.
_run = _run_here


def offload_hashing(executor) -> None:
    """Run every hash and verification through `executor(function, *args)`,
    e.g. `eventlet.tpool.execute`."""
    global _run
    _run = executor


def hash_password(password: str) -> str:
    return _run(_HASHER.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):  # mismatch, or not an argon2 hash at all
        return False


def verify_password(password_hash: str, password: str) -> bool:
    return _run(_verify, password_hash, password)


# No 0/O, 1/l/I to misread when typed from an email, and no vowels (nor y):
# the password can't spell a word or anyone's name, so it always passes the
# name and deny-list rules.
_OTP_UPPER = "BCDFGHJKLMNPQRSTVWXZ"
_OTP_LOWER = "bcdfghjkmnpqrstvwxz"
_OTP_DIGITS = "23456789"
_OTP_ALPHABET = _OTP_UPPER + _OTP_LOWER + _OTP_DIGITS
_OTP_LENGTH = 14


def generate_one_time_password() -> str:
    # Rejection sampling keeps the choice uniform over acceptable passwords.
    while True:
        candidate = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(_OTP_LENGTH))
        has_classes = all(set(candidate) & set(chars) for chars in (_OTP_UPPER, _OTP_LOWER, _OTP_DIGITS))
        if has_classes and not _is_common(candidate):
            return candidate
