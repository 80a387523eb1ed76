"""Every query of the reporting service, as functions named for what they
do: handlers and the operator commands call these and never build or run
SQL themselves.

    readmodel  keeping the read model: profiles, returns, their months and collection windows, the geography
    rollup     keeping the monthly rollup by area with the figures
    reports    reading it for the reports
"""
from __future__ import annotations

from .readmodel import (area_count, keep_earliest_returns, lock_geography, lock_locations, moving_locations,
                        newest_geography_version, replace_monthly_vacancies, take_monthly_positions,
                        upsert_areas, upsert_latest_returns, upsert_profiles, widen_collection_windows)
from .reports import (GEOGRAPHY, area_named, area_names, care_homes_in, collection_history, every_area,
                      least_recently_updated, location_names, location_page, locations_to_export, parent_of,
                      provider_names, rollup_groups, utilisation_groups)
from .rollup import recompute_rollup, rollup_contributions, update_rollup

__all__ = [
    "area_count", "keep_earliest_returns", "lock_geography", "lock_locations", "moving_locations",
    "newest_geography_version", "replace_monthly_vacancies", "take_monthly_positions", "upsert_areas",
    "upsert_latest_returns", "upsert_profiles", "widen_collection_windows", "GEOGRAPHY", "area_named",
    "area_names", "care_homes_in", "collection_history", "every_area", "least_recently_updated",
    "location_names", "location_page", "locations_to_export", "parent_of", "provider_names", "rollup_groups",
    "utilisation_groups", "recompute_rollup", "rollup_contributions", "update_rollup",
]
