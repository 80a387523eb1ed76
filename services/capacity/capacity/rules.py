"""The rules of the returns that need the location's facts or look across
fields (DOMAIN.md, "Capacity return"). Plain functions, no I/O.

The request schemas (`tracker_common.contracts.capacity`) have already
checked each field on its own; these functions take their loaded output.
Each refusal names every broken rule at once, in the shape of marshmallow's
normalized messages: a field's messages are a list of strings, entries of a
list are keyed by their index in the request, and messages about a whole
list that also has entry errors go under "_schema" (as marshmallow merges
them). Messages about the return as a whole are under "_schema"."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import re

from marshmallow.error_store import merge_errors

from tracker_common.contracts.capacity import MAX_BEDS
from tracker_common.contracts.vocabulary import LONG_TERM_VACANCY_TYPES, NOT_AVAILABLE_REASONS, SHORT_STAY_SERVICES

MINIMUM_WEEKLY_PRICE = Decimal("100")  # a weekly price must be ABOVE this (exactly £100 is refused)
PENNIES = Decimal("0.01")
TENTHS = Decimal("0.1")

FIGURES = ("maximum_capacity", "occupied", "vacant_reserved", "vacant_accepting", "vacant_not_available")
VACANT = ("vacant_reserved", "vacant_accepting", "vacant_not_available")
STAFF_GROUPS = ("registered_nurses", "care_staff", "non_care_staff")
STAFF_FIGURES = ("total_employed", "visa_holders_own_sponsor", "absent_covid", "absent_other")
TOP_LEVEL = "_schema"


@dataclass(frozen=True)
class LocationFacts:
    """What the rules need to know of a location (capacity's copy of its profile)."""

    location_id: str
    kind: str                                 # care_home, home_care, ... (vocabulary.LOCATION_KINDS)
    long_term_vacancy_types: tuple[str, ...]  # what the location offers (from its profile)
    short_stay_services: tuple[str, ...]      # () = not provided
    registered_beds: int | None               # CQC registered beds (None: unknown)


class ReturnRefused(Exception):
    """A return breaks the rules. `errors` names every bad field, nested like
    marshmallow's normalized messages, e.g.
    {"vacancies": {0: {"occupied": ["..."]}}, "short_stay_prices": {"respite_care": ["..."]}}."""

    def __init__(self, errors: dict):
        super().__init__(f"The return breaks the rules: {errors}")
        self.errors = errors


class _Errors:
    """Collects messages by path, merged the way marshmallow merges them."""

    def __init__(self):
        self.messages: dict = {}

    def add(self, message: str, *path) -> None:
        nested: dict | list = [message]
        for key in reversed(path):
            nested = {key: nested}
        self.messages = merge_errors(self.messages, nested if path else {TOP_LEVEL: nested})

    def raise_any(self) -> None:
        if self.messages:
            raise ReturnRefused(self.messages)


def _label(code: str) -> str:
    return code.replace("_", " ")


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(PENNIES)


def _pounds(value: Decimal) -> str:
    return f"£{value:,.2f}"


# -- a request our own code built ------------------------------------------------------
_PRICE_TEXT = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,2})?")  # as the spreadsheet reader writes a price
MAXIMUM_PRICE = Decimal(10_000)  # as the request schema's Price
_VACANCY_KEYS = frozenset({"vacancy_type", "weekly_price_from", *FIGURES, "not_available_reason", "flexible"})
_REQUEST_KEYS = frozenset({"vacancies", "short_stay_prices", "confirm_over_registered_capacity"})


def _plain_price(value) -> Decimal | None:
    if not isinstance(value, str) or not _PRICE_TEXT.fullmatch(value):
        return None
    number = Decimal(value).quantize(PENNIES)
    return number if number <= MAXIMUM_PRICE else None


def _plain_vacancy(entry) -> dict | None:
    if not isinstance(entry, dict) or not _VACANCY_KEYS.issuperset(entry):
        return None
    if entry.get("vacancy_type") not in LONG_TERM_VACANCY_TYPES:
        return None
    price = _plain_price(entry.get("weekly_price_from"))
    counts = {name: entry.get(name) for name in FIGURES}
    if price is None or any(type(n) is not int or not 0 <= n <= MAX_BEDS for n in counts.values()):
        return None
    reason, flexible = entry.get("not_available_reason"), entry.get("flexible", False)
    if (reason is not None and reason not in NOT_AVAILABLE_REASONS) or type(flexible) is not bool:
        return None
    return {"vacancy_type": entry["vacancy_type"], "weekly_price_from": price, **counts,
            "not_available_reason": reason, "flexible": flexible}


