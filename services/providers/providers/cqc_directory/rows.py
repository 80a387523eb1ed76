"""One row of the CQC care directory, read: the location it describes (or
the problems that reject it). The choices are those the package's docstring
lists; nothing here reads a file."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from .columns import ACTIVITY, SERVICE_TYPE, USER_BAND, Columns

LOCATION_ID = re.compile(r"1-\d{6,12}")  # a CQC location id
_RATINGS = {r.casefold(): r for r in ("Outstanding", "Good", "Requires improvement", "Inadequate")}
_NOT_RATED = {"", "-", "not yet rated", "not rated", "no rating", "not yet inspected",
              "insufficient evidence to rate"}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # 14/03/2023, as CQC writes dates
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")  # 2023-03-14
_LATITUDE = (49.0, 61.0)
_LONGITUDE = (-9.0, 2.5)

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


def read_location(row: list[str], columns: Columns, line: int, problems: list[str]) -> CqcLocation | None:
    """The location a row describes, or None with `problems` saying why not."""
    at = columns.at

    def value(name: str) -> str:
        position = at[name]
        return row[position].strip() if position is not None else ""

    location_id = value("Location ID")
    if not location_id:
        problems.append("the location id is blank")
    elif not LOCATION_ID.fullmatch(location_id):
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

    service_types = flags[SERVICE_TYPE]
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
        regulated_activities=flags[ACTIVITY],
        service_types=service_types,
        service_user_bands=flags[USER_BAND],
        specialisms=specialisms,
        provider_id=provider_id,
        provider_name=provider_name,
        brand_id=_brand(value("Brand ID")),
        brand_name=_brand(value("Brand Name")),
        ownership_type=_optional(value("Provider Ownership Type")),
        line=line,
    )
