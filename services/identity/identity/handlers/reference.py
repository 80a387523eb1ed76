"""Organisations and locations as identity knows them: snapshots from the
providers service, applied only when newer than what is held (so duplicate
or out-of-order events never regress them)."""
from __future__ import annotations

from ..models import Location, Organisation


def apply_organisation_snapshot(uow, snapshot: dict) -> bool:
    organisation = uow.session.get(Organisation, snapshot["organisation_id"], with_for_update=True)
    if organisation is not None and organisation.version >= snapshot["version"]:
        return False
    if organisation is None:
        organisation = Organisation(id=snapshot["organisation_id"])
        uow.session.add(organisation)
    organisation.version = snapshot["version"]
    organisation.name = snapshot["name"]
    organisation.kind = snapshot["kind"]
    organisation.email_domains = [d.lower() for d in snapshot["email_domains"]]
    organisation.ons_code = snapshot.get("ons_code")
    organisation.la_code = snapshot.get("la_code")
    organisation.sub_icb_code = snapshot.get("sub_icb_code")
    return True


def apply_location_snapshot(uow, snapshot: dict) -> bool:
    location = uow.session.get(Location, snapshot["location_id"], with_for_update=True)
    if location is not None and location.version >= snapshot["version"]:
        return False
    if location is None:
        location = Location(id=snapshot["location_id"])
        uow.session.add(location)
    for field in ("version", "organisation_id", "name", "postcode", "la_code", "sub_icb_code", "active"):
        setattr(location, field, snapshot[field])
    return True
