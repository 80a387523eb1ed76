"""Keeping the read model: profiles from providers, every return from
capacity, the geography's names from providers. Each snapshot is applied
only when newer than what is held (the location's version, the return's
sequence, the geography's version), so redelivered, reordered or replayed
events, concurrent consumers and rebuilds interleaved with events never
make it go back.

A batch of snapshots (one event, a batched consumer's few hundred, a
rebuild's page) is applied set-based, in one transaction: one statement a
table, and the monthly rollup kept once for the batch: the batch's
locations are locked (in key order), what they add to the rollup is worked
out from their figures and areas before and after, and the difference
added.

Snapshots arrive as loaded by their events' schemas (typed: times are
datetimes).

Which idempotency helper a consumer uses: `db.apply_snapshot(event, apply)`
for a versioned snapshot applied newer-wins (applying it again, or an older
one, changes nothing: no record of processed events is needed), `apply`
receiving the event's data as loaded by its schema; `db.apply_once(event,
apply)` for everything whose effect is not idempotent by itself (an email,
a job, a counter): the event id is recorded in the same transaction. The
profiles and returns here are versioned snapshots: apply_snapshot."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from tracker_common.snapshots import newest_per_key

from .. import repository
from ..rules import collection_month, month_of, position

ALL_MONTHS = date.min  # a location's months in the rollup from the first


def apply_location_snapshots(session: Session, snapshots: list[dict], *, rollup: bool = True) -> int:
    """Each location's profile, when newer than the one held; a location
    that moves to other areas moves its months in the rollup (unless
    `rollup` is False: a rebuild works it out again once at the end).
    Returns how many were applied."""
    rows = [{"location_id": s["location_id"], "location_version": s["version"], "name": s["name"],
             "provider_id": s["organisation_id"], "provider_name": s.get("provider_name"), "kind": s.get("kind"),
             "postcode": s["postcode"], "la_code": s["la_code"], "sub_icb_code": s["sub_icb_code"],
             "icb_code": s.get("icb_code"), "nhs_region_code": s.get("nhs_region_code"), "active": s["active"],
             "reminders_enabled": s.get("reminders_enabled", True)}
            for s in newest_per_key(snapshots, lambda s: s["location_id"], lambda s: s["version"])]
    if not rows:
        return 0
    repository.lock_locations(session, [row["location_id"] for row in rows])
    moving = {location_id: ALL_MONTHS for location_id in repository.moving_locations(session, rows)} \
        if rollup else {}
    before = repository.rollup_contributions(session, moving)
    applied = repository.upsert_profiles(session, rows)
    repository.update_rollup(session, moving, before)
    return applied


def apply_return_snapshots(session: Session, snapshots: list[dict], *, rollup: bool = True) -> int:
    """A return is the location's latest when newer than the one held, and
    its position in its month when newer than that month's; the rollup
    follows the months' figures (unless `rollup` is False: a rebuild works
    it out again once at the end). Returns how many were applied (taken as
    a location's latest or a month's position)."""
    latest = newest_per_key(snapshots, lambda s: s["location_id"], lambda s: s["sequence"])
    if not latest:
        return 0
    # What the batch may change in the rollup: each location's months from
    # the earliest it sends, all of them where the location's areas are the
    # returns' own until its profile comes (a newer return may move it).
    held = repository.lock_locations(session, [s["location_id"] for s in latest])
    changing: dict[str, date] = {}
    for s in snapshots if rollup else ():
        month = month_of(s["submitted_at"])
        changing[s["location_id"]] = min(month, changing.get(s["location_id"], month))
    changing.update({location_id: ALL_MONTHS for location_id, version in held.items() if version == 0 and rollup})
    before = repository.rollup_contributions(session, changing)

    taken = set(repository.upsert_latest_returns(session, [
        {"location_id": s["location_id"], "return_sequence": s["sequence"], "last_updated_at": s["submitted_at"],
         "vacancies": position(s["vacancies"]), "admission_status": s["admission_status"],
         "provider_id": s["provider_id"], "la_code": s["la_code"], "sub_icb_code": s["sub_icb_code"]}
        for s in latest]))

    _apply_collection(session, snapshots)

    def month_key(s):
        return (s["location_id"], month_of(s["submitted_at"]))

    newest = {month_key(s): s for s in newest_per_key(snapshots, month_key, lambda s: s["sequence"])}
    replaced = repository.take_monthly_positions(session, [
        {"location_id": key[0], "month": key[1], "sequence": s["sequence"], "submitted_at": s["submitted_at"]}
        for key, s in newest.items()])
    if replaced:
        # The positions just taken: their figures replace the month's.
        repository.replace_monthly_vacancies(session, replaced, [
            {"location_id": key[0], "month": key[1], "vacancy_type": v["vacancy_type"],
             "maximum_capacity": v["maximum_capacity"], "occupied": v["occupied"], "vacant": v["vacant"]}
            for key in replaced for v in position(newest[key]["vacancies"])])
    repository.update_rollup(session, changing, before)
    return len(taken | {(key[0], newest[key]["sequence"]) for key in replaced})


def _apply_collection(session: Session, snapshots: list[dict]) -> None:
    """Every return, whatever its order: the earliest a location sent (when
    it first appeared), and the first and last it sent within each month's
    collection window. Taking the least and the greatest, a return applied
    twice changes nothing."""
    earliest: dict[str, datetime] = {}
    windows: dict[tuple, list[datetime]] = {}
    for s in snapshots:
        at = s["submitted_at"]
        earliest[s["location_id"]] = min(at, earliest.get(s["location_id"], at))
        month = collection_month(at)
        if month is not None:
            held = windows.setdefault((s["location_id"], month), [at, at])
            held[0], held[1] = min(held[0], at), max(held[1], at)
    repository.keep_earliest_returns(session, earliest)
    if windows:
        repository.widen_collection_windows(session, windows)


def apply_geography(session: Session, geography: dict) -> None:
    """Names and parents of every area; a newer geography replaces an older
    one, and what it no longer holds goes."""
    version = geography["version"]
    rows = [{"code": code, "kind": "nhs_region", "name": name, "parent_code": None, "version": version}
            for code, name in geography["nhs_regions"]]
    rows += [{"code": code, "kind": "icb", "name": name, "parent_code": parent, "version": version}
             for code, name, parent in geography["icbs"]]
    rows += [{"code": code, "kind": "sub_icb", "name": name, "parent_code": parent, "version": version}
             for code, name, parent in geography["sub_icbs"]]
    rows += [{"code": code, "kind": "local_authority", "name": name, "parent_code": None, "version": version}
             for code, name in geography["local_authorities"]]
    repository.lock_geography(session)  # one geography at a time
    if repository.newest_geography_version(session) > version:
        return  # a newer geography is held
    repository.upsert_areas(session, rows, version)
