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

Contains public sector information licensed under the Open Government
Licence: source Care Quality Commission.
"""
from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Callable, Iterator

__all__ = [
    "CqcLocation", "Rejection", "DirectorySummary", "MissingColumns", "DirectoryEncodingError",
    "CqcDirectoryReader", "read_cqc_directory", "REQUIRED_COLUMNS",
]

MAX_REJECTIONS_KEPT = 1000
SNIFF_BYTES = 1024 * 1024  # how much of the file decides its encoding
MAX_LINE_BYTES = 1024 * 1024  # a directory line is a few KB; a longer one is not a directory row
HEADER_SEARCH_ROWS = 10

REQUIRED_COLUMNS = (
    "Location ID", "Location Name", "Care home?", "Care homes beds", "Location Postal Code",
    "Location Latest Overall Rating", "Provider ID", "Provider Name", "Dormant (Y/N)",
)

_LOCATION_ID = re.compile(r"1-\d{6,12}")
_RATINGS = {r.casefold(): r for r in ("Outstanding", "Good", "Requires improvement", "Inadequate")}
_NOT_RATED = {"", "-", "not yet rated", "not rated", "no rating", "not yet inspected",
              "insufficient evidence to rate"}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # 14/03/2023, as CQC writes dates
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")  # 2023-03-14
_LATITUDE = (49.0, 61.0)
_LONGITUDE = (-9.0, 2.5)
_TOO_LONG = "\0cqc-directory: line too long\0"  # marker row for an over-long line; never real data

# service type name fragments (casefolded) -> kind, in order of precedence after care homes. CQC's
# "Hospital services for people with mental health needs, learning disabilities and problems with
# substance misuse" is a hospital, not a substance misuse service: service types starting with
# "hospital services" never make a location substance_misuse.
_KINDS = (
    ("hospice", ("hospice",)),
    ("substance_misuse", ("substance misuse", "misuse substances")),
    ("home_care", ("domiciliary care", "extra care housing", "supported living")),
)
_NOT_SUBSTANCE_MISUSE = "hospital services"

_ACTIVITY, _SERVICE_TYPE, _USER_BAND = "regulated activity - ", "service type - ", "service user band - "


@dataclass(frozen=True)
class CqcLocation:
    """One registered location, as the directory describes it."""

    location_id: str  # "1-1234567890"
    name: str
    kind: str  # care_home | hospice | substance_misuse | home_care | community
    care_home: bool
    registered_beds: int | None
    telephone: str | None
    website: str | None
    street_address: str
    address_line_2: str | None
    city: str | None
    county: str | None
    postcode: str  # as given, stripped and upper-cased (not normalised)
    latitude: float | None
    longitude: float | None
    local_authority_name: str | None
    region_name: str | None
    sub_icb_ons_code: str | None  # "Location ONSPD CCG Code" (E38...)
    sub_icb_name: str | None
    overall_rating: str | None  # Outstanding | Good | Requires improvement | Inadequate | None
    rating_published: date | None
    inherited_rating: bool
    dormant: bool
    registered_since: date | None
    regulated_activities: tuple[str, ...]  # sorted
    service_types: tuple[str, ...]  # sorted
    service_user_bands: tuple[str, ...]  # sorted
    specialisms: tuple[str, ...]  # sorted
    provider_id: str
    provider_name: str
    brand_id: str | None
    brand_name: str | None
    ownership_type: str | None
    line: int = field(default=0, compare=False)  # physical line of the file where the row starts


@dataclass
class Rejection:
    line: int  # physical line of the file (1-based, preamble included) where the row starts
    location_id: str | None
    reason: str


@dataclass
class DirectorySummary:
    read: int = 0  # data rows read (blank lines aside)
    accepted: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first MAX_REJECTIONS_KEPT
    duplicate_ids: int = 0  # rejected rows repeating an earlier row's location id
    encoding: str | None = None  # utf-8 | utf-8-sig | cp1252 | None (a text file object was given)
    header_line: int | None = None

    def reject(self, line: int, location_id: str | None, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(Rejection(line, location_id, reason))


class MissingColumns(ValueError):
    """The header lacks columns without which the file cannot be used;
    `missing` names them all."""

    def __init__(self, missing: list[str], message: str):
        super().__init__(message)
        self.missing = missing


class DirectoryEncodingError(UnicodeDecodeError):
    """The file is neither UTF-8 nor Windows-1252 throughout. `line` is the
    physical line (1-based) where undecodable bytes were found."""

    def __init__(self, line: int, error: UnicodeDecodeError, message: str):
        super().__init__(error.encoding, error.object, error.start, error.end, error.reason)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return (f"Line {self.line} of the CQC directory {self.message} (byte "
                f"{self.object[self.start]:#04x} at position {self.start + 1}).")


# -- values -------------------------------------------------------------------------
def _key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().casefold()


def _short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _yes_no(value: str, column: str, problems: list[str]) -> bool:
    upper = value.upper()
    if upper == "Y":
        return True
    if upper in ("N", ""):
        return False
    problems.append(f"{column!r} is {_short(value)}, expected Y or N")
    return False


def _date(value: str, column: str, problems: list[str]) -> date | None:
    if not value:
        return None
    match = _DMY.fullmatch(value)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _YMD.fullmatch(value)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 31/02/2023
        pass
    problems.append(f"{column!r} is {_short(value)}, not a date (dd/mm/yyyy)")
    return None


def _coordinate(value: str, column: str, bounds: tuple[float, float], problems: list[str]) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        problems.append(f"{column!r} is {_short(value)}, not a number")
        return None
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        problems.append(f"{column!r} is {_short(value)}, outside the UK ({bounds[0]:g} to {bounds[1]:g})")
        return None
    return number


def _kind(service_types: tuple[str, ...]) -> str:
    """The kind of a location that is not a care home, from its service types."""
    folded = [name.casefold() for name in service_types]
    for kind, fragments in _KINDS:
        for name in folded:
            if kind == "substance_misuse" and name.startswith(_NOT_SUBSTANCE_MISUSE):
                continue
            if any(fragment in name for fragment in fragments):
                return kind
    return "community"


def _optional(value: str) -> str | None:
    return value or None


def _brand(value: str) -> str | None:
    return None if value in ("", "-") else value


# -- the columns --------------------------------------------------------------------
_OPTIONAL_COLUMNS = (
    "Location Telephone Number", "Location Web Address", "Location Street Address", "Location Address Line 2",
    "Location City", "Location County", "Location Latitude", "Location Longitude", "Location Local Authority",
    "Location Region", "Location ONSPD CCG Code", "Location ONSPD CCG", "Publication Date",
    "Inherited Rating (Y/N)", "Location HSCA start date", "Location Specialisms", "Brand ID", "Brand Name",
    "Provider Ownership Type",
)


class _Columns:
    """Where each column the reader uses sits in the header."""

    def __init__(self, header: list[str]):
        self.width = len(header)
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            index.setdefault(_key(name), position)
        missing = [name for name in REQUIRED_COLUMNS if _key(name) not in index]
        if missing:
            raise MissingColumns(
                missing,
                "The CQC directory has no column " + ", ".join(repr(name) for name in missing)
                + ". Is this the CQC care directory (HSCA_Active_Locations) CSV file?")
        self.at = {name: index.get(_key(name)) for name in REQUIRED_COLUMNS + _OPTIONAL_COLUMNS}
        self.flags: dict[str, list[tuple[int, str, str]]] = {_ACTIVITY: [], _SERVICE_TYPE: [], _USER_BAND: []}
        for position, name in enumerate(header):
            key = _key(name)
            if index[key] != position:
                continue  # a repeated column name: the first one counts
            for prefix, found in self.flags.items():
                if key.startswith(prefix):
                    label = name.strip().lstrip("\ufeff").strip()
                    flag_name = label[len(prefix):].strip()
                    if flag_name:
                        found.append((position, flag_name, label))


# -- reading ------------------------------------------------------------------------
class CqcDirectoryReader:
    """An iterator over the accepted locations of a CQC directory file, with
    a summary of what was read (complete once the iteration is). The header
    is checked when the iteration starts. It reads the file once: iterate it
    once."""

    def __init__(self, source: str | os.PathLike | IO[bytes], *,
                 progress: Callable[[int], None] | None = None, progress_every: int = 10_000):
        if progress_every < 1:
            raise ValueError("progress_every must be at least 1")
        self.source = source
        self.progress = progress
        self.progress_every = progress_every
        self.summary = DirectorySummary()
        self._started = False

    def __iter__(self) -> Iterator[CqcLocation]:
        if self._started:
            raise RuntimeError("A CqcDirectoryReader reads its file once; call read_cqc_directory again.")
        self._started = True
        if isinstance(self.source, (str, os.PathLike)):
            with open(self.source, "rb") as file:
                yield from self._records(file)
        else:
            yield from self._records(self.source)

    # -- physical lines, decoded ------------------------------------------------
    @staticmethod
    def _raw_lines(file: IO) -> Iterator[bytes | str | None]:
        """Physical lines (None for one longer than MAX_LINE_BYTES, skipped)."""
        while True:
            line = file.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            newline = b"\n" if isinstance(line, bytes) else "\n"
            if len(line) > MAX_LINE_BYTES and not line.endswith(newline):
                while True:  # skip the rest of it
                    chunk = file.readline(MAX_LINE_BYTES)
                    if not chunk or chunk.endswith(newline):
                        break
                yield None
                continue
            yield line

    def _lines(self, file: IO) -> Iterator[str]:
        raw = self._raw_lines(file)
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
                    raise DirectoryEncodingError(
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
                    raise DirectoryEncodingError(number, error, problem) from None
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
            if any(_key(cell) == "location id" for cell in row):
                header = row
                summary.header_line = line
                break
        if header is None:
            raise MissingColumns(
                list(REQUIRED_COLUMNS),
                f"The CQC directory has no header row (a row with a 'Location ID' column) in its first "
                f"{HEADER_SEARCH_ROWS} rows. Is this the CQC care directory (HSCA_Active_Locations) CSV file?")
        columns = _Columns(header)
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
                summary.reject(line, None, f"unreadable CSV: {error}")
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
                summary.reject(line, None, f"the line is longer than {MAX_LINE_BYTES} bytes")
                continue
            if len(row) != columns.width:
                location_id = row[id_at].strip()[:20] or None if len(row) > id_at else None
                summary.reject(line, location_id,
                               f"the row has {len(row)} fields where the header has {columns.width}")
                continue
            location_id = row[id_at].strip()
            if _LOCATION_ID.fullmatch(location_id):
                first = seen.get(location_id)
                if first is not None:
                    summary.duplicate_ids += 1
                    summary.reject(line, location_id, f"duplicate location id (first on line {first})")
                    continue
                seen[location_id] = line
            problems: list[str] = []
            record = self._location(row, columns, line, problems)
            if problems:
                summary.reject(line, location_id[:20] or None, "; ".join(problems))
                continue
            summary.accepted += 1
            yield record
        if progress is not None and summary.read % every != 0:
            progress(summary.read)

    @staticmethod
    def _location(row: list[str], columns: _Columns, line: int, problems: list[str]) -> CqcLocation | None:
        at = columns.at

        def value(name: str) -> str:
            position = at[name]
            return row[position].strip() if position is not None else ""

        location_id = value("Location ID")
        if not location_id:
            problems.append("the location id is blank")
        elif not _LOCATION_ID.fullmatch(location_id):
            problems.append(f"location id {_short(location_id)} is not a CQC location id "
                            "(1- followed by 6 to 12 digits)")
        name = value("Location Name")
        if not name:
            problems.append("the location name is blank")
        care_home = _yes_no(value("Care home?"), "Care home?", problems)

        beds_text = value("Care homes beds")
        beds = None
        if beds_text:
            try:
                beds = int(beds_text)
            except ValueError:
                problems.append(f"'Care homes beds' is {_short(beds_text)}, not a whole number")
            else:
                if beds < 0:
                    problems.append(f"'Care homes beds' is {beds}, below 0")
        elif care_home:
            problems.append("'Care homes beds' is blank for a care home")

        postcode = value("Location Postal Code").upper()
        if not postcode:
            problems.append("the postcode is blank")
        latitude = _coordinate(value("Location Latitude"), "Location Latitude", _LATITUDE, problems)
        longitude = _coordinate(value("Location Longitude"), "Location Longitude", _LONGITUDE, problems)

        rating_text = value("Location Latest Overall Rating")
        rating = _RATINGS.get(rating_text.casefold())
        if rating is None and rating_text.casefold() not in _NOT_RATED:
            problems.append(f"overall rating {_short(rating_text)} is not a CQC rating "
                            "(Outstanding, Good, Requires improvement, Inadequate)")
        published = _date(value("Publication Date"), "Publication Date", problems)
        inherited = _yes_no(value("Inherited Rating (Y/N)"), "Inherited Rating (Y/N)", problems)
        dormant = _yes_no(value("Dormant (Y/N)"), "Dormant (Y/N)", problems)
        since = _date(value("Location HSCA start date"), "Location HSCA start date", problems)

        flags: dict[str, tuple[str, ...]] = {}
        for prefix, found in columns.flags.items():
            names = []
            for position, flag_name, label in found:
                cell = row[position]
                if cell == "Y":  # the usual cases first: most of a row is these cells
                    names.append(flag_name)
                elif cell != "" and cell != "N" and _yes_no(cell.strip(), label, problems):
                    names.append(flag_name)
            flags[prefix] = tuple(sorted(set(names)))
        specialisms = tuple(sorted({s.strip() for s in value("Location Specialisms").split("|") if s.strip()}))

        provider_id = value("Provider ID")
        if not provider_id:
            problems.append("the provider id is blank")
        provider_name = value("Provider Name")
        if not provider_name:
            problems.append("the provider name is blank")
        if problems:
            return None

        service_types = flags[_SERVICE_TYPE]
        if care_home:
            kind = "care_home"
        else:
            kind = _kind(service_types)

        return CqcLocation(
            location_id=location_id,
            name=name,
            kind=kind,
            care_home=care_home,
            registered_beds=beds,
            telephone=_optional(value("Location Telephone Number")),
            website=_optional(value("Location Web Address")),
            street_address=value("Location Street Address"),
            address_line_2=_optional(value("Location Address Line 2")),
            city=_optional(value("Location City")),
            county=_optional(value("Location County")),
            postcode=postcode,
            latitude=latitude,
            longitude=longitude,
            local_authority_name=_optional(value("Location Local Authority")),
            region_name=_optional(value("Location Region")),
            sub_icb_ons_code=_optional(value("Location ONSPD CCG Code").upper()),
            sub_icb_name=_optional(value("Location ONSPD CCG")),
            overall_rating=rating,
            rating_published=published,
            inherited_rating=inherited,
            dormant=dormant,
            registered_since=since,
            regulated_activities=flags[_ACTIVITY],
            service_types=service_types,
            service_user_bands=flags[_USER_BAND],
            specialisms=specialisms,
            provider_id=provider_id,
            provider_name=provider_name,
            brand_id=_brand(value("Brand ID")),
            brand_name=_brand(value("Brand Name")),
            ownership_type=_optional(value("Provider Ownership Type")),
            line=line,
        )


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
