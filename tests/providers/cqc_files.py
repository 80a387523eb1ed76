"""CQC care directory files for the reader's tests: a realistic header,
fictional locations, and files written from them in the real format (CRLF)."""
from __future__ import annotations

import csv
import io

from providers.cqc_directory import read_cqc_directory


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
