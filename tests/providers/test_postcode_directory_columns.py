"""Reading the ONS Postcode Directory (ONSPD) and the NSPL as published: the
header styles, which council a postcode has, what is skipped, missing
columns, and the districts' centroids."""

import csv

import pytest

from providers.postcode_directory import MissingColumns, PostcodeRecord, outcode_centroids, read_directory

from .onspd_files import (
    ONSPD_HEADER, NSPL_HEADER, ONSPD_2025_HEADER, BARNSLEY, BARNSLEY_2, ASHFORD, EDINBURGH, TERMINATED,
    NO_COORDINATES, row_for, write_csv, write_directory, read_all, PLACES,
)


# -- each header style ------------------------------------------------------------
@pytest.mark.parametrize("style", ["onspd", "nspl", "onspd2025"])
def test_each_header_style_is_read(tmp_path, style):
    path = tmp_path / f"{style}.csv"
    write_directory(path, style, PLACES, quoting=csv.QUOTE_ALL if style == "onspd" else csv.QUOTE_MINIMAL)

    records, summary = read_all(path)

    assert [r.postcode for r in records] == ["S70 1AA", "TN23 1AB", "S70 2ZZ"]
    barnsley = records[0]
    assert barnsley == PostcodeRecord(
        postcode="S70 1AA", outcode="S70", latitude=53.552285, longitude=-1.481713,
        local_authority_code="E08000016", district_code="E08000016", sub_icb_code="E38000006",
        icb_code=None if style == "nspl" else "E54000061", nhs_region_code="E40000012",
        region_code="E12000003", country_code="E92000001")
    assert (summary.read, summary.loaded, summary.terminated, summary.without_coordinates,
            summary.outside_england, summary.rejected, summary.rejections) == (5, 3, 1, 1, 1, 0, [])


def test_header_names_are_matched_whatever_their_case(tmp_path):
    path = tmp_path / "upper.csv"
    write_csv(path, [name.upper() for name in ONSPD_2025_HEADER], [row_for("onspd2025", BARNSLEY)])
    records, _ = read_all(path)
    assert records[0].local_authority_code == "E08000016" and records[0].icb_code == "E54000061"


@pytest.mark.parametrize("year", ["21", "23", "99"])
def test_any_vintage_year_is_accepted(tmp_path, year):
    header = [name.replace("25cd", f"{year}cd").replace("24cd", f"{year}cd").replace("23cd", f"{year}cd")
              for name in ONSPD_2025_HEADER]
    path = tmp_path / "vintage.csv"
    write_csv(path, header, [row_for("onspd2025", ASHFORD)])
    records, _ = read_all(path)
    assert (records[0].local_authority_code, records[0].district_code, records[0].sub_icb_code,
            records[0].icb_code, records[0].nhs_region_code, records[0].region_code) == (
        "E10000016", "E07000105", "E38000237", "E54000032", "E40000005", "E12000008")


def test_the_postcode_comes_from_pcd_when_there_is_no_pcds(tmp_path):
    header = [name for name in NSPL_HEADER if name != "pcds"]
    rows = [[value for name, value in zip(NSPL_HEADER, row_for("nspl", place)) if name != "pcds"]
            for place in (BARNSLEY, dict(ASHFORD, pcds="B1 1AA"))]
    path = tmp_path / "nopcds.csv"
    write_csv(path, header, rows)
    records, _ = read_all(path)
    assert [(r.postcode, r.outcode) for r in records] == [("S70 1AA", "S70"), ("B1 1AA", "B1")]


def test_the_postcode_comes_from_pcd8_in_a_2025_file_without_pcds(tmp_path):
    header = [name for name in ONSPD_2025_HEADER if name not in ("pcds", "pcd7")]
    rows = [[value for name, value in zip(ONSPD_2025_HEADER, row_for("onspd2025", place))
             if name not in ("pcds", "pcd7")] for place in (dict(ASHFORD, pcds="EC1A 1BB"),)]
    path = tmp_path / "pcd8.csv"
    write_csv(path, header, rows)
    records, _ = read_all(path)
    assert records[0].postcode == "EC1A 1BB" and records[0].outcode == "EC1A"


# -- which council -----------------------------------------------------------------
@pytest.mark.parametrize("style", ["onspd", "nspl", "onspd2025"])
def test_the_county_has_social_care_duties_where_there_is_one(tmp_path, style):
    path = tmp_path / "la.csv"
    write_directory(path, style, [ASHFORD, BARNSLEY, dict(BARNSLEY, pcds="S70 1AD", county="")])
    ashford, barnsley, blank_county = list(read_directory(path))
    assert (ashford.local_authority_code, ashford.district_code) == ("E10000016", "E07000105")
    assert (barnsley.local_authority_code, barnsley.district_code) == ("E08000016", "E08000016")
    assert blank_county.local_authority_code == "E08000016"


def test_a_file_without_a_county_column_uses_the_district(tmp_path):
    header = [name for name in ONSPD_HEADER if name != "oscty"]
    row = [value for name, value in zip(ONSPD_HEADER, row_for("onspd", ASHFORD)) if name != "oscty"]
    path = tmp_path / "nocounty.csv"
    write_csv(path, header, [row])
    (record,) = read_directory(path)
    assert record.local_authority_code == "E07000105"


def test_pseudo_and_blank_codes_become_none(tmp_path):
    path = tmp_path / "pseudo.csv"
    write_directory(path, "onspd", [dict(BARNSLEY, sub_icb="E99999999", icb="", nhser="E99999999", rgn="")])
    (record,) = read_directory(path)
    assert (record.sub_icb_code, record.icb_code, record.nhs_region_code, record.region_code) == (
        None, None, None, None)
    assert record.country_code == "E92000001"


