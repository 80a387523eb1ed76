"""The synthetic England: reproducible, and read by the real readers (the CQC
care directory and the ONS postcode directory) without a single rejection.

Most tests use a small reference geography built here (same shape as
data/geography.json, fictional names); one runs the repository's real
geography file when it is there."""
from __future__ import annotations

import csv
import math
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

import synthetic_england as synthetic
from providers.cqc_directory import REQUIRED_COLUMNS, read_cqc_directory
from providers.postcode_directory import read_directory
from tracker_common.postcodes import normalise_postcode

FILES = ("HSCA_Active_Locations.csv", "ONSPD.csv", "README.txt")

# -- a small reference geography ---------------------------------------------------------
NHS_REGIONS = [
    {"code": "E40000012", "name": "North East and Yorkshire"}, {"code": "E40000010", "name": "North West"},
    {"code": "E40000011", "name": "Midlands"}, {"code": "E40000007", "name": "East of England"},
    {"code": "E40000003", "name": "London"}, {"code": "E40000005", "name": "South East"},
    {"code": "E40000006", "name": "South West"},
]
ONS_REGIONS = {  # ONS region: (name, NHS region)
    "E12000001": ("North East", "E40000012"), "E12000002": ("North West", "E40000010"),
    "E12000003": ("Yorkshire and The Humber", "E40000012"), "E12000004": ("East Midlands", "E40000011"),
    "E12000005": ("West Midlands", "E40000011"), "E12000006": ("East of England", "E40000007"),
    "E12000007": ("London", "E40000003"), "E12000008": ("South East", "E40000005"),
    "E12000009": ("South West", "E40000006"),
}
# name, kind, ONS region, population, latitude, longitude, area km2, number of Sub-ICB locations
LAS = [
    ("Tyneford", "metropolitan_district", "E12000001", 310_000, 54.97, -1.60, 115, 1),
    ("Durnholme", "unitary", "E12000001", 520_000, 54.70, -1.75, 2230, 1),
    ("Mancaster", "metropolitan_district", "E12000002", 560_000, 53.48, -2.24, 116, 1),
    ("Lakeshire", "county", "E12000002", 500_000, 54.50, -3.00, 6770, 2),
    ("Riverholme", "unitary", "E12000002", 200_000, 53.40, -2.60, 180, 1),
    ("Wharfedale Vale", "metropolitan_district", "E12000003", 800_000, 53.80, -1.55, 550, 1),
    ("North Moorshire", "county", "E12000003", 620_000, 54.20, -1.40, 8000, 2),
    ("Trentshire", "county", "E12000004", 830_000, 53.10, -1.00, 2090, 2),
    ("Leyfield", "unitary", "E12000004", 370_000, 52.63, -1.13, 73, 1),
    ("Bramcote", "metropolitan_district", "E12000005", 1_140_000, 52.48, -1.90, 268, 1),
    ("Severnshire", "county", "E12000005", 600_000, 52.20, -2.20, 1740, 1),
    ("Fenland Downs", "county", "E12000006", 680_000, 52.30, 0.05, 3050, 2),
    ("Estuary Bay", "unitary", "E12000006", 180_000, 51.54, 0.70, 42, 1),
    ("Thamesbank", "london_borough", "E12000007", 330_000, 51.46, -0.10, 27, 1),
    ("Northgate", "london_borough", "E12000007", 260_000, 51.59, -0.13, 30, 1),
    ("Eastwick", "london_borough", "E12000007", 300_000, 51.54, 0.05, 36, 1),
    ("Weald and Downs", "county", "E12000008", 1_600_000, 51.20, 0.70, 3540, 3),
    ("Solent Haven", "unitary", "E12000008", 250_000, 50.91, -1.40, 50, 1),
    ("Kernow Point", "unitary", "E12000009", 570_000, 50.40, -4.90, 3560, 1),
    ("Avon Reach", "unitary", "E12000009", 470_000, 51.46, -2.59, 110, 1),
    ("Tiny Isles", "unitary", "E12000009", 2_000, 49.93, -6.30, 16, 1),
]
_PREFIX = {"county": "E10", "unitary": "E06", "metropolitan_district": "E08", "london_borough": "E09"}


