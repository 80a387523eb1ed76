"""The locations capacity knows (from providers' snapshots): which one an
actor may act on, and what of it the rules and the permissions need."""
from __future__ import annotations

from tracker_common.contracts.errors import Forbidden, NotFound
from tracker_common.contracts.permissions import Action, Principal, Target, may

from .. import repository
from ..models import KnownLocation
from ..rules import LocationFacts


def location_for(uow, actor: Principal, location_id: str, action: Action, *, lock: bool = False) -> KnownLocation:
    """The location, if the actor may do `action` to it: not found when they
    may not even see it (ids cannot be probed), forbidden when they may only look."""
    location = repository.known_location(uow.session, location_id, lock=lock)
    if location is None or not may(actor, Action.VIEW_LOCATION, target_of(location)):
        raise NotFound("No such location.")
    if not may(actor, action, target_of(location)):
        raise Forbidden()
    return location


def target_of(location: KnownLocation) -> Target:
    return Target(organisation_id=location.provider_id, location_id=location.location_id,
                  la_code=location.la_code, sub_icb_code=location.sub_icb_code)


def rule_facts(location: KnownLocation) -> LocationFacts:
    return LocationFacts(location_id=location.location_id, kind=location.kind or "care_home",
                         long_term_vacancy_types=tuple(location.long_term_vacancy_types or ()),
                         short_stay_services=tuple(location.short_stay_services or ()),
                         registered_beds=location.registered_beds)
