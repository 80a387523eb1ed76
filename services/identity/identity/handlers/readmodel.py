"""Organisations and locations as identity knows them: snapshots from the
providers service, applied only when newer than what is held (so duplicate
or out-of-order events never regress them)."""
from __future__ import annotations

from tracker_common.db import apply_if_newer

from ..models import Location, Organisation


def apply_organisation_snapshot(uow, snapshot: dict) -> bool:
    return apply_if_newer(uow.session, Organisation, {
        "id": snapshot["organisation_id"], "version": snapshot["version"], "name": snapshot["name"],
        "kind": snapshot["kind"], "email_domains": [d.lower() for d in snapshot["email_domains"]],
        "ons_code": snapshot.get("ons_code"), "la_code": snapshot.get("la_code"),
        "sub_icb_code": snapshot.get("sub_icb_code")}, key="id")


def apply_location_snapshot(uow, snapshot: dict) -> bool:
    return apply_if_newer(uow.session, Location, {
        "id": snapshot["location_id"], "version": snapshot["version"],
        **{field: snapshot[field] for field in ("organisation_id", "name", "postcode", "la_code", "sub_icb_code",
                                                "active")}}, key="id")