def make_geography() -> dict:
    icbs, sub_icbs, las = [], [], []
    for n, (name, kind, region, population, lat, lon, area, n_sub_icbs) in enumerate(LAS):
        icb_code = f"E54{900000 + n:06d}"
        icbs.append({"code": icb_code, "ods_code": f"Q{n:02d}", "name": f"NHS {name} Integrated Care Board",
                     "nhs_region_code": ONS_REGIONS[region][1]})
        codes = []
        for k in range(n_sub_icbs):
            code = f"E38{900000 + n * 10 + k:06d}"
            codes.append(code)
            sub_icbs.append({"code": code, "ods_code": f"{n:02d}{'ABC'[k]}",
                             "name": f"NHS {name} ICB - {n:02d}{'ABC'[k]}", "icb_code": icb_code})
        las.append({"code": f"{_PREFIX[kind]}{900000 + n:06d}", "name": name, "kind": kind,
                    "ons_region_code": region, "ons_region_name": ONS_REGIONS[region][0], "population": population,
                    "latitude": lat, "longitude": lon, "area_km2": area, "sub_icb_codes": codes})
    return {"nhs_regions": NHS_REGIONS, "icbs": icbs, "sub_icbs": sub_icbs, "local_authorities": las}


GEOGRAPHY = make_geography()
LA_BY_NAME = {la["name"]: la for la in GEOGRAPHY["local_authorities"]}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def radius_km(la: dict) -> float:
    return math.sqrt(la["area_km2"] / math.pi)


def read_all(folder: Path):
    cqc = read_cqc_directory(folder / "HSCA_Active_Locations.csv")
    locations = list(cqc)
    onspd = read_directory(folder / "ONSPD.csv")
    postcodes = {record.postcode: record for record in onspd}
    return locations, cqc.summary, postcodes, onspd.summary


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    counts = synthetic.generate(folder, size="small", seed=2026, geography=GEOGRAPHY)
    locations, cqc_summary, postcodes, onspd_summary = read_all(folder)
    return folder, counts, locations, cqc_summary, postcodes, onspd_summary


# -- reproducible --------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_bytes(tmp_path, small):
    for size in ("tiny", "small"):
        first, second = tmp_path / f"{size}-1", tmp_path / f"{size}-2"
        synthetic.generate(first, size=size, seed=2026, geography=GEOGRAPHY)
        synthetic.generate(second, size=size, seed=2026, geography=GEOGRAPHY)
        for name in FILES:
            assert (first / name).read_bytes() == (second / name).read_bytes(), (size, name)
    for name in FILES:
        assert (tmp_path / "small-1" / name).read_bytes() == (small[0] / name).read_bytes()


def test_another_seed_gives_other_files(tmp_path):
    synthetic.generate(tmp_path / "a", size="tiny", seed=2026, geography=GEOGRAPHY)
    synthetic.generate(tmp_path / "b", size="tiny", seed=2027, geography=GEOGRAPHY)
    for name in ("HSCA_Active_Locations.csv", "ONSPD.csv"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_sizes_and_counts(tmp_path, small):
    counts = small[1]
    assert counts["locations"] == 300
    assert counts["local_authorities"] == 10
    tiny = synthetic.generate(tmp_path, size="tiny", geography=GEOGRAPHY)
    assert tiny["locations"] == 30 and tiny["local_authorities"] == 3
    full = synthetic.kind_counts(synthetic.SIZES["full"][1])
    assert full["care_home"] >= 15_500 and full["home_care"] >= 14_000
    assert 150 <= full["hospice"] <= 250 and full["substance_misuse"] > 0 and full["community"] > 0
    assert sum(full.values()) >= 29_700
    assert synthetic.kind_counts(3000)["care_home"] == round(3000 * 15_600 / 30_200)


def test_unknown_size_or_bad_count_is_refused(tmp_path):
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path, size="huge", geography=GEOGRAPHY)
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path, locations=0, geography=GEOGRAPHY)


