"""What capacity keeps of each location, from providers' snapshots: applied
only when newer, so redelivered or reordered events never regress it."""
from __future__ import annotations

from tracker_common.contracts.permissions import Target

from ..models import LocationFacts
from ..rules import LocationFacts as RuleFacts


def apply_location_snapshot(uow, snapshot: dict) -> bool:
    facts = uow.session.get(LocationFacts, snapshot["location_id"], with_for_update=True)
    if facts is not None and facts.version >= snapshot["version"]:
        return False
    if facts is None:
        facts = LocationFacts(location_id=snapshot["location_id"])
        uow.session.add(facts)
    facts.version = snapshot["version"]
    facts.provider_id = snapshot["organisation_id"]
    facts.name = snapshot["name"]
    facts.kind = snapshot.get("kind")
    facts.postcode = snapshot["postcode"]
    facts.la_code = snapshot["la_code"]
    facts.sub_icb_code = snapshot["sub_icb_code"]
    facts.active = snapshot["active"]
    facts.registered_beds = snapshot.get("registered_beds")
    facts.long_term_vacancy_types = list(snapshot.get("long_term_vacancy_types") or [])
    facts.short_stay_services = list(snapshot.get("short_stay_services") or [])
    facts.out_of_hours_admissions = snapshot.get("out_of_hours_admissions")
    facts.reminders_enabled = snapshot.get("reminders_enabled", True)
    return True


def target_of(facts: LocationFacts) -> Target:
    return Target(organisation_id=facts.provider_id, location_id=facts.location_id, la_code=facts.la_code,
                  sub_icb_code=facts.sub_icb_code)


def rule_facts(facts: LocationFacts) -> RuleFacts:
    return RuleFacts(location_id=facts.location_id, kind=facts.kind or "care_home",
                     long_term_vacancy_types=tuple(facts.long_term_vacancy_types or ()),
                     short_stay_services=tuple(facts.short_stay_services or ()),
                     registered_beds=facts.registered_beds)
