"""Refilling what notifications knows of locations (names, managers,
reminder switches) from the providers service's snapshots: at start when
empty, or by command. Snapshots are applied newer-only, as events are."""
from __future__ import annotations

from sqlalchemy import exists, func, select

from tracker_common.logs import get_logger
from tracker_common.snapshots import Fetch, pages, valid_snapshots

from ..models import Location
from .events import apply_location_snapshot

log = get_logger(__name__)
REBUILD_LOCK = 74_203  # one rebuild at a time, whatever the number of instances


def rebuild_locations(uow, fetch: Fetch, *, only_if_empty: bool = False) -> dict:
    session = uow.session
    session.execute(select(func.pg_advisory_xact_lock(REBUILD_LOCK)))
    if only_if_empty and session.scalar(select(exists().where(Location.location_id.isnot(None)))):
        return {"skipped": True}
    counts = {"locations": 0, "refused": 0}
    for page in pages(fetch, "providers", "location_snapshots"):
        valid = valid_snapshots(page["snapshots"], "providers.location_updated")
        counts["refused"] += len(page["snapshots"]) - len(valid)
        for snapshot in valid:
            apply_location_snapshot(uow, snapshot)
        counts["locations"] += len(valid)
    uow.commit()
    log.info("locations rebuilt", **counts)
    return counts
