"""A year of the demo's life: each set-up care home sends its capacity
returns month after month, as homes do, through the capacity service's own
handler (every rule checked, every return kept and announced in the outbox),
with the clock moved to the moment each was sent.

`python -m capacity.manage seed-demo-history` runs it before the services
start: capacity first takes the homes providers announced from its own
queue (as its subscriber would), then sends the returns; capacity's relay
publishes them when it starts, and search and reporting build from them.

Who does what is decided by plain functions of the home's id and a seed (the
same on every run):

- most homes are current (their latest return is less than 24 hours old),
  some stale (older than 24 hours, or than 48), a few never sent one;
- every home that sends returns has 12 months of history before this one:
  the return of the ASC collection window (the 8th to the 14th of each
  month), now and then one more in the month, and a few months missed;
- figures vary with the home, the month and the season, always within the
  rules (they add up, prices above £100, within the registered beds).

Running it again adds only the returns planned after a home's latest one by
more than `RERUN_GAP` (none on the same day, the days since on a later day).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tracker_common.clock import LONDON
from tracker_common.contracts import capacity as bodies
from tracker_common.demo import (DEFAULT_SEED, Progress, consume_pending, freshness, home_staff, relaxed,
                               unit_share)
from tracker_common.schemas import load

from . import repository
from .handlers import readmodel, returns

MONTHS = 12  # whole months of history before the current one
MISSED_MONTH_SHARE = 0.08  # months a home sends nothing at all
WINDOW_DAYS = (8, 14)  # the ASC collection window
RERUN_GAP = timedelta(hours=20)
STILL_TRUE_SHARE = 0.4  # current homes whose latest return only says "nothing has changed"

BASE_PRICES = {  # weekly, in pounds, before the home's own level and the yearly rises
    "general_residential": 780, "dementia_residential": 860, "learning_disability_residential": 1_150,
    "mental_health_residential": 980, "general_nursing": 1_050, "dementia_nursing": 1_150,
    "learning_disability_nursing": 1_450, "mental_health_nursing": 1_300, "young_physically_disabled": 1_350,
    "community_care": 900,
}
NOT_AVAILABLE_REASONS = ("refurbishment", "management_decision", "other_health_outbreak", "covid_outbreak")


def category(location_id: str, seed: int = DEFAULT_SEED) -> str:
    """"never", "stale_48h", "stale_24h" or "current": how fresh the home's
    latest return is when the demo starts (tracker_common.demo.freshness)."""
    return freshness(location_id, seed)


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _at(day: date, rng: random.Random) -> datetime:
    """A working-hours moment of `day`, UK time, in UTC."""
    local = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=LONDON)
    return local.astimezone(timezone.utc)


def last_return_age(location_id: str, kind: str, seed: int = DEFAULT_SEED) -> timedelta | None:
    """How long before now the home's latest return was sent (None: never)."""
    rng = random.Random(f"{seed}|age|{location_id}")
    hours = {"current": (0.5, 20), "stale_24h": (26, 46), "stale_48h": (50, 24 * 9)}.get(kind)
    return timedelta(hours=rng.uniform(*hours)) if hours else None


def return_times(location_id: str, now: datetime, seed: int = DEFAULT_SEED) -> list[datetime]:
    """When the home sent its returns, oldest first, up to its latest (for
    the home's category): the collection window's return of each month of
    the last MONTHS and this one, sometimes one more, some months missed."""
    kind = category(location_id, seed)
    age = last_return_age(location_id, kind, seed)
    if age is None:
        return []
    latest = now - age
    first_month = _month_start(now.astimezone(LONDON).date(), MONTHS)
    times = []
    for back in range(MONTHS, -1, -1):
        month = _month_start(now.astimezone(LONDON).date(), back)
        rng = random.Random(f"{seed}|month|{location_id}|{month.isoformat()}")
        if rng.random() < MISSED_MONTH_SHARE and month != first_month:
            continue
        times.append(_at(month.replace(day=rng.randint(*WINDOW_DAYS)), rng))
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):  # updates between collections
            times.append(_at(month.replace(day=rng.randint(1, 28)), rng))
    kept = sorted(t for t in times if t < latest - timedelta(hours=1))
    return kept + [latest]


