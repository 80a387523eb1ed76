"""The ONS Postcode Directory (ONSPD), or the National Statistics Postcode
Lookup (NSPL), read as published: one CSV row per postcode.

The file (about 2.7 million rows, over 1 GB) is streamed: one line at a time
is held, whatever its size. Both the classic column names (pcds, oslaua,
oscty, ccg/sicbl, ...) and the vintage-suffixed names of the 2020s files
(lad25cd, cty25cd, sicbl24cd, ...) are understood, in any case.

    reader = read_directory("ONSPD_FEB_2025_UK.csv")
    for record in reader:
        ...
    reader.summary  # read, loaded, terminated, without coordinates, outside England, rejected

Every data row read ends up in exactly one of loaded, terminated,
outside_england and rejected; without_coordinates counts the loaded
postcodes that have no coordinates (yielded with latitude/longitude None).

The package: columns (the columns found in the header, a row's layout), rows
(a row's values read into a PostcodeRecord, or counted as skipped or
rejected), and here the reader (lines, bytes, CSV); directory_reader holds
what it shares with the CQC directory's reader.

Contains public sector information licensed under the Open Government
Licence: source Office for National Statistics.
"""
from __future__ import annotations

import codecs
import csv
import os
from itertools import chain
from typing import IO, Callable, Iterable, Iterator

from ..directory_reader import (DirectoryEncodingError, DirectorySummary, MissingColumns, Rejection,
                                StreamedReader, physical_lines)
from .columns import COLUMNS, Layout
from .rows import NO_LATITUDE, PostcodeRecord, PostcodeRejection, PostcodeSummary, read_record

__all__ = [
    "PostcodeRecord", "PostcodeRejection", "PostcodeSummary", "Rejection", "DirectorySummary", "MissingColumns",
    "DirectoryEncodingError", "DirectoryReader", "read_directory", "outcode_centroids", "NO_LATITUDE",
]

MAX_LINE_BYTES = 64 * 1024  # an ONSPD line is under 1 KB; a longer one is not a directory row
_BLANK = object()


class DirectoryReader(StreamedReader):
    """An iterator over the live postcodes of a directory file, with a
    summary of what was read (complete once the iteration is). It reads the
    file once: iterate it once."""

    again = "read_directory"

    def __init__(self, source: str | os.PathLike | IO[bytes], *, england_only: bool = True,
                 progress: Callable[[int], None] | None = None, progress_every: int = 100_000):
        super().__init__(source, PostcodeSummary(), progress=progress, progress_every=progress_every)
        self.england_only = england_only

    @staticmethod
    def _lines(file: IO, counter: list[int], too_long: set[int]) -> Iterator[str]:
        """The lines of the file as text, one at a time; counter[0] is the
        number of the last line read. A line longer than any directory row
        is yielded empty and its number put in `too_long`."""
        first = True
        for line in physical_lines(file, MAX_LINE_BYTES):
            counter[0] += 1
            if line is None:
                too_long.add(counter[0])
                first = False
                yield "\n"
                continue
            if isinstance(line, bytes):
                if first and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8):]
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise DirectoryEncodingError(
                        counter[0], error, "is not UTF-8 text", directory="postcode directory",
                        ending=": is this the ONS CSV file?") from None
            else:  # a text file object: decoded already
                text = line.lstrip("\ufeff") if first else line
            first = False
            yield text

    def _records(self, file: IO) -> Iterator[PostcodeRecord]:
        counter = [0]  # physical lines read so far
        too_long: set[int] = set()
        lines = self._lines(file, counter, too_long)
        try:
            header = next(csv.reader(lines))
        except StopIteration:
            raise MissingColumns([c.role for c in COLUMNS if c.required],
                                 "The postcode directory file is empty: it has no header row.") from None
        layout = Layout(header)
        yield from self._rows(lines, counter, too_long, layout)

    def _rows(self, lines: Iterator[str], counter: list[int], too_long: set[int],
              layout: Layout) -> Iterator[PostcodeRecord]:
        # (Kept short: the hot loop of an import of millions of rows.)
        summary, progress, every, england_only = self.summary, self.progress, self.progress_every, self.england_only
        fast, fast_groups, blank_postcode = layout.fast, layout.fast_groups, layout.blank_postcode
        cache: dict[str, object] = {}  # published code -> _code() of it
        for text in lines:
            line = counter[0]  # where the row starts
            match = fast(text)
            values = match.group(*fast_groups) if match is not None else None
            if values is None or blank_postcode(values):
                values = self._parsed(text, lines, line, too_long, layout)
                if values is _BLANK:
                    continue
            summary.read += 1
            if progress is not None and summary.read % every == 0:
                progress(summary.read)
            if values is not None:
                record = read_record(layout, values, line, summary, cache, england_only)
                if record is not None:
                    yield record

    def _parsed(self, text: str, lines: Iterator[str], line: int, too_long: set[int], layout: Layout):
        """The values of a row the fast pattern did not read (quoted commas,
        rows over several lines, blank lines, bad rows), by the csv module:
        _BLANK for a blank line, None for a rejected row."""
        try:
            row = next(csv.reader(chain((text,), lines)))
        except csv.Error as error:  # a stray carriage return, an unclosed quote...
            self.summary.reject(PostcodeRejection(line, f"not a well-formed CSV row ({error})", None))
            return None
        if line in too_long:
            self.summary.reject(PostcodeRejection(line, f"the line is longer than {MAX_LINE_BYTES} bytes",
                                                  None))
            return None
        if not row:
            return _BLANK
        if len(row) != layout.width:
            postcode = row[layout.postcode_column].strip()[:20] or None if len(row) > layout.postcode_column else None
            self.summary.reject(PostcodeRejection(line, f"expected {layout.width} fields, found {len(row)}",
                                                  postcode))
            return None
        return [row[index] for index in layout.columns]


def read_directory(path_or_file: str | os.PathLike | IO[bytes], *, england_only: bool = True,
                   progress: Callable[[int], None] | None = None,
                   progress_every: int = 100_000) -> DirectoryReader:
    """The live postcodes of an ONSPD/NSPL CSV file (a path or a binary file
    object), streamed. Terminated postcodes are skipped, and with
    england_only those of a country other than England; malformed rows are
    skipped and recorded in the reader's `summary`. The header is checked
    when the iteration starts (MissingColumns); a file that is not UTF-8
    raises DirectoryEncodingError at the line where it stops being so.
    `progress` is called with the number of rows read every `progress_every`
    rows, and once at the end."""
    return DirectoryReader(path_or_file, england_only=england_only, progress=progress,
                           progress_every=progress_every)


def outcode_centroids(records: Iterable[PostcodeRecord]) -> dict[str, tuple[float, float, int]]:
    """Outcode -> (mean latitude, mean longitude, number of postcodes with
    coordinates), over the postcodes that have coordinates."""
    sums: dict[str, list] = {}
    for record in records:
        if record.latitude is None or record.longitude is None:
            continue
        entry = sums.get(record.outcode)
        if entry is None:
            sums[record.outcode] = [record.latitude, record.longitude, 1]
        else:
            entry[0] += record.latitude
            entry[1] += record.longitude
            entry[2] += 1
    return {outcode: (lat / n, lon / n, n) for outcode, (lat, lon, n) in sums.items()}

