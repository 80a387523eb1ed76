"""The demo's people and its Terms of Use, made the way the real ones are:
each person applies for an account (registration), the administrator
approves them, they change the one-time password to the demo's password
(DEMO_PASSWORD) and the administrator grants a council commissioner its
permissions; the administrator publishes the Terms of Use, which everyone
accepts at their next sign-in. Every step goes through identity's handlers
(rules, audit, events for the emails), nothing is written around them.

`python -m identity.manage seed-demo-people` runs it after providers
announced the demo's homes (`providers.manage seed-demo`): identity first
takes the organisations and locations waiting in its own queues, as its
subscribers would. Who is who is decided by plain functions (`demo_people`);
a person who already has an account is left alone, so running it again
changes nothing.

None of the demo's people needs a second factor (they are not approvers,
System Champions or administrators): they sign in with the password alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tracker_common.contracts import identity as bodies
from tracker_common.contracts.errors import NotFound
from tracker_common.demo import DEFAULT_SEED, consume_pending, freshness
from tracker_common.schemas import load

from . import handlers
from . import repository as repo
from .handlers.common import principal_of

DISCHARGE_TEAM_ORGANISATION = "trust-riverside"  # demo_reference.json: an NHS trust
COUNCIL_ROLES = ("broker", "extended_reporting", "manage_alerts")  # what a commissioner holds (PERMISSION_HOLDERS)
TERMS_OF_USE = """Terms of Use of the Capacity Tracker (demo)

1. The Capacity Tracker is for people who work in or with adult social care in England: care providers, \
Local Authorities, the NHS and those who commission care.
2. Keep your password to yourself. Tell your approver at once if you think someone else knows it.
3. Keep your organisation's capacity up to date: update it at least once a day, and at least once in each \
month's collection window (the 8th to the 14th).
4. Use what you see here only to find care for people and to plan services; do not share it outside your \
organisation's work.
5. Every change you make is recorded with your name and the time.

