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
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Callable, Iterable, Iterator

from tracker_common.postcodes import _INWARD, _OUTWARD, InvalidPostcode, normalise_postcode

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
    """The header lacks columns without which the file cannot be used.
    `missing` names them ("postcode", "latitude", "longitude", "district",
    "termination date"); the message says which column names are accepted."""

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


def _coordinate(value: str, name: str, limit: float, none: float | None = None) -> float | None:
    """Degrees; None for a blank or the value ONS gives for none.
    ValueError(name, value) if it is not a number of degrees within limit."""
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if number == none:
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(name, value)
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
        counter = [0]  # physical lines read so far
        too_long: set[int] = set()
        lines = self._lines(file, counter, too_long)
        try:
            header = next(csv.reader(lines))
        except StopIteration:
            raise MissingColumns([c.role for c in _COLUMNS if c.required],
                                 "The postcode directory file is empty: it has no header row.") from None
        layout = _Layout(header)
        yield from self._rows(lines, counter, too_long, layout)
        if self.progress is not None and self.summary.read % self.progress_every != 0:
            self.progress(self.summary.read)

    def _rows(self, lines: Iterator[str], counter: list[int], too_long: set[int],
              layout: _Layout) -> Iterator[PostcodeRecord]:
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
                record = _record(layout, values, line, summary, cache, england_only)
                if record is not None:
                    yield record

    def _parsed(self, text: str, lines: Iterator[str], line: int, too_long: set[int], layout: _Layout):
        """The values of a row the fast pattern did not read (quoted commas,
        rows over several lines, blank lines, bad rows), by the csv module:
        _BLANK for a blank line, None for a rejected row."""
        try:
            row = next(csv.reader(chain((text,), lines)))
        except csv.Error as error:  # a stray carriage return, an unclosed quote...
            self.summary.reject(line, f"not a well-formed CSV row ({error})", None)
            return None
        if line in too_long:
            self.summary.reject(line, f"the line is longer than {MAX_LINE_BYTES} bytes", None)
            return None
        if not row:
            return _BLANK
        if len(row) != layout.width:
            postcode = row[layout.postcode_column].strip()[:20] or None if len(row) > layout.postcode_column else None
            self.summary.reject(line, f"expected {layout.width} fields, found {len(row)}", postcode)
            return None
        return [row[index] for index in layout.columns]


_BLANK = object()


class _Layout:
    """Where the values that matter are in the rows under a header.

    The values of a row are, in this order: the postcode, latitude,
    longitude, termination date, district, the optional codes the file
    has, then the other postcode columns (read only when the first is blank).
    """

    LAT, LON, TERM, DISTRICT = 1, 2, 3, 4

    def __init__(self, header: list[str]):
        found, postcode_columns = _match_columns(header)
        self.width = len(header)
        optional = [role for role in ("county", "sub-ICB location", "ICB", "NHS region", "region", "country")
                    if role in found]
        self.code_roles = ["district", *optional]
        self.n_codes = len(self.code_roles)  # values[DISTRICT:DISTRICT + n_codes] are codes
        columns = [postcode_columns[0]] + [found[role] for role in (
            "latitude", "longitude", "termination date", "district", *optional)]
        self.fast = _fast_row_pattern(self.width, columns).fullmatch
        self.fast_groups = tuple(f"v{index}" for index in columns)
        self.columns = columns + postcode_columns[1:]
        self.postcode_column = postcode_columns[0]
        self.other_postcodes = len(postcode_columns) > 1
        # Where each code is in the list of a row's codes; a role the file
        # does not have points past its end, at _NO_CODE.
        at = {role: self.code_roles.index(role) if role in self.code_roles else self.n_codes
              for role in ("county", "sub-ICB location", "ICB", "NHS region", "region", "country")}
        self.county, self.sub_icb, self.icb, self.nhser, self.region, self.ctry = at.values()
        self.country = self.DISTRICT + self.ctry if "country" in found else None

    def blank_postcode(self, values) -> bool:
        """The first postcode column is blank and there are others to read."""
        return self.other_postcodes and not values[0].strip()


def _record(layout: _Layout, values, line: int, summary: DirectorySummary, cache: dict,
            england_only: bool) -> PostcodeRecord | None:
    """The record of a row's values, or None (counted in the summary)."""
    if values[layout.TERM].strip():
        summary.terminated += 1
        return None
    if england_only and layout.country is not None:
        country = values[layout.country].strip()
        if country and country[0] not in "Ee":
            summary.outside_england += 1
            return None
    postcode = _postcode(layout, values, line, summary)
    if postcode is None:
        return None
    try:
        latitude = _coordinate(values[layout.LAT], "latitude", 90.0, NO_LATITUDE)
        longitude = _coordinate(values[layout.LON], "longitude", 180.0)
    except ValueError as error:
        summary.reject(line, f"{error.args[0]} is not a number of degrees: {error.args[1].strip()[:20]!r}",
                       postcode)
        return None
    codes = _codes(layout, values, line, summary, cache, postcode)
    if codes is None:
        return None
    district = codes[0][0]  # as published, even a pseudo code
    if latitude is None or longitude is None:
        latitude = longitude = None
        summary.without_coordinates += 1
    summary.loaded += 1
    return PostcodeRecord(postcode, postcode[:postcode.index(" ")], latitude, longitude,
                          codes[layout.county][1] or district, district, codes[layout.sub_icb][1],
                          codes[layout.icb][1], codes[layout.nhser][1], codes[layout.region][1],
                          codes[layout.ctry][1])


def _postcode(layout: _Layout, values, line: int, summary: DirectorySummary) -> str | None:
    raw = values[0]
    if layout.other_postcodes and not raw.strip():  # pcds blank: another postcode column
        raw = next((value for value in values[layout.DISTRICT + layout.n_codes:] if value.strip()), raw)
    if _STANDARD_POSTCODE.fullmatch(raw):
        return raw
    try:
        return normalise_postcode(raw)
    except InvalidPostcode:
        summary.reject(line, "not a valid postcode", raw.strip()[:20] or None)
        return None


def _codes(layout: _Layout, values, line: int, summary: DirectorySummary, cache: dict,
           postcode: str) -> list | None:
    """[(published, code or None)] for the district and the optional codes,
    then _NO_CODE; None if one is not an ONS code or the district is blank."""
    codes = []
    for value in values[layout.DISTRICT:layout.DISTRICT + layout.n_codes]:
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
            role = layout.code_roles[len(codes)]
            summary.reject(line, f"{role} code is not an ONS code: {value.strip()[:20]!r}", postcode)
            return None
        codes.append(code)
    if not codes[0][0]:
        summary.reject(line, "no district code", postcode)
        return None
    codes.append(_NO_CODE)
    return codes


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
