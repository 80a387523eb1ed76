"""The postcode directory announced on the bus (`providers.postcodes_published`)
with each import, and served page by page for a read model that missed it."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from providers.handlers import postcode_import
from providers.handlers.geography import postcode_snapshot_page
from providers.handlers.postcode_import import DirectoryRefused, import_postcode_directory
from providers.models import ImportRun
from providers.service import ProvidersService
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.events import load_event

from .conftest import KENT, POSTCODES, SUB_KENT, write_onspd

# The six postcodes of the conftest, one more in Kent, and one ONS has no
# coordinates for (99.999999, 0): seven to announce.
ROWS = POSTCODES + [
    ("CT1 3DD", KENT, "E07000106", "E40000005", SUB_KENT, "E54000032", 51.2700, 1.0900),
    ("S70 2ZZ", "E99999999", "E08000016", "E40000012", "E38000006", "E54000061", 99.999999, 0.0),
]
WITH_COORDINATES = sorted(row[0] for row in ROWS if row[0] != "S70 2ZZ")


@pytest.fixture
def import_directory(providers_db, tmp_path, clock):
    """import_directory(rows=ROWS) -> summary: the real import of an ONSPD file."""
    counter = iter(range(1000))

    def _import(rows=ROWS) -> dict:
        path = write_onspd(tmp_path / f"ONSPD_{next(counter)}.csv", rows)
        return import_postcode_directory(providers_db.engine, path, clock=clock)
    return _import


@pytest.fixture
def published(recorded_events):
    """published() -> every postcodes_published event in the outbox, validated as a consumer would."""
    return lambda: [load_event(m) for m in recorded_events("providers.postcodes_published")]


@pytest.fixture
def part_size(monkeypatch):
    """part_size(n): announce the directory `n` postcodes a part."""
    return lambda size: monkeypatch.setattr(postcode_import, "PART_SIZE", size)


def all_pages(db, limit: int) -> list[dict]:
    pages, after = [], ""
    with db.unit_of_work() as uow:
        while after is not None:
            pages.append(postcode_snapshot_page(uow.session, after, limit))
            after = pages[-1]["next"]
    return pages


# -- the events ------------------------------------------------------------------------
def test_the_import_announces_the_directory_in_parts(providers_db, import_directory, published, part_size,
                                                     clock):
    part_size(3)
    summary = import_directory()

    events = published()
    assert [(e.data["part"], e.data["parts"]) for e in events] == [(1, 3), (2, 3), (3, 3)]
    assert [len(e.data["postcodes"]) for e in events] == [3, 3, 1]
    assert [row[0] for e in events for row in e.data["postcodes"]] == WITH_COORDINATES
    kent = next(row for e in events for row in e.data["postcodes"] if row[0] == "CT1 1AA")
    assert kent == ("CT1 1AA", 51.2802, 1.0789, KENT, SUB_KENT)

    version = int(clock.now().timestamp() * 1000)
    assert summary["directory_version"] == version
    assert {e.data["directory_version"] for e in events} == {version}
    with providers_db.unit_of_work() as uow:
        run = uow.session.scalars(select(ImportRun).where(ImportRun.kind == "postcodes")).one()
        assert run.summary["directory_version"] == version

    outcodes = events[0].data["outcodes"]
    assert [o[0] for o in outcodes] == ["CT1", "EC1A", "S70"]
    assert outcodes[2][1] == pytest.approx((53.5526 + 53.5530 + 53.5410) / 3)
    assert [e.data["outcodes"] for e in events[1:]] == [[], []]


@pytest.mark.parametrize("size, parts", [(1, 7), (7, 1), (5_000, 1)])
def test_the_number_of_parts_follows_the_part_size(import_directory, published, part_size, size, parts):
    part_size(size)
    import_directory()
    events = published()
    assert [e.data["part"] for e in events] == list(range(1, parts + 1))
    assert sum(len(e.data["postcodes"]) for e in events) == len(WITH_COORDINATES)


def test_a_directory_without_coordinates_is_one_empty_part(import_directory, published):
    import_directory([row[:6] + (99.999999, 0.0) for row in ROWS])
    (event,) = published()
    assert (event.data["part"], event.data["parts"], event.data["postcodes"], event.data["outcodes"]) == (
        1, 1, [], [])


def test_a_refused_file_announces_nothing(import_directory, published):
    import_directory()
    before = published()
    with pytest.raises(DirectoryRefused):
        import_directory([])  # only a terminated postcode: nothing live
    assert published() == before


def test_a_new_directory_is_announced_with_a_newer_version(import_directory, published, clock):
    first = import_directory()
    clock.advance(minutes=5)
    second = import_directory(ROWS[:2])
    assert second["directory_version"] == first["directory_version"] + 5 * 60 * 1000
    latest = [e for e in published() if e.data["directory_version"] == second["directory_version"]]
    assert [row[0] for e in latest for row in e.data["postcodes"]] == ["S70 1AA", "S70 1AB"]


# -- the snapshot pages ----------------------------------------------------------------------
@pytest.mark.parametrize("limit", [3, 7, 10_000])
def test_the_pages_hold_what_the_events_announced(providers_db, import_directory, published, limit):
    summary = import_directory()
    pages = all_pages(providers_db, limit)

    (event,) = published()
    assert [tuple(row) for page in pages for row in page["postcodes"]] == event.data["postcodes"]
    assert [tuple(o) for o in pages[0]["outcodes"]] == event.data["outcodes"]
    assert all(page["outcodes"] == [] for page in pages[1:])
    assert {page["directory_version"] for page in pages} == {summary["directory_version"]}
    assert all(page["next"] == page["postcodes"][-1][0] for page in pages[:-1])
    assert pages[-1]["next"] is None


def test_without_a_directory_the_page_is_empty(providers_db, clock):
    assert all_pages(providers_db, 10) == [
        {"directory_version": None, "postcodes": [], "outcodes": [], "next": None}]
    with providers_db.unit_of_work() as uow:  # a run recorded before directories had versions
        uow.session.add(ImportRun(id="0" * 36, kind="postcodes", source="ONSPD.csv", status="applied",
                                  started_at=clock.now(), finished_at=clock.now(), summary={"loaded": 0}))
        uow.commit()
    assert all_pages(providers_db, 10)[0]["directory_version"] is None


def test_the_version_is_the_latest_applied_directorys(providers_db, import_directory, clock):
    summary = import_directory()
    clock.advance(minutes=5)
    with providers_db.unit_of_work() as uow:
        postcode_import.record_refusal(uow.session, kind="postcodes", source="bad.csv", reason="bad",
                                       summary={"directory_version": 1}, clock=clock)
        uow.commit()
    assert all_pages(providers_db, 10)[0]["directory_version"] == summary["directory_version"]


# -- the RPC ---------------------------------------------------------------------------------
def test_the_rpc_serves_a_page_and_validates_its_arguments(providers_db, import_directory):
    summary = import_directory()
    service = worker_factory(ProvidersService, db=providers_db)

    page = service.postcode_snapshots(limit=2)
    assert [row[0] for row in page["postcodes"]] == WITH_COORDINATES[:2]
    assert page["next"] == WITH_COORDINATES[1] and page["directory_version"] == summary["directory_version"]
    assert service.postcode_snapshots(after=page["next"])["outcodes"] == []

    for after, limit, field in [("", 0, "limit"), ("", 10_001, "limit"), ("S70 1AAAA", 10, "after"),
                                (None, 10, "after"), ("", "many", "limit")]:
        with pytest.raises(InvalidInput) as raised:
            service.postcode_snapshots(after=after, limit=limit)
        assert field in raised.value.fields