@dataclass(frozen=True)
class Home:
    location_id: str
    long_term_vacancy_types: tuple[str, ...]
    short_stay_services: tuple[str, ...]
    registered_beds: int | None


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` beds over `parts` types, the first (general) type the largest."""
    if parts == 1:
        return [total]
    weights = [3.0] + [rng.uniform(0.6, 1.6) for _ in range(parts - 1)]
    counts = [max(1, int(total * w / sum(weights))) for w in weights]
    counts[0] += total - sum(counts)
    while counts[0] < 1:
        largest = max(range(1, parts), key=lambda i: counts[i])
        counts[largest] -= 1
        counts[0] += 1
    return counts


def figures(home: Home, when: datetime, seed: int = DEFAULT_SEED) -> dict:
    """A return's body (as the API takes it) for the home at `when`: the
    home's beds split over the types it offers, occupancy higher in winter,
    a few beds reserved or not available now and then, prices rising each
    April. Always within the rules."""
    home_rng = random.Random(f"{seed}|home|{home.location_id}")
    types = sorted(home.long_term_vacancy_types, key=lambda t: (not t.startswith("general"), t))
    beds = home.registered_beds or home_rng.randint(18, 60)
    capacities = _split(max(beds, len(types)), len(types), home_rng)
    level = home_rng.uniform(0.9, 1.25)
    usual_occupancy = home_rng.uniform(0.82, 0.95)
    local = when.astimezone(LONDON)
    rng = random.Random(f"{seed}|figures|{home.location_id}|{when.isoformat()}")
    winter = 0.04 if local.month in (12, 1, 2) else -0.02 if local.month in (6, 7, 8) else 0.0
    rises = (local.year - 2020) + (1 if local.month >= 4 else 0)  # a price rise each April
    vacancies = []
    for vacancy_type, maximum in zip(types, capacities):
        occupied = min(maximum, max(0, round(maximum * min(1.0, usual_occupancy + winter + rng.gauss(0, 0.04)))))
        vacant = maximum - occupied
        reserved = min(vacant, rng.choice((0, 0, 0, 1)))
        not_available = min(vacant - reserved, rng.choice((0,) * 9 + (1, 2)))
        price = Decimal(BASE_PRICES.get(vacancy_type, 900) * level * 1.04 ** rises).quantize(Decimal("1"))
        entry = {"vacancy_type": vacancy_type, "weekly_price_from": f"{price}.00", "maximum_capacity": maximum,
                 "occupied": occupied, "vacant_reserved": reserved,
                 "vacant_accepting": vacant - reserved - not_available, "vacant_not_available": not_available}
        if not_available:
            entry["not_available_reason"] = rng.choice(NOT_AVAILABLE_REASONS)
        vacancies.append(entry)
    lowest = min(Decimal(v["weekly_price_from"]) for v in vacancies)
    short_stay = {service: f"{lowest + 60 + 20 * i:.2f}" for i, service in enumerate(sorted(home.short_stay_services))}
    body = {"vacancies": vacancies, "short_stay_prices": short_stay}
    if home.registered_beds is not None and sum(capacities) > home.registered_beds:
        body["confirm_over_registered_capacity"] = True  # more kinds of bed than CQC registered beds
    return body


def planned_returns(home: Home, now: datetime, seed: int = DEFAULT_SEED) -> list[tuple[datetime, dict]]:
    """(when, body) of every return the home sends, oldest first; a current
    home's latest is sometimes a "still true" refresh (the figures before)."""
    times = return_times(home.location_id, now, seed)
    plan = [(when, figures(home, when, seed)) for when in times]
    if (len(plan) > 1 and category(home.location_id, seed) == "current"
            and unit_share(seed, "still_true", home.location_id) < STILL_TRUE_SHARE):
        plan[-1] = (plan[-1][0], plan[-2][1])
    return plan


def to_send(plan: list[tuple[datetime, dict]], latest: datetime | None) -> list[tuple[datetime, dict]]:
    """What is left of a plan once the home's latest return is `latest`:
    only what comes after it by more than RERUN_GAP."""
    return plan if latest is None else [(when, body) for when, body in plan if when > latest + RERUN_GAP]


def seed_history(db, clock, now: datetime, seed: int = DEFAULT_SEED) -> dict:
    """Learn the homes from providers' events waiting in capacity's queue,
    then send every home's planned returns not sent yet, each at its time
    (`clock` is the database's clock: a tracker_common.demo.MovingClock)."""
    learned = consume_pending("capacity", "providers.location_updated", db,
                              lambda uow, snapshot: readmodel.apply_location_snapshot(uow.session, snapshot))
    with db.unit_of_work() as uow:
        rows = repository.care_homes_with_latest_time(uow.session)
        homes = [(Home(f.location_id, tuple(f.long_term_vacancy_types or ()), tuple(f.short_stay_services or ()),
                       f.registered_beds), f.provider_id, latest)
                 for f, latest in rows if f.long_term_vacancy_types]
    counts = {"events_applied": learned, "care_homes": len(rows), "set_up": len(homes), "returns_sent": 0,
              "homes_sent_to": 0}
    progress = Progress("capacity: homes' returns", len(homes))
    try:
        for done, (home, provider_id, latest) in enumerate(homes, 1):
            staff = home_staff(provider_id)
            pending = to_send(planned_returns(home, now, seed), latest)
            with db.unit_of_work() as uow:  # a home's year in one transaction: each return at its own time
                relaxed(uow)
                for when, body in pending:
                    clock.at = when
                    returns.submit_capacity_return(uow, staff, home.location_id,
                                                   load(bodies.CapacityReturnRequest, body))
                uow.commit()
            counts["returns_sent"] += len(pending)
            counts["homes_sent_to"] += bool(pending)
            progress(done, f"homes, {counts['returns_sent']:,} returns ")
    finally:
        clock.at = None
    return counts
