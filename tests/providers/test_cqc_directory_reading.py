"""The CQC care directory reader: what it reads from each row, the header
it looks for, its progress. Real-format files built in tmp_path, with
fictional locations."""
from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import date

import pytest

from providers import cqc_directory
from providers.cqc_directory import CqcDirectoryReader, CqcLocation, MissingColumns, read_cqc_directory

from .cqc_files import HEADER, make_row, care_home, csv_text, write, read_all, reasons


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
