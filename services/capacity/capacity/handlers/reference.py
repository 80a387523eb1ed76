"""What capacity keeps of each location, from providers' snapshots: applied
only when newer, so redelivered or reordered events never regress it."""
from __future__ import annotations

from tracker_common.contracts.permissions import Target
from tracker_common.db import apply_if_newer

from ..models import LocationFacts
from ..rules import LocationFacts as RuleFacts


def apply_location_snapshot(uow, snapshot: dict) -> bool:
    return apply_if_newer(uow.session, LocationFacts, {
        "location_id": snapshot["location_id"], "version": snapshot["version"],
        "provider_id": snapshot["organisation_id"], "name": snapshot["name"], "kind": snapshot.get("kind"),
        "postcode": snapshot["postcode"], "la_code": snapshot["la_code"], "sub_icb_code": snapshot["sub_icb_code"],
        "active": snapshot["active"], "registered_beds": snapshot.get("registered_beds"),
        "long_term_vacancy_types": list(snapshot.get("long_term_vacancy_types") or []),
        "short_stay_services": list(snapshot.get("short_stay_services") or []),
        "out_of_hours_admissions": snapshot.get("out_of_hours_admissions"),
        "reminders_enabled": snapshot.get("reminders_enabled", True),
    }, key="location_id")


def target_of(facts: LocationFacts) -> Target:
    return Target(organisation_id=facts.provider_id, location_id=facts.location_id, la_code=facts.la_code,
                  sub_icb_code=facts.sub_icb_code)


def rule_facts(facts: LocationFacts) -> RuleFacts:
    return RuleFacts(location_id=facts.location_id, kind=facts.kind or "care_home",
                     long_term_vacancy_types=tuple(facts.long_term_vacancy_types or ()),
                     short_stay_services=tuple(facts.short_stay_services or ()),
                     registered_beds=facts.registered_beds)
