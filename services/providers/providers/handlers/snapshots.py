"""A location as other services see it: the versioned snapshot carried by
`providers.location_updated` and served page by page for rebuilding read
models. Every change goes through `publish_location`."""
from __future__ import annotations

from sqlalchemy import select

from ..models import Contract, Location, LocationChange, LocationNote, Provider

# The fields a user (or the import) can change, each compared for the audit.
AUDITED = (
    "name", "street_address", "address_line_2", "city", "county", "postcode", "latitude", "longitude",
    "geocoded_by", "la_code", "sub_icb_code", "icb_code", "nhs_region_code", "telephone", "website", "kind",
    "registered_beds", "overall_rating", "rating_published", "regulated_activities", "service_types",
    "service_user_bands", "specialisms", "dormant", "active", "care_types", "funding_sources",
    "out_of_hours_admissions", "manager", "rooms", "short_stay_services", "long_term_vacancy_types",
    "languages", "reminders_enabled", "provider_id",
)


def location_snapshot(session, location: Location, provider: Provider | None = None, *,
                      new: bool = False) -> dict:
    """`new`: the location was created in this transaction, so it has no
    contracts or notes yet (saves two queries a location in a first import)."""
    provider = provider or session.get(Provider, location.provider_id)
    contracts = [] if new else session.scalars(select(Contract).where(
        Contract.location_id == location.id, Contract.status == "approved")
        .order_by(Contract.commissioner_kind, Contract.commissioner_code)).all()
    notes = [] if new else session.scalars(select(LocationNote).where(
        LocationNote.location_id == location.id, LocationNote.deleted_at.is_(None))
        .order_by(LocationNote.created_at)).all()
    return {
        "location_id": location.id, "version": location.version, "organisation_id": location.provider_id,
        "provider_name": provider.name if provider else "", "brand_id": provider.brand_id if provider else None,
        "brand_name": provider.brand_name if provider else None, "kind": location.kind,
        "active": location.active, "name": location.name, "street_address": location.street_address,
        "address_line_2": location.address_line_2, "city": location.city, "county": location.county,
        "postcode": location.postcode, "latitude": location.latitude, "longitude": location.longitude,
        "geocoded_by": location.geocoded_by, "la_code": location.la_code, "sub_icb_code": location.sub_icb_code,
        "icb_code": location.icb_code, "nhs_region_code": location.nhs_region_code,
        "telephone": location.telephone, "website": location.website,
        "registered_beds": location.registered_beds, "overall_rating": location.overall_rating,
        "rating_published": location.rating_published,
        "regulated_activities": list(location.regulated_activities or []),
        "service_types": list(location.service_types or []),
        "service_user_bands": list(location.service_user_bands or []),
        "specialisms": list(location.specialisms or []), "dormant": location.dormant,
        "cqc_refreshed_at": location.cqc_refreshed_at, "care_types": list(location.care_types or []),
        "funding_sources": list(location.funding_sources or []),
        "out_of_hours_admissions": location.out_of_hours_admissions, "manager": dict(location.manager or {}),
        "rooms": dict(location.rooms or {}),
        "short_stay_services": None if location.short_stay_services is None else list(location.short_stay_services),
        "long_term_vacancy_types": list(location.long_term_vacancy_types or []),
        "languages": list(location.languages or []), "reminders_enabled": location.reminders_enabled,
        "approved_contracts": [{"commissioner_kind": c.commissioner_kind, "commissioner_code": c.commissioner_code}
                               for c in contracts],
        "notes": [{"id": n.id, "text": n.text, "author_id": n.author_id, "updated_at": n.updated_at}
                  for n in notes],
        "updated_at": location.updated_at,
    }


def apply_changes(location: Location, values: dict) -> dict:
    """Set `values` on `location`; returns {field: [before, after]} of what
    really changed (nothing when the values are the same)."""
    changes = {}
    for field, value in values.items():
        before = getattr(location, field)
        if before != value:
            changes[field] = [_plain(before), _plain(value)]
            setattr(location, field, value)
    return changes


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def publish_location(uow, location: Location, *, action: str, changes: dict, actor_id: str | None = None,
                     actor_generic: bool = False, provider: Provider | None = None, new: bool = False) -> None:
    """Audit a change, bump the version and announce the new snapshot, in the
    unit of work's transaction."""
    location.version = (location.version or 0) + 1
    location.updated_at = uow.now()
    location.updated_by = actor_id
    uow.session.add(LocationChange(location_id=location.id, at=uow.now(), actor_id=actor_id,
                                   actor_generic=actor_generic, action=action, changes=changes))
    uow.record_event("providers.location_updated", location_snapshot(uow.session, location, provider, new=new),
                     actor_id=actor_id, generic_actor=actor_generic)
