"""The CQC import: the care directory as CQC publishes it creates and
updates providers and locations, idempotently.

CQC-owned fields are overwritten, user-owned ones never touched; a location
missing from the directory is marked deactivated; every change is audited and
announced with a new snapshot. The whole file applies in one transaction, or
not at all: bad rows are reported with their line and reason, and a file with
too many of them (likely not the directory) changes nothing."""
from __future__ import annotations

import uuid
from dataclasses import asdict
from itertools import islice

from tracker_common.contracts.errors import NotFound
from tracker_common.postcodes import InvalidPostcode, normalise_postcode

from .. import repository
from ..cqc_directory import read_cqc_directory
from ..models import ImportRun, Location, Postcode, Provider
from ..rules import (NEW_LOCATION_USER_FIELDS, apply_changes, cqc_values, name_key, place_from_cqc,
                     place_of_district, place_of_postcode, provider_values)
from .geography import locate
from .snapshots import publish_location

BATCH = 1000


class CqcImportRefused(Exception):
    def __init__(self, reason: str, summary: dict):
        super().__init__(reason)
        self.reason = reason
        self.summary = summary


class _Geocoder:
    """Postcode → place, from the directory, batch by batch."""

    def __init__(self, session):
        self.session = session
        self.la_by_name = {name_key(la.name): la.code for la in repository.local_authorities(session)}
        self.sub_icbs = repository.sub_icb_codes(session)
        self.known: dict[str, Postcode] = {}

    def prefetch(self, postcodes: set[str]) -> None:
        self.known = repository.postcodes_by_code(self.session, postcodes)

    def place(self, record, postcode: str) -> dict:
        found = self.known.get(postcode)
        if found is not None and found.latitude is not None:
            return place_of_postcode(found)
        try:
            return place_of_district(locate(self.session, postcode))
        except NotFound:
            pass
        # Not in the directory at all: CQC's own coordinates and alignment.
        return place_from_cqc(record, self.la_by_name, self.sub_icbs)


def _upsert_provider(uow, providers: dict, record) -> None:
    provider = providers.get(record.provider_id)
    values = provider_values(record)
    if provider is None:
        provider = Provider(id=record.provider_id, email_domains=[], version=0, **values)
        repository.add_provider(uow.session, provider)
        providers[provider.id] = provider
    elif all(getattr(provider, k) == v for k, v in values.items()):
        return
    else:
        for key, value in values.items():
            setattr(provider, key, value)
    provider.version += 1
    uow.record_event("providers.organisation_updated", {
        "organisation_id": provider.id, "version": provider.version, "name": provider.name,
        "kind": "care_provider", "email_domains": list(provider.email_domains or []), "ons_code": None,
        "la_code": None, "sub_icb_code": None})


def import_cqc_directory(uow, source, *, progress=None, max_rejected_ratio: float = 0.05) -> dict:
    """Apply the CQC directory at `source` in the unit of work (the caller
    commits). Returns the summary; raises CqcImportRefused (caller rolls back)."""
    reader = read_cqc_directory(source, progress=progress)
    session, now = uow.session, uow.now()
    locations = {l.id: l for l in repository.all_locations(session)}
    providers = {p.id: p for p in repository.all_providers(session)}
    geocoder = _Geocoder(session)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "reactivated": 0}
    rejections, seen = [], set()
    records = iter(reader)
    # A batch is written in one flush (multi-row INSERTs), not row by row as
    # autoflush would before every lookup.
    while batch := list(islice(records, BATCH)):
        repository.flush(session)
        normalised = {}
        for record in batch:
            try:
                normalised[record.location_id] = normalise_postcode(record.postcode)
            except InvalidPostcode as exc:
                rejections.append({"line": record.line, "location_id": record.location_id,
                                   "reason": f"postcode {record.postcode!r}: {exc}"})
        geocoder.prefetch(set(normalised.values()))
        with session.no_autoflush:
            _apply_batch(uow, batch, normalised, geocoder, locations, providers, seen, counts, now)
    repository.flush(session)
    summary = _summary(reader, rejections)
    if not seen:
        raise CqcImportRefused("The file holds no acceptable location.", summary)
    if summary["rejected"] > max_rejected_ratio * max(summary["read"], 1):
        raise CqcImportRefused(f"{summary['rejected']} of {summary['read']} rows were rejected "
                               f"(more than {max_rejected_ratio:.0%}): nothing was changed.", summary)
    for location in locations.values():
        if location.active and location.id not in seen:
            changes = apply_changes(location, {"active": False, "deactivated_at": now})
            publish_location(uow, location, action="cqc_deregistered", changes=changes,
                             provider=providers.get(location.provider_id))
            counts["deactivated"] += 1
    repository.mark_cqc_refreshed(session, seen, now)  # when CQC last vouched for each location
    summary.update(counts)
    repository.add_import_run(session, ImportRun(id=str(uuid.uuid4()), kind="cqc", source=str(source)[:300],
                                                 status="applied", started_at=now, finished_at=uow.now(),
                                                 summary=summary))
    return summary


def _summary(reader, rejections: list[dict]) -> dict:
    summary = {k: v for k, v in asdict(reader.summary).items() if k != "rejections"}
    all_rejections = [{"line": r.line, "location_id": r.location_id, "reason": r.reason}
                      for r in reader.summary.rejections] + rejections
    summary["rejected"] = reader.summary.rejected + len(rejections)
    summary["rejections"] = sorted(all_rejections, key=lambda r: r["line"])[:1000]
    return summary


def _fresh(values: dict) -> dict:
    """A copy whose lists and dicts are the location's own."""
    return {k: v.copy() if isinstance(v, (list, dict)) else v for k, v in values.items()}


def _apply_batch(uow, batch, normalised, geocoder, locations, providers, seen, counts, now) -> None:
    session = uow.session
    for record in batch:
        if record.location_id not in normalised:
            continue
        seen.add(record.location_id)
        _upsert_provider(uow, providers, record)
        postcode = normalised[record.location_id]
        values = cqc_values(record, postcode, geocoder.place(record, postcode))
        location = locations.get(record.location_id)
        if location is None:
            location = Location(id=record.location_id, version=0, active=True, created_at=now,
                                **_fresh(NEW_LOCATION_USER_FIELDS), **values)
            repository.add_location(session, location)
            locations[location.id] = location
            publish_location(uow, location, action="cqc_created", changes={"created": [None, location.id]},
                             provider=providers[record.provider_id], new=True)
            counts["created"] += 1
            continue
        changes = apply_changes(location, values)
        if not location.active:
            changes.update(apply_changes(location, {"active": True, "deactivated_at": None}))
            counts["reactivated"] += 1
        if changes:
            publish_location(uow, location, action="cqc_import", changes=changes,
                             provider=providers[record.provider_id])
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
