"""Reading the ONS Postcode Directory (ONSPD) and the NSPL as published.

The fixtures are written by the tests in the real formats: the real column
lists of the classic ONSPD, of the NSPL and of a 2025 ONSPD, quoted as ONS
quotes them, with CRLF line ends."""
import csv
import io
import time
import tracemalloc
from dataclasses import asdict

import pytest

from providers.postcode_directory import (DirectoryEncodingError, DirectoryReader, DirectorySummary,
                                          MissingColumns, PostcodeRecord, Rejection, outcode_centroids,
                                          read_directory)

ONSPD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,"
    "oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,"
    "msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,"
    "calncv,icb,oa21,lsoa21,msoa21").split(",")
NSPL_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa11,cty,ced,laua,ward,hlthau,"
    "nhser,ctry,rgn,pcon,eer,teclec,ttwa,pct,itl,park,lsoa11,msoa11,wz11,ccg,bua11,buasd11,ru11ind,"
    "oac11,lat,long,lep1,lep2,pfa,imd,calncv,stp").split(",")
ONSPD_2025_HEADER = (
    "pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,oa21cd,cty25cd,ced25cd,lad25cd,"
    "wd25cd,nhser24cd,ctry25cd,rgn25cd,pcon24cd,ttwa15cd,itl25cd,npark16cd,lsoa21cd,msoa21cd,wz11cd,"
    "sicbl24cd,bua24cd,ruc21ind,oac11ind,lat,long,lep21cd1,lep21cd2,pfa23cd,imd20ind,icb23cd").split(",")

# The fields each style names differently: role -> column name.
STYLES = {
    "onspd": {"county": "oscty", "district": "oslaua", "sub_icb": "sicbl", "icb": "icb", "nhser": "nhser",
              "ctry": "ctry", "rgn": "rgn"},
    "nspl": {"county": "cty", "district": "laua", "sub_icb": "ccg", "icb": None, "nhser": "nhser",
             "ctry": "ctry", "rgn": "rgn"},
    "onspd2025": {"county": "cty25cd", "district": "lad25cd", "sub_icb": "sicbl24cd", "icb": "icb23cd",
                  "nhser": "nhser24cd", "ctry": "ctry25cd", "rgn": "rgn25cd"},
}
HEADERS = {"onspd": ONSPD_HEADER, "nspl": NSPL_HEADER, "onspd2025": ONSPD_2025_HEADER}

# Plausible places. Barnsley is a metropolitan district (no county); Ashford
# is a Kent district, Kent County Council having the social care duties.
BARNSLEY = dict(pcds="S70 1AA", dointr="198001", doterm="", county="E99999999", district="E08000016",
                sub_icb="E38000006", icb="E54000061", nhser="E40000012", ctry="E92000001", rgn="E12000003",
                east="434550", north="406374", lat="53.552285", long="-1.481713")
BARNSLEY_2 = dict(BARNSLEY, pcds="S70 1AB", lat="53.553285", long="-1.479713")
ASHFORD = dict(pcds="TN23 1AB", dointr="198001", doterm="", county="E10000016", district="E07000105",
               sub_icb="E38000237", icb="E54000032", nhser="E40000005", ctry="E92000001", rgn="E12000008",
               east="600920", north="142588", lat="51.146553", long="0.871838")
EDINBURGH = dict(pcds="EH1 1AA", dointr="198001", doterm="", county="S99999999", district="S12000036",
                 sub_icb="S99999999", icb="S99999999", nhser="S99999999", ctry="S92000003", rgn="S99999999",
                 east="325802", north="673801", lat="55.951767", long="-3.188541")
TERMINATED = dict(BARNSLEY, pcds="S70 9ZZ", dointr="198001", doterm="200012")
NO_COORDINATES = dict(BARNSLEY, pcds="S70 2ZZ", east="", north="", lat="99.999999", long="0.000000")


def pcd7(postcode: str) -> str:
    if postcode.count(" ") != 1:
        return postcode
    outward, inward = postcode.split(" ")
    return f"{outward:<4}{inward}"[:7] if len(outward) < 4 else outward + inward


