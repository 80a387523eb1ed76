"""Second factors: authenticators (TOTP) and one-time recovery codes."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import MfaCredential, RecoveryCode


def get_mfa_credential(session: Session, user_id: str, *, for_update: bool = False) -> MfaCredential | None:
    if for_update:
        return session.get(MfaCredential, user_id, with_for_update=True)
    return session.get(MfaCredential, user_id)


def add_mfa_credential(session: Session, credential: MfaCredential) -> None:
    session.add(credential)


def delete_mfa_credential(session: Session, credential: MfaCredential) -> None:
    session.delete(credential)


def unused_recovery_code(session: Session, user_id: str, code_hash: str) -> RecoveryCode | None:
    """A user's recovery code with this hash not used yet, locked for update."""
    return session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None),
        RecoveryCode.code_hash == code_hash).with_for_update()).first()


def count_unused_recovery_codes(session: Session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


def add_recovery_codes(session: Session, codes) -> None:
    session.add_all(codes)


def delete_recovery_codes(session: Session, user_id: str) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
