"""Rebuilding the read model from the owning services' snapshots: providers'
locations and geography, and every return capacity ever accepted, page by
page.

The rebuild is one transaction: reports keep reading the old model until it
commits, and a rebuild that fails changes nothing. It applies snapshots with
the same newer-only rule as events, so events consumed meanwhile are never
undone by an older snapshot. The monthly rollup is worked out once, from
every figure, when the pages are in (events for the locations rebuilt wait
on their rows until the rebuild commits)."""
from __future__ import annotations

from functools import partial

from tracker_common.logs import get_logger
from tracker_common.snapshots import Fetch, pages, start_rebuild, valid_snapshots

from .. import repository
from ..models import Area, CollectionReturn, MonthlyPosition, MonthlyRollup, MonthlyVacancy, ReportLocation
from .readmodel import apply_geography, apply_location_snapshots, apply_return_snapshots

log = get_logger(__name__)
REBUILD_LOCK = 74_302  # advisory lock: one rebuild at a time, whatever the number of instances
SOURCES = (  # what, from whom, checked as which event, applied how
    ("locations", "providers", "location_snapshots", "providers.location_updated",
     partial(apply_location_snapshots, rollup=False)),
    ("returns", "capacity", "return_history_snapshots", "capacity.return_submitted",
     partial(apply_return_snapshots, rollup=False)),
)


def rebuild(uow, fetch: Fetch, *, reset: bool = False, only_if_empty: bool = False) -> dict:
    """Refill the read model from snapshots (`reset`: forget it first).
    Returns counts; {"skipped": True} when `only_if_empty` and it is not."""
    session = uow.session
    if not start_rebuild(session, REBUILD_LOCK, (ReportLocation, MonthlyPosition, MonthlyVacancy, MonthlyRollup,
                                                 CollectionReturn, Area), reset=reset, only_if_empty=only_if_empty):
        return {"skipped": True}
    counts = {"locations": 0, "returns": 0, "areas": 0, "refused": 0}
    for kind, service, method, event_type, apply in SOURCES:
        for page in pages(fetch, service, method):
            valid = valid_snapshots(page["snapshots"], event_type)
            counts["refused"] += len(page["snapshots"]) - len(valid)
            apply(session, valid)
            counts[kind] += len(valid)
    for page in pages(fetch, "providers", "geography_snapshots"):
        for geography in valid_snapshots(page["snapshots"], "providers.geography_published"):
            apply_geography(session, geography)
    repository.recompute_rollup(session)
    counts["areas"] = repository.area_count(session)
    uow.commit()
    log.info("read model rebuilt", reset=reset, **counts)
    return counts