def pcd8(postcode: str) -> str:
    if postcode.count(" ") != 1:
        return postcode
    outward, inward = postcode.split(" ")
    return f"{outward:<4} {inward}"


def row_for(style: str, place: dict, **override) -> list[str]:
    """A row of `style` for a place, every other column given a plausible value."""
    place = {**place, **override}
    header = HEADERS[style]
    names = STYLES[style]
    values = {name: "" for name in header}
    postcode = place["pcds"]
    values.update({"pcds": postcode, "dointr": place["dointr"], "doterm": place["doterm"],
                   "lat": place["lat"], "long": place["long"]})
    if style == "onspd2025":
        values.update({"pcd7": pcd7(postcode), "pcd8": pcd8(postcode), "usrtypind": "0",
                       "east1m": place["east"], "north1m": place["north"], "gridind": "1",
                       "oa21cd": "E00038422", "ced25cd": "E99999999", "wd25cd": "E05010845",
                       "pcon24cd": "E14001070", "ttwa15cd": "E30000163", "itl25cd": "TLE31",
                       "npark16cd": "E65000001", "lsoa21cd": "E01007269", "msoa21cd": "E02001519",
                       "wz11cd": "E33010447", "bua24cd": "E63007706", "ruc21ind": "UN1",
                       "oac11ind": "7B3", "lep21cd1": "E37000062", "lep21cd2": "", "pfa23cd": "E23000011",
                       "imd20ind": "3542"})
    else:
        values.update({"pcd": pcd7(postcode), "pcd2": pcd8(postcode), "usertype": "0",
                       "oseast1m": place["east"], "osnrth1m": place["north"], "osgrdind": "1",
                       "ced": "E99999999", "oa11": "E00038422", "lsoa11": "E01007269", "msoa11": "E02001519",
                       "wz11": "E33010447", "ru11ind": "C1", "oac11": "7B3", "lep1": "E37000062",
                       "pfa": "E23000011", "imd": "3542", "calncv": "E56000026", "pcon": "E14000537",
                       "eer": "E15000003", "teclec": "E24000040", "ttwa": "E30000163", "pct": "E16000028",
                       "itl": "E06000061", "park": "E65000001"})
        if style == "onspd":
            values.update({"osward": "E05010845", "parish": "E43000001", "oshlthau": "E18000003",
                           "streg": "0", "statsward": "99ZZ00", "oa01": "E00038422", "casward": "00CCFA",
                           "lsoa01": "E01007269", "msoa01": "E02001519", "ur01ind": "A", "oac01": "3C2",
                           "bua22": "E63007706", "oa21": "E00038422", "lsoa21": "E01007269",
                           "msoa21": "E02001519"})
        else:
            values.update({"ward": "E05010845", "hlthau": "E18000003", "bua11": "E34004859",
                           "buasd11": "E35001266", "stp": "E54000061"})
    for role in ("county", "district", "sub_icb", "icb", "nhser", "ctry", "rgn"):
        if names[role]:
            values[names[role]] = place[role]
    return [values[name] for name in header]


def write_csv(path, header, rows, *, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL, bom=False) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("ascii")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_directory(path, style, places, **options) -> None:
    write_csv(path, HEADERS[style], [row_for(style, place) for place in places], **options)


def read_all(source, **options):
    reader = read_directory(source, **options)
    records = list(reader)
    summary = reader.summary
    assert summary.read == summary.loaded + summary.terminated + summary.outside_england + summary.rejected
    return records, summary


PLACES = [BARNSLEY, ASHFORD, EDINBURGH, TERMINATED, NO_COORDINATES]


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


