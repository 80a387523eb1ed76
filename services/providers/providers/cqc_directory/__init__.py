"""The CQC care directory ("HSCA_Active_Locations", the CSV export of "Care
directory with filters"), read as CQC publishes it: one row per registered
location.

The file is streamed: one physical line (at most MAX_LINE_BYTES) is held at a
time, plus the first SNIFF_BYTES while the encoding is decided, plus the set
of location ids already seen (to refuse duplicates).

    reader = read_cqc_directory("HSCA_Active_Locations.csv")
    for location in reader:
        ...
    reader.summary  # read, accepted, rejected, rejections (the first 1000), duplicate_ids

Every data row read ends up either accepted (yielded) or rejected (with its
physical line, 1-based, preamble included, and a reason in plain English);
duplicate_ids counts the rejected rows whose id an earlier row already had.
Blank lines are skipped and not counted.

Encoding: UTF-8, with or without a byte order mark. Some CQC exports are
Windows-1252: the first SNIFF_BYTES are sniffed, and if they are not UTF-8
the whole file is read as Windows-1252 (cp1252). A file that starts as UTF-8
and stops being so later raises DirectoryEncodingError naming the line, as
does a byte Windows-1252 does not define in a Windows-1252 file.

The header is the first row, within the first HEADER_SEARCH_ROWS rows, that
has a "Location ID" cell: CQC downloads sometimes start with a title row and
a blank row. Column names are matched ignoring case and surrounding
whitespace. The "Regulated activity - ", "Service type - " and "Service user
band - " columns are read generically: the name is whatever follows the
prefix, "Y" means yes, "N" or blank no (case aside), anything else rejects
the row.

Choices worth knowing:
- the overall rating is one of Outstanding, Good, Requires improvement,
  Inadequate (case aside); blank, "-", "Not yet rated", "Not rated", "No
  rating", "Not yet inspected" and "Insufficient evidence to rate" give None;
  anything else rejects the row;
- dates are dd/mm/yyyy (also yyyy-mm-dd); blank gives None;
- latitude and longitude are checked separately (blank gives None, each
  must lie in the UK: latitude 49 to 61, longitude -9 to 2.5);
- "Care homes beds" must be a whole number >= 0 for a care home; for other
  locations blank gives None and a number is kept;
- kind: care_home if "Care home?" is Y; else hospice if a service type
  naming "hospice" is Y; else substance_misuse if one naming "substance
  misuse" or "misuse substances" is Y (the hospital service type that
  mentions substance misuse does not count); else home_care if domiciliary
  care, extra care housing or supported living is Y; else community;
- specialisms (pipe-separated) are stripped, de-duplicated and sorted, like
  the activity, service type and user band names;
- a duplicate location id is rejected even when the first row with that id
  was itself rejected for another reason: the file is ambiguous about it;
- telephone numbers, web addresses and postcodes are kept as given (postcode
  stripped and upper-cased): normalising them is the importer's job.

The package: columns (the columns used, found in the header), rows (a row
read into a CqcLocation, or the problems that reject it), and here the
reader (lines, encoding, header, rows); directory_reader holds what it
shares with the postcode directory's reader.

Contains public sector information licensed under the Open Government
Licence: source Care Quality Commission.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator

from ..directory_reader import (DirectoryEncodingError, DirectorySummary, MissingColumns, Rejection,
                                StreamedReader, physical_lines)
from .columns import REQUIRED_COLUMNS, Columns, column_key
from .rows import LOCATION_ID, CqcLocation, read_location

__all__ = [
    "CqcLocation", "CqcRejection", "CqcSummary", "Rejection", "DirectorySummary", "MissingColumns",
    "DirectoryEncodingError", "CqcDirectoryReader", "read_cqc_directory", "REQUIRED_COLUMNS",
]

SNIFF_BYTES = 1024 * 1024  # how much of the file decides its encoding
MAX_LINE_BYTES = 1024 * 1024  # a directory line is a few KB; a longer one is not a directory row
HEADER_SEARCH_ROWS = 10
_TOO_LONG = "\0cqc-directory: line too long\0"  # marker row for an over-long line; never real data


@dataclass
class CqcRejection(Rejection):
    location_id: str | None  # as the row gave it (cut to 20 characters), None when blank


@dataclass
class CqcSummary(DirectorySummary):
    read: int = 0  # data rows read (blank lines aside)
    accepted: int = 0
    rejected: int = 0
    rejections: list[CqcRejection] = field(default_factory=list)  # the first MAX_REJECTIONS_KEPT
    duplicate_ids: int = 0  # rejected rows repeating an earlier row's location id
    encoding: str | None = None  # utf-8 | utf-8-sig | cp1252 | None (a text file object was given)
    header_line: int | None = None


def _encoding_error(line: int, error: UnicodeDecodeError, message: str) -> DirectoryEncodingError:
    return DirectoryEncodingError(line, error, message, directory="CQC directory", ending=".")


class CqcDirectoryReader(StreamedReader):
    """An iterator over the accepted locations of a CQC directory file, with
    a summary of what was read (complete once the iteration is). The header
    is checked when the iteration starts. It reads the file once: iterate it
    once."""

    again = "read_cqc_directory"

    def __init__(self, source: str | os.PathLike | IO[bytes], *,
                 progress: Callable[[int], None] | None = None, progress_every: int = 10_000):
        super().__init__(source, CqcSummary(), progress=progress, progress_every=progress_every)

    # -- physical lines, decoded ------------------------------------------------
    def _lines(self, file: IO) -> Iterator[str]:
        raw = physical_lines(file, MAX_LINE_BYTES)
        head: list[bytes | str | None] = []
        size = 0
        for line in raw:
            head.append(line)
            size += len(line) if line is not None else MAX_LINE_BYTES
            if size >= SNIFF_BYTES:
                break
        if not head:
            return
        if any(isinstance(line, str) for line in head):  # a text file object: decoded already
            self.summary.encoding = None
            for line in head:
                yield _TOO_LONG + "\n" if line is None else line
            for line in raw:
                yield _TOO_LONG + "\n" if line is None else line
            return

        encoding = "utf-8"
        bom = head[0] is not None and head[0].startswith(b"\xef\xbb\xbf")
        for number, line in enumerate(head, 1):
            if line is None or line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                if bom:
                    raise _encoding_error(
                        number, error, "is not UTF-8 text, though the file starts with a UTF-8 byte order mark"
                    ) from None
                encoding = "cp1252"
                break
        self.summary.encoding = "utf-8-sig" if bom else encoding
        if encoding == "utf-8":
            problem = "is not UTF-8 text, though the start of the file is: is the file damaged?"
        else:
            problem = "is neither UTF-8 nor Windows-1252 text: is this the CQC CSV file?"

        number = 0
        for source in (head, raw):
            for line in source:
                number += 1
                if line is None:
                    yield _TOO_LONG + "\n"
                    continue
                if line.isascii():
                    yield line.decode("ascii")
                    continue
                try:
                    text = line.decode(encoding)
                except UnicodeDecodeError as error:
                    raise _encoding_error(number, error, problem) from None
                if number == 1 and bom:
                    text = text[1:]
                yield text

    # -- rows -------------------------------------------------------------------
    def _records(self, file: IO) -> Iterator[CqcLocation]:
        summary = self.summary
        reader = csv.reader(self._lines(file))
        last_line = 0
        header = None
        for _ in range(HEADER_SEARCH_ROWS):
            try:
                row = next(reader)
            except StopIteration:
                break
            line, last_line = last_line + 1, reader.line_num
            if any(column_key(cell) == "location id" for cell in row):
                header = row
                summary.header_line = line
                break
        if header is None:
            raise MissingColumns(
                list(REQUIRED_COLUMNS),
                f"The CQC directory has no header row (a row with a 'Location ID' column) in its first "
                f"{HEADER_SEARCH_ROWS} rows. Is this the CQC care directory (HSCA_Active_Locations) CSV file?")
        columns = Columns(header)
        id_at = columns.at["Location ID"]
        seen: dict[str, int] = {}
        progress, every = self.progress, self.progress_every

        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:  # e.g. a quoted field over csv's field size limit
                line, last_line = last_line + 1, reader.line_num
                summary.read += 1
                summary.reject(CqcRejection(line, f"unreadable CSV: {error}", None))
                if progress is not None and summary.read % every == 0:
                    progress(summary.read)
                continue
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            summary.read += 1
            if progress is not None and summary.read % every == 0:
                progress(summary.read)
            if len(row) == 1 and row[0] == _TOO_LONG:
                summary.reject(CqcRejection(line, f"the line is longer than {MAX_LINE_BYTES} bytes", None))
                continue
            if len(row) != columns.width:
                location_id = row[id_at].strip()[:20] or None if len(row) > id_at else None
                summary.reject(CqcRejection(
                    line, f"the row has {len(row)} fields where the header has {columns.width}", location_id))
                continue
            location_id = row[id_at].strip()
            if LOCATION_ID.fullmatch(location_id):
                first = seen.get(location_id)
                if first is not None:
                    summary.duplicate_ids += 1
                    summary.reject(CqcRejection(line, f"duplicate location id (first on line {first})",
                                                location_id))
                    continue
                seen[location_id] = line
            problems: list[str] = []
            record = read_location(row, columns, line, problems)
            if problems:
                summary.reject(CqcRejection(line, "; ".join(problems), location_id[:20] or None))
                continue
            summary.accepted += 1
            yield record



def read_cqc_directory(path_or_binary_file: str | os.PathLike | IO[bytes], *,
                       progress: Callable[[int], None] | None = None,
                       progress_every: int = 10_000) -> CqcDirectoryReader:
    """The locations of a CQC care directory CSV file (a path or a binary
    file object), streamed. Malformed and duplicate rows are skipped and
    recorded in the reader's `summary`. The header is checked when the
    iteration starts (MissingColumns); undecodable text raises
    DirectoryEncodingError at its line. `progress` is called with the number
    of rows read every `progress_every` rows, and once at the end."""
    return CqcDirectoryReader(path_or_binary_file, progress=progress, progress_every=progress_every)

