"""The CQC import's hash of each location's CQC-owned fields: a row whose
fields hash as the stored hash is unchanged and never loaded; a changed row
is updated and announced; a row without a hash (from before it existed) is
compared in full once; what an updated or deregistered location's snapshot
carries (contracts, notes) is fetched for the batch."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from providers import repository
from providers.models import Contract, Location, LocationChange, LocationNote

from .conftest import BARNSLEY, cqc_row

ALDER, BIRCH, CEDAR = "1-1000000001", "1-1000000002", "1-1000000003"


def england_sample() -> list[dict]:
    return [cqc_row(ALDER),
            cqc_row(BIRCH, **{"Location Name": "Birch Lodge", "Location Address Line 2": "Off Station Lane",
                              "Provider ID": "1-100000002", "Provider Name": "Birch Homes", "Brand ID": "BD1",
                              "Brand Name": "Birch"}),
            cqc_row(CEDAR, **{"Location Name": "Cedar Court Nursing Home", "Care homes beds": "62",
                              "Location Latest Overall Rating": "Requires improvement"})]


@pytest.fixture
def loaded_ids(monkeypatch):
    """The location ids the import loaded in full, in the order asked."""
    asked: list[str] = []
    real = repository.locations_by_id

    def spy(session, location_ids):
        location_ids = list(location_ids)
        asked.extend(location_ids)
        return real(session, location_ids)
    monkeypatch.setattr(repository, "locations_by_id", spy)
    return asked


def stored(db, location_id: str) -> dict:
    with db.engine.connect() as connection:
        row = connection.execute(select(Location.__table__).where(Location.id == location_id)).one()
        return dict(row._mapping)


def audit_rows(db, location_id: str) -> list[tuple[str, dict]]:
    with db.unit_of_work() as uow:
        return [(c.action, c.changes) for c in uow.session.scalars(
            select(LocationChange).where(LocationChange.location_id == location_id).order_by(LocationChange.id))]


def snapshots_of(recorded_events, location_id: str) -> list[dict]:
    return [m["data"] for m in recorded_events("providers.location_updated") if m["data"]["location_id"] == location_id]


def test_a_created_location_stores_the_hash_of_its_cqc_fields(import_cqc, directory, recorded_events, clock):
    import_cqc(england_sample())
    hashes = {stored(directory, i)["cqc_hash"] for i in (ALDER, BIRCH, CEDAR)}
    assert len(hashes) == 3 and all(h and len(h) == 32 for h in hashes)
    # stored as refreshed by CQC now, announced as it was before the refresh was recorded
    assert stored(directory, ALDER)["cqc_refreshed_at"] == clock.now()
    assert snapshots_of(recorded_events, ALDER)[0]["cqc_refreshed_at"] is None
    with directory.engine.connect() as connection:  # never set: SQL NULL, not JSON null
        assert connection.execute(select(func.count()).select_from(Location).where(
            Location.short_stay_services.is_(None))).scalar() == 3


def test_an_unchanged_row_is_not_loaded_touched_or_announced(import_cqc, directory, recorded_events, clock,
                                                            loaded_ids):
    import_cqc(england_sample())
    before = {i: stored(directory, i) for i in (ALDER, BIRCH, CEDAR)}
    events = len(recorded_events())
    clock.advance(hours=24)
    summary = import_cqc(england_sample())
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert loaded_ids == []
    assert len(recorded_events()) == events
    for location_id, row in before.items():
        after = stored(directory, location_id)
        assert after["cqc_refreshed_at"] == clock.now()  # CQC vouched for it again
        assert {k: v for k, v in after.items() if k != "cqc_refreshed_at"} == \
            {k: v for k, v in row.items() if k != "cqc_refreshed_at"}
        assert [a for a, _ in audit_rows(directory, location_id)] == ["cqc_created"]


def test_a_row_whose_cqc_fields_change_is_updated_and_announced(import_cqc, directory, recorded_events, clock,
                                                                loaded_ids):
    import_cqc(england_sample())
    old_hash = stored(directory, BIRCH)["cqc_hash"]
    clock.advance(hours=24)
    rows = england_sample()
    rows[1].update({"Care homes beds": "44", "Location Telephone Number": "01226 496 0002"})
    summary = import_cqc(rows)
    assert (summary["updated"], summary["unchanged"]) == (1, 2)
    assert loaded_ids == [BIRCH]  # the others were found unchanged by their hash
    birch = stored(directory, BIRCH)
    assert (birch["registered_beds"], birch["telephone"], birch["version"]) == (44, "01226 496 0002", 2)
    assert birch["cqc_hash"] not in (None, old_hash) and birch["updated_at"] == clock.now()
    assert audit_rows(directory, BIRCH)[-1] == ("cqc_import", {"registered_beds": [40, 44],
                                                               "telephone": ["0113 496 0001", "01226 496 0002"]})
    [_, announced] = snapshots_of(recorded_events, BIRCH)
    assert (announced["version"], announced["registered_beds"], announced["provider_name"]) == (2, 44, "Birch Homes")
    assert snapshots_of(recorded_events, ALDER)[-1]["version"] == 1
    loaded_ids.clear()
    assert import_cqc(rows)["unchanged"] == 3 and loaded_ids == []  # the new hash was stored


def test_rows_from_before_the_hash_are_compared_in_full_once(import_cqc, directory, recorded_events, loaded_ids):
    import_cqc(england_sample())
    with directory.unit_of_work() as uow:  # as the migration leaves them; one also differs from the file
        uow.session.execute(update(Location).values(cqc_hash=None))
        uow.session.execute(update(Location).where(Location.id == CEDAR).values(registered_beds=60))
        uow.commit()
    events = len(recorded_events())
    summary = import_cqc(england_sample())
    assert (summary["updated"], summary["unchanged"]) == (1, 2)
    assert sorted(loaded_ids) == [ALDER, BIRCH, CEDAR]
    assert [m["data"]["location_id"] for m in recorded_events()[events:]] == [CEDAR]
    assert audit_rows(directory, CEDAR)[-1] == ("cqc_import", {"registered_beds": [60, 62]})
    assert [a for a, _ in audit_rows(directory, ALDER)] == ["cqc_created"]
    assert stored(directory, ALDER)["version"] == 1 and stored(directory, ALDER)["cqc_hash"]
    loaded_ids.clear()
    assert import_cqc(england_sample())["unchanged"] == 3 and loaded_ids == []
    assert len(recorded_events()) == events + 1


def test_a_stale_hash_with_equal_fields_changes_nothing(import_cqc, directory, recorded_events, loaded_ids):
    import_cqc(england_sample())
    with directory.unit_of_work() as uow:
        uow.session.execute(update(Location).where(Location.id == ALDER).values(cqc_hash="0" * 32))
        uow.commit()
    events = len(recorded_events())
    assert import_cqc(england_sample())["unchanged"] == 3
    assert loaded_ids == [ALDER] and len(recorded_events()) == events
    assert stored(directory, ALDER)["version"] == 1 and stored(directory, ALDER)["cqc_hash"] != "0" * 32


def test_snapshots_of_updated_and_deregistered_locations_carry_their_contracts_and_notes(
        import_cqc, directory, recorded_events, clock):
    import_cqc(england_sample())
    with directory.unit_of_work() as uow:
        for location_id in (BIRCH, CEDAR):
            uow.session.add(Contract(id=f"c-{location_id}", location_id=location_id,
                                     commissioner_kind="local_authority", commissioner_code=BARNSLEY,
                                     status="approved", requested_at=clock.now(), decided_at=clock.now()))
            uow.session.add(LocationNote(id=f"n-{location_id}", location_id=location_id, author_id="u-1",
                                         text="Lift out of order until Friday: ground floor rooms only",
                                         created_at=clock.now(), updated_at=clock.now()))
        uow.session.add(LocationNote(id="n-gone", location_id=BIRCH, text="Old note", created_at=clock.now(),
                                     updated_at=clock.now(), deleted_at=clock.now()))
        uow.commit()
    rows = england_sample()
    rows[1]["Location Latest Overall Rating"] = "Outstanding"
    summary = import_cqc(rows[:2])  # Cedar is no longer registered
    assert (summary["updated"], summary["deactivated"]) == (1, 1)
    for location_id in (BIRCH, CEDAR):
        announced = snapshots_of(recorded_events, location_id)[-1]
        assert announced["approved_contracts"] == [{"commissioner_kind": "local_authority",
                                                    "commissioner_code": BARNSLEY}]
        assert [n["id"] for n in announced["notes"]] == [f"n-{location_id}"]
    assert snapshots_of(recorded_events, CEDAR)[-1]["active"] is False
    assert snapshots_of(recorded_events, BIRCH)[-1]["overall_rating"] == "Outstanding"
    assert audit_rows(directory, CEDAR)[-1][0] == "cqc_deregistered"


def test_a_renamed_provider_is_updated_and_announced_once(import_cqc, directory, recorded_events):
    from providers.models import Provider

    import_cqc(england_sample())
    rows = england_sample()
    for row in (rows[0], rows[2]):  # Alder Care's two homes
        row.update({"Provider Name": "Alder Care Group Ltd", "Brand ID": "BD7", "Brand Name": "Alder"})
    summary = import_cqc(rows)
    assert summary["unchanged"] == 3  # the locations' own fields did not change
    with directory.unit_of_work() as uow:
        alder_care = uow.session.get(Provider, "1-100000001")
        assert (alder_care.name, alder_care.brand_id, alder_care.brand_name, alder_care.version,
                alder_care.email_domains) == ("Alder Care Group Ltd", "BD7", "Alder", 2, [])
    announced = [m["data"] for m in recorded_events("providers.organisation_updated")
                 if m["data"]["organisation_id"] == "1-100000001"]
    assert [(a["version"], a["name"]) for a in announced] == [(1, "Alder Care Ltd"), (2, "Alder Care Group Ltd")]
