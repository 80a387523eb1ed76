"""The providers service's pure rules: every decision made from plain values,
with no database and no bus.

Who owns a location's fields (CQC's, overwritten by every import; its
users', never touched by one), where a location is when the postcode
directory does not know its postcode, what a change changed, and the shape
of what users send for their services and profile."""
from __future__ import annotations

import hashlib
import json
import re

from tracker_common.contracts.permissions import Target

# What a location created by the CQC import starts with in the fields its
# users own (the import never changes them afterwards).
NEW_LOCATION_USER_FIELDS = {
    "care_types": [], "funding_sources": [], "manager": {}, "rooms": {}, "long_term_vacancy_types": [],
    "languages": ["English"], "reminders_enabled": True,
}

# -- the CQC import -------------------------------------------------------------------------
def name_key(name: str | None) -> str:
    """A Local Authority's name as compared across CQC and ONS spellings
    ("Brighton & Hove" is "brightonandhove")."""
    return re.sub(r"[^a-z]", "", (name or "").lower().replace("&", "and"))


def cqc_values(record, postcode: str, place: dict) -> dict:
    """The fields CQC owns of a location, from its directory row (`record`),
    its normalised postcode and where it is (`place`)."""
    return {
        "provider_id": record.provider_id, "kind": record.kind, "name": record.name,
        "street_address": record.street_address, "address_line_2": record.address_line_2, "city": record.city,
        "county": record.county, "postcode": postcode, "telephone": record.telephone, "website": record.website,
        "registered_beds": record.registered_beds, "overall_rating": record.overall_rating,
        "rating_published": record.rating_published, "regulated_activities": list(record.regulated_activities),
        "service_types": list(record.service_types), "service_user_bands": list(record.service_user_bands),
        "specialisms": list(record.specialisms), "dormant": record.dormant, **place,
    }


def cqc_hash(values: dict) -> str:
    """A digest of a location's CQC-owned fields (`cqc_values`): equal
    digests, equal values (field names included, so a field added to
    cqc_values makes every stored digest differ, and each row is compared in
    full once)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=plain)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def provider_values(record) -> dict:
    """The fields CQC owns of a provider, from one of its locations' rows."""
    return {"name": record.provider_name, "brand_id": record.brand_id, "brand_name": record.brand_name,
            "ownership_type": record.ownership_type}


def place_of_postcode(found) -> dict:
    """Where a location is when the directory knows its postcode (`found`)."""
    return {"latitude": found.latitude, "longitude": found.longitude, "geocoded_by": "postcode",
            "la_code": found.la_code, "sub_icb_code": found.sub_icb_code, "icb_code": found.icb_code,
            "nhs_region_code": found.nhs_region_code}


def place_of_district(district) -> dict:
    """Where a location is when the directory knows only its district."""
    return {"latitude": district.latitude, "longitude": district.longitude, "geocoded_by": "outcode",
            "la_code": district.la_code, "sub_icb_code": district.sub_icb_code,
            "icb_code": district.icb_code, "nhs_region_code": district.nhs_region_code}


def place_from_cqc(record, la_by_name: dict[str, str], sub_icbs: set[str]) -> dict:
    """Where a location is when the directory knows neither its postcode nor
    its district: CQC's own coordinates and alignment (the Local Authority by
    name, the Sub-ICB only when it is one we know)."""
    sub_icb = record.sub_icb_ons_code if record.sub_icb_ons_code in sub_icbs else None
    return {"latitude": record.latitude, "longitude": record.longitude,
            "geocoded_by": "cqc" if record.latitude is not None else None,
            "la_code": la_by_name.get(name_key(record.local_authority_name)),
            "sub_icb_code": sub_icb, "icb_code": None, "nhs_region_code": None}


# -- changes ----------------------------------------------------------------------------------
def plain(value):
    """A value as the audit trail keeps it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def apply_changes(location, values: dict) -> dict:
    """Set `values` on `location`; returns {field: [before, after]} of what
    really changed (nothing when the values are the same)."""
    changes = {}
    for field, value in values.items():
        before = getattr(location, field)
        if before != value:
            changes[field] = [plain(before), plain(value)]
            setattr(location, field, value)
    return changes


def profile_values(location, command: dict) -> dict:
    """The profile fields to set: a partial manager or rooms replaces only
    the fields sent."""
    values = dict(command)
    if "manager" in values:
        values["manager"] = {**(location.manager or {}), **values["manager"]}
    if "rooms" in values:
        values["rooms"] = {**(location.rooms or {}), **values["rooms"]}
    return values


def services_values(command: dict) -> dict:
    """The services fields to set: sorted, without repeats; English always
    the first language."""
    languages = ["English"] + sorted({l.strip() for l in command["languages"]} - {"English", "english"})
    return {"short_stay_services": sorted(set(command["short_stay_services"])),
            "long_term_vacancy_types": sorted(set(command["long_term_vacancy_types"])),
            "languages": languages}


# -- permissions' targets -------------------------------------------------------------------
def target_of(location) -> Target:
    return Target(organisation_id=location.provider_id, location_id=location.id, la_code=location.la_code,
                  sub_icb_code=location.sub_icb_code)


def contract_target(contract) -> Target:
    """Who may decide a contract: its commissioner's people."""
    if contract.commissioner_kind == "local_authority":
        return Target(la_code=contract.commissioner_code)
    return Target(sub_icb_code=contract.commissioner_code)
