"""The read model stays right under redelivered, reordered and replayed
events, returns heard of before their location, newer and older
geographies, and rebuilds from the owning services' snapshots."""
from __future__ import annotations

from sqlalchemy import select

from reporting.handlers.rebuild import rebuild
from reporting.models import Area, MonthlyPosition, ReportLocation

from .conftest import (ALDER, BARNSLEY, GEOGRAPHY, PROFILES, RETURNS, SHEFFIELD, SUB_SHEFFIELD, capacity_return,
                       profile, vacancy)


def location(db, location_id):
    with db.read() as connection:
        return connection.execute(select(ReportLocation).where(ReportLocation.location_id == location_id)).one()


def positions(db, location_id):
    with db.read() as connection:
        return [(f"{row.month:%Y-%m}", row.sequence) for row in connection.execute(
            select(MonthlyPosition).where(MonthlyPosition.location_id == location_id)
            .order_by(MonthlyPosition.month))]


def test_each_month_keeps_its_last_return_and_the_location_its_latest(reporting_db, england):
    assert positions(reporting_db, ALDER) == [("2026-10", 1), ("2026-11", 3)]
    held = location(reporting_db, ALDER)
    assert held.return_sequence == 3 and held.last_updated_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert [(v["vacancy_type"], v["vacant"], v["vacant_accepting"]) for v in held.vacancies] == [
        ("general_residential", 1, 1), ("dementia_nursing", 2, 1)]


def test_reordered_and_redelivered_returns_never_go_back(reporting_db, apply):
    alder = [r for r in RETURNS if r["location_id"] == ALDER]
    for r in (alder[2], alder[1], alder[0], alder[2], alder[1]):  # newest first, then again
        apply(returns=[r])
    assert positions(reporting_db, ALDER) == [("2026-10", 1), ("2026-11", 3)]
    assert location(reporting_db, ALDER).return_sequence == 3


def test_a_return_before_its_location_stands_in_until_the_profile_comes(reporting_db, apply):
    apply(returns=[capacity_return(ALDER, 1, "2026-11-01T09:00:00+00:00", vacancy("general_residential", 10, 9),
                                   la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)])
    early = location(reporting_db, ALDER)
    assert (early.location_version, early.la_code, early.name) == (0, SHEFFIELD, None)
    apply(locations=[profile(ALDER, "Alder House")])
    apply(returns=[capacity_return(ALDER, 2, "2026-11-02T09:00:00+00:00", vacancy("general_residential", 10, 8),
                                   la_code=SHEFFIELD, sub_icb_code=SUB_SHEFFIELD)])
    known = location(reporting_db, ALDER)  # the profile's alignment wins from now on
    assert (known.location_version, known.la_code, known.name, known.return_sequence) == (1, BARNSLEY,
                                                                                          "Alder House", 2)


def test_an_older_profile_changes_nothing(reporting_db, apply):
    apply(locations=[profile(ALDER, "Alder House (renamed)", version=2)])
    apply(locations=[profile(ALDER, "Alder House", version=1, active=False)])
    held = location(reporting_db, ALDER)
    assert (held.name, held.active, held.location_version) == ("Alder House (renamed)", True, 2)


def test_a_newer_geography_replaces_an_older_one_and_an_older_one_is_ignored(reporting_db, apply):
    apply(geography=GEOGRAPHY)
    renamed = {**GEOGRAPHY, "version": 200, "local_authorities": [[BARNSLEY, "Barnsley MBC"]]}
    apply(geography=renamed)
    apply(geography=GEOGRAPHY)  # late: older
    with reporting_db.read() as connection:
        las = connection.execute(select(Area.code, Area.name).where(Area.kind == "local_authority")).all()
        kinds = sorted(connection.execute(select(Area.kind).distinct()).scalars())
    assert las == [(BARNSLEY, "Barnsley MBC")]  # Sheffield is no longer in it
    assert kinds == ["icb", "local_authority", "nhs_region", "sub_icb"]


class Owners:
    """The owning services' snapshot RPCs, paged as they page."""

    def __init__(self, locations, returns, geography):
        self.served = {("providers", "location_snapshots"): [locations[:2], locations[2:]],
                       ("capacity", "return_history_snapshots"): [returns],
                       ("providers", "geography_snapshots"): [[geography]]}
        self.calls = []

    def __call__(self, service, method, after):
        self.calls.append((service, method, after))
        pages = self.served[(service, method)]
        index = int(after or 0)
        return {"snapshots": pages[index], "next": str(index + 1) if index + 1 < len(pages) else None}


def test_a_rebuild_fills_an_empty_model_and_skips_a_full_one(reporting_db):
    owners = Owners(PROFILES, RETURNS, GEOGRAPHY)
    with reporting_db.unit_of_work() as uow:
        counts = rebuild(uow, owners, only_if_empty=True)
    assert counts == {"locations": 4, "returns": 5, "areas": 6, "refused": 0}  # 1 region, 1 ICB, 2 + 2
    assert ("providers", "location_snapshots", "1") in owners.calls  # followed the pages
    assert positions(reporting_db, ALDER) == [("2026-10", 1), ("2026-11", 3)]
    with reporting_db.unit_of_work() as uow:
        assert rebuild(uow, owners, only_if_empty=True) == {"skipped": True}


def test_a_rebuild_never_undoes_newer_events_and_skips_bad_snapshots(reporting_db, apply):
    apply(locations=[profile(ALDER, "Alder House (renamed)", version=5)])
    bad = {**RETURNS[0], "sequence": "not a number"}
    owners = Owners(PROFILES, [bad, *RETURNS[1:]], GEOGRAPHY)
    with reporting_db.unit_of_work() as uow:
        counts = rebuild(uow, owners)
    assert counts["refused"] == 1 and counts["returns"] == 4
    assert location(reporting_db, ALDER).name == "Alder House (renamed)"
    assert positions(reporting_db, ALDER) == [("2026-11", 3)]


def test_twelve_thousand_positions_apply_in_one_statement_each(reporting_db, apply):
    from reporting.models import MonthlyVacancy
    from sqlalchemy import func

    history = [capacity_return(f"1-{n:010}", month, f"2026-{month:02}-15T10:00:00+00:00",
                               vacancy("general_residential", 10, 9))
               for n in range(1_100) for month in range(1, 12)]
    apply(returns=history)
    apply(returns=history)  # the same again (a rebuild after events): nothing changes
    with reporting_db.read() as connection:
        assert connection.scalar(select(func.count()).select_from(MonthlyPosition)) == 12_100
        assert connection.scalar(select(func.count()).select_from(MonthlyVacancy)) == 12_100
