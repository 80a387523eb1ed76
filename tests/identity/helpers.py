"""Small helpers shared by identity's tests."""
from __future__ import annotations

from identity.models import User


def call(identity_db, handler, *args):
    """Run a use case in its own unit of work and commit, as the service does."""
    with identity_db.unit_of_work() as uow:
        result = handler(uow, *args)
        uow.commit()
        return result


def row(identity_db, model, key):
    """A fresh copy of a stored row, detached so it can be read after the unit of work."""
    with identity_db.unit_of_work() as uow:
        found = uow.session.get(model, key)
        uow.session.expunge(found)
        return found


def user_row(identity_db, user_id):
    return row(identity_db, User, user_id)
