"""A row of the postcode directory, read: the live postcode it gives, or why
it is not one (terminated, outside England, rejected with a reason), counted
in the reader's summary. The hot path of an import of millions of rows."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from tracker_common.postcodes import INWARD, OUTWARD, InvalidPostcode, normalise_postcode

from ..directory_reader import DirectorySummary, Rejection
from .columns import Layout

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
class PostcodeRejection(Rejection):
    postcode: str | None  # the row's postcode (cut to 20 characters), None when it has none


@dataclass
class PostcodeSummary(DirectorySummary):
    read: int = 0
    loaded: int = 0
    terminated: int = 0
    without_coordinates: int = 0
    outside_england: int = 0
    rejected: int = 0
    rejections: list[PostcodeRejection] = field(default_factory=list)  # the first MAX_REJECTIONS_KEPT


_INVALID = object()
NO_CODE = ("", None)
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
_STANDARD_POSTCODE = re.compile(rf"({OUTWARD}) {INWARD}")


def read_record(layout: Layout, values, line: int, summary: PostcodeSummary, cache: dict,
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
        summary.reject(PostcodeRejection(
            line, f"{error.args[0]} is not a number of degrees: {error.args[1].strip()[:20]!r}", postcode))
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


def _postcode(layout: Layout, values, line: int, summary: PostcodeSummary) -> str | None:
    raw = values[0]
    if layout.other_postcodes and not raw.strip():  # pcds blank: another postcode column
        raw = next((value for value in values[layout.DISTRICT + layout.n_codes:] if value.strip()), raw)
    if _STANDARD_POSTCODE.fullmatch(raw):
        return raw
    try:
        return normalise_postcode(raw)
    except InvalidPostcode:
        summary.reject(PostcodeRejection(line, "not a valid postcode", raw.strip()[:20] or None))
        return None


def _codes(layout: Layout, values, line: int, summary: PostcodeSummary, cache: dict,
           postcode: str) -> list | None:
    """[(published, code or None)] for the district and the optional codes,
    then NO_CODE; None if one is not an ONS code or the district is blank."""
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
            summary.reject(PostcodeRejection(line, f"{role} code is not an ONS code: {value.strip()[:20]!r}",
                                             postcode))
            return None
        codes.append(code)
    if not codes[0][0]:
        summary.reject(PostcodeRejection(line, "no district code", postcode))
        return None
    codes.append(NO_CODE)
    return codes
