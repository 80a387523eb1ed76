"""The demo's homes set themselves up, as their staff would on the location
page: the long term vacancy types and short stay services they offer, their
care types, the funding they accept and whether they admit out of hours.

`python -m providers.manage seed-demo` runs it after the CQC import: each
change goes through the handlers of the location page (rules, audit, a new
snapshot announced), and the announcements are published by providers'
relay so that identity and capacity learn of the homes before they start.
A few homes are left as CQC registered them (never set up); a home already
set up is left alone, so running it again changes nothing.
"""
from __future__ import annotations

import random

from tracker_common.contracts import providers as bodies
from tracker_common.demo import DEFAULT_SEED, Progress, home_staff, unit_share
from tracker_common.schemas import load

from . import repository
from .handlers import locations

NOT_SET_UP_SHARE = 0.05  # homes that never finished their setup (so are never found in a search)


def is_set_up(location: dict) -> bool:
    return bool(location.get("long_term_vacancy_types"))


def left_not_set_up(location_id: str, seed: int = DEFAULT_SEED) -> bool:
    return unit_share(seed, "setup", location_id) < NOT_SET_UP_SHARE


def home_setup(location: dict, seed: int = DEFAULT_SEED) -> tuple[dict, dict]:
    """What a home sets up (services, profile), from what CQC says of it:
    nursing homes offer nursing, dementia / learning disability / mental
    health / physical disability specialisms their kinds of bed; some offer
    short stays. The same answer for the same home and seed."""
    rng = random.Random(f"{seed}|setup|{location['location_id']}")
    folded = " ".join(location.get("service_types") or []).casefold()
    nursing = "with nursing" in folded
    residential = "without nursing" in folded or not nursing
    specialisms = " ".join(location.get("specialisms") or []).casefold()
    types = set()
    if residential:
        types.add("general_residential")
    if nursing:
        types.add("general_nursing")
    if "dementia" in specialisms:
        types.add("dementia_nursing" if nursing else "dementia_residential")
    if "learning" in specialisms:
        types.add("learning_disability_nursing" if nursing and rng.random() < 0.5 else "learning_disability_residential")
    if "mental health" in specialisms:
        types.add("mental_health_nursing" if nursing and rng.random() < 0.5 else "mental_health_residential")
    if "physical" in specialisms and rng.random() < 0.5:
        types.add("young_physically_disabled")
    short_stay = sorted(rng.sample(("respite_care", "discharge_to_assess", "reablement_support",
                                    "intermediate_care", "rehabilitation"), k=rng.choice((0, 0, 1, 1, 2))))
    funding = ["local_authority", "private"] + (["sub_icb"] if nursing or rng.random() < 0.3 else []) \
        + (["personal_health_budget"] if rng.random() < 0.2 else [])
    care_types = (["nursing"] if nursing else []) + (["residential"] if residential else [])
    services = {"long_term_vacancy_types": sorted(types), "short_stay_services": short_stay, "languages": []}
    profile = {"care_types": care_types, "funding_sources": sorted(funding),
               "out_of_hours_admissions": rng.random() < 0.6}
    return services, profile


def seed_homes(db, seed: int = DEFAULT_SEED) -> dict:
    """Set up the demo's care homes that are not yet; returns counts."""
    with db.unit_of_work() as uow:
        homes = repository.active_care_homes(uow.session)
    counts = {"care_homes": len(homes), "set_up": 0, "already_set_up": 0, "left_not_set_up": 0}
    progress = Progress("providers: homes set up", len(homes))
    for done, (location_id, provider_id) in enumerate(homes, 1):
        with db.unit_of_work() as uow:
            staff = home_staff(provider_id)
            view = locations.get_location(uow, staff, location_id)
            if is_set_up(view):
                counts["already_set_up"] += 1
            elif view.get("dormant") or left_not_set_up(location_id, seed):
                counts["left_not_set_up"] += 1
            else:
                services, profile = home_setup(view, seed)
                locations.update_services(uow, staff, location_id, load(bodies.ServicesUpdate, services))
                locations.update_profile(uow, staff, location_id, load(bodies.ProfileUpdate, profile))
                uow.commit()
                counts["set_up"] += 1
        progress(done)
    return counts
