"""The CQC import: the care directory as CQC publishes it creates and
updates providers and locations, idempotently.

CQC-owned fields are overwritten, user-owned ones never touched; a location
missing from the directory is marked deactivated; every change is audited and
announced with a new snapshot. The whole file applies in one transaction, or
not at all: bad rows are reported with their line and reason, and a file with
too many of them (likely not the directory) changes nothing.

A batch of rows at a time: a row whose CQC fields hash as the location's
stored `cqc_hash` is unchanged and never loaded; the others (and rows from
before the hash, compared in full once) are loaded with their contracts and
notes in a few queries, and what the batch creates or changes is written in
one statement per table. Events are recorded in the file's order."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from itertools import islice
from types import SimpleNamespace

from tracker_common.contracts.errors import NotFound
from tracker_common.postcodes import InvalidPostcode, normalise_postcode

from .. import repository
from ..cqc_directory import read_cqc_directory
from ..models import ImportRun
from ..rules import (NEW_LOCATION_USER_FIELDS, apply_changes, cqc_hash, cqc_values, name_key, place_from_cqc,
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
    """Postcode → place, from the directory, batch by batch; a district's
    place (for postcodes the directory does not know) asked once."""

    def __init__(self, session):
        self.session = session
        self.la_by_name = {name_key(la.name): la.code for la in repository.local_authorities(session)}
        self.sub_icbs = repository.sub_icb_codes(session)
        self.known: dict = {}
        self.districts: dict[str, dict | None] = {}

    def prefetch(self, postcodes: set[str]) -> None:
        self.known = repository.postcodes_by_code(self.session, postcodes)

    def place(self, record, postcode: str) -> dict:
        found = self.known.get(postcode)
        if found is not None and found.latitude is not None:
            return place_of_postcode(found)
        outcode = postcode.split(" ")[0]  # normalised: "S70 1AA"
        if outcode not in self.districts:
            try:
                self.districts[outcode] = place_of_district(locate(self.session, postcode))
            except NotFound:
                self.districts[outcode] = None
        if self.districts[outcode] is not None:
            return dict(self.districts[outcode])
        # Not in the directory at all: CQC's own coordinates and alignment.
        return place_from_cqc(record, self.la_by_name, self.sub_icbs)


@dataclass
class _Writes:
    """What a batch creates or changes, written at its end in one statement per table."""

    new_providers: dict = field(default_factory=dict)
    changed_providers: dict = field(default_factory=dict)
    new_locations: list = field(default_factory=list)
    audit: list = field(default_factory=list)

    def write(self, session) -> None:
        repository.insert_providers(session, [vars(p) for p in self.new_providers.values()])
        repository.update_providers(session, [vars(p) for i, p in self.changed_providers.items()
                                              if i not in self.new_providers])
        repository.insert_locations(session, [vars(l) for l in self.new_locations])
        repository.flush(session)  # the loaded locations the batch changed
        repository.insert_changes(session, self.audit)


def _upsert_provider(uow, providers: dict, record, writes: _Writes) -> None:
    provider = providers.get(record.provider_id)
    values = provider_values(record)
    if provider is None:
        provider = SimpleNamespace(id=record.provider_id, email_domains=[], version=0, **values)
        providers[provider.id] = writes.new_providers[provider.id] = provider
    elif all(getattr(provider, k) == v for k, v in values.items()):
        return
    else:
        for key, value in values.items():
            setattr(provider, key, value)
        writes.changed_providers[provider.id] = provider
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
    hashes = repository.location_hashes(session)
    providers = {row["id"]: SimpleNamespace(**row) for row in repository.provider_rows(session)}
    geocoder = _Geocoder(session)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "reactivated": 0}
    rejections, seen, created = [], set(), set()
    records = iter(reader)
    while batch := list(islice(records, BATCH)):
        normalised = {}
        for record in batch:
            try:
                normalised[record.location_id] = normalise_postcode(record.postcode)
            except InvalidPostcode as exc:
                rejections.append({"line": record.line, "location_id": record.location_id,
                                   "reason": f"postcode {record.postcode!r}: {exc}"})
        geocoder.prefetch(set(normalised.values()))
        with session.no_autoflush:
            _apply_batch(uow, batch, normalised, geocoder, hashes, providers, seen, created, counts, now)
    summary = _summary(reader, rejections)
    if not seen:
        raise CqcImportRefused("The file holds no acceptable location.", summary)
    if summary["rejected"] > max_rejected_ratio * max(summary["read"], 1):
        raise CqcImportRefused(f"{summary['rejected']} of {summary['read']} rows were rejected "
                               f"(more than {max_rejected_ratio:.0%}): nothing was changed.", summary)
    counts["deactivated"] = _deactivate(uow, sorted(repository.active_location_ids(session) - seen), providers,
                                        now)
    # When CQC last vouched for each location (those created have it already).
    repository.mark_cqc_refreshed(session, seen - created, now)
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


def _new_location(record, values: dict, digest: str, now) -> SimpleNamespace:
    """A location the directory brings, as the row to insert (every column)."""
    return SimpleNamespace(id=record.location_id, version=0, active=True, deactivated_at=None, created_at=now,
                           updated_at=now, updated_by=None, cqc_refreshed_at=None, out_of_hours_admissions=None,
                           short_stay_services=None, cqc_hash=digest, **_fresh(NEW_LOCATION_USER_FIELDS), **values)


def _apply_batch(uow, batch, normalised, geocoder, hashes, providers, seen, created, counts, now) -> None:
    session = uow.session
    planned = []
    for record in batch:
        if record.location_id in normalised:
            postcode = normalised[record.location_id]
            values = cqc_values(record, postcode, geocoder.place(record, postcode))
            planned.append((record, values, cqc_hash(values)))
    # Known locations whose hash differs (or is missing, or which are
    # inactive) are loaded, with what their snapshots need, in three queries.
    compare = [r.location_id for r, _, digest in planned
               if r.location_id in hashes and hashes[r.location_id] != (digest, True)]
    loaded = repository.locations_by_id(session, compare)
    contracts = repository.approved_contracts_by_location(session, compare)
    notes = repository.live_notes_by_location(session, compare)
    writes = _Writes()
    for record, values, digest in planned:
        seen.add(record.location_id)
        _upsert_provider(uow, providers, record, writes)
        provider = providers[record.provider_id]
        known = hashes.get(record.location_id)
        if known is None:
            location = _new_location(record, values, digest, now)
            publish_location(uow, location, action="cqc_created", changes={"created": [None, location.id]},
                             provider=provider, new=True, audit=writes.audit)
            # Announced as not yet refreshed (as before it is stored), inserted
            # refreshed: no second write of the row by `mark_cqc_refreshed`.
            location.cqc_refreshed_at = now
            writes.new_locations.append(location)
            hashes[location.id] = (digest, True)
            created.add(location.id)
            counts["created"] += 1
            continue
        if known == (digest, True):
            counts["unchanged"] += 1
            continue
        location = loaded[record.location_id]
        changes = apply_changes(location, values)
        if not location.active:
            changes.update(apply_changes(location, {"active": True, "deactivated_at": None}))
            counts["reactivated"] += 1
        location.cqc_hash = digest
        if changes:
            publish_location(uow, location, action="cqc_import", changes=changes, provider=provider,
                             contracts=contracts.get(location.id, []), notes=notes.get(location.id, []),
                             audit=writes.audit)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    writes.write(session)


def _deactivate(uow, location_ids: list[str], providers: dict, now) -> int:
    """Mark deactivated the active locations the directory no longer holds,
    a batch at a time; returns how many."""
    session = uow.session
    for start in range(0, len(location_ids), BATCH):
        ids = location_ids[start:start + BATCH]
        loaded = repository.locations_by_id(session, ids)
        contracts = repository.approved_contracts_by_location(session, ids)
        notes = repository.live_notes_by_location(session, ids)
        audit: list[dict] = []
        for location_id in ids:
            location = loaded[location_id]
            changes = apply_changes(location, {"active": False, "deactivated_at": now})
            publish_location(uow, location, action="cqc_deregistered", changes=changes,
                             provider=providers.get(location.provider_id), contracts=contracts.get(location_id, []),
                             notes=notes.get(location_id, []), audit=audit)
        repository.flush(session)
        repository.insert_changes(session, audit)
    return len(location_ids)