def request_as_loaded(command: dict) -> dict | None:
    """A capacity return request our own code built (the bulk spreadsheet's
    reader), as `CapacityReturnRequest` would load it, when it plainly
    conforms: known keys, vocabulary, whole counts in range, prices as
    decimal strings in pounds and pence. None when it does not, or not
    plainly: the schema is then the judge, and names what is wrong. (The
    schema costs a few hundred microseconds a return; this, a few.)"""
    if not isinstance(command, dict) or not _REQUEST_KEYS.issuperset(command):
        return None
    entries, prices = command.get("vacancies"), command.get("short_stay_prices", {})
    confirm = command.get("confirm_over_registered_capacity", False)
    if (not isinstance(entries, list) or len(entries) > len(LONG_TERM_VACANCY_TYPES)
            or not isinstance(prices, dict) or type(confirm) is not bool):
        return None
    vacancies = [_plain_vacancy(entry) for entry in entries]
    short_stay = {service: _plain_price(price) for service, price in prices.items()}
    if None in vacancies or None in short_stay.values() or not set(SHORT_STAY_SERVICES).issuperset(short_stay):
        return None
    return {"vacancies": vacancies, "short_stay_prices": short_stay, "confirm_over_registered_capacity": confirm}


# -- the capacity return ---------------------------------------------------------------
def check_capacity_return(facts: LocationFacts, command: dict) -> dict:
    """Check a loaded `CapacityReturnRequest` against the location's facts.
    Returns the normalised return:

    {"vacancies": [one dict per type, sorted by vacancy_type, with
                   weekly_price_from (Decimal), the five figures, not_available_reason
                   (None when nothing is not available) and flexible],
     "short_stay_prices": {service: Decimal, sorted by service},
     "totals": {"maximum_capacity", "occupied", "vacant_reserved", "vacant_accepting",
                "vacant_not_available", "vacant"},
     "admission_status": "accepting" | "not_accepting",
     "residents": total occupied,
     "over_registered_capacity": bool}

    Raises ReturnRefused naming every broken rule."""
    errors = _Errors()
    # Preconditions: nothing else is worth checking without them.
    if facts.kind == "home_care":
        errors.add("Home care services send the home care return, not the capacity return.")
        errors.raise_any()
    offered = tuple(facts.long_term_vacancy_types or ())
    if not offered:
        errors.add("Set up the services you offer first.", "vacancies")
        errors.raise_any()

    entries = list(command.get("vacancies") or [])
    seen: set[str] = set()
    vacancies = []
    for index, entry in enumerate(entries):
        vacancy_type = entry["vacancy_type"]
        if vacancy_type not in offered:
            errors.add(f"This location does not offer {_label(vacancy_type)}: change its services first, "
                       f"or remove these figures.", "vacancies", index, "vacancy_type")
        elif vacancy_type in seen:
            errors.add(f"{_label(vacancy_type).capitalize()} is listed more than once: enter each vacancy type "
                       f"once (a vacancy that can flex across types is entered once and ticked flexible).",
                       "vacancies", index, "vacancy_type")
        seen.add(vacancy_type)

        price = _money(entry["weekly_price_from"])
        if price <= MINIMUM_WEEKLY_PRICE:
            errors.add(f"The weekly price must be above {_pounds(MINIMUM_WEEKLY_PRICE)}.",
                       "vacancies", index, "weekly_price_from")

        figures = {name: int(entry[name]) for name in FIGURES}
        entered = figures["occupied"] + sum(figures[name] for name in VACANT)
        if entered > figures["maximum_capacity"]:
            errors.add(f"Occupied, reserved, accepting and not available add up to {entered}, more than the "
                       f"maximum capacity of {figures['maximum_capacity']}.",
                       "vacancies", index, "maximum_capacity")

        reason = entry.get("not_available_reason")
        if figures["vacant_not_available"] > 0 and reason is None:
            errors.add("Give the reason the vacancies are not available.",
                       "vacancies", index, "not_available_reason")
        if figures["vacant_not_available"] == 0:
            reason = None  # no vacancy is unavailable: a reason left over from before means nothing

        vacancies.append({"vacancy_type": vacancy_type, "weekly_price_from": price, **figures,
                          "not_available_reason": reason, "flexible": bool(entry.get("flexible", False))})

    missing = [t for t in offered if t not in seen]
    if missing:
        errors.add("Enter the figures of every vacancy type the location offers; missing: "
                   + ", ".join(_label(t) for t in missing) + ".", "vacancies")

    short_stay_prices = {}
    offered_short_stay = tuple(facts.short_stay_services or ())
    prices = command.get("short_stay_prices") or {}
    for service in sorted(set(prices) | set(offered_short_stay)):
        if service not in offered_short_stay:
            errors.add(f"This location does not provide {_label(service)}: add the service first, or remove "
                       f"its price.", "short_stay_prices", service)
            continue
        if service not in prices or prices[service] is None:
            errors.add(f"Give the indicative weekly price of {_label(service)}: every short stay service "
                       f"provided needs one.", "short_stay_prices", service)
            continue
        price = _money(prices[service])
        if price <= MINIMUM_WEEKLY_PRICE:
            errors.add(f"The weekly price must be above {_pounds(MINIMUM_WEEKLY_PRICE)}.",
                       "short_stay_prices", service)
        short_stay_prices[service] = price

    # Totals are plain sums over the types. A vacancy that can flex across
    # types is entered once, on one type, and ticked flexible, so summing
    # counts it once: nothing is deducted for flexible vacancies.
    totals = {name: sum(v[name] for v in vacancies) for name in FIGURES}
    totals["vacant"] = sum(totals[name] for name in VACANT)

    over = facts.registered_beds is not None and totals["maximum_capacity"] > facts.registered_beds
    if over and not command.get("confirm_over_registered_capacity", False):
        errors.add(f"The total maximum capacity of {totals['maximum_capacity']} is above the "
                   f"{facts.registered_beds} beds registered with CQC. Confirm it to save it: the return is then "
                   f"flagged for the System Champions.", "confirm_over_registered_capacity")

    errors.raise_any()
    vacancies.sort(key=lambda v: v["vacancy_type"])
    return {
        "vacancies": vacancies,
        "short_stay_prices": short_stay_prices,
        "totals": totals,
        "admission_status": "accepting" if any(v["vacant_accepting"] > 0 for v in vacancies) else "not_accepting",
        "residents": totals["occupied"],
        "over_registered_capacity": over,  # confirmed: the flag for the System Champions
    }