# -- the CQC care directory -----------------------------------------------------------------
def test_the_cqc_file_is_read_without_rejections(small):
    folder, counts, locations, summary, _, _ = small
    assert summary.rejected == 0, summary.rejections[:5]
    assert summary.accepted == summary.read == counts["locations"] == len(locations)
    with open(folder / "HSCA_Active_Locations.csv", encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert header == list(synthetic.CQC_HEADER)
    assert set(REQUIRED_COLUMNS) <= set(header)
    for column in ("Location ODS Code", "Location Type/Sector", "Location Commissioning CCG Code",
                   "Location Parliamentary Constituency", "Provider Nominated Individual Name",
                   "Regulated activity - Personal care", "Service type - Hospice services",
                   "Service user band - Dementia"):
        assert column in header


def test_kinds_ratings_and_beds_are_plausible(small):
    _, counts, locations, _, _, _ = small
    kinds = Counter(location.kind for location in locations)
    assert kinds == Counter({kind: counts[kind] for kind in synthetic.KINDS if counts[kind]})
    assert 0.45 <= kinds["care_home"] / 300 <= 0.58 and 0.4 <= kinds["home_care"] / 300 <= 0.52
    assert kinds["hospice"] >= 1 and kinds["substance_misuse"] >= 1 and kinds["community"] >= 1

    ratings = Counter(location.overall_rating for location in locations)
    assert 0.60 <= ratings["Good"] / 300 <= 0.85
    assert 0.08 <= ratings["Requires improvement"] / 300 <= 0.25
    assert ratings["Outstanding"] > 0 and ratings[None] > 0
    assert ratings["Inadequate"] / 300 <= 0.06

    homes = [location for location in locations if location.kind == "care_home"]
    beds = [home.registered_beds for home in homes]
    assert all(3 <= b <= 180 for b in beds)
    assert 25 <= statistics.median(beds) <= 50
    nursing = [h for h in homes if "Care home service with nursing" in h.service_types]
    assert 0.18 <= len(nursing) / len(homes) <= 0.42
    assert statistics.median(h.registered_beds for h in nursing) > statistics.median(beds)
    dementia = [h for h in homes if "Dementia" in h.service_user_bands]
    assert 0.5 <= len(dementia) / len(homes) <= 0.8
    for home in homes:
        assert "Accommodation for persons who require nursing or personal care" in home.regulated_activities
        assert ("Treatment of disease, disorder or injury" in home.regulated_activities) == (home in nursing)
        assert home.service_user_bands
    for location in locations:
        if location.kind == "home_care":
            assert location.regulated_activities[0] == "Personal care" or "Personal care" in \
                location.regulated_activities
            assert location.registered_beds is None and not location.care_home
        if location.kind == "hospice":
            assert "Hospice services" in location.service_types
        if location.overall_rating is None:
            assert location.rating_published is None
        else:
            assert location.registered_since <= location.rating_published <= synthetic.AS_OF
        if "Older People" in location.service_user_bands:
            assert "Caring for adults over 65 yrs" in location.specialisms
        if "Dementia" in location.service_user_bands:
            assert "Dementia" in location.specialisms


def test_ids_names_phones_and_web_addresses_are_fictional_and_well_formed(small):
    _, counts, locations, _, _, _ = small
    assert len({location.location_id for location in locations}) == len(locations)
    for location in locations:
        assert location.location_id.startswith("1-") and len(location.location_id) == 12
        assert location.provider_id.startswith("1-") and len(location.provider_id) == 11
        digits = location.telephone
        assert digits[:8] in {"01914980", "01614960", "01514960", "01134960", "01144960", "01154960",
                              "01164960", "01214960", "01632960", "02079460", "01184960", "01174960"}, digits
        assert len(digits) == 11
        if location.website:
            assert location.website.endswith(".example")
        assert location.brand_name is None or location.brand_name.startswith("BRAND ")
    providers = Counter(location.provider_id for location in locations)
    assert len(providers) == counts["providers"]
    assert max(providers.values()) >= 3  # some groups...
    assert sum(1 for n in providers.values() if n == 1) >= len(providers) / 2  # ...and a long tail of singles


# -- the postcode directory -------------------------------------------------------------------
def test_the_onspd_file_is_read_without_rejections(small):
    folder, counts, _, _, postcodes, summary = small
    assert summary.rejected == 0, summary.rejections[:5]
    assert summary.read == counts["postcodes"]
    assert summary.terminated == counts["postcodes_terminated"] >= 1
    assert summary.without_coordinates == counts["postcodes_without_coordinates"] >= 1
    assert summary.loaded == summary.read - summary.terminated == len(postcodes)
    with open(folder / "ONSPD.csv", encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file)
        assert tuple(rows.fieldnames) == synthetic.ONSPD_HEADER
        for row in rows:
            assert row["ctry"] == "E92000001"
            if row["oscty"] == "E99999999":
                assert row["oslaua"][:3] in ("E06", "E08", "E09")
            else:
                assert row["oscty"].startswith("E10") and row["oslaua"].startswith("E079")
    outcodes = Counter(record.outcode for record in postcodes.values())
    assert min(outcodes.values()) >= 3  # every district has several postcodes


def test_every_location_postcode_is_in_the_directory_and_agrees(small):
    _, _, locations, _, postcodes, _ = small
    sub_icbs = {s["code"]: s for s in GEOGRAPHY["sub_icbs"]}
    icbs = {i["code"]: i for i in GEOGRAPHY["icbs"]}
    for location in locations:
        record = postcodes[normalise_postcode(location.postcode)]
        assert location.postcode == record.postcode
        assert record.latitude == location.latitude and record.longitude == location.longitude
        la = LA_BY_NAME[location.local_authority_name]
        assert record.local_authority_code == la["code"]
        assert location.sub_icb_ons_code == record.sub_icb_code
        assert record.sub_icb_code in la["sub_icb_codes"]
        assert record.icb_code == sub_icbs[record.sub_icb_code]["icb_code"]
        assert record.nhs_region_code == icbs[record.icb_code]["nhs_region_code"]
        assert record.region_code == la["ons_region_code"] and location.region_name == la["ons_region_name"]


def test_coordinates_lie_within_the_local_authority(small):
    _, _, locations, _, postcodes, _ = small
    for location in locations:
        la = LA_BY_NAME[location.local_authority_name]
        assert distance_km(location.latitude, location.longitude, la["latitude"], la["longitude"]) \
            <= radius_km(la) + 0.05
    la_by_code = {la["code"]: la for la in GEOGRAPHY["local_authorities"]}
    for record in postcodes.values():
        if record.latitude is not None:
            la = la_by_code[record.local_authority_code]
            assert distance_km(record.latitude, record.longitude, la["latitude"], la["longitude"]) \
                <= radius_km(la) + 0.05


# -- the spread over England -------------------------------------------------------------------
def test_locations_follow_population(tmp_path):
    started = time.perf_counter()
    counts = synthetic.generate(tmp_path, size="full", locations=3000, geography=GEOGRAPHY)
    assert counts["locations"] == 3000 and counts["local_authorities"] == len(LAS)
    per_la = Counter(location.local_authority_name
                     for location in read_cqc_directory(tmp_path / "HSCA_Active_Locations.csv"))
    population = sum(la[3] for la in LAS)
    for name, *_ in LAS:
        expected = 3000 * LA_BY_NAME[name]["population"] / population
        if expected >= 30:
            assert 0.6 * expected <= per_la[name] <= 1.6 * expected, (name, per_la[name], expected)
    assert per_la["Bramcote"] > per_la["Estuary Bay"] * 3
    la_by_code = {la["code"]: la for la in GEOGRAPHY["local_authorities"]}
    for record in read_directory(tmp_path / "ONSPD.csv"):  # every LA's postcodes, the isles' included
        if record.latitude is not None:
            la = la_by_code[record.local_authority_code]
            assert distance_km(record.latitude, record.longitude, la["latitude"], la["longitude"]) \
                <= radius_km(la) + 0.05, record
    assert time.perf_counter() - started < 20


def test_the_command_line(tmp_path, capsys):
    geography = tmp_path / "geography.json"
    import json
    geography.write_text(json.dumps(GEOGRAPHY), encoding="utf-8")
    assert synthetic.main(["--out", str(tmp_path / "out"), "--size", "tiny", "--seed", "7",
                           "--geography", str(geography)]) == 0
    printed = capsys.readouterr().out
    assert "locations: 30" in printed.replace(",", "")
    readme = (tmp_path / "out" / "README.txt").read_text(encoding="utf-8")
    assert "FICTIONAL" in readme and "seed: 7" in readme
    expected = synthetic.generate(tmp_path / "again", size="tiny", seed=7, geography=GEOGRAPHY)
    assert (tmp_path / "out" / "ONSPD.csv").read_bytes() == (tmp_path / "again" / "ONSPD.csv").read_bytes()
    assert expected["locations"] == 30


@pytest.mark.skipif(not synthetic.GEOGRAPHY_FILE.exists(), reason="the reference geography is not compiled yet")
def test_the_real_geography(tmp_path):
    counts = synthetic.generate(tmp_path, size="small", seed=2026)
    locations, cqc_summary, postcodes, onspd_summary = read_all(tmp_path)
    assert cqc_summary.rejected == 0 and onspd_summary.rejected == 0
    assert len(locations) == counts["locations"] == 300
    import json
    geography = json.loads(synthetic.GEOGRAPHY_FILE.read_text(encoding="utf-8"))
    by_name = {la["name"]: la for la in geography["local_authorities"]}
    for location in locations:
        record = postcodes[location.postcode]
        la = by_name[location.local_authority_name]
        assert record.local_authority_code == la["code"]
        assert location.sub_icb_ons_code == record.sub_icb_code
