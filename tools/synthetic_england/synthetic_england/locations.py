"""The locations: what each kind is like (care homes, home care, hospices,
substance misuse and community services), their ratings and dates, and
Locations, which makes one CQC directory row per location."""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from .formats import SPECIALISMS, ACTIVITIES, CQC_HEADER, SERVICE_TYPES, USER_BANDS
from .mix import AS_OF, clamp, pick
from .places import PHONE_BLOCKS, Area, Geography, OnspdWriter
from .provider_plan import Address, Provider
from .words import HOME_CARE_SUFFIXES, HOME_WORDS, NURSING_SUFFIXES, RESIDENTIAL_SUFFIXES, STREET_TYPES, \
    STREET_WORDS, Names

# -- locations -------------------------------------------------------------------------
_RATINGS = {"Outstanding": 5, "Good": 73, "Requires improvement": 15, "Inadequate": 2, "": 5}
_CARE_HOME_PROFILES = {  # profile: (weight, P(nursing), median beds residential, nursing, sigma, bands {band: P})
    "older": (0.75, 0.36, 40, 64, 0.38, {"Older People": 1, "Dementia": 0.86, "Physical Disability": 0.5,
                                         "Sensory Impairment": 0.3, "Younger Adults": 0.22, "Mental Health": 0.25}),
    "learning": (0.17, 0.04, 7, 14, 0.5, {"Learning disabilities or autistic spectrum disorder": 1,
                                          "Younger Adults": 0.95, "Physical Disability": 0.35, "Mental Health": 0.3,
                                          "Sensory Impairment": 0.2, "Older People": 0.15, "Dementia": 0.03}),
    "mental": (0.06, 0.15, 16, 30, 0.45, {"Mental Health": 1, "Younger Adults": 0.9, "Older People": 0.35,
                                          "Dementia": 0.15, "Learning disabilities or autistic spectrum disorder": 0.15,
                                          "Physical Disability": 0.2, "People who misuse drugs and alcohol": 0.1,
                                          "People detained under the Mental Health Act": 0.05}),
    "physical": (0.02, 0.30, 22, 36, 0.4, {"Physical Disability": 1, "Younger Adults": 1, "Sensory Impairment": 0.4,
                                           "Older People": 0.3,
                                           "Learning disabilities or autistic spectrum disorder": 0.1}),
}
_HOME_CARE_BANDS = {"Older People": 0.95, "Younger Adults": 0.7, "Dementia": 0.7, "Physical Disability": 0.65,
                    "Sensory Impairment": 0.45, "Mental Health": 0.4,
                    "Learning disabilities or autistic spectrum disorder": 0.4, "Children 0-18 years": 0.08,
                    "People who misuse drugs and alcohol": 0.1, "People with an eating disorder": 0.1,
                    "Whole Population": 0.05}
_SUPPORTED_LIVING_BANDS = {"Learning disabilities or autistic spectrum disorder": 0.9, "Younger Adults": 1,
                           "Mental Health": 0.5, "Physical Disability": 0.3, "Older People": 0.2,
                           "Sensory Impairment": 0.2}
_TREATMENT = "Treatment of disease, disorder or injury"
_ACCOMMODATION = "Accommodation for persons who require nursing or personal care"


def _bands(rng: random.Random, chances: dict[str, float]) -> set[str]:
    return {band for band, chance in chances.items() if rng.random() < chance}


