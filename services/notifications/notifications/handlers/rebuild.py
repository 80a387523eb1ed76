"""Refilling what notifications knows of locations (names, managers,
reminder switches) from the providers service's snapshots: at start when
empty, or by command. Snapshots are applied newer-only, as events are
(`handlers.readmodel`)."""
from __future__ import annotations

from tracker_common.logs import get_logger
from tracker_common.snapshots import Fetch, pages, valid_snapshots

from .. import repository
from .readmodel import apply_location_snapshots

log = get_logger(__name__)


def rebuild_locations(uow, fetch: Fetch, *, only_if_empty: bool = False) -> dict:
    if not repository.start_locations_rebuild(uow.session, only_if_empty=only_if_empty):
        return {"skipped": True}
    counts = {"locations": 0, "refused": 0}
    for page in pages(fetch, "providers", "location_snapshots"):
        valid = valid_snapshots(page["snapshots"], "providers.location_updated")
        counts["refused"] += len(page["snapshots"]) - len(valid)
        apply_location_snapshots(uow.session, valid)
        counts["locations"] += len(valid)
    uow.commit()
    log.info("locations rebuilt", **counts)
    return counts
