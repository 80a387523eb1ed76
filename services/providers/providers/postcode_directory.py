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

Contains public sector information licensed under the Open Government
Licence: source Office for National Statistics.
"""
from __future__ import annotations

import codecs
import csv
import math
import os
import re
from itertools import chain
from dataclasses import dataclass, field
from typing import IO, Callable, Iterable, Iterator

from .postcodes import _INWARD, _OUTWARD, InvalidPostcode, normalise_postcode

__all__ = [
    "PostcodeRecord", "Rejection", "DirectorySummary", "MissingColumns", "DirectoryEncodingError",
    "DirectoryReader", "read_directory", "outcode_centroids",
]

MAX_REJECTIONS_KEPT = 1000
MAX_LINE_BYTES = 64 * 1024  # an ONSPD line is under 1 KB; a longer one is not a directory row
NO_LATITUDE = 99.999999  # ONS: no grid reference (the longitude is then 0.000000)

_GSS_CODE = re.compile(r"[A-Z][0-9]{8}")
_PSEUDO_CODE = re.compile(r"[A-Z]99999999")


@dataclass(frozen=True, slots=True)
class PostcodeRecord:
    """One live postcode, aligned to the geography."""

    postcode: str  # normalised, "S70 1AA"
    outcode: str  # "S70"
    latitude: float | None  # None: ONS has no coordinates for it
    longitude: float | None
    local_authority_code: str  # the council with adult social care duties: the county, else the district
    district_code: str
    sub_icb_code: str | None
    icb_code: str | None
    nhs_region_code: str | None
    region_code: str | None
    country_code: str | None


@dataclass
class Rejection:
    line: int  # line in the file, 1 being the header
    reason: str
    postcode: str | None


@dataclass
class DirectorySummary:
    read: int = 0
    loaded: int = 0
    terminated: int = 0
    without_coordinates: int = 0
    outside_england: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first MAX_REJECTIONS_KEPT

    def reject(self, line: int, reason: str, postcode: str | None) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(Rejection(line, reason, postcode))


class MissingColumns(ValueError):
    """The header lacks columns without which the file cannot be used."""

    def __init__(self, missing: list[str], message: str):
        super().__init__(message)
        self.missing = missing


class DirectoryEncodingError(UnicodeDecodeError):
    """The file is not UTF-8 (ONS publishes it as ASCII). `line` is the line
    of the file (1 being the header) where undecodable bytes were found."""

    def __init__(self, line: int, error: UnicodeDecodeError):
        super().__init__(error.encoding, error.object, error.start, error.end, error.reason)
        self.line = line

    def __str__(self) -> str:
        return (f"Line {self.line} of the postcode directory is not UTF-8 text (byte "
                f"{self.object[self.start]:#04x} at position {self.start + 1}): is this the ONS CSV file?")


# -- the columns --------------------------------------------------------------------
@dataclass(frozen=True)
class _Column:
    role: str
    names: tuple[str, ...]  # classic names, in order of preference
    vintage: str | None  # prefix of the vintage-suffixed name: "lad" for lad25cd
    required: bool

    def describe(self) -> str:
        names = list(self.names)
        if self.vintage:
            names.append(f"{self.vintage}NNcd (e.g. {self.vintage}25cd)")
        return f"{self.role} (one of {', '.join(names)})" if len(names) > 1 else f"{self.role} ({names[0]})"


_COLUMNS = (
    _Column("postcode", ("pcds", "pcd8", "pcd", "pcd7", "pcd2"), None, True),
    _Column("latitude", ("lat",), None, True),
    _Column("longitude", ("long",), None, True),
    _Column("district", ("oslaua", "laua"), "lad", True),
    _Column("termination date", ("doterm",), None, True),
    _Column("county", ("oscty", "cty"), "cty", False),
    _Column("sub-ICB location", ("sicbl", "ccg"), "sicbl", False),
    _Column("ICB", ("icb",), "icb", False),
    _Column("NHS region", ("nhser",), "nhser", False),
    _Column("region", ("rgn",), "rgn", False),
    _Column("country", ("ctry",), "ctry", False),
)
_VINTAGE = re.compile(r"([a-z]+)([0-9]{2})cd")
_EXTRA_VINTAGES = {"ccg": "sub-ICB location"}  # ccg20cd in the files before sub-ICB locations


def _match_columns(header: list[str]) -> tuple[dict[str, int], list[int]]:
    """Role -> index of its column, plus the indexes of all postcode columns
    in order of preference. MissingColumns if a required one is absent."""
    names = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
    found: dict[str, int] = {}
    postcode_columns: list[int] = []
    for column in _COLUMNS:
        for name in column.names:
            if name in names:
                if column.role == "postcode":
                    postcode_columns.append(names.index(name))
                else:
                    found.setdefault(column.role, names.index(name))
        if column.role not in found and column.role != "postcode":
            prefixes = {column.vintage} | {p for p, role in _EXTRA_VINTAGES.items() if role == column.role}
            candidates = []
            for index, name in enumerate(names):
                match = _VINTAGE.fullmatch(name)
                if match and match.group(1) in prefixes:
                    candidates.append((int(match.group(2)), match.group(1) == column.vintage, -index, index))
            if candidates:  # the latest vintage if there are several
                found[column.role] = max(candidates)[3]
    if postcode_columns:
        found["postcode"] = postcode_columns[0]
    missing = [column for column in _COLUMNS if column.required and column.role not in found]
    if missing:
        raise MissingColumns(
            [column.role for column in missing],
            "The postcode directory has no column for "
            + "; ".join(column.describe() for column in missing)
            + ". Is this the ONS Postcode Directory (ONSPD) or NSPL CSV file?")
    return found, postcode_columns


# -- reading ------------------------------------------------------------------------
_INVALID = object()
_NO_CODE = ("", None)
_CODE_CACHE_SIZE = 50_000  # there are a few thousand codes in a directory, repeated millions of times


def _code(value: str) -> tuple[str, str | None]:
    """(the code as published, upper case; the GSS code or None for blank or
    a pseudo code like "E99999999"). ValueError if it is not a GSS code."""
    published = value.strip().upper()
    if not published:
        return published, None
    if not _GSS_CODE.fullmatch(published):
        raise ValueError(value)
    return published, None if _PSEUDO_CODE.fullmatch(published) else published


def _coordinate(value: str, limit: float, none: float | None = None) -> float | None:
    """Degrees; None for a blank or the value ONS gives for none."""
    value = value.strip()
    if not value:
        return None
    number = float(value)  # ValueError if not a number
    if number == none:
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(value)
    return number


# A postcode already in its standard form, as pcds gives it: no need to normalise.
_STANDARD_POSTCODE = re.compile(rf"({_OUTWARD}) {_INWARD}")
# One CSV field without commas, quotes or line ends, quoted or not.
_PLAIN_FIELD = r'(?:"[^",\r\n]*"|[^",\r\n]*)'


def _fast_row_pattern(width: int, wanted: list[int]) -> re.Pattern:
    """A pattern matching a line of `width` plain fields, capturing the
    wanted ones as groups v<index>. Lines it does not match (a quoted comma,
    an escaped quote, a wrong number of fields...) go to the csv module."""
    parts = []
    for index in range(width):
        if index in wanted:
            parts.append(f'(?P<q{index}>"?)(?P<v{index}>[^",\r\n]*)(?P=q{index})')
        else:
            parts.append(_PLAIN_FIELD)
    return re.compile(",".join(parts) + r"\r?\n?")


class DirectoryReader:
    """An iterator over the live postcodes of a directory file, with a
    summary of what was read (complete once the iteration is). It reads the
    file once: iterate it once."""

    def __init__(self, source: str | os.PathLike | IO[bytes], *, england_only: bool = True,
                 progress: Callable[[int], None] | None = None, progress_every: int = 100_000):
        if progress_every < 1:
            raise ValueError("progress_every must be at least 1")
        self.source = source
        self.england_only = england_only
        self.progress = progress
        self.progress_every = progress_every
        self.summary = DirectorySummary()
        self._started = False

    def __iter__(self) -> Iterator[PostcodeRecord]:
        if self._started:
            raise RuntimeError("A DirectoryReader reads its file once; call read_directory again.")
        self._started = True
        if isinstance(self.source, (str, os.PathLike)):
            with open(self.source, "rb") as file:
                yield from self._records(file)
        else:
            yield from self._records(self.source)

    @staticmethod
    def _lines(file: IO, counter: list[int], too_long: set[int]) -> Iterator[str]:
        """The lines of the file as text, one at a time; counter[0] is the
        number of the last line read. A line longer than any directory row
        is yielded empty and its number put in `too_long`."""
        first = True
        while True:
            line = file.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            counter[0] += 1
            binary = isinstance(line, bytes)
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n" if binary else "\n"):
                while True:  # skip the rest of it
                    rest = file.readline(MAX_LINE_BYTES)
                    if not rest or rest.endswith(b"\n" if binary else "\n"):
                        break
                too_long.add(counter[0])
                first = False
                yield "\n"
                continue
            if binary:
                if first and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8):]
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise DirectoryEncodingError(counter[0], error) from None
            else:  # a text file object: decoded already
                text = line.lstrip("\ufeff") if first else line
            first = False
            yield text

    def _records(self, file: IO) -> Iterator[PostcodeRecord]:
        summary = self.summary
        counter = [0]  # physical lines read so far
        too_long: set[int] = set()
        lines = self._lines(file, counter, too_long)
        try:
            header = next(csv.reader(lines))
        except StopIteration:
            raise MissingColumns([c.role for c in _COLUMNS if c.required],
                                 "The postcode directory file is empty: it has no header row.") from None
        found, postcode_columns = _match_columns(header)
        width = len(header)

        # The values of a row that matter, in this order: the postcode,
        # latitude, longitude, termination date, district, the optional codes
        # present, then the other postcode columns (read only when the first
        # is blank).
        optional = [role for role in ("county", "sub-ICB location", "ICB", "NHS region", "region", "country")
                    if role in found]
        columns = [postcode_columns[0]] + [found[role] for role in (
            "latitude", "longitude", "termination date", "district", *optional)]
        LAT, LON, TERM, DISTRICT = 1, 2, 3, 4
        code_roles = ["district", *optional]
        n_codes = len(code_roles)  # values[DISTRICT:DISTRICT + n_codes] are codes
        # where each code is in the list of a row's codes; a role absent from
        # the file points past its end, at _NO_CODE
        at = {role: code_roles.index(role) if role in code_roles else n_codes for role in (
            "county", "sub-ICB location", "ICB", "NHS region", "region", "country")}
        COUNTY, SUB_ICB, ICB, NHSER, REGION, CTRY = (
            at["county"], at["sub-ICB location"], at["ICB"], at["NHS region"], at["region"], at["country"])
        COUNTRY = DISTRICT + CTRY if "country" in found else None
        other_postcodes = postcode_columns[1:]
        fast = _fast_row_pattern(width, columns).fullmatch
        fast_groups = tuple(f"v{index}" for index in columns)
        columns += other_postcodes
        postcode_column = postcode_columns[0]
        england_only, progress, every = self.england_only, self.progress, self.progress_every
        standard_postcode = _STANDARD_POSTCODE.fullmatch
        reject = summary.reject
        cache: dict[str, object] = {}  # published code -> _code() of it

        def record_of(values, line: int) -> PostcodeRecord | None:
            """The record of a row's values, or None (counted in the summary)."""
            if values[TERM].strip():
                summary.terminated += 1
                return None
            if england_only and COUNTRY is not None:
                country = values[COUNTRY].strip()
                if country and country[0] not in "Ee":
                    summary.outside_england += 1
                    return None

            raw = values[0]
            if other_postcodes and not raw.strip():  # pcds blank: another postcode column
                raw = next((value for value in values[DISTRICT + n_codes:] if value.strip()), raw)
            if standard_postcode(raw):
                postcode = raw
            else:
                try:
                    postcode = normalise_postcode(raw)
                except InvalidPostcode:
                    reject(line, "not a valid postcode", raw.strip()[:20] or None)
                    return None

            try:
                latitude = _coordinate(values[LAT], 90.0, NO_LATITUDE)
            except ValueError:
                reject(line, f"latitude is not a number of degrees: {values[LAT].strip()[:20]!r}", postcode)
                return None
            try:
                longitude = _coordinate(values[LON], 180.0)
            except ValueError:
                reject(line, f"longitude is not a number of degrees: {values[LON].strip()[:20]!r}", postcode)
                return None

            codes = []
            for value in values[DISTRICT:DISTRICT + n_codes]:
                code = cache.get(value)
                if code is None:
                    try:
                        code = _code(value)
                    except ValueError:
                        code = _INVALID
                    if len(cache) >= _CODE_CACHE_SIZE:
                        cache.clear()
                    cache[value] = code
                if code is _INVALID:
                    role = code_roles[len(codes)]
                    reject(line, f"{role} code is not an ONS code: {value.strip()[:20]!r}", postcode)
                    return None
                codes.append(code)
            district = codes[0][0]  # as published, even a pseudo code
            if not district:
                reject(line, "no district code", postcode)
                return None
            codes.append(_NO_CODE)

            if latitude is None or longitude is None:
                latitude = longitude = None
                summary.without_coordinates += 1
            summary.loaded += 1
            return PostcodeRecord(postcode, postcode[:postcode.index(" ")], latitude, longitude,
                                  codes[COUNTY][1] or district, district, codes[SUB_ICB][1], codes[ICB][1],
                                  codes[NHSER][1], codes[REGION][1], codes[CTRY][1])

        for text in lines:
            line = counter[0]  # where the row starts
            match = fast(text)
            if match is not None:  # the usual case: a plain row of the right width
                values = match.group(*fast_groups)
                if other_postcodes and not values[0].strip():
                    values = None  # the first postcode column is blank: read the others too
            else:
                values = None
            if values is None:  # quoted commas, rows over several lines, blank lines, bad rows: csv
                try:
                    row = next(csv.reader(chain((text,), lines)))
                except csv.Error as error:  # a stray carriage return, an unclosed quote...
                    row = error
                if row == [] and line not in too_long:
                    continue  # a blank line
            summary.read += 1
            if progress is not None and summary.read % every == 0:
                progress(summary.read)
            if values is None:
                if isinstance(row, csv.Error):
                    reject(line, f"not a well-formed CSV row ({row})", None)
                    continue
                if line in too_long:
                    reject(line, f"the line is longer than {MAX_LINE_BYTES} bytes", None)
                    continue
                if len(row) != width:
                    reject(line, f"expected {width} fields, found {len(row)}",
                           (row[postcode_column].strip()[:20] or None) if len(row) > postcode_column else None)
                    continue
                values = [row[index] for index in columns]
            record = record_of(values, line)
            if record is not None:
                yield record
        if progress is not None and summary.read % every != 0:
            progress(summary.read)


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
