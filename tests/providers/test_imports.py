"""The postcode directory and CQC imports, into the real database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from providers.handlers.cqc_import import CqcImportRefused, import_cqc_directory
from providers.handlers.geography import locate
from providers.handlers.postcode_import import DirectoryRefused, import_postcode_directory
from providers.models import ImportRun, Location, LocationChange, Outcode, Postcode, Provider
from tracker_common.contracts.errors import InvalidInput, NotFound

from .conftest import BARNSLEY, KENT, SUB_BARNSLEY, SUB_KENT, cqc_row, write_onspd


def count(db, model) -> int:
    with db.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def location(db, location_id) -> Location:
    with db.unit_of_work() as uow:
        found = uow.session.get(Location, location_id)
        uow.session.expunge(found)
        return found


# -- postcodes ---------------------------------------------------------------------------
def test_the_directory_loads_live_postcodes_and_district_centroids(directory):
    assert count(directory, Postcode) == 6  # the terminated one skipped
    with directory.unit_of_work() as uow:
        s70 = uow.session.get(Outcode, "S70")
        assert s70.postcodes == 3
        assert s70.latitude == pytest.approx((53.5526 + 53.5530 + 53.5410) / 3)
        kent = uow.session.get(Postcode, "CT1 1AA")
        assert (kent.la_code, kent.sub_icb_code) == (KENT, SUB_KENT)  # the county, not the district
        runs = uow.session.scalars(select(ImportRun).where(ImportRun.kind == "postcodes")).all()
        assert [r.summary["terminated"] for r in runs] == [1]


@pytest.mark.parametrize("typed, precision, postcode", [
    ("s70 1aa", "postcode", "S70 1AA"), ("S701AA", "postcode", "S70 1AA"),
    ("S70 9XY", "outcode", "S70 9XY"), ("s70", "outcode", None),
])
def test_a_typed_postcode_is_normalised_and_falls_back_to_its_district(directory, typed, precision, postcode):
    with directory.unit_of_work() as uow:
        place = locate(uow.session, typed)
    assert (place.precision, place.postcode, place.outcode) == (precision, postcode, "S70")
    assert (place.la_code, place.sub_icb_code) == (BARNSLEY, SUB_BARNSLEY)


@pytest.mark.parametrize("typed, error", [("ZZ99 9ZZ", NotFound), ("not a postcode", InvalidInput),
                                          ("<script>", InvalidInput)])
def test_unknown_or_malformed_postcodes_are_refused(directory, typed, error):
    with directory.unit_of_work() as uow, pytest.raises(error) as raised:
        locate(uow.session, typed)
    assert "postcode" in raised.value.fields


def test_a_bad_directory_changes_nothing(directory, tmp_path, clock):
    bad = tmp_path / "bad.csv"
    bad.write_text("pcds,lat,long,oslaua,doterm\n" + "".join(f"NOPE{i},1,2,E1,\n" for i in range(50)))
    with pytest.raises(DirectoryRefused):
        import_postcode_directory(directory.engine, bad, clock=clock)
    assert count(directory, Postcode) == 6 and count(directory, Outcode) == 3


def test_a_new_directory_replaces_the_old_one(directory, tmp_path, clock):
    from .conftest import POSTCODES
    import_postcode_directory(directory.engine, write_onspd(tmp_path / "new.csv", POSTCODES[:2]), clock=clock)
    assert count(directory, Postcode) == 2 and count(directory, Outcode) == 1


# -- CQC ---------------------------------------------------------------------------------
def test_the_cqc_import_creates_providers_and_geocoded_locations(import_cqc, directory, recorded_events):
    summary = import_cqc([
        cqc_row("1-1000000001"),
        cqc_row("1-1000000002", **{"Location Name": "Birch Lodge", "Location Postal Code": "ct1 1aa",
                                   "Location Local Authority": "Kent", "Provider ID": "1-100000002",
                                   "Provider Name": "Birch Homes", "Brand ID": "BD1", "Brand Name": "Birch"}),
        cqc_row("1-1000000003", **{"Location Name": "Caring Hands", "Care home?": "N", "Care homes beds": "",
                                   "Service type - Care home service without nursing": "",
                                   "Service type - Domiciliary care service": "Y",
                                   "Location Postal Code": "S70 9XY"}),
    ])
    assert (summary["created"], summary["rejected"]) == (3, 0)
    alder = location(directory, "1-1000000001")
    assert (alder.kind, alder.registered_beds, alder.overall_rating) == ("care_home", 40, "Good")
    assert (alder.geocoded_by, alder.la_code, alder.sub_icb_code) == ("postcode", BARNSLEY, SUB_BARNSLEY)
    assert alder.latitude == pytest.approx(53.5526)
    assert location(directory, "1-1000000002").la_code == KENT
    home_care = location(directory, "1-1000000003")
    assert (home_care.kind, home_care.geocoded_by, home_care.la_code) == ("home_care", "outcode", BARNSLEY)
    assert count(directory, Provider) == 2
    snapshots = recorded_events("providers.location_updated")
    assert sorted(m["data"]["location_id"] for m in snapshots) == ["1-1000000001", "1-1000000002", "1-1000000003"]
    assert all(m["data"]["version"] == 1 for m in snapshots)
    providers_announced = [m["data"] for m in recorded_events("providers.organisation_updated")
                           if m["data"]["kind"] == "care_provider"]
    assert sorted(p["organisation_id"] for p in providers_announced) == ["1-100000001", "1-100000002"]


def test_importing_the_same_file_again_changes_nothing(import_cqc, recorded_events):
    rows = [cqc_row("1-1000000001"), cqc_row("1-1000000002", **{"Location Name": "Elm Court"})]
    import_cqc(rows)
    before = len(recorded_events())
    summary = import_cqc(rows)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 2)
    assert len(recorded_events()) == before


def test_cqc_fields_are_overwritten_and_user_fields_never(import_cqc, directory, recorded_events):
    import_cqc([cqc_row("1-1000000001")])
    with directory.unit_of_work() as uow:
        alder = uow.session.get(Location, "1-1000000001")
        alder.care_types, alder.funding_sources = ["residential"], ["private"]
        alder.manager = {"name": "Robin Manager"}
        uow.commit()
    import_cqc([cqc_row("1-1000000001", **{"Care homes beds": "44", "Location Latest Overall Rating": "Outstanding"})])
    alder = location(directory, "1-1000000001")
    assert (alder.registered_beds, alder.overall_rating, alder.version) == (44, "Outstanding", 2)
    assert (alder.care_types, alder.funding_sources, alder.manager) == (["residential"], ["private"],
                                                                        {"name": "Robin Manager"})
    with directory.unit_of_work() as uow:
        change = uow.session.scalars(select(LocationChange).order_by(LocationChange.id.desc())).first()
        assert change.action == "cqc_import" and change.actor_id is None
        assert change.changes["registered_beds"] == [40, 44]
    assert recorded_events("providers.location_updated")[-1]["data"]["registered_beds"] == 44


def test_a_location_gone_from_the_directory_is_deactivated_and_comes_back(import_cqc, directory):
    import_cqc([cqc_row("1-1000000001"), cqc_row("1-1000000002")])
    summary = import_cqc([cqc_row("1-1000000001")])
    assert summary["deactivated"] == 1
    gone = location(directory, "1-1000000002")
    assert not gone.active and gone.deactivated_at is not None
    assert import_cqc([cqc_row("1-1000000001"), cqc_row("1-1000000002")])["reactivated"] == 1
    assert location(directory, "1-1000000002").active


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_applied(import_cqc, directory):
    rows = [cqc_row(f"1-10000000{n:02d}") for n in range(40)]
    rows[5]["Care homes beds"] = "twelve"
    rows[9]["Location Postal Code"] = "NOT A POSTCODE"
    summary = import_cqc(rows)
    assert summary["rejected"] == 2 and summary["created"] == 38
    assert [(r["line"], r["location_id"]) for r in summary["rejections"]] == [(7, "1-1000000005"), (11, "1-1000000009")]
    assert "postcode" in summary["rejections"][1]["reason"]


def test_a_file_with_too_many_bad_rows_changes_nothing(import_cqc, directory, recorded_events):
    import_cqc([cqc_row("1-1000000001")])
    events_before = len(recorded_events())
    rows = [cqc_row(f"1-10000000{n:02d}", **{"Care homes beds": "many"}) for n in range(10)] + [cqc_row("1-1000000001")]
    with pytest.raises(CqcImportRefused):
        import_cqc(rows)
    assert count(directory, Location) == 1 and len(recorded_events()) == events_before
    assert location(directory, "1-1000000001").active


def test_a_file_missing_columns_changes_nothing(directory, tmp_path):
    from providers.cqc_directory import MissingColumns
    path = tmp_path / "wrong.csv"
    path.write_text("Location ID,Location Name\n1-1000000001,Alder House\n")
    with directory.unit_of_work() as uow, pytest.raises(MissingColumns):
        import_cqc_directory(uow, path)
    assert count(directory, Location) == 0


def test_duplicate_ids_keep_the_first(import_cqc, directory):
    summary = import_cqc([cqc_row("1-1000000001"), cqc_row("1-1000000001", **{"Location Name": "Imposter"})],
                         max_rejected_ratio=1)
    assert summary["duplicate_ids"] == 1 and location(directory, "1-1000000001").name == "Alder House"


def test_local_authorities_and_sub_icbs_are_announced_as_organisations_once(directory, recorded_events):
    from providers.handlers.geography import load_geography

    from .conftest import GEOGRAPHY
    announced = recorded_events("providers.organisation_updated")
    assert {(m["data"]["organisation_id"], m["data"]["kind"]) for m in announced} >= {
        (BARNSLEY, "local_authority"), (SUB_BARNSLEY, "sub_icb")}
    assert next(m for m in announced if m["data"]["organisation_id"] == BARNSLEY)["data"]["ons_code"] == BARNSLEY
    with directory.unit_of_work() as uow:
        assert load_geography(uow, GEOGRAPHY)["organisations_announced"] == 0
        uow.commit()
    assert len(recorded_events("providers.organisation_updated")) == len(announced)


def test_the_geography_and_its_names_are_announced_each_time_it_is_loaded(directory, recorded_events, clock):
    from providers.handlers.geography import geography_snapshot, load_geography
    from tracker_common.contracts.events import schema_of

    from .conftest import GEOGRAPHY
    [announced] = [m["data"] for m in recorded_events("providers.geography_published")]
    schema_of("providers.geography_published").load(announced)  # as consumers will check it
    assert ["E54000061", "NHS South Yorkshire ICB", "E40000012"] in announced["icbs"]
    assert [BARNSLEY, "Barnsley"] in announced["local_authorities"]
    assert [SUB_BARNSLEY, "Barnsley", "E54000061"] in announced["sub_icbs"]
    clock.advance(seconds=5)
    with directory.unit_of_work() as uow:
        load_geography(uow, GEOGRAPHY)
        uow.commit()
        served = geography_snapshot(uow.session, uow.now())
    again = [m["data"] for m in recorded_events("providers.geography_published")]
    assert len(again) == 2 and again[1]["version"] > again[0]["version"]  # a later load replaces the earlier
    assert served["version"] >= again[1]["version"] and len(served["local_authorities"]) == len(GEOGRAPHY[
        "local_authorities"])