# -- malformed rows -----------------------------------------------------------------
def test_malformed_rows_are_rejected_with_their_line_and_reason(tmp_path):
    width = len(ONSPD_HEADER)
    rows = [
        row_for("onspd", BARNSLEY),                                   # line 2
        row_for("onspd", ASHFORD)[:10],                               # line 3: too few fields
        row_for("onspd", BARNSLEY, pcds="S70 1AB", lat="fifty-three"),  # line 4: bad latitude
        row_for("onspd", BARNSLEY, pcds="S70-1AB"),                   # line 5: bad postcode
        row_for("onspd", BARNSLEY, pcds="S70 1AD") + ["extra"],       # line 6: too many fields
        row_for("onspd", BARNSLEY, pcds="S70 1AE", long="-1.4.8"),    # line 7: bad longitude
        row_for("onspd", BARNSLEY, pcds="S70 1AF", lat="153.2"),      # line 8: latitude out of range
        row_for("onspd", BARNSLEY, pcds="S70 1AG", lat="nan"),        # line 9: not a number of degrees
        row_for("onspd", BARNSLEY, pcds="S70 1AH", district="Barnsley"),  # line 10: not an ONS code
        row_for("onspd", BARNSLEY, pcds="S70 1AJ", district=""),      # line 11: no district
        row_for("onspd", ASHFORD),                                    # line 12
    ]
    path = tmp_path / "malformed.csv"
    write_csv(path, ONSPD_HEADER, rows)

    records, summary = read_all(path)

    assert [r.postcode for r in records] == ["S70 1AA", "TN23 1AB"]
    assert (summary.read, summary.loaded, summary.rejected) == (11, 2, 9)
    got = [(r.line, r.postcode) for r in summary.rejections]
    assert got == [(3, "TN23 1AB"), (4, "S70 1AB"), (5, "S70-1AB"), (6, "S70 1AD"), (7, "S70 1AE"),
                   (8, "S70 1AF"), (9, "S70 1AG"), (10, "S70 1AH"), (11, "S70 1AJ")]
    reasons = [r.reason for r in summary.rejections]
    assert reasons[0] == f"expected {width} fields, found 10"
    assert "latitude" in reasons[1] and "fifty-three" in reasons[1]
    assert reasons[2] == "not a valid postcode"
    assert reasons[3] == f"expected {width} fields, found {width + 1}"
    assert "longitude" in reasons[4]
    assert "latitude" in reasons[5] and "latitude" in reasons[6]
    assert "district" in reasons[7] and "Barnsley" in reasons[7]
    assert reasons[8] == "no district code"
    assert all(isinstance(r, Rejection) for r in summary.rejections)


def test_line_numbers_count_blank_lines_and_the_rejected_row_of_one_field(tmp_path):
    body = (",".join(ONSPD_HEADER) + "\r\n" + ",".join(row_for("onspd", BARNSLEY)) + "\r\n\r\n"
            + "garbage\r\n" + ",".join(row_for("onspd", ASHFORD)) + "\r\n")
    path = tmp_path / "blank.csv"
    path.write_bytes(body.encode())
    records, summary = read_all(path)
    assert len(records) == 2
    assert summary.read == 3  # the blank line is not a row
    assert [(r.line, r.postcode) for r in summary.rejections] == [(4, None)]


def test_a_line_longer_than_any_row_is_rejected_without_being_held(tmp_path):
    path = tmp_path / "long.csv"
    body = (",".join(ONSPD_HEADER) + "\n" + "x" * 1_000_000 + "\n" + ",".join(row_for("onspd", BARNSLEY))
            + "\n")
    path.write_bytes(body.encode())
    records, summary = read_all(path)
    assert [r.postcode for r in records] == ["S70 1AA"]
    assert summary.rejections[0].line == 2 and "longer" in summary.rejections[0].reason


