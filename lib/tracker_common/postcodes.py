"""UK postcodes as people type them.

A postcode is an outward code (the postcode district, "S70") and an inward
code ("1AA"). People type them in any case and with or without the space, so
case and spaces are forgiven; anything else (hyphens, full stops, markup) is
refused with a message in plain English that does not repeat what was typed.

The format checked is the Royal Mail one: the outward code is A9, A99, AA9,
AA99, A9A or AA9A (A a letter, 9 a digit); the inward code is a digit and two
letters other than C, I, K, M, O and V. "GIR 0AA" (the old Girobank postcode)
is accepted too. A well-formed postcode need not exist: whether it does is for
the postcode directory to say.
"""
from __future__ import annotations

import re

__all__ = ["InvalidPostcode", "normalise_postcode", "outcode_of", "parse_postcode_or_outcode"]

MAX_INPUT_LENGTH = 10  # after trimming: "SW1A  1AA " is still a postcode; a sentence is not

OUTWARD = r"(?:[A-Z][0-9]{1,2}|[A-Z]{2}[0-9]{1,2}|[A-Z][0-9][A-Z]|[A-Z]{2}[0-9][A-Z])"
INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"  # no C, I, K, M, O, V
_POSTCODE_RE = re.compile(rf"({OUTWARD})({INWARD})")
_OUTCODE_RE = re.compile(OUTWARD)
_INWARD_RE = re.compile(INWARD)
_SPACES_RE = re.compile(r"\s+")
_ALLOWED_RE = re.compile(r"[A-Za-z0-9\s]*")

_EXAMPLE = "A postcode looks like S70 1AA or SW1A 1AA."


class InvalidPostcode(ValueError):
    """Not a UK postcode. str() is a plain-English message fit to show."""


def _compact(text: str, what: str) -> str:
    """Trimmed, upper case, without spaces; InvalidPostcode for what cannot
    be a postcode whatever its letters (wrong type, too long, other
    characters)."""
    if not isinstance(text, str):
        raise InvalidPostcode(f"Enter a {what}.")
    trimmed = text.strip()
    if not trimmed:
        raise InvalidPostcode(f"Enter a {what}.")
    if len(trimmed) > MAX_INPUT_LENGTH:
        raise InvalidPostcode(f"That is too long to be a {what}. {_EXAMPLE}")
    # ASCII only: str.upper() turns some other letters into ASCII ones ("ſ" -> "S").
    if not trimmed.isascii() or not _ALLOWED_RE.fullmatch(trimmed):
        raise InvalidPostcode(f"A {what} has only letters, numbers and a space. {_EXAMPLE}")
    return _SPACES_RE.sub("", trimmed).upper()


def _postcode_from_compact(compact: str) -> str:
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE_RE.fullmatch(compact)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    if len(compact) < 5:
        raise InvalidPostcode(f"That is too short to be a full postcode. {_EXAMPLE}")
    if len(compact) > 7:
        raise InvalidPostcode(f"That is too long to be a postcode. {_EXAMPLE}")
    if not _INWARD_RE.fullmatch(compact[-3:]):
        raise InvalidPostcode(
            "The last part of a postcode is a number and two letters (never C, I, K, M, O or V), "
            f"like the 1AA of S70 1AA. {_EXAMPLE}")
    raise InvalidPostcode(
        f"The first part of a postcode is one or two letters, then a number, sometimes a second "
        f"number or a letter. {_EXAMPLE}")


def normalise_postcode(text: str) -> str:
    """The postcode in its standard form ("s701aa" -> "S70 1AA").

    Case and spaces are forgiven, nothing else. Raises InvalidPostcode."""
    return _postcode_from_compact(_compact(text, "postcode"))


def outcode_of(postcode: str) -> str:
    """The outward code (postcode district) of a postcode: "S70 1AA" -> "S70".
    The postcode is normalised first (InvalidPostcode if it is not one)."""
    return normalise_postcode(postcode).split(" ", 1)[0]


def parse_postcode_or_outcode(text: str) -> tuple[str, str | None]:
    """A full postcode or just its district, as typed in a search box.

    Returns (outcode, postcode) for a full postcode ("s70 1aa" ->
    ("S70", "S70 1AA")) and (outcode, None) for an outcode ("sw1a" ->
    ("SW1A", None)); "GIR" is the outcode of GIR 0AA. Raises InvalidPostcode
    for anything else."""
    compact = _compact(text, "postcode or postcode district")
    if len(compact) <= 4:
        if _OUTCODE_RE.fullmatch(compact) or compact == "GIR":
            return compact, None
        raise InvalidPostcode(
            "That is not a postcode or postcode district. A postcode district is the first part of "
            f"a postcode, like S70 or SW1A. {_EXAMPLE}")
    postcode = _postcode_from_compact(compact)
    return postcode.split(" ", 1)[0], postcode
