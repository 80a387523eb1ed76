"""The columns of the CQC care directory the reader uses, and where each one
sits in a file's header (names matched ignoring case and surrounding
whitespace; a repeated name: the first one counts)."""
from __future__ import annotations

from ..directory_reader import MissingColumns

REQUIRED_COLUMNS = (
    "Location ID", "Location Name", "Care home?", "Care homes beds", "Location Postal Code",
    "Location Latest Overall Rating", "Provider ID", "Provider Name", "Dormant (Y/N)",
)
OPTIONAL_COLUMNS = (
    "Location Telephone Number", "Location Web Address", "Location Street Address", "Location Address Line 2",
    "Location City", "Location County", "Location Latitude", "Location Longitude", "Location Local Authority",
    "Location Region", "Location ONSPD CCG Code", "Location ONSPD CCG", "Publication Date",
    "Inherited Rating (Y/N)", "Location HSCA start date", "Location Specialisms", "Brand ID", "Brand Name",
    "Provider Ownership Type",
)
# The prefixes of the columns read generically: "Regulated activity - Personal care" is the flag
# of the activity "Personal care".
ACTIVITY, SERVICE_TYPE, USER_BAND = "regulated activity - ", "service type - ", "service user band - "


def column_key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().casefold()


class Columns:
    """Where each column the reader uses sits in the header."""

    def __init__(self, header: list[str]):
        self.width = len(header)
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            index.setdefault(column_key(name), position)
        missing = [name for name in REQUIRED_COLUMNS if column_key(name) not in index]
        if missing:
            raise MissingColumns(
                missing,
                "The CQC directory has no column " + ", ".join(repr(name) for name in missing)
                + ". Is this the CQC care directory (HSCA_Active_Locations) CSV file?")
        self.at = {name: index.get(column_key(name)) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
        self.flags: dict[str, list[tuple[int, str, str]]] = {ACTIVITY: [], SERVICE_TYPE: [], USER_BAND: []}
        for position, name in enumerate(header):
            key = column_key(name)
            if index[key] != position:
                continue  # a repeated column name: the first one counts
            for prefix, found in self.flags.items():
                if key.startswith(prefix):
                    label = name.strip().lstrip("\ufeff").strip()
                    flag_name = label[len(prefix):].strip()
                    if flag_name:
                        found.append((position, flag_name, label))