def test_quoted_commas_quotes_and_line_breaks_are_read_as_csv(tmp_path):
    parish = ONSPD_HEADER.index("parish")

    def with_parish(place, text):
        row = row_for("onspd", place)
        row[parish] = text
        return row

    rows = [
        with_parish(BARNSLEY, "Worsbrough, Barnsley"),              # line 2: a quoted comma
        with_parish(dict(BARNSLEY, pcds="S70 1AB"), 'The "Old" Town'),  # line 3: escaped quotes
        with_parish(dict(BARNSLEY, pcds="S70 1AD"), "Two\r\nlines"),  # lines 4-5: a quoted line break
        row_for("onspd", ASHFORD, lat="north"),                     # line 6: rejected
        row_for("onspd", ASHFORD),                                  # line 7
    ]
    path = tmp_path / "quoted.csv"
    write_csv(path, ONSPD_HEADER, rows)
    records, summary = read_all(path)
    assert [r.postcode for r in records] == ["S70 1AA", "S70 1AB", "S70 1AD", "TN23 1AB"]
    assert all(r.local_authority_code in ("E08000016", "E10000016") for r in records)
    assert [(r.line, r.postcode) for r in summary.rejections] == [(6, "TN23 1AB")]


def test_a_stray_carriage_return_is_a_rejected_row(tmp_path):
    good = ",".join(row_for("onspd", BARNSLEY))
    bad = ",".join(row_for("onspd", ASHFORD)).replace("E07000105", "E070\r00105")
    path = tmp_path / "cr.csv"
    path.write_bytes(("\n".join([",".join(ONSPD_HEADER), bad, good]) + "\n").encode())
    records, summary = read_all(path)
    assert [r.postcode for r in records] == ["S70 1AA"]
    assert summary.rejections[0].line == 2 and "CSV" in summary.rejections[0].reason


def test_the_other_postcode_columns_stand_in_for_a_blank_pcds(tmp_path):
    path = tmp_path / "blankpcds.csv"
    row = row_for("onspd2025", ASHFORD)
    row[ONSPD_2025_HEADER.index("pcds")] = ""
    write_csv(path, ONSPD_2025_HEADER, [row])
    (record,) = read_directory(path)
    assert record.postcode == "TN23 1AB"


def test_only_the_first_thousand_rejections_are_kept_but_all_are_counted(tmp_path):
    path = tmp_path / "many.csv"
    write_csv(path, ONSPD_HEADER, [["bad"]] * 1200 + [row_for("onspd", BARNSLEY)])
    records, summary = read_all(path)
    assert len(records) == 1
    assert summary.rejected == 1200 and len(summary.rejections) == 1000
    assert summary.rejections[-1].line == 1001


def test_the_summary_is_a_plain_dataclass(tmp_path):
    path = tmp_path / "summary.csv"
    write_directory(path, "onspd", [BARNSLEY])
    reader = read_directory(path)
    assert isinstance(reader, DirectoryReader) and isinstance(reader.summary, DirectorySummary)
    list(reader)
    assert asdict(reader.summary) == {"read": 1, "loaded": 1, "terminated": 0, "without_coordinates": 0,
                                      "outside_england": 0, "rejected": 0, "rejections": []}


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


# -- bytes ---------------------------------------------------------------------------
def test_a_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.csv"
    write_directory(path, "onspd", [BARNSLEY], bom=True)
    records, _ = read_all(path)
    assert records[0].postcode == "S70 1AA"
    path = tmp_path / "bom2025.csv"
    write_directory(path, "onspd2025", [ASHFORD], bom=True, quoting=csv.QUOTE_ALL)
    assert list(read_directory(path))[0].postcode == "TN23 1AB"


def test_utf8_text_in_a_row_is_fine(tmp_path):
    path = tmp_path / "utf8.csv"
    write_directory(path, "onspd", [BARNSLEY])
    path.write_bytes(path.read_bytes().replace(b"E43000001", "Ysgol Gymraeg Llanfair \u0175".encode()))
    records, _ = read_all(path)
    assert len(records) == 1


def test_bytes_that_are_not_utf8_raise_naming_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    write_directory(path, "onspd", [BARNSLEY, ASHFORD, BARNSLEY_2])
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2].replace(b"E43000001", "Cr\u00e9ewe".encode("latin-1"))
    path.write_bytes(b"\r\n".join(lines))

    reader = read_directory(path)
    got = []
    with pytest.raises(DirectoryEncodingError) as caught:
        for record in reader:
            got.append(record.postcode)
    assert got == ["S70 1AA"]
    assert caught.value.line == 3
    assert "Line 3" in str(caught.value) and "UTF-8" in str(caught.value)
    assert isinstance(caught.value, UnicodeDecodeError)


