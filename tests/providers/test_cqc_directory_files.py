"""The CQC care directory reader: encodings, layouts, bad rows and large
files. Real-format files built in tmp_path, with fictional locations."""
from __future__ import annotations

import time
import tracemalloc

import pytest

from providers import cqc_directory
from providers.cqc_directory import DirectoryEncodingError, read_cqc_directory

from .cqc_files import HEADER, make_row, care_home, csv_text, write, read_all, reasons


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


# -- streaming -------------------------------------------------------------------------------
@pytest.mark.slow
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