def _care_home(rng: random.Random, names: Names) -> dict:
    profile = pick(rng, {p: v[0] for p, v in _CARE_HOME_PROFILES.items()})
    _, p_nursing, residential, nursing_median, sigma, chances = _CARE_HOME_PROFILES[profile]
    nursing = rng.random() < p_nursing
    median = nursing_median if nursing else residential
    beds = round(clamp(median * math.exp(rng.gauss(0, sigma)), 10 if nursing else 3, 180))
    bands = _bands(rng, chances)
    activities = {_ACCOMMODATION}
    if nursing:
        activities.add(_TREATMENT)
        if rng.random() < 0.25:
            activities.add("Diagnostic and screening procedures")
    if "People detained under the Mental Health Act" in bands:
        activities.add("Assessment or medical treatment for persons detained under the 1983 Act")
    if profile == "learning" and rng.random() < 0.25:
        name = f"{rng.randint(1, 120)} {rng.choice(STREET_WORDS)} {rng.choice(STREET_TYPES)}"
    else:
        name = names.home(NURSING_SUFFIXES if nursing else RESIDENTIAL_SUFFIXES)
    return dict(name=name, care_home=True, beds=str(beds), activities=activities, bands=bands,
                services={"Care home service with nursing" if nursing else "Care home service without nursing"},
                sector="Social Care Org", directorate="Adult social care", category="Residential social care")


def _home_care(rng: random.Random, provider: Provider, town: str) -> dict:
    style = pick(rng, {"domiciliary": 0.72, "both": 0.12, "supported": 0.10, "extra care": 0.06})
    services = {"domiciliary": {"Domiciliary care service"}, "supported": {"Supported living service"},
                "both": {"Domiciliary care service", "Supported living service"},
                "extra care": {"Extra Care housing services", "Domiciliary care service"}}[style]
    bands = _bands(rng, _SUPPORTED_LIVING_BANDS if style == "supported" else _HOME_CARE_BANDS) or {"Older People"}
    activities = {"Personal care"} | ({_TREATMENT} if rng.random() < 0.03 else set())
    if provider.label:
        name = f"{provider.label} - {town}"
    elif provider.office is None and provider.ownership == "Organisation" and rng.random() < 0.6:
        name = provider.name.removesuffix(" Ltd").removesuffix(" Limited")  # a one-branch agency: its company
    elif style == "supported":
        name = f"{rng.choice(HOME_WORDS)} {rng.choice(('Supported Living', 'Support Services', 'Living Services'))}"
    elif style == "extra care":
        name = f"{rng.choice(HOME_WORDS)} {rng.choice(('Court', 'Gardens', 'Place'))} Extra Care"
    else:
        name = f"{rng.choice(HOME_WORDS)} {rng.choice(HOME_CARE_SUFFIXES)}"
    return dict(name=name, care_home=False, beds="", activities=activities, bands=bands, services=services,
                sector="Social Care Org", directorate="Adult social care",
                category="Community based adult social care services")


def _hospice(rng: random.Random) -> dict:
    children = rng.random() < 0.08
    services = {"Hospice services"} | ({"Hospice services at home"} if rng.random() < 0.6 else set())
    bands = {"Children 0-18 years"} if children else (
        {"Older People", "Younger Adults"} | _bands(rng, {"Dementia": 0.4, "Physical Disability": 0.5,
                                                          "Whole Population": 0.3}))
    activities = {_TREATMENT} | ({"Diagnostic and screening procedures"} if rng.random() < 0.5 else set())
    name = f"{rng.choice(HOME_WORDS)} {rng.choice(('House', 'Lodge', ''))}".strip()
    name += " Children's Hospice" if children else rng.choice((" Hospice", " Hospice", " Hospice Care"))
    return dict(name=name, care_home=False, beds="", activities=activities, bands=bands, services=services,
                sector="Independent Healthcare Org", directorate="Hospitals", category="Hospice services")


def _substance_misuse(rng: random.Random, provider: Provider, town: str) -> dict:
    residential = rng.random() < 0.3
    activities = {_TREATMENT}
    if residential:
        services = {"Residential substance misuse treatment and/or rehabilitation service"}
        activities.add("Accommodation for persons who require treatment for substance misuse")
        name = f"{rng.choice(HOME_WORDS)} {rng.choice(('House', 'Lodge', 'Grange'))} Recovery Centre"
    else:
        services = {"Community based services for people who misuse substances"}
        name = (f"{provider.label} - {town}" if provider.label
                else f"{town} {rng.choice(('Recovery Service', 'Drug and Alcohol Service', 'Treatment Centre'))}")
    bands = {"People who misuse drugs and alcohol", "Younger Adults"} | _bands(
        rng, {"Older People": 0.3, "Mental Health": 0.4})
    return dict(name=name, care_home=False, beds="", activities=activities, bands=bands, services=services,
                sector="Independent Healthcare Org", directorate="Hospitals", category="Substance misuse services")


