"""The shape of a synthetic England: the mix of location kinds at full size,
the sizes on offer, the fictional "today" of the data, and the small numeric
helpers (weighted picks, clamping, apportioning) the other modules draw with."""
from __future__ import annotations

import random
from datetime import date

AS_OF = date(2026, 10, 1)  # the fictional "today" of the data: no wall clock, so files are reproducible

FULL_MIX = {"care_home": 15_600, "home_care": 14_100, "hospice": 200, "substance_misuse": 120, "community": 180}
KINDS = tuple(FULL_MIX)
# size -> (number of Local Authorities, None for all; number of locations)
SIZES = {"full": (None, sum(FULL_MIX.values())), "medium": (None, 3_000), "small": (10, 300), "tiny": (3, 30)}


def pick(rng: random.Random, weighted: dict):
    return rng.choices(tuple(weighted), weights=tuple(weighted.values()))[0]


def clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))[:total - sum(counts)]:
        counts[i] += 1
    return counts


def kind_counts(total: int) -> dict[str, int]:
    """How many locations of each kind make `total`, in the proportions of a
    full-size England (with at least one of each kind from 50 locations)."""
    counts = dict(zip(KINDS, apportion(total, list(FULL_MIX.values()))))
    if total >= 50:
        for kind in KINDS:
            if counts[kind] == 0:
                counts[max(counts, key=counts.get)] -= 1
                counts[kind] = 1
    return counts
