"""Where the postcode directory's values are in its rows: the columns the
reader needs (classic names, or vintage-suffixed ones like lad25cd, in any
case) found in the header, and the layout of a row it reads."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..directory_reader import MissingColumns


@dataclass(frozen=True)
class Column:
    role: str
    names: tuple[str, ...]  # classic names, in order of preference
    vintage: str | None  # prefix of the vintage-suffixed name: "lad" for lad25cd
    required: bool

    def describe(self) -> str:
        names = list(self.names)
        if self.vintage:
            names.append(f"{self.vintage}NNcd (e.g. {self.vintage}25cd)")
        return f"{self.role} (one of {', '.join(names)})" if len(names) > 1 else f"{self.role} ({names[0]})"


COLUMNS = (
    Column("postcode", ("pcds", "pcd8", "pcd", "pcd7", "pcd2"), None, True),
    Column("latitude", ("lat",), None, True),
    Column("longitude", ("long",), None, True),
    Column("district", ("oslaua", "laua"), "lad", True),
    Column("termination date", ("doterm",), None, True),
    Column("county", ("oscty", "cty"), "cty", False),
    Column("sub-ICB location", ("sicbl", "ccg"), "sicbl", False),
    Column("ICB", ("icb",), "icb", False),
    Column("NHS region", ("nhser",), "nhser", False),
    Column("region", ("rgn",), "rgn", False),
    Column("country", ("ctry",), "ctry", False),
)
_VINTAGE = re.compile(r"([a-z]+)([0-9]{2})cd")
_EXTRA_VINTAGES = {"ccg": "sub-ICB location"}  # ccg20cd in the files before sub-ICB locations


def _match_columns(header: list[str]) -> tuple[dict[str, int], list[int]]:
    """Role -> index of its column, plus the indexes of all postcode columns
    in order of preference. MissingColumns if a required one is absent."""
    names = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
    found: dict[str, int] = {}
    postcode_columns: list[int] = []
    for column in COLUMNS:
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
    missing = [column for column in COLUMNS if column.required and column.role not in found]
    if missing:
        raise MissingColumns(
            [column.role for column in missing],
            "The postcode directory has no column for "
            + "; ".join(column.describe() for column in missing)
            + ". Is this the ONS Postcode Directory (ONSPD) or NSPL CSV file?")
    return found, postcode_columns



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


class Layout:
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
        # does not have points past its end, at rows.NO_CODE.
        at = {role: self.code_roles.index(role) if role in self.code_roles else self.n_codes
              for role in ("county", "sub-ICB location", "ICB", "NHS region", "region", "country")}
        self.county, self.sub_icb, self.icb, self.nhser, self.region, self.ctry = at.values()
        self.country = self.DISTRICT + self.ctry if "country" in found else None

    def blank_postcode(self, values) -> bool:
        """The first postcode column is blank and there are others to read."""
        return self.other_postcodes and not values[0].strip()