def _community(rng: random.Random, town: str) -> dict:
    service = pick(rng, {"Shared Lives": 0.4, "Community health care services - Nurses Agency only": 0.3,
                          "Community based services for people with a learning disability": 0.15,
                          "Community based services for people with mental health needs": 0.15})
    if service == "Shared Lives":
        name, activities = f"{town} Shared Lives Scheme", {"Personal care"}
        bands = {"Learning disabilities or autistic spectrum disorder", "Younger Adults"} | _bands(
            rng, {"Older People": 0.5, "Mental Health": 0.4, "Physical Disability": 0.4})
        sector, directorate, category = "Social Care Org", "Adult social care", \
            "Community based adult social care services"
    else:
        name = f"{rng.choice(HOME_WORDS)} {rng.choice(('Nursing Agency', 'Community Services', 'Outreach'))}"
        activities = {_TREATMENT} | ({"Personal care"} if rng.random() < 0.4 else set())
        bands = {"Younger Adults", "Older People"} | _bands(rng, {"Mental Health": 0.5, "Physical Disability": 0.4})
        sector, directorate = "Independent Healthcare Org", "Hospitals"
        category = "Community health - NHS & Independent"
    return dict(name=name, care_home=False, beds="", activities=activities, bands=bands, services={service},
                sector=sector, directorate=directorate, category=category)


def _dates(rng: random.Random, rated: bool) -> tuple[date, date | None]:
    """(registered, rating published)."""
    if not rated:
        return AS_OF - timedelta(days=rng.randint(20, 420)), None
    if rng.random() < 0.25:
        start = date(2010, 10, 1)  # registered when the Health and Social Care Act 2008 regime began
    else:
        start = date(2010, 10, 1) + timedelta(days=rng.randint(0, (AS_OF - date(2010, 10, 1)).days - 300))
    earliest = max(start + timedelta(days=180), date(2016, 6, 1))
    return start, earliest + timedelta(days=rng.randint(0, max(0, (AS_OF - earliest).days - 14)))


