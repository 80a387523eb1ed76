"""Reminders: scheduled (capacity not updated for 24 / 48 hours; the
monthly refresh at the start of the collection window) and manual (sent
from the "last modified capacity" report)."""
from __future__ import annotations

from tracker_common.clock import LONDON
from tracker_common.contracts.errors import Forbidden, InvalidInput
from tracker_common.contracts.permissions import Action, Principal, Target, may, scopes

from .. import repository, rules
from ..models import ScheduledRun
from .events import facts_of
from .sending import send

LOOKUP_CHUNK = 1000


def contacts_of(lookup, location_ids: list[str]) -> list[dict]:
    """Everyone identity says may act for these locations (asked in chunks)."""
    contacts: dict[str, dict] = {}
    for start in range(0, len(location_ids), LOOKUP_CHUNK):
        for contact in lookup({"location_ids": location_ids[start:start + LOOKUP_CHUNK]})["contacts"]:
            known = contacts.setdefault(contact["email"], {**contact, "location_ids": []})
            known["location_ids"] = sorted(set(known["location_ids"]) | set(contact["location_ids"]))
    return list(contacts.values())


def _with_managers(session, locations: list[dict]) -> list[dict]:
    """Add each location's manager (from its profile) to what capacity said of it."""
    managers = repository.location_managers(session, [loc["location_id"] for loc in locations])
    unknown = {"manager_email": None, "manager_name": None}
    return [{**loc, **managers.get(loc["location_id"], unknown)} for loc in locations]


def stale_reminders(uow, stale: list[dict], *, lookup, sealer, links: rules.Links) -> int:
    """Remind the people of each location whose capacity is more than 24
    (then 48) hours old: once per level of each stale spell, never when its
    reminders are switched off. `stale` is capacity's `stale_locations`
    answer. Returns how many emails were made."""
    session, now = uow.session, uow.now()
    if not repository.try_schedule_lock(session, "stale-reminders"):
        return 0
    sent = repository.reminders_sent(session, [loc["location_id"] for loc in stale])
    due = rules.stale_reminders_due(stale, sent, now)
    emails = 0
    for level, locations in due.items():
        if not locations:
            continue
        locations = _with_managers(session, locations)
        contacts = contacts_of(lookup, [loc["location_id"] for loc in locations])
        for person in rules.group_by_recipient(locations, contacts):
            send(uow, sealer, rules.capacity_reminder(person, level, sent_at=now, links=links), sender="reminders")
            emails += 1
        repository.record_reminders_sent(session, [
            {"location_id": loc["location_id"], "since": loc["since"], "level": level, "at": now}
            for loc in locations])
    return emails


def monthly_refresh(uow, *, lookup, sealer, links: rules.Links, first_day: int, last_day: int) -> int:
    """At the start of each month's collection window, ask the people of
    every active location to check their details: once a month, one email
    each, listing their locations."""
    session, now = uow.session, uow.now()
    window = rules.collection_window(now, first_day, last_day)
    if window is None or not repository.try_schedule_lock(session, "monthly-refresh"):
        return 0
    period, window_ends = window
    if repository.scheduled_run(session, "monthly-refresh", period) is not None:
        return 0
    locations = [facts_of(loc) for loc in repository.active_locations(session)]
    contacts = contacts_of(lookup, [loc["location_id"] for loc in locations]) if locations else []
    month = now.astimezone(LONDON).strftime("%B %Y")
    emails = 0
    for person in rules.group_by_recipient(locations, contacts):
        send(uow, sealer, rules.monthly_refresh(person, period=period, month=month, window_ends=window_ends,
                                                links=links), sender="reminders")
        emails += 1
    repository.add_scheduled_run(session, ScheduledRun(name="monthly-refresh", period=period, at=now, emails=emails))
    return emails


def manual_reminders(uow, actor: Principal, location_ids: list[str], *, lookup, sealer,
                     links: rules.Links) -> dict:
    """Remind these locations now, on behalf of `actor` (who must be allowed
    to remind each of them). Each location's people get one email, at most
    one an hour (asking again within the hour says `already_reminded`)."""
    if not scopes(actor, Action.SEND_REMINDERS):
        raise Forbidden("You cannot send reminders.")
    session = uow.session
    facts, refused = [], {}
    for index, location_id in enumerate(location_ids):
        location = repository.location(session, location_id)
        target = location and Target(organisation_id=location.provider_id, location_id=location.location_id,
                                     la_code=location.la_code, sub_icb_code=location.sub_icb_code)
        if location is None or not location.active or not may(actor, Action.SEND_REMINDERS, target):
            refused[str(index)] = [f"No active location {location_id} that you may remind."]
        else:
            facts.append(facts_of(location))
    if refused:
        raise InvalidInput(fields={"location_ids": refused})
    requester = lookup({"user_ids": [actor.user_id]})["contacts"]
    requested_by = requester[0]["name"] if requester else "Your council or ICB"
    contacts = contacts_of(lookup, [loc["location_id"] for loc in facts])
    hour, sent = uow.now().strftime("%Y-%m-%dT%H"), []
    for loc in facts:
        for person in rules.with_manager([c for c in contacts if loc["location_id"] in c["location_ids"]], loc):
            request = rules.manual_reminder(person, loc, requested_by=requested_by, hour=hour, links=links)
            result = send(uow, sealer, request, sender=f"user:{actor.user_id}")
            sent.append({"location_id": loc["location_id"], "to": request.to, "notification_id": result["id"],
                         "already_reminded": result["duplicate"]})
    return {"reminded": sent, "locations_without_anyone": sorted(
        loc["location_id"] for loc in facts if not any(s["location_id"] == loc["location_id"] for s in sent))}
