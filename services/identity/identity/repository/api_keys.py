"""API users' keys (stored as hashes)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiKey


def add_api_key(session: Session, key: ApiKey) -> None:
    session.add(key)


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def api_keys_of_user(session: Session, user_id: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)))
