"""Rebuilding the read model from the owning services' snapshots: providers'
locations and postcode directory, capacity's current returns, page by page.

The rebuild is one transaction: searches keep seeing the old model until it
commits, and a rebuild that fails changes nothing. It applies snapshots with
the same newer-only rule as events, so events consumed meanwhile are never
undone by an older snapshot."""
from __future__ import annotations

from tracker_common.logs import get_logger
from tracker_common.snapshots import Fetch, pages, start_rebuild, valid_snapshots

from .. import repository
from ..models import DirectoryPart, SearchLocation, SearchOutcode, SearchPostcode
from ..places import forget_places
from .readmodel import (apply_location_snapshots, apply_postcodes, apply_return_snapshots,
                        drop_older_directories)

log = get_logger(__name__)
REBUILD_LOCK = 74_202  # advisory lock: one rebuild at a time, whatever the number of instances


def rebuild(uow, fetch: Fetch, *, reset: bool = False, only_if_empty: bool = False) -> dict:
    """Refill the read model from snapshots (`reset`: forget it first).
    Returns counts; {"skipped": True} when `only_if_empty` and it is not."""
    session = uow.session
    if not start_rebuild(session, REBUILD_LOCK, (SearchLocation, SearchPostcode, SearchOutcode, DirectoryPart),
                         reset=reset, only_if_empty=only_if_empty):
        return {"skipped": True}
    counts = {"locations": 0, "returns": 0, "postcodes": 0, "refused": 0}
    for kind, method, event_type, apply in (
            ("locations", "location_snapshots", "providers.location_updated", apply_location_snapshots),
            ("returns", "return_snapshots", "capacity.return_submitted", apply_return_snapshots)):
        service = "providers" if kind == "locations" else "capacity"
        for page in pages(fetch, service, method):
            valid = valid_snapshots(page["snapshots"], event_type)
            counts["refused"] += len(page["snapshots"]) - len(valid)
            apply(session, valid)
            counts[kind] += len(valid)
    version = None
    for page in pages(fetch, "providers", "postcode_snapshots"):
        version = page["directory_version"]
        if version is None:
            break  # providers hold no directory yet
        apply_postcodes(session, version, page["postcodes"], page["outcodes"])
        counts["postcodes"] += len(page["postcodes"])
    if version is not None:
        # Recorded as a complete directory, so that late parts of older ones are ignored.
        repository.add_directory_part(session, version, 1, 1)
        drop_older_directories(session, version)
    uow.commit()
    forget_places()
    log.info("read model rebuilt", reset=reset, **counts)
    return counts