class Locations:
    """Makes the CQC rows, one location at a time."""

    def __init__(self, rng: random.Random, names: Names, geo: Geography, onspd: OnspdWriter):
        self.rng, self.names, self.geo, self.onspd = rng, names, geo, onspd
        self.ids: set[str] = set()
        self.flag_columns = [(f"Regulated activity - {a}", a, "activities") for a in ACTIVITIES] + [
            (f"Service type - {s}", s, "services") for s in SERVICE_TYPES] + [
            (f"Service user band - {b}", b, "bands") for b in USER_BANDS]
        self.count = 0

    def _new_id(self) -> str:
        while True:
            location_id = f"1-{self.rng.randrange(10 ** 9, 10 ** 10)}"
            if location_id not in self.ids:
                self.ids.add(location_id)
                return location_id

    def row(self, kind: str, area: Area, provider: Provider) -> list[str]:
        rng, names = self.rng, self.names
        outcode = rng.choice(area.outcodes)
        town = outcode.town
        postcode, lat, lon = self.onspd.write(outcode)
        if kind == "care_home":
            spec = _care_home(rng, names)
        elif kind == "home_care":
            spec = _home_care(rng, provider, town.name)
        elif kind == "hospice":
            spec = _hospice(rng)
        elif kind == "substance_misuse":
            spec = _substance_misuse(rng, provider, town.name)
        else:
            spec = _community(rng, town.name)
        rating = pick(rng, _RATINGS)
        registered, published = _dates(rng, bool(rating))
        sub_icb = town.sub_icb
        icb_region = self.geo.nhs_region_of(sub_icb)
        street, line_2 = names.street(), names.locality() if rng.random() < 0.4 else ""
        if spec["name"][0].isdigit():  # a home known by its address
            street = spec["name"]
        county = area.name if area.kind == "county" else ""
        city = "London" if area.kind == "london_borough" else town.name
        phone = rng.choice(PHONE_BLOCKS.get(area.region_code, ("01632960",))) + f"{rng.randrange(1000):03d}"
        self.count += 1
        ods = (self.count * 7919 + 104729) % 36 ** 4
        ods_code = "V" + "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[ods // 36 ** p % 36] for p in (3, 2, 1, 0))
        office = provider.office or Address(street, line_2, city, county, postcode, area.name, area.region_name)
        specialisms = sorted({SPECIALISMS[b] for b in spec["bands"] if b in SPECIALISMS})
        website = provider.website if provider.website and rng.random() < 0.7 else ""
        if provider.label is None and rng.random() < 0.3:
            website = "www." + "".join(ch for ch in spec["name"].lower() if ch.isalnum())[:40] + ".example"
        values = {
            "Location ID": self._new_id(), "Location ODS Code": ods_code if rng.random() < 0.85 else "",
            "Location Name": spec["name"], "Location Telephone Number": phone, "Location Web Address": website,
            "Care home?": "Y" if spec["care_home"] else "N", "Care homes beds": spec["beds"],
            "Location Type/Sector": spec["sector"], "Location Inspection Directorate": spec["directorate"],
            "Location Primary Inspection Category": spec["category"],
            "Location Latest Overall Rating": rating or "Not yet rated",
            "Publication Date": published.strftime("%d/%m/%Y") if published else "",
            "Inherited Rating (Y/N)": "Y" if rating and rng.random() < 0.03 else "N",
            "Location Region": area.region_name, "Location NHS Region": icb_region["name"] if icb_region else "",
            "Location Local Authority": area.name,
            "Location ONSPD CCG Code": sub_icb["code"] if sub_icb else "",
            "Location ONSPD CCG": sub_icb.get("name", "") if sub_icb else "",
            "Location Commissioning CCG Code": (sub_icb.get("ods_code") or "") if sub_icb else "",
            "Location Commissioning CCG": sub_icb.get("name", "") if sub_icb else "",
            "Location Street Address": street, "Location Address Line 2": line_2, "Location City": city,
            "Location County": county, "Location Postal Code": postcode,
            "Location Paf ID": str(rng.randrange(10 ** 7, 10 ** 8)) if rng.random() < 0.9 else "",
            "Location UPRN ID": str(rng.randrange(10 ** 11, 10 ** 12)) if rng.random() < 0.9 else "",
            "Location Latitude": f"{lat:.6f}", "Location Longitude": f"{lon:.6f}",
            "Location Parliamentary Constituency": f"{town.name} and {area.name}" if area.kind == "county"
            else f"{area.name} {town.name}",
            "Location Also Known As": "", "Location Specialisms": "|".join(specialisms),
            "Provider ID": provider.provider_id, "Provider Name": provider.name,
            "Provider Type/Sector": provider.sector, "Provider Ownership Type": provider.ownership,
            "Provider Telephone Number": provider.telephone if provider.office else phone,
            "Provider Web Address": provider.website, "Provider Street Address": office.street,
            "Provider Address Line 2": office.line_2, "Provider City": office.city,
            "Provider County": office.county, "Provider Postal Code": office.postcode,
            "Provider Local Authority": office.la_name, "Provider Region": office.region_name,
            "Provider Nominated Individual Name": provider.nominated, "Brand ID": provider.brand_id,
            "Brand Name": provider.brand_name, "Dormant (Y/N)": "Y" if rng.random() < 0.01 else "N",
            "Location HSCA start date": registered.strftime("%d/%m/%Y"),
        }
        for column, name, group in self.flag_columns:
            values[column] = "Y" if name in spec[group] else "N"
        return [values[column] for column in CQC_HEADER]
