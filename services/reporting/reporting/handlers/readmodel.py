"""Keeping the read model: profiles from providers, every return from
capacity, the geography's names from providers. Each snapshot is applied
only when newer than what is held (the location's version, the return's
sequence, the geography's version), in single upserts, so redelivered,
reordered or replayed events, concurrent consumers and rebuilds interleaved
with events never make it go back.

Snapshots arrive as loaded by their events' schemas (typed: times are
datetimes)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..models import Area, CollectionReturn, MonthlyPosition, MonthlyVacancy, ReportLocation
from ..rules import collection_month, month_of, position

GEOGRAPHY_LOCK = 74_301  # advisory lock: applying a geography
PROFILE = ("name", "provider_id", "provider_name", "kind", "postcode", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code", "active", "reminders_enabled")


def _newest(snapshots: list[dict], key, version) -> list[dict]:
    """One snapshot a key, its newest: an upsert may touch a row only once."""
    newest: dict = {}
    for snapshot in snapshots:
        held = newest.get(key(snapshot))
        if held is None or version(snapshot) > version(held):
            newest[key(snapshot)] = snapshot
    return [newest[k] for k in sorted(newest)]  # in key order: concurrent upserts never deadlock


def apply_location_snapshots(session: Session, snapshots: list[dict]) -> None:
    rows = [{"location_id": s["location_id"], "location_version": s["version"], "name": s["name"],
             "provider_id": s["organisation_id"], "provider_name": s.get("provider_name"), "kind": s.get("kind"),
             "postcode": s["postcode"], "la_code": s["la_code"], "sub_icb_code": s["sub_icb_code"],
             "icb_code": s.get("icb_code"), "nhs_region_code": s.get("nhs_region_code"), "active": s["active"],
             "reminders_enabled": s.get("reminders_enabled", True)}
            for s in _newest(snapshots, lambda s: s["location_id"], lambda s: s["version"])]
    if not rows:
        return
    statement = insert(ReportLocation).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={c: statement.excluded[c] for c in ("location_version", *PROFILE)},
        where=ReportLocation.location_version < statement.excluded.location_version))


def apply_return_snapshots(session: Session, snapshots: list[dict]) -> None:
    """A return is the location's latest when newer than the one held, and
    its position in its month when newer than that month's."""
    latest = _newest(snapshots, lambda s: s["location_id"], lambda s: s["sequence"])
    if not latest:
        return
    rows = [{"location_id": s["location_id"], "return_sequence": s["sequence"],
             "last_updated_at": s["submitted_at"], "vacancies": position(s["vacancies"]),
             "admission_status": s["admission_status"], "provider_id": s["provider_id"], "la_code": s["la_code"],
             "sub_icb_code": s["sub_icb_code"]} for s in latest]
    statement = insert(ReportLocation).values(rows)
    no_profile_yet = ReportLocation.location_version == 0
    session.execute(statement.on_conflict_do_update(
        index_elements=["location_id"],
        set_={**{c: statement.excluded[c] for c in ("return_sequence", "last_updated_at", "vacancies",
                                                    "admission_status")},
              # until the profile arrives, the return's own alignment stands in
              **{c: case((no_profile_yet, statement.excluded[c]), else_=getattr(ReportLocation, c))
                 for c in ("provider_id", "la_code", "sub_icb_code")}},
        where=ReportLocation.return_sequence < statement.excluded.return_sequence))

    _apply_collection(session, snapshots)

    def month_key(s):
        return (s["location_id"], month_of(s["submitted_at"]))

    newest = {month_key(s): s for s in _newest(snapshots, month_key, lambda s: s["sequence"])}
    statement = insert(MonthlyPosition).values([
        {"location_id": key[0], "month": key[1], "sequence": s["sequence"],
         "submitted_at": s["submitted_at"]} for key, s in newest.items()])
    replaced = session.execute(statement.on_conflict_do_update(
        index_elements=["location_id", "month"],
        set_={c: statement.excluded[c] for c in ("sequence", "submitted_at")},
        where=MonthlyPosition.sequence < statement.excluded.sequence)
        .returning(MonthlyPosition.location_id, MonthlyPosition.month)).all()
    if not replaced:
        return
    # The positions just taken (their rows locked): their figures replace the month's.
    # (Two arrays unnested: a list of pairs as large as a rebuild's page would
    # exceed PostgreSQL's stack as an IN list.)
    session.execute(text(
        "DELETE FROM monthly_vacancies v USING unnest(CAST(:ids AS text[]), CAST(:months AS date[])) AS k(id, month) "
        "WHERE v.location_id = k.id AND v.month = k.month"),
        {"ids": [key[0] for key in replaced], "months": [key[1] for key in replaced]})
    figures = [{"location_id": key[0], "month": key[1], "vacancy_type": v["vacancy_type"],
                "maximum_capacity": v["maximum_capacity"], "occupied": v["occupied"], "vacant": v["vacant"]}
               for key in map(tuple, replaced) for v in position(newest[key]["vacancies"])]
    if figures:
        session.execute(insert(MonthlyVacancy).values(figures))


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
    session.execute(text(
        "UPDATE report_locations l SET first_return_at = LEAST(l.first_return_at, k.at) "
        "FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS k(id, at) WHERE l.location_id = k.id"),
        {"ids": sorted(earliest), "ats": [earliest[k] for k in sorted(earliest)]})
    if windows:
        statement = insert(CollectionReturn).values([
            {"location_id": key[0], "month": key[1], "first_at": at[0], "last_at": at[1]}
            for key, at in sorted(windows.items())])
        session.execute(statement.on_conflict_do_update(
            index_elements=["location_id", "month"],
            set_={"first_at": func.least(CollectionReturn.first_at, statement.excluded.first_at),
                  "last_at": func.greatest(CollectionReturn.last_at, statement.excluded.last_at)}))


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
    session.execute(select(func.pg_advisory_xact_lock(GEOGRAPHY_LOCK)))  # one geography at a time
    if (session.scalar(select(func.max(Area.version))) or 0) > version:
        return  # a newer geography is held
    for start in range(0, len(rows), 1_000):
        statement = insert(Area).values(rows[start:start + 1_000])
        session.execute(statement.on_conflict_do_update(
            index_elements=["code"], set_={c: statement.excluded[c] for c in ("kind", "name", "parent_code",
                                                                               "version")},
            where=Area.version <= statement.excluded.version))
    session.execute(delete(Area).where(Area.version < version))
