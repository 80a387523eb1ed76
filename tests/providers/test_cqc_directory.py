"""The CQC care directory reader: real-format files built in tmp_path, with
fictional locations."""
from __future__ import annotations

import csv
import io
import json
import time
import tracemalloc
from dataclasses import asdict
from datetime import date

import pytest

from providers import cqc_directory
from providers.cqc_directory import (
    CqcDirectoryReader,
    CqcLocation,
    DirectoryEncodingError,
    MissingColumns,
    read_cqc_directory,
)

# -- a realistic header ----------------------------------------------------------------
ACTIVITIES = [
    "Accommodation for persons who require nursing or personal care",
    "Diagnostic and screening procedures",
    "Personal care",
    "Treatment of disease, disorder or injury",
]
SERVICE_TYPES = [
    "Care home service with nursing",
    "Care home service without nursing",
    "Community based services for people who misuse substances",
    "Domiciliary care service",
    "Extra Care housing services",
    "Hospice services",
    "Hospice services at home",
    "Hospital services for people with mental health needs, learning disabilities and problems with "
    "substance misuse",
    "Rehabilitation services",
    "Residential substance misuse treatment and/or rehabilitation service",
    "Shared Lives",
    "Supported living service",
]
BANDS = [
    "Dementia",
    "Learning disabilities or autistic spectrum disorder",
    "Mental Health",
    "Older People",
    "Physical Disability",
    "Younger Adults",
]
LOCATION_COLUMNS = [
    "Location ID", "Location ODS Code", "Location Name", "Location Telephone Number", "Location Web Address",
    "Care home?", "Care homes beds", "Location Type/Sector", "Location Inspection Directorate",
    "Location Primary Inspection Category", "Location Latest Overall Rating", "Publication Date",
    "Inherited Rating (Y/N)", "Location Region", "Location NHS Region", "Location Local Authority",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG", "Location Street Address", "Location Address Line 2", "Location City",
    "Location County", "Location Postal Code", "Location Paf ID", "Location UPRN ID", "Location Latitude",
    "Location Longitude", "Location Parliamentary Constituency", "Location Also Known As",
    "Location Specialisms",
]
PROVIDER_COLUMNS = [
    "Provider ID", "Provider Name", "Provider Type/Sector", "Provider Ownership Type",
    "Provider Telephone Number", "Provider Web Address", "Provider Street Address", "Provider Address Line 2",
    "Provider City", "Provider County", "Provider Postal Code", "Provider Local Authority", "Provider Region",
    "Provider Nominated Individual Name", "Brand ID", "Brand Name", "Dormant (Y/N)", "Location HSCA start date",
]
HEADER = (LOCATION_COLUMNS
          + [f"Regulated activity - {name}" for name in ACTIVITIES]
          + [f"Service type - {name}" for name in SERVICE_TYPES]
          + [f"Service user band - {name}" for name in BANDS]
          + PROVIDER_COLUMNS)

BASE = {
    "Location ID": "1-1000000001",
    "Location ODS Code": "VN1A1",
    "Location Name": "Larkspur House Nursing Home",
    "Location Telephone Number": "01632960001",
    "Location Web Address": "www.larkspur.example",
    "Care home?": "Y",
    "Care homes beds": "42",
    "Location Type/Sector": "Social Care Org",
    "Location Inspection Directorate": "Adult social care",
    "Location Primary Inspection Category": "Residential social care",
    "Location Latest Overall Rating": "Good",
    "Publication Date": "14/03/2023",
    "Inherited Rating (Y/N)": "N",
    "Location Region": "North East",
    "Location NHS Region": "North East and Yorkshire",
    "Location Local Authority": "Sunderland",
    "Location ONSPD CCG Code": "E38000176",
    "Location ONSPD CCG": "NHS North East and North Cumbria ICB - 00P",
    "Location Commissioning CCG Code": "00P",
    "Location Commissioning CCG": "NHS Sunderland",
    "Location Street Address": "1 Larkspur Road",
    "Location Address Line 2": "Hendon",
    "Location City": "Sunderland",
    "Location County": "Tyne and Wear",
    "Location Postal Code": "sr2 8aa ",
    "Location Paf ID": "12345678",
    "Location UPRN ID": "100000000001",
    "Location Latitude": "54.89",
    "Location Longitude": "-1.37",
    "Location Parliamentary Constituency": "Sunderland Central",
    "Location Also Known As": "",
    "Location Specialisms": "Caring for adults over 65 yrs|Dementia|Physical disabilities",
    "Provider ID": "1-2000000001",
    "Provider Name": "Larkspur Care Ltd",
    "Provider Type/Sector": "Social Care Org",
    "Provider Ownership Type": "Organisation",
    "Provider Telephone Number": "01632960000",
    "Provider Web Address": "",
    "Provider Street Address": "2 Office Park",
    "Provider Address Line 2": "",
    "Provider City": "Durham",
    "Provider County": "County Durham",
    "Provider Postal Code": "DH1 1AA",
    "Provider Local Authority": "County Durham",
    "Provider Region": "North East",
    "Provider Nominated Individual Name": "Alex Example",
    "Brand ID": "BD001",
    "Brand Name": "BRAND Larkspur Group",
    "Dormant (Y/N)": "N",
    "Location HSCA start date": "01/10/2010",
}


