"""A location as other services see it: the versioned snapshot carried by
`providers.location_updated` and served page by page for rebuilding read
models. Every change goes through `publish_location`."""
from __future__ import annotations

from .. import repository
from ..models import Location, LocationChange, Provider


def location_snapshot(session, location: Location, provider: Provider | None = None, *,
                      new: bool = False, contracts: list | None = None, notes: list | None = None) -> dict:
    """`new`: the location was created in this transaction, so it has no
    contracts or notes yet (saves two queries a location in a first import).
    `contracts` and `notes`: its approved contracts and live notes when the
    caller fetched them already (for a batch of locations at once).
    `location` and `provider` may be any objects with their attributes."""
    provider = provider or repository.provider(session, location.provider_id)
    if contracts is None:
        contracts = [] if new else repository.approved_contracts(session, location.id)
    if notes is None:
        notes = [] if new else repository.live_notes(session, location.id)
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


def publish_location(uow, location: Location, *, action: str, changes: dict, actor_id: str | None = None,
                     actor_generic: bool = False, provider: Provider | None = None, new: bool = False,
                     contracts: list | None = None, notes: list | None = None, audit: list | None = None) -> None:
    """Audit a change, bump the version and announce the new snapshot, in the
    unit of work's transaction. `audit`: a list the audit row is appended to
    (as a dict, for the caller to insert with others) instead of adding it
    to the session; `contracts`, `notes`: see `location_snapshot`."""
    location.version = (location.version or 0) + 1
    location.updated_at = uow.now()
    location.updated_by = actor_id
    change = {"location_id": location.id, "at": uow.now(), "actor_id": actor_id, "actor_generic": actor_generic,
              "action": action, "changes": changes}
    if audit is None:
        repository.add_change(uow.session, LocationChange(**change))
    else:
        audit.append(change)
    uow.record_event("providers.location_updated",
                     location_snapshot(uow.session, location, provider, new=new, contracts=contracts, notes=notes),
                     actor_id=actor_id, generic_actor=actor_generic)
