"""Small helpers shared by identity's tests."""
from __future__ import annotations

from sqlalchemy import select

from identity import handlers
from identity.models import Application, AuditEntry, User


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


# -- signing in (test_login, test_password_change) --------------------------------

GOOD_PASSWORD = "Kestrel-Harbour-Lantern-7"  # create_user's password
EMAIL = "pat@alder-care.example"
NEW_PASSWORDS = ["Walnut-Comet-Drizzle-41", "Saffron-Glacier-Tundra-52", "Pebble-Orchid-Vortex-63",
                 "Marble-Falcon-Quartz-74", "Cobalt-Meadow-Juniper-85"]


def login(identity_db, deps, *, email=EMAIL, password=GOOD_PASSWORD, accept_terms_version=None,
          acknowledge_disclaimer=False):
    """authenticate() in its own unit of work (it commits itself, as in the service)."""
    with identity_db.unit_of_work() as uow:
        return handlers.authenticate(uow, deps, {
            "email": email, "password": password, "accept_terms_version": accept_terms_version,
            "acknowledge_disclaimer": acknowledge_disclaimer})


def change_password(identity_db, deps, *, new, current=GOOD_PASSWORD, email=EMAIL):
    with identity_db.unit_of_work() as uow:
        handlers.change_password(uow, deps, {"email": email, "current_password": current,
                                             "new_password": new})


# -- applications (test_registration, test_application_decisions) -----------------

def register(identity_db, *, name="Sam Jones", email="sam.jones@alder-care.example",
             organisation_id="prov-a", location_id=None, level="standard", generic=False):
    return call(identity_db, handlers.register,
                {"name": name, "email": email, "organisation_id": organisation_id,
                 "location_id": location_id, "level": level, "generic": generic})


def application_row(identity_db, application_id):
    return row(identity_db, Application, application_id)


def audit_actions(identity_db, user_id):
    with identity_db.unit_of_work() as uow:
        return [e.action for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_user_id == user_id).order_by(AuditEntry.id))]