def _price_or_text(value):
    """A price as a Decimal whether it is kept as a Decimal or as its string."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


def _comparable(figures: dict) -> tuple:
    vacancies = sorted(
        (v.get("vacancy_type"), _price_or_text(v.get("weekly_price_from")),
         *(v.get(name) for name in FIGURES),
         v.get("not_available_reason") if v.get("vacant_not_available") else None, bool(v.get("flexible")))
        for v in figures.get("vacancies") or [])
    prices = sorted((service, _price_or_text(price))
                    for service, price in (figures.get("short_stay_prices") or {}).items())
    return tuple(vacancies), tuple(prices)


def same_figures(previous: dict | None, current: dict) -> bool:
    """True when the new normalised return has the figures of the previous one
    (vacancies and short stay prices): a "still true" refresh. `previous` may
    be as stored (prices as strings) and `current` as checked (Decimals)."""
    if previous is None:
        return False
    return _comparable(previous) == _comparable(current)


# -- workforce -------------------------------------------------------------------------
def check_workforce_return(command: dict) -> dict:
    """Check a loaded `WorkforceReturnRequest`. Returns it normalised, with
    "totals": each staff figure summed over the three groups. Raises
    ReturnRefused naming every broken rule."""
    errors = _Errors()
    licensed = bool(command["holds_sponsorship_licence"])
    groups = {}
    for group in STAFF_GROUPS:
        figures = {name: int(command[group][name]) for name in STAFF_FIGURES}
        total = figures["total_employed"]
        if figures["visa_holders_own_sponsor"] > 0 and not licensed:
            errors.add("Only organisations holding a sponsorship licence for international workers' visas "
                       "report visa holders employed under their own sponsor licence: enter 0, or answer that "
                       "the organisation holds one.", group, "visa_holders_own_sponsor")
        too_many = False
        for name in ("visa_holders_own_sponsor", "absent_covid", "absent_other"):
            if figures[name] > total:
                too_many = True
                errors.add(f"More than the {total} employed.", group, name)
        absent = figures["absent_covid"] + figures["absent_other"]
        if not too_many and absent > total:
            errors.add(f"Absent COVID-related and absent for other reasons add up to {absent}, more than the "
                       f"{total} employed.", group, "absent_other")
        groups[group] = figures
    errors.raise_any()
    return {
        **groups,
        "agency_bank_headcount": int(command["agency_bank_headcount"]),
        "holds_sponsorship_licence": licensed,
        "totals": {name: sum(groups[group][name] for group in STAFF_GROUPS) for name in STAFF_FIGURES},
    }


# -- home care -------------------------------------------------------------------------
def check_home_care_return(facts: LocationFacts, command: dict) -> dict:
    """Check a loaded `HomeCareReturnRequest` for a home care location.
    Returns it normalised (hours as a Decimal to one place, blank issues as
    None). Raises ReturnRefused naming every broken rule."""
    errors = _Errors()
    if facts.kind != "home_care":
        errors.add("Only home care services send the home care return.")
        errors.raise_any()
    people = int(command["people_using_service"])
    staff = int(command["staff_delivering_care"])
    if people > 0 and staff == 0:
        errors.add("People are using the service, so at least one member of staff delivers care.",
                   "staff_delivering_care")
    errors.raise_any()
    issues = (command.get("issues") or "").strip() or None
    return {"people_using_service": people, "staff_delivering_care": staff,
            "extra_care_hours_available_per_week":
                Decimal(str(command["extra_care_hours_available_per_week"])).quantize(TENTHS),
            "issues": issues}