def test_a_binary_file_object_is_read(tmp_path):
    path = tmp_path / "object.csv"
    write_directory(path, "nspl", [BARNSLEY, ASHFORD])
    with open(path, "rb") as file:
        records, _ = read_all(file)
        assert not file.closed  # the caller's to close
    assert [r.postcode for r in records] == ["S70 1AA", "TN23 1AB"]
    records, _ = read_all(io.BytesIO(path.read_bytes()))
    assert len(records) == 2
    records, _ = read_all(str(path))
    assert len(records) == 2


def test_a_text_file_object_is_read_too(tmp_path):
    path = tmp_path / "text.csv"
    write_directory(path, "onspd", [BARNSLEY], bom=True)
    records, _ = read_all(io.StringIO(path.read_bytes().decode("utf-8")))
    assert [r.postcode for r in records] == ["S70 1AA"]


def test_unix_line_ends_are_fine(tmp_path):
    path = tmp_path / "lf.csv"
    write_directory(path, "onspd2025", PLACES, lineterminator="\n")
    records, summary = read_all(path)
    assert len(records) == 3 and summary.rejected == 0


def test_a_reader_reads_once(tmp_path):
    path = tmp_path / "once.csv"
    write_directory(path, "onspd", [BARNSLEY])
    reader = read_directory(path)
    assert len(list(reader)) == 1
    with pytest.raises(RuntimeError):
        list(reader)


# -- progress and size ---------------------------------------------------------------
def test_progress_is_reported_with_the_running_count(tmp_path):
    path = tmp_path / "progress.csv"
    write_directory(path, "onspd", PLACES)
    calls = []
    records, _ = read_all(path, progress=calls.append, progress_every=2)
    assert calls == [2, 4, 5]
    calls.clear()
    read_all(path, progress=calls.append)
    assert calls == [5]
    with pytest.raises(ValueError):
        read_directory(path, progress_every=0)


def test_a_100_mb_file_is_streamed_in_constant_memory(tmp_path):
    # A block of 2,000 distinct rows (Barnsley, Ashford, Edinburgh, terminated,
    # without coordinates), written again and again up to 100 MB.
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    places = (BARNSLEY, ASHFORD, EDINBURGH, TERMINATED, NO_COORDINATES)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for i in range(2000):
        place = places[i % 5]
        outward = place["pcds"].split()[0]
        writer.writerow(row_for("onspd", place, pcds=f"{outward} {i % 10}{letters[i // 10 % 20]}{letters[i // 200]}"))
    block = buffer.getvalue().encode("ascii")
    path = tmp_path / "big.csv"
    repeats = -(-100 * 1024 * 1024 // len(block))
    with open(path, "wb") as file:
        file.write((",".join(ONSPD_HEADER) + "\r\n").encode())
        for _ in range(repeats):
            file.write(block)
    size = path.stat().st_size
    assert size >= 100 * 1024 * 1024
    del block, buffer

    calls = []
    started = time.monotonic()
    tracemalloc.start()
    try:
        reader = read_directory(path, progress=calls.append)
        centroids = outcode_centroids(reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started

    rows = 2000 * repeats
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB while streaming {size} bytes"
    summary = reader.summary
    assert summary.read == rows and summary.rejected == 0
    assert summary.loaded == rows * 3 // 5
    assert summary.terminated == summary.outside_england == summary.without_coordinates == rows // 5
    assert calls == [100_000, rows]
    assert set(centroids) == {"S70", "TN23"}
    assert centroids["S70"] == (pytest.approx(53.552285), pytest.approx(-1.481713), rows // 5)
    assert centroids["TN23"][2] == rows // 5
    assert elapsed < 60, f"{elapsed:.1f} s to stream {size} bytes"


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
