"""The monthly rollup by area is always what the figures add up to, after
any sequence of events: new returns, corrections within a month, returns
out of order and twice, returns before their location, locations moving
to other areas or closing; and every report it answers is what the
figures answer."""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import select

from reporting import repository
from reporting.models import MonthlyRollup
from reporting.rules import rollup_level

from .conftest import ICB, REGION, capacity_return, profile, vacancy

LAS = ["E08000016", "E08000019", "E06000001"]
SUBS = ["E38000006", "E38000146"]
TYPES = ["general_residential", "general_nursing", "dementia_nursing"]
MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11"]
LOCATIONS = [f"1-20000000{n:02}" for n in range(8)]


def held_rollup(db) -> set[tuple]:
    with db.read() as connection:
        return {tuple(row) for row in connection.execute(select(
            MonthlyRollup.area_kind, MonthlyRollup.month, MonthlyRollup.area_code, MonthlyRollup.vacancy_type,
            MonthlyRollup.previous_month, MonthlyRollup.maximum_capacity, MonthlyRollup.occupied,
            MonthlyRollup.vacant, MonthlyRollup.locations))}


def recomputed_rollup(db) -> set[tuple]:
    """The rollup worked out again from the figures (in a transaction left undone)."""
    with db.unit_of_work() as uow:
        repository.recompute_rollup(uow.session)
        uow.session.flush()
        rows = {tuple(row) for row in uow.session.execute(select(
            MonthlyRollup.area_kind, MonthlyRollup.month, MonthlyRollup.area_code, MonthlyRollup.vacancy_type,
            MonthlyRollup.previous_month, MonthlyRollup.maximum_capacity, MonthlyRollup.occupied,
            MonthlyRollup.vacant, MonthlyRollup.locations))}
        uow.session.rollback()
    return rows


def random_events(rng: random.Random) -> list[tuple[str, dict]]:
    """Profiles and returns of a few locations, each in its owner's order."""
    events = []
    for location_id in LOCATIONS:
        for version in range(1, rng.randint(1, 4) + 1):
            events.append(("location", profile(location_id, f"Home {location_id[-2:]}", version=version,
                                               la_code=rng.choice(LAS), sub_icb_code=rng.choice(SUBS),
                                               icb_code=rng.choice([ICB, "E54000062"]),
                                               nhs_region_code=rng.choice([REGION, None]),
                                               active=rng.random() > 0.2)))
        sequence = 0
        for month in sorted(rng.sample(MONTHS, rng.randint(1, len(MONTHS)))):
            for day in sorted(rng.sample(range(1, 28), rng.randint(1, 3))):  # corrections within the month
                sequence += 1
                beds = [vacancy(t, 12 + rng.randint(0, 20), rng.randint(0, 10), accepting=rng.randint(0, 2))
                        for t in rng.sample(TYPES, rng.randint(1, 3))]
                events.append(("return", capacity_return(location_id, sequence, f"{month}-{day:02}T10:00:00+00:00",
                                                         *beds, la_code=rng.choice(LAS),
                                                         sub_icb_code=rng.choice(SUBS))))
    return events


@pytest.mark.parametrize("seed", range(6))
def test_the_rollup_is_what_the_figures_add_up_to_after_any_events(reporting_db, apply, seed):
    rng = random.Random(seed)
    events = random_events(rng)
    # Delivered out of order, some twice, in batches of any size mixing both kinds.
    delivered = events + rng.sample(events, len(events) // 3)
    rng.shuffle(delivered)
    position = 0
    while position < len(delivered):
        size = rng.choice([1, 1, 2, 5, 12])
        batch = delivered[position:position + size]
        position += size
        apply(locations=[s for kind, s in batch if kind == "location"],
              returns=[s for kind, s in batch if kind == "return"])
        if rng.random() < 0.3:
            assert held_rollup(reporting_db) == recomputed_rollup(reporting_db)
    held = held_rollup(reporting_db)
    assert held == recomputed_rollup(reporting_db)
    assert {row[0] for row in held} == {"england", "nhs_region", "icb", "sub_icb", "local_authority"}
    # Replaying everything (a rebuild after events) changes nothing.
    apply(locations=[s for kind, s in events if kind == "location"],
          returns=[s for kind, s in events if kind == "return"])
    assert held_rollup(reporting_db) == held


SHAPES = [("month", "vacancy_type"), ("vacancy_type", "month"), ("month", None), ("vacancy_type", None),
          ("local_authority", "vacancy_type"), ("vacancy_type", "local_authority"), ("sub_icb", "month"),
          ("month", "icb"), ("nhs_region", None), ("local_authority", None)]
RANGES = [("2026-08", "2026-11"), ("2026-09", "2026-10"), ("2026-11", "2026-11"), ("2026-07", "2026-08")]


@pytest.mark.parametrize("seed", range(3))
def test_every_report_the_rollup_answers_is_what_the_figures_answer(reporting_db, apply, seed):
    rng = random.Random(100 + seed)
    events = random_events(rng)
    rng.shuffle(events)
    for start in range(0, len(events), 7):
        batch = events[start:start + 7]
        apply(locations=[s for kind, s in batch if kind == "location"],
              returns=[s for kind, s in batch if kind == "return"])
    limits = [{}, {"la_code": LAS[0]}, {"sub_icb_code": SUBS[1]}, {"icb_code": ICB}, {"nhs_region_code": REGION},
              {"la_code": "E09999999"}]
    answered = 0
    with reporting_db.read() as connection:
        for rows_by, columns_by in SHAPES:
            for first, last in RANGES:
                if first != last and "month" not in (rows_by, columns_by):
                    continue
                first_month, last_month = date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01")
                for query in limits:
                    level = rollup_level((rows_by, columns_by), query)
                    if level is None:
                        continue
                    expected = repository.utilisation_groups(connection, rows_by, columns_by, first_month,
                                                             last_month, query)
                    found = repository.rollup_groups(connection, rows_by, columns_by, first_month, last_month,
                                                     level)
                    assert sorted(map(tuple, found), key=repr) == sorted(map(tuple, expected), key=repr), \
                        (rows_by, columns_by, first, last, query)
                    answered += 1
    assert answered > 60


def test_which_reports_the_rollup_answers():
    assert rollup_level(("month", "vacancy_type"), {}) == ("england", None)
    assert rollup_level(("local_authority", "vacancy_type"), {}) == ("local_authority", None)
    assert rollup_level(("vacancy_type", None), {"icb_code": ICB}) == ("icb", ICB)
    assert rollup_level(("sub_icb", "month"), {"sub_icb_code": SUBS[0]}) == ("sub_icb", SUBS[0])
    # One ICB's Sub-ICBs, two areas at once, or anything but months, types and areas: from the figures.
    assert rollup_level(("sub_icb", "vacancy_type"), {"icb_code": ICB}) is None
    assert rollup_level(("local_authority", "sub_icb"), {}) is None
    assert rollup_level(("month", None), {"la_code": LAS[0], "icb_code": ICB}) is None
    assert rollup_level(("location", "vacancy_type"), {}) is None
    assert rollup_level(("provider", None), {}) is None