def make_row(values: dict | None = None, *, activities=(), services=(), bands=(), header=HEADER) -> list[str]:
    values = {**BASE, **(values or {})}
    for name in activities:
        values[f"Regulated activity - {name}"] = "Y"
    for name in services:
        values[f"Service type - {name}"] = "Y"
    for name in bands:
        values[f"Service user band - {name}"] = "Y"
    return [values.get(column, "") for column in header]


def care_home(**kw) -> list[str]:
    return make_row(kw.pop("values", None), activities=["Accommodation for persons who require nursing or "
                                                        "personal care", "Treatment of disease, disorder or injury"],
                    services=["Care home service with nursing"], bands=["Dementia", "Older People"], **kw)


def csv_text(rows, *, header=HEADER, preamble: list[str] = ()) -> str:
    """Rows as CQC's CSV export writes them (CRLF); a str in `rows` is a raw line."""
    out = io.StringIO()
    for line in preamble:
        out.write(line + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\r\n")
        else:
            writer.writerow(row)
    return out.getvalue()


def write(tmp_path, rows, *, name="HSCA_Active_Locations.csv", encoding="utf-8", **kw):
    path = tmp_path / name
    path.write_bytes(csv_text(rows, **kw).encode(encoding))
    return path


def read_all(source, **kw):
    reader = read_cqc_directory(source, **kw)
    return list(reader), reader.summary


def reasons(summary):
    return [(r.line, r.location_id, r.reason) for r in summary.rejections]


# -- the happy path ---------------------------------------------------------------------
def test_reads_a_care_home_with_nursing_field_by_field(tmp_path):
    path = write(tmp_path, [care_home()])
    [location], summary = read_all(path)
    assert location == CqcLocation(
        location_id="1-1000000001",
        name="Larkspur House Nursing Home",
        kind="care_home",
        care_home=True,
        registered_beds=42,
        telephone="01632960001",
        website="www.larkspur.example",
        street_address="1 Larkspur Road",
        address_line_2="Hendon",
        city="Sunderland",
        county="Tyne and Wear",
        postcode="SR2 8AA",
        latitude=54.89,
        longitude=-1.37,
        local_authority_name="Sunderland",
        region_name="North East",
        sub_icb_ons_code="E38000176",
        sub_icb_name="NHS North East and North Cumbria ICB - 00P",
        overall_rating="Good",
        rating_published=date(2023, 3, 14),
        inherited_rating=False,
        dormant=False,
        registered_since=date(2010, 10, 1),
        regulated_activities=("Accommodation for persons who require nursing or personal care",
                              "Treatment of disease, disorder or injury"),
        service_types=("Care home service with nursing",),
        service_user_bands=("Dementia", "Older People"),
        specialisms=("Caring for adults over 65 yrs", "Dementia", "Physical disabilities"),
        provider_id="1-2000000001",
        provider_name="Larkspur Care Ltd",
        brand_id="BD001",
        brand_name="BRAND Larkspur Group",
        ownership_type="Organisation",
    )
    assert location.line == 2
    assert (summary.read, summary.accepted, summary.rejected, summary.duplicate_ids) == (1, 1, 0, 0)
    assert summary.encoding == "utf-8" and summary.header_line == 1
    json.dumps(asdict(summary))  # the importer stores it as JSON


def test_reads_a_handful_of_realistic_locations(tmp_path):
    rows = [
        care_home(),
        make_row({"Location ID": "1-1000000002", "Location Name": "Kindly Hands Home Care", "Care home?": "N",
                  "Care homes beds": "", "Location Latitude": "", "Location Longitude": "",
                  "Location Specialisms": "Caring for adults under 65 yrs"},
                 activities=["Personal care"], services=["Domiciliary care service"],
                 bands=["Older People", "Younger Adults", "Physical Disability"]),
        make_row({"Location ID": "1-1000000003", "Location Name": "St Brigid's Hospice", "Care home?": "N",
                  "Care homes beds": "", "Location Latest Overall Rating": "Outstanding",
                  "Publication Date": "2022-06-30", "Brand ID": "-", "Brand Name": "-"},
                 activities=["Treatment of disease, disorder or injury"],
                 services=["Hospice services", "Hospice services at home"]),
        make_row({"Location ID": "1-1000000004", "Location Name": "Quiet Meadow", "Dormant (Y/N)": "Y",
                  "Care homes beds": "0", "Location Latest Overall Rating": "Requires improvement",
                  "Inherited Rating (Y/N)": "Y"},
                 services=["Care home service without nursing"]),
        make_row({"Location ID": "1-1000000005", "Location Name": "New Dawn Care Home",
                  "Location Latest Overall Rating": "Not yet rated", "Publication Date": "",
                  "Location HSCA start date": "", "Location Specialisms": "", "Brand ID": "",
                  "Brand Name": "", "Location Telephone Number": "", "Location Web Address": "",
                  "Location Address Line 2": "", "Location County": "", "Provider Ownership Type": ""},
                 services=["Care home service without nursing"]),
    ]
    locations, summary = read_all(write(tmp_path, rows))
    assert (summary.read, summary.accepted, summary.rejected) == (5, 5, 0)
    by_id = {l.location_id: l for l in locations}
    home_care = by_id["1-1000000002"]
    assert (home_care.kind, home_care.care_home, home_care.registered_beds) == ("home_care", False, None)
    assert home_care.latitude is None and home_care.longitude is None
    assert home_care.service_user_bands == ("Older People", "Physical Disability", "Younger Adults")
    assert home_care.specialisms == ("Caring for adults under 65 yrs",)
    hospice = by_id["1-1000000003"]
    assert (hospice.kind, hospice.overall_rating, hospice.rating_published) == (
        "hospice", "Outstanding", date(2022, 6, 30))
    assert hospice.brand_id is None and hospice.brand_name is None
    dormant = by_id["1-1000000004"]
    assert (dormant.dormant, dormant.inherited_rating, dormant.registered_beds) == (True, True, 0)
    assert dormant.overall_rating == "Requires improvement"
    unrated = by_id["1-1000000005"]
    assert unrated.overall_rating is None and unrated.rating_published is None
    assert unrated.registered_since is None and unrated.specialisms == ()
    assert (unrated.brand_id, unrated.brand_name, unrated.telephone, unrated.website) == (None,) * 4
    assert (unrated.address_line_2, unrated.county, unrated.ownership_type) == (None, None, None)
    assert [l.line for l in locations] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("care_home_flag, services, kind", [
    ("Y", [], "care_home"),
    ("Y", ["Domiciliary care service"], "care_home"),
    ("N", ["Hospice services"], "hospice"),
    ("N", ["Hospice services at home", "Domiciliary care service"], "hospice"),
    ("N", ["Residential substance misuse treatment and/or rehabilitation service"], "substance_misuse"),
    ("N", ["Community based services for people who misuse substances"], "substance_misuse"),
    ("N", ["Substance misuse problems"], "substance_misuse"),  # a name not in the header above: generic
    ("N", ["Domiciliary care service"], "home_care"),
    ("N", ["Extra Care housing services"], "home_care"),
    ("N", ["Supported living service"], "home_care"),
    ("N", ["Hospital services for people with mental health needs, learning disabilities and problems with "
           "substance misuse"], "community"),
    ("N", ["Rehabilitation services", "Shared Lives"], "community"),
    ("N", [], "community"),
])
def test_kind_is_derived(tmp_path, care_home_flag, services, kind):
    header = HEADER + ["Service type - Substance misuse problems"]
    row = make_row({"Care home?": care_home_flag, "Care homes beds": "" if care_home_flag == "N" else "10"},
                   services=services, header=header)
    [location], _ = read_all(write(tmp_path, [row], header=header))
    assert location.kind == kind
    assert location.service_types == tuple(sorted(services))


def test_yes_no_columns(tmp_path):
    rows = [
        make_row({"Location ID": "1-1000000001", "Regulated activity - Personal care": "y",
                  "Regulated activity - Diagnostic and screening procedures": "N",
                  "Service user band - Dementia": " Y ", "Service user band - Mental Health": "",
                  "Dormant (Y/N)": "", "Inherited Rating (Y/N)": "y"}),
        make_row({"Location ID": "1-1000000002", "Service user band - Mental Health": "Yes"}),
        make_row({"Location ID": "1-1000000003", "Dormant (Y/N)": "maybe"}),
        make_row({"Location ID": "1-1000000004", "Care home?": "1"}),
    ]
    locations, summary = read_all(write(tmp_path, rows))
    [location] = locations
    assert location.regulated_activities == ("Personal care",)
    assert location.service_user_bands == ("Dementia",)
    assert location.dormant is False and location.inherited_rating is True
    assert reasons(summary) == [
        (3, "1-1000000002", "'Service user band - Mental Health' is 'Yes', expected Y or N"),
        (4, "1-1000000003", "'Dormant (Y/N)' is 'maybe', expected Y or N"),
        (5, "1-1000000004", "'Care home?' is '1', expected Y or N"),
    ]


def test_specialisms_are_split_on_pipes(tmp_path):
    row = care_home(values={"Location Specialisms": " Dementia | Caring for adults over 65 yrs||Dementia|"
                                                    "Sensory impairments "})
    [location], _ = read_all(write(tmp_path, [row]))
    assert location.specialisms == ("Caring for adults over 65 yrs", "Dementia", "Sensory impairments")


@pytest.mark.parametrize("text, rating", [
    ("Good", "Good"), ("outstanding", "Outstanding"), ("Requires Improvement", "Requires improvement"),
    (" Inadequate ", "Inadequate"), ("", None), ("Not yet rated", None), ("Not Rated", None),
    ("Insufficient evidence to rate", None),
])
def test_ratings(tmp_path, text, rating):
    [location], _ = read_all(write(tmp_path, [care_home(values={"Location Latest Overall Rating": text})]))
    assert location.overall_rating == rating


def test_header_names_ignore_case_and_surrounding_whitespace(tmp_path):
    header = [f"  {name.upper()} " for name in HEADER]
    row = care_home(header=HEADER)
    [location], _ = read_all(write(tmp_path, [row], header=header))
    assert location.location_id == "1-1000000001" and location.registered_beds == 42
    assert location.service_types == ("CARE HOME SERVICE WITH NURSING",)  # names as the header spells them
    assert location.kind == "care_home"


def test_a_binary_file_object_and_a_single_pass(tmp_path):
    data = csv_text([care_home()]).encode()
    reader = read_cqc_directory(io.BytesIO(data))
    assert isinstance(reader, CqcDirectoryReader)
    assert [l.location_id for l in reader] == ["1-1000000001"]
    with pytest.raises(RuntimeError):
        list(reader)


def test_blank_lines_are_skipped(tmp_path):
    rows = [care_home(), "", ",,,", care_home(values={"Location ID": "1-1000000002"})]
    locations, summary = read_all(write(tmp_path, rows))
    assert [(l.location_id, l.line) for l in locations] == [("1-1000000001", 2), ("1-1000000002", 5)]
    assert (summary.read, summary.rejected) == (2, 0)


# -- encodings and layout ---------------------------------------------------------------
def test_preamble_and_byte_order_mark(tmp_path):
    path = tmp_path / "HSCA_Active_Locations.csv"
    text = csv_text([care_home(), make_row({"Location ID": "bad"}), care_home(values={"Location ID": "1-1000000002"})],
                    preamble=["Care directory with filters,,,", ",,,"])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    locations, summary = read_all(path)
    assert summary.header_line == 3 and summary.encoding == "utf-8-sig"
    assert [(l.location_id, l.line) for l in locations] == [("1-1000000001", 4), ("1-1000000002", 6)]
    assert [(r.line, r.location_id) for r in summary.rejections] == [(5, "bad")]


def test_bom_without_preamble(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([care_home()]).encode())
    [location], summary = read_all(path)
    assert location.location_id == "1-1000000001" and summary.header_line == 1


def test_windows_1252_file(tmp_path):
    rows = [care_home(values={"Location Name": "Café Rosé House", "Provider Name": "£1 Care Homes Ltd"})]
    path = write(tmp_path, rows, encoding="cp1252")
    assert b"\xe9" in path.read_bytes() and b"\xa3" in path.read_bytes()
    [location], summary = read_all(path)
    assert summary.encoding == "cp1252"
    assert location.name == "Café Rosé House" and location.provider_name == "£1 Care Homes Ltd"


def test_utf8_file_with_accents(tmp_path):
    rows = [care_home(values={"Location Name": "Café Rosé House", "Provider Name": "£1 Care Homes Ltd"})]
    [location], summary = read_all(write(tmp_path, rows))
    assert summary.encoding == "utf-8"
    assert location.name == "Café Rosé House" and location.provider_name == "£1 Care Homes Ltd"


def test_a_file_that_stops_being_utf8_after_the_first_megabyte(tmp_path):
    rows = [care_home(values={"Location ID": f"1-{1000000000 + i}"}) for i in range(2000)]
    head = csv_text(rows).encode()
    assert len(head) > cqc_directory.SNIFF_BYTES
    tail = csv_text([care_home(values={"Location ID": "1-1999999999", "Location Name": "Café"})],
                    header=[]).encode("cp1252")
    path = tmp_path / "d.csv"
    path.write_bytes(head + tail.lstrip(b"\r\n"))
    reader = read_cqc_directory(path)
    with pytest.raises(DirectoryEncodingError) as caught:
        list(reader)
    assert caught.value.line == 2002  # header + 2000 rows, then the bad one
    assert isinstance(caught.value, ValueError)
    assert "Line 2002" in str(caught.value) and "UTF-8" in str(caught.value)
    assert reader.summary.accepted == 2000


def test_a_byte_order_mark_then_not_utf8(tmp_path):
    path = tmp_path / "d.csv"
    text = csv_text([care_home(), care_home(values={"Location ID": "1-1000000002", "Location Name": "Café"})])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    with pytest.raises(DirectoryEncodingError) as caught:
        list(read_cqc_directory(path))
    assert caught.value.line == 3


def test_a_byte_windows_1252_does_not_define(tmp_path):
    path = tmp_path / "d.csv"
    text = csv_text([care_home(values={"Location Name": "Caf\u00e9"}), "PLACEHOLDER"])
    path.write_bytes(text.encode("cp1252").replace(b"PLACEHOLDER", b"1-1000000009,\x81"))
    with pytest.raises(DirectoryEncodingError) as caught:
        list(read_cqc_directory(path))
    assert caught.value.line == 3 and "Windows-1252" in str(caught.value)


def test_quoted_field_with_newline_and_comma_keeps_line_numbers(tmp_path):
    rows = [
        care_home(values={"Location Name": "Rose House, Annexe\r\nWest Wing",
                          "Location Street Address": "Flat 1,\r\n2 Rose Lane"}),  # lines 2-4
        make_row({"Location ID": "1-1000000002", "Care homes beds": "twelve"}),  # line 5
        care_home(values={"Location ID": "1-1000000003"}),  # line 6
        care_home(values={"Location ID": "1-1000000004", "Location Also Known As": "A\r\nB\r\nC"}),  # 7-9
        make_row({"Location ID": "1-1000000005", "Location Latest Overall Rating": "Brilliant"}),  # 10
    ]
    path = write(tmp_path, rows)
    locations, summary = read_all(path)
    assert [(l.location_id, l.line) for l in locations] == [
        ("1-1000000001", 2), ("1-1000000003", 6), ("1-1000000004", 7)]
    assert locations[0].name == "Rose House, Annexe\r\nWest Wing"
    assert [(r.line, r.location_id) for r in summary.rejections] == [(5, "1-1000000002"), (10, "1-1000000005")]
    physical = path.read_bytes().split(b"\n")
    assert physical[4].startswith(b"1-1000000002,") and physical[9].startswith(b"1-1000000005,")


# -- bad rows -----------------------------------------------------------------------------
def test_malformed_rows_are_rejected_with_line_and_reason(tmp_path):
    rows = [
        care_home(),  # 2
        "1-1000000002,VN1A1,Too Short House,01632960001",  # 3
        make_row({"Location ID": "1-12345"}),  # 4
        make_row({"Location ID": "RXX12"}),  # 5
        make_row({"Location ID": "1-1000000006", "Care homes beds": "twelve"}),  # 6
        make_row({"Location ID": "1-1000000007", "Location Latest Overall Rating": "Brilliant"}),  # 7
        make_row({"Location ID": "1-1000000008", "Publication Date": "31/02/2023"}),  # 8
        make_row({"Location ID": "1-1000000009", "Location Latitude": "200"}),  # 9
        make_row({"Location ID": "1-1000000010", "Location Longitude": "east"}),  # 10
        make_row({"Location ID": "1-1000000011", "Location Postal Code": "  "}),  # 11
        make_row({"Location ID": "1-1000000012", "Care homes beds": ""}),  # 12: care home without beds
        make_row({"Location ID": "1-1000000013", "Care homes beds": "-3"}),  # 13
        make_row({"Location ID": "1-1000000014", "Location HSCA start date": "yesterday"}),  # 14
        make_row({"Location ID": "", "Location Name": "", "Provider ID": ""}),  # 15
        make_row({"Location ID": "1-1000000016", "Location Longitude": "3.5", "Location Latitude": "nan"}),  # 16
        make_row({"Location ID": "1-1000000017", "Service type - Shared Lives": "X"}),  # 17
        "1-1000000018," + ",".join(["x"] * len(HEADER)),  # 18: one field too many
        care_home(values={"Location ID": "1-1000000019"}),  # 19
    ]
    locations, summary = read_all(write(tmp_path, rows))
    assert [l.location_id for l in locations] == ["1-1000000001", "1-1000000019"]
    assert (summary.read, summary.accepted, summary.rejected) == (18, 2, 16)
    width = len(HEADER)
    assert reasons(summary) == [
        (3, "1-1000000002", f"the row has 4 fields where the header has {width}"),
        (4, "1-12345", "location id '1-12345' is not a CQC location id (1- followed by 6 to 12 digits)"),
        (5, "RXX12", "location id 'RXX12' is not a CQC location id (1- followed by 6 to 12 digits)"),
        (6, "1-1000000006", "'Care homes beds' is 'twelve', not a whole number"),
        (7, "1-1000000007", "overall rating 'Brilliant' is not a CQC rating "
                            "(Outstanding, Good, Requires improvement, Inadequate)"),
        (8, "1-1000000008", "'Publication Date' is '31/02/2023', not a date (dd/mm/yyyy)"),
        (9, "1-1000000009", "'Location Latitude' is '200', outside the UK (49 to 61)"),
        (10, "1-1000000010", "'Location Longitude' is 'east', not a number"),
        (11, "1-1000000011", "the postcode is blank"),
        (12, "1-1000000012", "'Care homes beds' is blank for a care home"),
        (13, "1-1000000013", "'Care homes beds' is -3, below 0"),
        (14, "1-1000000014", "'Location HSCA start date' is 'yesterday', not a date (dd/mm/yyyy)"),
        (15, None, "the location id is blank; the location name is blank; the provider id is blank"),
        (16, "1-1000000016", "'Location Latitude' is 'nan', outside the UK (49 to 61); "
                             "'Location Longitude' is '3.5', outside the UK (-9 to 2.5)"),
        (17, "1-1000000017", "'Service type - Shared Lives' is 'X', expected Y or N"),
        (18, "1-1000000018", f"the row has {width + 1} fields where the header has {width}"),
    ]


def test_duplicate_ids_first_wins(tmp_path):
    rows = [
        care_home(values={"Location Name": "First"}),  # 2
        care_home(values={"Location ID": "1-1000000002"}),  # 3
        care_home(values={"Location Name": "Second"}),  # 4
        care_home(values={"Location ID": "1-1000000003", "Care homes beds": "x"}),  # 5: rejected, id taken
        care_home(values={"Location ID": "1-1000000003"}),  # 6
        care_home(values={"Location Name": "Third"}),  # 7
    ]
    locations, summary = read_all(write(tmp_path, rows))
    assert [(l.location_id, l.name) for l in locations] == [
        ("1-1000000001", "First"), ("1-1000000002", "Larkspur House Nursing Home")]
    assert summary.duplicate_ids == 3 and summary.rejected == 4
    assert reasons(summary) == [
        (4, "1-1000000001", "duplicate location id (first on line 2)"),
        (5, "1-1000000003", "'Care homes beds' is 'x', not a whole number"),
        (6, "1-1000000003", "duplicate location id (first on line 5)"),
        (7, "1-1000000001", "duplicate location id (first on line 2)"),
    ]


def test_only_the_first_thousand_rejections_are_kept(tmp_path):
    rows = [make_row({"Location ID": f"X-{i}"}) for i in range(1005)]
    _, summary = read_all(write(tmp_path, rows))
    assert summary.rejected == 1005 and len(summary.rejections) == 1000
    assert summary.rejections[-1].line == 1001


# -- the header ------------------------------------------------------------------------------
def test_missing_columns_are_all_named(tmp_path):
    header = [c for c in HEADER if c not in ("Care homes beds", "Dormant (Y/N)", "Provider Name")]
    path = write(tmp_path, [make_row(header=header)], header=header)
    with pytest.raises(MissingColumns) as caught:
        list(read_cqc_directory(path))
    assert caught.value.missing == ["Care homes beds", "Provider Name", "Dormant (Y/N)"]
    message = str(caught.value)
    assert "'Care homes beds'" in message and "'Provider Name'" in message and "'Dormant (Y/N)'" in message
    assert isinstance(caught.value, ValueError)


def test_no_header_in_the_first_ten_rows(tmp_path):
    path = write(tmp_path, [care_home()], preamble=[f"title {i}" for i in range(10)])
    with pytest.raises(MissingColumns) as caught:
        list(read_cqc_directory(path))
    assert caught.value.missing == list(cqc_directory.REQUIRED_COLUMNS)
    assert "first 10 rows" in str(caught.value)
    # nine preamble rows: the header is the tenth row, still found
    path = write(tmp_path, [care_home()], preamble=[f"title {i}" for i in range(9)])
    [location], summary = read_all(path)
    assert summary.header_line == 10 and location.line == 11


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(MissingColumns):
        list(read_cqc_directory(path))


def test_optional_columns_may_be_absent(tmp_path):
    header = list(cqc_directory.REQUIRED_COLUMNS)
    [location], _ = read_all(write(tmp_path, [make_row(header=header)], header=header))
    assert location.street_address == "" and location.latitude is None and location.regulated_activities == ()
    assert location.kind == "care_home" and location.registered_beds == 42


# -- progress -------------------------------------------------------------------------------
def test_progress_is_reported(tmp_path):
    rows = [care_home(values={"Location ID": f"1-{1000000000 + i}"}) for i in range(25)]
    calls = []
    _, summary = read_all(write(tmp_path, rows), progress=calls.append, progress_every=10)
    assert calls == [10, 20, 25] and summary.read == 25
    calls.clear()
    read_all(write(tmp_path, rows[:20]), progress=calls.append, progress_every=10)
    assert calls == [10, 20]
    with pytest.raises(ValueError):
        read_cqc_directory(tmp_path / "x.csv", progress_every=0)


# -- streaming -------------------------------------------------------------------------------
def test_streams_a_large_file_in_bounded_memory(tmp_path):
    template = csv_text([care_home(values={"Location ID": "1-IDPLACEHOLDER", "Location Name": "Home IDPLACEHOLDER"})],
                        header=[]).lstrip("\r\n")
    template = template.replace("Caring for adults over 65 yrs", "Caring for adults over 65 yrs|" + "|".join(
        f"Specialism {i}" for i in range(40)))
    path = tmp_path / "big.csv"
    target = 50 * 1024 * 1024
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(csv_text([]))
        size = 0
        chunk = []
        while size < target:
            line = template.replace("IDPLACEHOLDER", str(1000000000 + rows))
            chunk.append(line)
            size += len(line)
            rows += 1
            if len(chunk) == 1000:
                file.write("".join(chunk))
                chunk = []
        file.write("".join(chunk))
    assert path.stat().st_size >= target

    started = time.monotonic()
    tracemalloc.start()
    try:
        reader = read_cqc_directory(path)
        accepted = 0
        for location in reader:
            accepted += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert accepted == rows == reader.summary.read
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for {rows} rows"
    print(f"{rows} rows, {path.stat().st_size / 1e6:.0f} MB, peak {peak / 1e6:.1f} MB, "
          f"{time.monotonic() - started:.1f}s")
