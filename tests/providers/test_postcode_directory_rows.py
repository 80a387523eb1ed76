"""Reading the ONS Postcode Directory (ONSPD) and the NSPL as published:
malformed rows, bytes and line ends, progress, and a large file streamed."""

import csv
import io
import time
import tracemalloc
from dataclasses import asdict

import pytest

from providers.postcode_directory import (
    DirectoryEncodingError, DirectoryReader, DirectorySummary, Rejection, outcode_centroids, read_directory,
)

from .onspd_files import (
    ONSPD_HEADER, ONSPD_2025_HEADER, BARNSLEY, BARNSLEY_2, ASHFORD, EDINBURGH, TERMINATED, NO_COORDINATES,
    row_for, write_csv, write_directory, read_all, PLACES,
)


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


@pytest.mark.slow
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