# -- what is skipped --------------------------------------------------------------
def test_terminated_postcodes_are_skipped_and_counted(tmp_path):
    path = tmp_path / "terminated.csv"
    write_directory(path, "onspd", [TERMINATED, BARNSLEY, dict(ASHFORD, doterm="202306")])
    records, summary = read_all(path)
    assert [r.postcode for r in records] == ["S70 1AA"]
    assert (summary.read, summary.loaded, summary.terminated) == (3, 1, 2)


def test_postcodes_without_coordinates_are_yielded_with_none_and_counted(tmp_path):
    path = tmp_path / "nocoordinates.csv"
    write_directory(path, "onspd2025", [NO_COORDINATES, dict(ASHFORD, pcds="TN23 1AD", lat="", long="")])
    records, summary = read_all(path)
    assert [(r.postcode, r.latitude, r.longitude) for r in records] == [
        ("S70 2ZZ", None, None), ("TN23 1AD", None, None)]
    assert records[0].local_authority_code == "E08000016"
    assert (summary.loaded, summary.without_coordinates) == (2, 2)


def test_postcodes_outside_england_are_skipped_unless_asked_for(tmp_path):
    wales = dict(BARNSLEY, pcds="CF10 1AA", county="W99999999", district="W06000015", ctry="W92000004",
                 nhser="W99999999", rgn="W99999999", sub_icb="W11000028", icb="W99999999")
    path = tmp_path / "uk.csv"
    write_directory(path, "onspd", [EDINBURGH, BARNSLEY, wales])

    records, summary = read_all(path)
    assert [r.postcode for r in records] == ["S70 1AA"]
    assert (summary.outside_england, summary.loaded) == (2, 1)

    records, summary = read_all(path, england_only=False)
    assert [r.postcode for r in records] == ["EH1 1AA", "S70 1AA", "CF10 1AA"]
    assert records[0].local_authority_code == "S12000036" and records[0].country_code == "S92000003"
    assert records[0].nhs_region_code is None
    assert summary.outside_england == 0


def test_a_row_without_a_country_code_is_kept(tmp_path):
    path = tmp_path / "nocountry.csv"
    write_directory(path, "onspd", [dict(BARNSLEY, ctry="")])
    records, summary = read_all(path)
    assert len(records) == 1 and records[0].country_code is None and summary.outside_england == 0


# -- the header ----------------------------------------------------------------------
@pytest.mark.parametrize("dropped, role, accepted", [
    ({"lat"}, "latitude", "lat"),
    ({"long"}, "longitude", "long"),
    ({"doterm"}, "termination date", "doterm"),
    ({"oslaua"}, "district", "oslaua, laua, ladNNcd"),
    ({"pcd", "pcd2", "pcds"}, "postcode", "pcds, pcd8, pcd, pcd7, pcd2"),
])
def test_a_missing_required_column_is_named(tmp_path, dropped, role, accepted):
    header = [name for name in ONSPD_HEADER if name not in dropped]
    path = tmp_path / "missing.csv"
    write_csv(path, header, [["x"] * len(header)])
    with pytest.raises(MissingColumns) as caught:
        list(read_directory(path))
    assert caught.value.missing == [role]
    assert role in str(caught.value) and accepted in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_several_missing_columns_are_all_named(tmp_path):
    path = tmp_path / "notonspd.csv"
    write_csv(path, ["name", "address", "postcode"], [["Home", "1 High St", "S70 1AA"]])
    with pytest.raises(MissingColumns) as caught:
        list(read_directory(path))
    assert caught.value.missing == ["postcode", "latitude", "longitude", "district", "termination date"]


def test_an_empty_file_is_missing_every_column(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(MissingColumns, match="empty"):
        list(read_directory(path))


# -- centroids -----------------------------------------------------------------------
def record(postcode, latitude, longitude):
    return PostcodeRecord(postcode=postcode, outcode=postcode.split()[0], latitude=latitude, longitude=longitude,
                          local_authority_code="E08000016", district_code="E08000016", sub_icb_code=None,
                          icb_code=None, nhs_region_code=None, region_code=None, country_code="E92000001")


def test_outcode_centroids_average_the_postcodes_with_coordinates():
    centroids = outcode_centroids(iter([
        record("S70 1AA", 53.5, -1.5), record("S70 1AB", 53.6, -1.4), record("S70 2ZZ", None, None),
        record("TN23 1AB", 51.1, 0.9), record("B1 1AA", None, None),
    ]))
    assert set(centroids) == {"S70", "TN23"}
    latitude, longitude, count = centroids["S70"]
    assert latitude == pytest.approx(53.55) and longitude == pytest.approx(-1.45) and count == 2
    assert centroids["TN23"] == (51.1, 0.9, 1)
    assert outcode_centroids([]) == {}


def test_outcode_centroids_of_a_directory(tmp_path):
    path = tmp_path / "centroids.csv"
    write_directory(path, "onspd2025", [BARNSLEY, BARNSLEY_2, NO_COORDINATES, ASHFORD, EDINBURGH])
    centroids = outcode_centroids(read_directory(path))
    assert centroids["S70"] == (pytest.approx((53.552285 + 53.553285) / 2),
                                pytest.approx((-1.481713 - 1.479713) / 2), 2)
    assert centroids["TN23"] == (51.146553, 0.871838, 1)
    assert "EH1" not in centroids
