"""Where postcodes are, kept a while: discharge teams search again and again
from the same hospitals. The instance applying a new directory (or a
rebuild) forgets them at once (`forget_places`); the others within
PLACES_TTL. Its one home, which the query side and the read model's writer
both import."""
from __future__ import annotations

from typing import Callable

from cachetools import TTLCache

PLACES_TTL = 600
_places: TTLCache = TTLCache(maxsize=50_000, ttl=PLACES_TTL)


def remembered(place: str, find: Callable[[str], dict]) -> dict:
    """Where `place` is: remembered, else `find(place)` (kept for next time)."""
    if place not in _places:
        _places[place] = find(place)
    return dict(_places[place])


def forget_places() -> None:
    _places.clear()