This is a demonstration with fictional data: no real person, home or figure is shown."""


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    organisation_id: str
    job: str  # what they do in the demo (printed for the newcomer)
    location_id: str | None = None
    job_title: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")[:40] or "council"


def demo_people(homes: dict[str, dict], councils: dict[str, str], seed: int = DEFAULT_SEED) -> list[Person]:
    """The demo's people, from the set-up care homes ({location id: snapshot
    with organisation_id, la_code}) and the Local Authorities of those homes
    ({LA code: name}):

    - a care home manager of one home whose return is current (to refresh it),
    - a care group user of the provider with the most homes (bulk upload),
    - a discharge team member of the demo NHS trust (find capacity),
    - a commissioner of each Local Authority with homes, holding broker,
      extended reporting and manage alerts (reports, contracts, reminders)."""
    people = []
    by_provider: dict[str, list[str]] = {}
    for location_id in sorted(homes):
        by_provider.setdefault(homes[location_id]["organisation_id"], []).append(location_id)
    current = [l for l in sorted(homes) if freshness(l, seed) == "current"]
    if current:
        # a home of a single-home provider if there is one: its manager sees one home
        single = [l for l in current if len(by_provider[homes[l]["organisation_id"]]) == 1]
        home = (single or current)[0]
        people.append(Person("manager@care-home.example", "Morgan Ashdown", homes[home]["organisation_id"],
                             f"care home manager of {homes[home]['name']}", location_id=home,
                             job_title="Registered manager"))
    groups = sorted(by_provider, key=lambda provider: (-len(by_provider[provider]), provider))
    if groups and len(by_provider[groups[0]]) > 1:
        people.append(Person("group@care-group.example", "Robin Castleford", groups[0],
                             f"care group user of its {len(by_provider[groups[0]])} homes",
                             job_title="Operations director"))
    people.append(Person("discharge@hospital.example", "Jordan Whitlock", DISCHARGE_TEAM_ORGANISATION,
                         "discharge team member (finds capacity)", job_title="Discharge coordinator"))
    for code, name in sorted(councils.items(), key=lambda item: item[1]):
        people.append(Person(f"commissioner@{slug(name)}.council.example", "Alex Marlow", code,
                             f"commissioner of {name}", job_title="Commissioning manager", roles=COUNCIL_ROLES))
    return people


def learn_from_providers(db) -> dict[str, dict]:
    """Apply the organisations and locations waiting in identity's queues
    (as its subscribers do); returns the care homes set up among them."""
    homes: dict[str, dict] = {}

    def location(uow, snapshot):
        handlers.apply_location_snapshot(uow, snapshot)
        if snapshot.get("kind") == "care_home":
            known = homes.get(snapshot["location_id"])
            if known is None or known["version"] < snapshot["version"]:
                homes[snapshot["location_id"]] = snapshot

    consume_pending("identity", "providers.organisation_updated", db, handlers.apply_organisation_snapshot)
    consume_pending("identity", "providers.location_updated", db, location)
    return {l: s for l, s in homes.items() if s["active"] and s.get("long_term_vacancy_types")}


def _one_time_password(uow, deps, user_id: str) -> str:
    """The one-time password of the approval email (sealed for notifications
    in the event; the seeding reads it there, as the person reads the email)."""
    messages = repo.recorded_events(uow.session, "identity.user_approved")
    sealed = next(m["data"]["one_time_password_sealed"] for m in messages if m["data"]["user_id"] == user_id)
    return deps.sealer.decrypt(sealed.encode()).decode()


def ensure_person(db, deps, admin_email: str, person: Person, password: str) -> bool:
    """Apply, be approved, set the password, be granted the permissions:
    False when the person already had an account (left as it is)."""
    with db.unit_of_work() as uow:
        if repo.get_user_by_email(uow.session, person.email) is not None:
            return False
        application = handlers.register(uow, load(bodies.RegistrationRequest, {
            "name": person.name, "email": person.email, "organisation_id": person.organisation_id,
            "location_id": person.location_id, "level": "standard", "job_title": person.job_title}))
        uow.commit()
    with db.unit_of_work() as uow:
        admin = principal_of(uow, repo.get_user_by_email(uow.session, admin_email))
        approved = handlers.decide_application(uow, deps, admin, application["id"],
                                               load(bodies.DecisionRequest, {"decision": "approve"}))
        uow.commit()
    user_id = approved["user_id"]
    with db.unit_of_work() as uow:
        one_time = _one_time_password(uow, deps, user_id)
        handlers.change_password(uow, deps, load(bodies.PasswordChangeRequest, {
            "email": person.email, "current_password": one_time, "new_password": password}))
    if person.roles:
        with db.unit_of_work() as uow:
            admin = principal_of(uow, repo.get_user_by_email(uow.session, admin_email))
            handlers.grant_permissions(uow, deps, admin, user_id,
                                       load(bodies.GrantRequest, {"roles": list(person.roles)}))
            uow.commit()
    return True


def ensure_terms(db, admin_email: str) -> bool:
    """The Terms of Use, published by the administrator if none are."""
    with db.unit_of_work() as uow:
        try:
            handlers.current_terms(uow)
            return False
        except NotFound:
            pass
        admin = principal_of(uow, repo.get_user_by_email(uow.session, admin_email))
        handlers.publish_terms(uow, admin, load(bodies.TermsRequest, {"text": TERMS_OF_USE}))
        uow.commit()
        return True


def known_homes(db) -> dict[str, dict]:
    """Without events to learn from (a second run): the locations identity
    knows of the imported care providers, as homes (no setup known)."""
    import json
    from pathlib import Path
    reference = json.loads((Path(__file__).parent / "demo_reference.json").read_text())
    fictional = {o["organisation_id"] for o in reference["organisations"]}
    with db.unit_of_work() as uow:
        rows = repo.active_locations_with_organisation_kind(uow.session)
        return {l.id: {"location_id": l.id, "organisation_id": l.organisation_id, "name": l.name,
                       "la_code": l.la_code} for l, kind in rows
                if kind == "care_provider" and l.organisation_id not in fictional}


def seed_people(db, deps, admin_email: str, password: str, seed: int = DEFAULT_SEED) -> list[tuple[Person, bool]]:
    """Learn the homes, publish the Terms of Use, make the demo's people:
    [(person, made now)]."""
    homes = learn_from_providers(db) or known_homes(db)
    with db.unit_of_work() as uow:
        if repo.get_user_by_email(uow.session, admin_email) is None:
            raise NotFound(f"No administrator {admin_email}: run `python -m identity.manage create-admin` first.")
        codes = sorted({h["la_code"] for h in homes.values() if h.get("la_code")})
        councils = {o.id: o.name for o in repo.organisations_of_kind(uow.session, codes, "local_authority")}
    ensure_terms(db, admin_email)
    return [(person, ensure_person(db, deps, admin_email, person, password))
            for person in demo_people(homes, councils, seed)]
