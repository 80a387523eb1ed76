"""Keys the services share: the Ed25519 pair that signs access tokens
(identity holds the private half, the gateway the public one) and the
symmetric key that seals one-time passwords on their way to notifications,
identity's own key for second factors (TOTP secrets, recovery codes), and
the gateway's secret that signs web sessions (cookies).

On a developer machine they are generated on first run under VAR_DIR/keys;
in production they come from files mounted by the platform.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .config import env, load_settings


def _key_dir() -> Path:
    return load_settings().var_dir / "keys"


def private_key_path() -> Path:
    return Path(env("TOKEN_PRIVATE_KEY_FILE", str(_key_dir() / "token-signing.pem")))


def public_key_path() -> Path:
    return Path(env("TOKEN_PUBLIC_KEY_FILE", str(_key_dir() / "token-signing.pub.pem")))


def message_key_path() -> Path:
    return Path(env("MESSAGE_SECRET_KEY_FILE", str(_key_dir() / "message-secret.key")))


def web_session_key_path() -> Path:
    return Path(env("WEB_SESSION_KEY_FILE", str(_key_dir() / "web-session.key")))


def mfa_key_path() -> Path:
    return Path(env("MFA_SECRET_KEY_FILE", str(_key_dir() / "mfa-secret.key")))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_keys() -> None:
    """Create any missing key (never overwrites one)."""
    private, public, message = private_key_path(), public_key_path(), message_key_path()
    if not private.exists():
        key = Ed25519PrivateKey.generate()
        _write_private(private, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    if not message.exists():
        _write_private(message, Fernet.generate_key())
    if not web_session_key_path().exists():
        _write_private(web_session_key_path(), secrets.token_urlsafe(48).encode())
    if not mfa_key_path().exists():
        _write_private(mfa_key_path(), secrets.token_urlsafe(32).encode())


def signing_key() -> bytes:
    return private_key_path().read_bytes()


def verification_key():
    """Identity's public key, parsed once (parsing it per request would cost
    more than verifying a token)."""
    return serialization.load_pem_public_key(public_key_path().read_bytes())


def message_sealer() -> Fernet:
    return Fernet(message_key_path().read_bytes().strip())


def web_session_key() -> bytes:
    return web_session_key_path().read_bytes().strip()


def mfa_key() -> bytes:
    """Identity's own key for second factors (it seals TOTP secrets and keys
    the hashes of recovery codes): no other service is given it, so the
    message key the notifications service shares cannot open them."""
    return mfa_key_path().read_bytes().strip()


if __name__ == "__main__":
    ensure_keys()
    print(f"keys ready in {private_key_path().parent}")
