"""A synthetic, clearly fictional England of care providers, written in the
file formats a real deployment imports: the CQC care directory
(HSCA_Active_Locations.csv) and an ONS Postcode Directory (ONSPD.csv), plus a
README.txt saying what the files are.

    python -m providers.synthetic --out DIR [--size full|medium|small|tiny] [--locations N] [--seed 2026]

    counts = generate(Path("out"), size="small", seed=2026)

The Local Authorities, Sub-ICB locations, ICBs, NHS regions and ONS regions
are the real ones of the reference geography (data/geography.json); all the
rest is invented: locations, providers, brands, people, streets, towns,
postcodes (districts get a real-looking area prefix for their region and an
invented number), coordinates (random points within sqrt(area/pi) km of the
LA's centroid), district codes of county LAs ("E079" + 5 digits) and the
other ONSPD codes ("9" series or pseudo codes). Telephone numbers are in
Ofcom's ranges reserved for drama, web addresses end in ".example".

The same seed, size and geography give byte-identical files. Rows are written
as they are generated; a full-size England (30,200 locations) takes seconds.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

__all__ = ["generate", "kind_counts", "main", "SIZES", "FULL_MIX", "GEOGRAPHY_FILE", "CQC_HEADER", "ONSPD_HEADER"]

GEOGRAPHY_FILE = Path(__file__).resolve().parent / "data" / "geography.json"
AS_OF = date(2026, 10, 1)  # the fictional "today" of the data: no wall clock, so files are reproducible

FULL_MIX = {"care_home": 15_600, "home_care": 14_100, "hospice": 200, "substance_misuse": 120, "community": 180}
KINDS = tuple(FULL_MIX)
# size -> (number of Local Authorities, None for all; number of locations)
SIZES = {"full": (None, sum(FULL_MIX.values())), "medium": (None, 3_000), "small": (10, 300), "tiny": (3, 30)}

# -- the CQC directory header --------------------------------------------------------
ACTIVITIES = (
    "Accommodation for persons who require nursing or personal care",
    "Accommodation for persons who require treatment for substance misuse",
    "Assessment or medical treatment for persons detained under the 1983 Act",
    "Diagnostic and screening procedures", "Family planning services",
    "Management of supply of blood and blood derived products", "Maternity and midwifery services",
    "Nursing care", "Personal care", "Services in slimming clinics", "Surgical procedures",
    "Termination of pregnancies", "Transport services, triage and medical advice provided remotely",
    "Treatment of disease, disorder or injury",
)
SERVICE_TYPES = (
    "Acute services with overnight beds", "Acute services without overnight beds / listed acute services with or "
    "without overnight beds", "Ambulance service", "Blood and Transplant service", "Care home service with nursing",
    "Care home service without nursing", "Community based services for people who misuse substances",
    "Community based services for people with a learning disability",
    "Community based services for people with mental health needs",
    "Community health care services - Nurses Agency only", "Community healthcare service", "Dental service",
    "Diagnostic and/or screening service", "Diagnostic and/or screening service - single handed sessional providers",
    "Doctors consultation service", "Doctors treatment service", "Domiciliary care service",
    "Extra Care housing services", "Hospice services", "Hospice services at home",
    "Hospital services for people with mental health needs, learning disabilities and problems with substance "
    "misuse", "Long term conditions services", "Mobile doctors service", "Prison Healthcare Services",
    "Rehabilitation services", "Remote clinical advice service",
    "Residential substance misuse treatment and/or rehabilitation service", "Shared Lives",
    "Specialist college service", "Supported living service", "Urgent care services",
)
USER_BANDS = (
    "Children 0-18 years", "Dementia", "Learning disabilities or autistic spectrum disorder", "Mental Health",
    "Older People", "People detained under the Mental Health Act", "People who misuse drugs and alcohol",
    "People with an eating disorder", "Physical Disability", "Sensory Impairment", "Whole Population",
    "Younger Adults",
)
_LOCATION_COLUMNS = (
    "Location ID", "Location ODS Code", "Location Name", "Location Telephone Number", "Location Web Address",
    "Care home?", "Care homes beds", "Location Type/Sector", "Location Inspection Directorate",
    "Location Primary Inspection Category", "Location Latest Overall Rating", "Publication Date",
    "Inherited Rating (Y/N)", "Location Region", "Location NHS Region", "Location Local Authority",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG", "Location Street Address", "Location Address Line 2", "Location City",
    "Location County", "Location Postal Code", "Location Paf ID", "Location UPRN ID", "Location Latitude",
    "Location Longitude", "Location Parliamentary Constituency", "Location Also Known As", "Location Specialisms",
)
_PROVIDER_COLUMNS = (
    "Provider ID", "Provider Name", "Provider Type/Sector", "Provider Ownership Type", "Provider Telephone Number",
    "Provider Web Address", "Provider Street Address", "Provider Address Line 2", "Provider City",
    "Provider County", "Provider Postal Code", "Provider Local Authority", "Provider Region",
    "Provider Nominated Individual Name", "Brand ID", "Brand Name", "Dormant (Y/N)", "Location HSCA start date",
)
CQC_HEADER = (_LOCATION_COLUMNS + tuple(f"Regulated activity - {a}" for a in ACTIVITIES)
              + tuple(f"Service type - {s}" for s in SERVICE_TYPES)
              + tuple(f"Service user band - {b}" for b in USER_BANDS) + _PROVIDER_COLUMNS)
ONSPD_HEADER = tuple(
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,"
    "nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,msoa01,ur01ind,oac01,"
    "oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,"
    "msoa21".split(","))
_SPECIALISMS = {  # service user band -> CQC specialism
    "Older People": "Caring for adults over 65 yrs", "Younger Adults": "Caring for adults under 65 yrs",
    "Dementia": "Dementia", "Learning disabilities or autistic spectrum disorder": "Learning disabilities",
    "Mental Health": "Mental health conditions", "Physical Disability": "Physical disabilities",
    "Sensory Impairment": "Sensory impairments", "People who misuse drugs and alcohol": "Substance misuse problems",
    "People with an eating disorder": "Eating disorders", "Children 0-18 years": "Caring for children",
    "Whole Population": "Caring for adults over 65 yrs",
    "People detained under the Mental Health Act":
        "Caring for people whose rights are restricted under the Mental Health Act",
}

# -- places ------------------------------------------------------------------------
# Postcode areas per ONS region, disjoint so no two LAs share a district. The
# numbers given to them are invented.
REGION_AREAS = {
    "E12000001": "NE SR DH TS DL", "E12000002": "M L WA WN BL OL SK PR BB FY LA CA CH CW",
    "E12000003": "LS BD HX HD WF S DN HU YO HG", "E12000004": "NG DE LE LN NN",
    "E12000005": "B CV WV WS DY ST TF WR HR SY", "E12000006": "CB CM CO IP NR PE SS SG AL LU",
    "E12000007": "E N NW SE SW W BR CR DA EN HA IG KT RM SM TW UB",
    "E12000008": "BN RH GU TN ME CT MK OX RG SL SO PO HP", "E12000009": "BS BA BH DT EX PL TQ TR TA GL SN SP",
}
_SPARE_AREAS = "XA XB XD XE XF XG XH XJ XL XN XP XR XS XT XU XW XY XZ".split()
PEOPLE_PER_OUTCODE = 25_000
EXTRA_POSTCODES_PER_OUTCODE = 6
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail: never C, I, K, M, O or V
ENGLAND_BOX = ((49.85, 55.82), (-6.45, 1.77))  # latitude, longitude (the Isles of Scilly included)
_KM_PER_DEGREE = 111.32
# Ofcom numbers reserved for drama, per ONS region: the prefix of a 1,000-number block.
_PHONE_BLOCKS = {
    "E12000001": ("01914980",), "E12000002": ("01614960", "01514960"), "E12000003": ("01134960", "01144960"),
    "E12000004": ("01154960", "01164960"), "E12000005": ("01214960",), "E12000006": ("01632960",),
    "E12000007": ("02079460",), "E12000008": ("01184960",), "E12000009": ("01174960",),
}

# -- words ---------------------------------------------------------------------------
_W = str.split
HOME_WORDS = _W(
    "Alder Ash Aspen Beech Birch Blackthorn Bramble Cedar Cherry Chestnut Elder Elm Hawthorn Hazel Holly Hornbeam "
    "Juniper Larch Laurel Lime Linden Maple Oak Pine Poplar Rowan Sycamore Walnut Willow Yew Bluebell Bracken "
    "Clover Cowslip Fern Foxglove Heather Honeysuckle Ivy Jasmine Lavender Lilac Magnolia Marigold Primrose "
    "Snowdrop Thistle Violet Wisteria Kestrel Lark Linnet Heron Kingfisher Robin Skylark Swallow Wren Curlew "
    "Plover Abbey Brook Dale Fairfield Fairview Glen Greenacre Highfield Hillcrest Hillside Lakeside Meadow "
    "Millbrook Moorland Orchard Parkside Riverside Seaview Southfield Springfield Stonecroft Summerfield Sunnyside "
    "Valley Westfield Woodland Amberley Ashdown Beacon Bellevue Brookside Elmhurst Ferndale Glebe Hollybank "
    "Kingsley Oakwood Redwood Rosebank Silverdale Thornbury Woodlands")
SHORT_WORDS = [word for word in HOME_WORDS if len(word) <= 6]  # they make compounds: "Oakhaven"
HOME_QUALIFIERS = ("",) * 10 + tuple(_W("Bank Lea Dene Mead Field Croft Hill Vale Wood Tree Gate Ridge"))
RESIDENTIAL_SUFFIXES = ("House",) * 6 + ("Lodge",) * 4 + ("Court",) * 3 + ("Manor",) * 2 + ("Grange",) * 2 + (
    "View", "Hall", "Gardens", "Care Home", "Care Home", "Residential Home", "Rest Home")
NURSING_SUFFIXES = ("Nursing Home",) * 5 + ("Care Centre",) * 3 + ("Manor",) * 2 + (
    "Court", "Grange", "House", "Lodge", "Hall", "Nursing and Residential Home")
HOME_CARE_SUFFIXES = ("Home Care Services",) * 4 + ("Home Care",) * 3 + (
    "Homecare", "Care at Home", "Domiciliary Care", "Care Services", "Community Care", "Support Services")
STREET_WORDS = HOME_WORDS[:40] + _W(
    "Church Station Mill Park Victoria Albert Queens Kings High London Manor Green School Grange Chapel Bridge "
    "Castle Market North South West East Mount Vicarage Farm Spring")
STREET_TYPES = ("Road",) * 5 + ("Lane",) * 3 + ("Street",) * 3 + ("Avenue", "Avenue", "Close", "Close", "Drive",
                                                                     "Way", "Gardens", "Crescent", "Grove", "Terrace")
TOWN_HEADS = _W("Ash Brad Castle Elm Fern Hather Kings Lang Market Nor Oak Red Stan Thorn Wes Whit Wood Bram Chel "
                "Dun Hal Mill Brook Aln Bex Carl Dor Everd Fox Gil Hen Ick Kel Lud Mor Nether Ock Pem Quen Rud Sel "
                "Tad Ulver Wen Yar Bur Cor Hart Marsh Ald Bal Cam Dray Ebb Fen Gar Hux Ing Kirk Lox Mel Ness Ot Pad "
                "Rams Sand Tis Up Wal Wick Yel Bock Chad Eas Frith Grim Hod Lam Mos Nun Pox Ros Sher Tol Wim")
TOWN_TAILS = _W("bury by ford ham ley ton worth field wick combe stead bridge thorpe well minster borough hurst "
                "cott ington dale mouth holme wood bourne leigh church over den")
TOWN_QUALIFIERS = ("Great {}", "Little {}", "Upper {}", "Lower {}", "Long {}", "{} Magna", "{} Parva",
                   "East {}", "West {}", "North {}", "South {}", "{} St Mary", "{} Green")
LOCALITY_FORMS = ("Upper {}", "Lower {}", "{} Green", "{} End", "{} Park", "{} Heath", "Little {}", "{} Cross")
COIN_HEADS = _W("Quill Corv Penhal Thrush Wend Marl Tansy Ember Fallow Sorrel Kitti Whin Linnet Teasel Yarrow "
                "Cobble Dapple Hare Wyn Brack Ost Tam Vel Cal Dun Mer Ferris Gorse Sedge Wold Lum Pell Tarn")
COIN_TAILS = _W("mere vale combe stead holm garth ridge brook wyn thorne dell shaw haven croft")
FIRST_NAMES = _W(
    "Aisha Alan Alex Amelia Andrew Anita Ben Beth Carl Chloe Claire Colin Daniel David Deborah Dev Elaine Emma "
    "Farah Fiona Gareth Grace Hannah Harry Helen Ian Imran Jack James Jane Joanne John Karen Kate Kwame Laura Lee "
    "Leon Lisa Mark Martin Mary Michael Nadia Neil Nicola Oliver Olu Paul Priya Rachel Raj Rebecca Richard Robert "
    "Ruth Sam Sarah Simon Sophie Stephen Susan Tom Tracey Wendy Yusuf Zoe")
SURNAMES = _W(
    "Ahmed Allen Bailey Baker Begum Bell Bennett Brown Campbell Carter Chapman Clarke Cooper Davies Edwards Evans "
    "Fisher Green Hall Harris Hill Hughes Hussain Jackson James Johnson Jones Kaur Khan King Lewis Martin Mason "
    "Mitchell Moore Morgan Morris Murphy Okafor Owen Palmer Parker Patel Phillips Price Roberts Robinson Russell "
    "Scott Shah Singh Smith Taylor Thomas Thompson Turner Walker Ward Watson White Williams Wilson Wood Wright Young")


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(tuple(weighted), weights=tuple(weighted.values()))[0]


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))[:total - sum(counts)]:
        counts[i] += 1
    return counts


def kind_counts(total: int) -> dict[str, int]:
    """How many locations of each kind make `total`, in the proportions of a
    full-size England (with at least one of each kind from 50 locations)."""
    counts = dict(zip(KINDS, _apportion(total, list(FULL_MIX.values()))))
    if total >= 50:
        for kind in KINDS:
            if counts[kind] == 0:
                counts[max(counts, key=counts.get)] -= 1
                counts[kind] = 1
    return counts


# -- geometry ------------------------------------------------------------------------
def _around(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A uniform random point within `km` of (lat, lon), clamped to England.
    Clamping each coordinate towards a box holding the centre only shortens
    the distance to it."""
    r, theta = km * math.sqrt(rng.random()), 2 * math.pi * rng.random()
    lat2 = lat + r * math.cos(theta) / _KM_PER_DEGREE
    lon2 = lon + r * math.sin(theta) / (_KM_PER_DEGREE * math.cos(math.radians(lat)))
    return _clamp(lat2, *ENGLAND_BOX[0]), _clamp(lon2, *ENGLAND_BOX[1])


def _osgb(lat: float, lon: float) -> tuple[int, int]:
    """Easting and northing on the British National Grid (Airy 1830 transverse
    Mercator; the WGS84/OSGB36 datum shift of ~100 m is ignored: synthetic)."""
    a, b, f0 = 6377563.396, 6356256.909, 0.9996012717
    phi0, lam0, n0, e0 = math.radians(49), math.radians(-2), -100000.0, 400000.0
    phi, lam = math.radians(lat), math.radians(lon)
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)
    s = math.sin(phi)
    nu = a * f0 / math.sqrt(1 - e2 * s * s)
    rho = a * f0 * (1 - e2) / (1 - e2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    dp, sp = phi - phi0, phi + phi0
    m = b * f0 * ((1 + n + 1.25 * n ** 2 + 1.25 * n ** 3) * dp
                  - (3 * n + 3 * n ** 2 + 2.625 * n ** 3) * math.sin(dp) * math.cos(sp)
                  + (1.875 * n ** 2 + 1.875 * n ** 3) * math.sin(2 * dp) * math.cos(2 * sp)
                  - 35 / 24 * n ** 3 * math.sin(3 * dp) * math.cos(3 * sp))
    c, t = math.cos(phi), math.tan(phi)
    i = m + n0
    ii = nu / 2 * s * c
    iii = nu / 24 * s * c ** 3 * (5 - t * t + 9 * eta2)
    iiia = nu / 720 * s * c ** 5 * (61 - 58 * t * t + t ** 4)
    iv = nu * c
    v = nu / 6 * c ** 3 * (nu / rho - t * t)
    vi = nu / 120 * c ** 5 * (5 - 18 * t * t + t ** 4 + 14 * eta2 - 58 * t * t * eta2)
    d = lam - lam0
    north = i + ii * d ** 2 + iii * d ** 4 + iiia * d ** 6
    east = e0 + iv * d + v * d ** 3 + vi * d ** 5
    return round(east), round(north)


# -- the synthetic geography under the real one ---------------------------------------
@dataclass
class _Town:
    name: str
    latitude: float
    longitude: float
    district_code: str  # a county's (synthetic) district; the LA itself otherwise
    sub_icb: dict | None
    ward: str
    constituency: str


@dataclass
class _Outcode:
    code: str
    index: int
    latitude: float
    longitude: float
    town: _Town
    spread_km: float
    sectors: list[int]
    used: set = field(default_factory=set)
    offices: list = field(default_factory=list)  # (postcode, lat, lon) of live postcodes for provider offices
    template: list = field(default_factory=list)  # its ONSPD row, postcode fields blank


@dataclass
class _Area:
    """One Local Authority with its invented towns and postcode districts."""

    code: str
    name: str
    kind: str
    region_code: str
    region_name: str
    towns: list[_Town]
    outcodes: list[_Outcode]


def _outcode_names(local_authorities: list[dict]) -> dict[str, list[str]]:
    """LA code -> its postcode districts: a number of them in proportion to
    the population, named after the region's areas with the lowest numbers
    still free. Depends on the geography only, not on the seed."""
    by_region: dict[str, list[dict]] = {}
    for la in local_authorities:
        by_region.setdefault(la.get("ons_region_code") or "", []).append(la)
    spare = {area: 0 for area in _SPARE_AREAS}
    names: dict[str, list[str]] = {}
    for region in sorted(by_region):
        counters = {area: 0 for area in _W(REGION_AREAS.get(region, ""))}
        for la in sorted(by_region[region], key=lambda la: (-(la.get("population") or 0), la["code"])):
            need = max(2, round((la.get("population") or 0) / PEOPLE_PER_OUTCODE))
            found: list[str] = []
            while len(found) < need:
                pool = counters if any(n < 99 for n in counters.values()) else spare
                area = min(pool, key=pool.get)  # the first of the least used
                if pool[area] >= 99:
                    raise ValueError("the postcode areas are exhausted: too many Local Authorities")
                take = min(need - len(found), 99 - pool[area])
                found += [f"{area}{pool[area] + k}" for k in range(1, take + 1)]
                pool[area] += take
            names[la["code"]] = found
    return names


class _Geography:
    def __init__(self, geography: dict):
        self.local_authorities = sorted(geography["local_authorities"], key=lambda la: la["code"])
        self.sub_icbs = {s["code"]: s for s in geography.get("sub_icbs", [])}
        self.icbs = {i["code"]: i for i in geography.get("icbs", [])}
        self.nhs_regions = {r["code"]: r for r in geography.get("nhs_regions", [])}
        self.outcode_names = _outcode_names(self.local_authorities)

    def icb_of(self, sub_icb: dict | None) -> dict | None:
        return self.icbs.get(sub_icb["icb_code"]) if sub_icb else None

    def nhs_region_of(self, sub_icb: dict | None) -> dict | None:
        icb = self.icb_of(sub_icb)
        return self.nhs_regions.get(icb["nhs_region_code"]) if icb else None


class _Names:
    """Invented names, unique where the real ones are (towns, providers)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def unique(self, make, fallback) -> str:
        """A name from make() not given yet; after 20 tries, from fallback(attempt)."""
        attempt = 0
        while True:
            name = make() if attempt < 20 else fallback(attempt)
            if name not in self.used:
                self.used.add(name)
                return name
            attempt += 1

    def town(self) -> str:
        rng = self.rng
        def make() -> str:
            return rng.choice(TOWN_HEADS) + rng.choice(TOWN_TAILS)
        return self.unique(make, lambda n: rng.choice(TOWN_QUALIFIERS).format(make()))

    def coined(self) -> str:
        rng = self.rng

        def make():
            head, tail = rng.choice(COIN_HEADS), rng.choice(COIN_TAILS)
            return head + (tail[1:] if head[-1] == tail[0] else tail)
        return self.unique(make, lambda n: rng.choice(COIN_HEADS) + rng.choice(("a", "en", "or", "il"))
                           + rng.choice(COIN_TAILS))

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    def home(self, suffixes: tuple[str, ...]) -> str:
        rng = self.rng
        qualifier = rng.choice(HOME_QUALIFIERS)
        words = [rng.choice(HOME_WORDS)] + ([qualifier] if qualifier else [])
        return " ".join(words + [rng.choice(suffixes)])

    def street(self) -> str:
        rng = self.rng
        return f"{rng.randint(1, 240)} {rng.choice(STREET_WORDS)} {rng.choice(STREET_TYPES)}"

    def locality(self) -> str:
        return self.rng.choice(LOCALITY_FORMS).format(self.rng.choice(TOWN_HEADS) + self.rng.choice(TOWN_TAILS))


class _OnspdWriter:
    """Writes ONSPD rows; counts them."""

    def __init__(self, file, rng: random.Random):
        self.writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        self.writer.writerow(ONSPD_HEADER)
        self.rng = rng
        self.rows = self.terminated = self.without_coordinates = 0
        self.at = {name: i for i, name in enumerate(ONSPD_HEADER)}

    def new_inward(self, outcode: _Outcode) -> str:
        rng = self.rng
        while True:
            if len(outcode.used) >= 300 * len(outcode.sectors):  # sectors filling up: open another
                free = [d for d in range(10) if d not in outcode.sectors]
                if not free:
                    raise ValueError(f"postcode district {outcode.code} is full")
                outcode.sectors.append(rng.choice(free))
            inward = f"{rng.choice(outcode.sectors)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
            if inward not in outcode.used:
                outcode.used.add(inward)
                return inward

    def write(self, outcode: _Outcode, *, terminated: bool = False, coordinates: bool = True,
              large_user: bool = False) -> tuple[str, float, float]:
        """A new postcode in `outcode`: its row is written; returns (postcode, latitude, longitude)."""
        rng, at = self.rng, self.at
        inward = self.new_inward(outcode)
        lat, lon = _around(rng, outcode.latitude, outcode.longitude, outcode.spread_km)
        row = list(outcode.template)
        row[at["pcd"]] = f"{outcode.code:<4}{inward}"
        row[at["pcd2"]] = f"{outcode.code:<4} {inward}"
        row[at["pcds"]] = postcode = f"{outcode.code} {inward}"
        introduced = 1980 if rng.random() < 0.6 else rng.randint(1981, 2024)
        row[at["dointr"]] = f"{introduced}{1 if introduced == 1980 else rng.randint(1, 12):02d}"
        if terminated:
            row[at["doterm"]] = f"{rng.randint(max(introduced + 1, 1990), 2025)}{rng.randint(1, 12):02d}"
            self.terminated += 1
        row[at["usertype"]] = "1" if large_user else "0"
        if coordinates:
            east, north = _osgb(lat, lon)
            row[at["oseast1m"]], row[at["osnrth1m"]], row[at["osgrdind"]] = str(east), str(north), "1"
            row[at["lat"]], row[at["long"]] = f"{lat:.6f}", f"{lon:.6f}"
        else:
            row[at["oseast1m"]] = row[at["osnrth1m"]] = ""
            row[at["osgrdind"]], row[at["lat"]], row[at["long"]] = "9", "99.999999", "0.000000"
            self.without_coordinates += not terminated  # live ones, as the reader counts them
        oa = outcode.index * 40 + rng.randrange(40)
        row[at["oa21"]], row[at["oa11"]] = f"E009{oa % 100000:05d}", f"E009{oa % 100000:05d}"
        row[at["lsoa21"]], row[at["lsoa11"]] = f"E019{oa // 8 % 100000:05d}", f"E019{oa // 8 % 100000:05d}"
        row[at["imd"]] = str(rng.randint(1, 32844))
        self.writer.writerow(row)
        self.rows += 1
        return postcode, lat, lon


def _onspd_template(geo: _Geography, area: _Area, outcode: _Outcode, county_code: str | None,
                    rng: random.Random) -> list[str]:
    town, at = outcode.town, {name: i for i, name in enumerate(ONSPD_HEADER)}
    sub_icb = town.sub_icb
    icb, nhs_region = geo.icb_of(sub_icb), geo.nhs_region_of(sub_icb)
    region = area.region_code or "E99999999"
    row = [""] * len(ONSPD_HEADER)
    pseudo = "E99999999"
    values = {
        "oscty": county_code or pseudo, "ced": f"E589{outcode.index % 100000:05d}" if county_code else pseudo,
        "oslaua": town.district_code, "osward": town.ward, "parish": pseudo, "oshlthau": pseudo,
        "nhser": nhs_region["code"] if nhs_region else "", "ctry": "E92000001", "rgn": region, "streg": "0",
        "pcon": town.constituency, "eer": "E15" + region[3:] if region.startswith("E12") else pseudo,
        "teclec": pseudo, "ttwa": pseudo, "pct": pseudo, "itl": pseudo, "statsward": "99ZZ00",
        "oa01": "", "casward": "99ZZ00", "park": pseudo, "lsoa01": "", "msoa01": "", "ur01ind": "",
        "oac01": "", "msoa11": f"E029{outcode.index % 100000:05d}", "wz11": pseudo,
        "sicbl": sub_icb["code"] if sub_icb else "", "bua22": pseudo,
        "ru11ind": "C1" if area.kind != "county" else rng.choice(("C1", "C1", "D1", "E1", "F1")),
        "oac11": rng.choice(("1A1", "2B2", "3C1", "4A2", "5B1", "6A1", "7C3", "8B2")),
        "lep1": pseudo, "lep2": "", "pfa": pseudo, "calncv": pseudo, "icb": icb["code"] if icb else "",
        "msoa21": f"E029{outcode.index % 100000:05d}",
    }
    for name, value in values.items():
        row[at[name]] = value
    return row


def _build_area(geo: _Geography, la: dict, la_number: int, names: _Names, rng: random.Random,
                onspd: _OnspdWriter, outcode_counter: list[int]) -> _Area:
    """The towns and postcode districts of one LA; writes their spare postcodes."""
    kind = la.get("kind") or "unitary"
    radius = math.sqrt(max(float(la.get("area_km2") or 100.0), 1.0) / math.pi)
    lat, lon = float(la["latitude"]), float(la["longitude"])
    outcode_names = geo.outcode_names[la["code"]]
    population = la.get("population") or 0
    if kind == "county":
        n_towns = min(len(outcode_names), max(3, min(12, round(population / 120_000))))
    else:
        n_towns = max(1, min(10, len(outcode_names) // 4 + 1))
    sub_icbs = [geo.sub_icbs.get(code) or {"code": code, "name": "", "ods_code": ""}
                for code in (la.get("sub_icb_codes") or [])]
    n_towns = max(n_towns, min(len(sub_icbs), len(outcode_names)))  # every Sub-ICB location gets a town
    order = list(range(n_towns))
    rng.shuffle(order)  # which towns each Sub-ICB location covers
    towns = []
    for t in range(n_towns):
        town_lat, town_lon = _around(rng, lat, lon, 0.6 * radius)
        name = names.town()
        district = f"E079{la_number % 1000:03d}{t:02d}" if kind == "county" else la["code"]
        sub_icb = sub_icbs[order[t] % len(sub_icbs)] if sub_icbs else None
        towns.append(_Town(name, town_lat, town_lon, district, sub_icb, f"E059{(la_number * 20 + t) % 100000:05d}",
                           f"E149{(la_number * 20 + t) % 100000:05d}"))
    area = _Area(la["code"], la["name"], kind, la.get("ons_region_code") or "", la.get("ons_region_name") or "",
                 towns, [])
    county_code = la["code"] if kind == "county" else None
    for number, code in enumerate(outcode_names):
        if number < len(towns):  # every town gets a district (towns lie within 0.6 of the radius)
            town = towns[number]
            o_lat, o_lon = _around(rng, town.latitude, town.longitude, 0.15 * radius)
        else:  # the others belong to the nearest town
            o_lat, o_lon = _around(rng, lat, lon, 0.75 * radius)
            town = min(towns, key=lambda t: (t.latitude - o_lat) ** 2 + ((t.longitude - o_lon) * 0.62) ** 2)
        outcode = _Outcode(code, outcode_counter[0], o_lat, o_lon, town, min(0.22 * radius, 2.5),
                           rng.sample(range(10), rng.randint(2, 4)))
        outcode_counter[0] += 1
        outcode.template = _onspd_template(geo, area, outcode, county_code, rng)
        area.outcodes.append(outcode)
        for k in range(EXTRA_POSTCODES_PER_OUTCODE):
            # the first district of each LA always has a terminated postcode and one without coordinates
            terminated = (number == 0 and k == 0) or rng.random() < 0.03
            coordinates = not (number == 0 and k == 1) and rng.random() >= 0.01
            postcode, p_lat, p_lon = onspd.write(outcode, terminated=terminated, coordinates=coordinates,
                                                 large_user=rng.random() < 0.05)
            if coordinates and not terminated:
                outcode.offices.append((postcode, p_lat, p_lon))
    return area


# -- providers -------------------------------------------------------------------------
@dataclass
class _Address:
    street: str
    line_2: str
    city: str
    county: str
    postcode: str
    la_name: str
    region_name: str


@dataclass
class _Provider:
    provider_id: str
    name: str
    ownership: str
    sector: str
    telephone: str
    website: str
    nominated: str
    brand_id: str = "-"
    brand_name: str = "-"
    office: _Address | None = None  # None: the address of its (only) location
    label: str | None = None  # the name home care branches take ("Quillmere Home Care")


# Group structure at full size, per kind: national groups (sizes), franchise
# brands (each branch its own provider), and the shares of locations in
# regional (10-49) and local (2-9) groups; the rest are single-location providers.
_GROUPS = {
    "care_home": dict(national=(290, 240, 190, 150, 125, 105, 90, 75, 62, 52), franchise=(),
                      regional=0.20, regional_sizes=(10, 49), local=0.32, local_sizes=(2, 9)),
    "home_care": dict(national=(160, 120, 90, 70, 55), franchise=(180, 110),
                      regional=0.14, regional_sizes=(8, 40), local=0.22, local_sizes=(2, 6)),
    "hospice": dict(national=(), franchise=(), regional=0.0, regional_sizes=(10, 10), local=0.15,
                    local_sizes=(2, 4)),
    "substance_misuse": dict(national=(28, 20), franchise=(), regional=0.0, regional_sizes=(10, 10), local=0.10,
                             local_sizes=(2, 4)),
    "community": dict(national=(), franchise=(), regional=0.0, regional_sizes=(10, 10), local=0.20,
                      local_sizes=(2, 5)),
}


class _Pools:
    """The not yet owned locations of one kind, drawn at random nationally,
    within a region or within an LA (lazy deletion across the three)."""

    def __init__(self, slots: list[int], area_of: list[int], region_of_area: list[str], rng: random.Random):
        self.taken: dict[int, bool] = {}
        self.area_of = area_of
        self.all = list(slots)
        rng.shuffle(self.all)
        self.by_region: dict[str, list[int]] = {}
        self.by_area: dict[int, list[int]] = {}
        for slot in self.all:
            self.by_region.setdefault(region_of_area[area_of[slot]], []).append(slot)
            self.by_area.setdefault(area_of[slot], []).append(slot)
        self.region_of_area = region_of_area

    def _pop(self, pool: list[int] | None) -> int | None:
        while pool:
            slot = pool.pop()
            if slot not in self.taken:
                self.taken[slot] = True
                return slot
        return None

    def national(self) -> int | None:
        return self._pop(self.all)

    def regional(self, region: str) -> int | None:
        slot = self._pop(self.by_region.get(region))
        return self.national() if slot is None else slot

    def local(self, area: int) -> int | None:
        slot = self._pop(self.by_area.get(area))
        return self.regional(self.region_of_area[area]) if slot is None else slot


_SINGLE_FORMS = {  # names of single-location providers ({wt}: "Willowmere")
    "care_home": ("{s} Care Ltd", "{w} Care Ltd", "{wt} Care Ltd", "{wt} Care Ltd", "{wt} Healthcare Ltd",
                  "{wt} Care Homes Ltd", "{wt} Care Limited", "{w} {q} Care Ltd", "{s} & {s2} Care Ltd",
                  "{s} Family Care Ltd", "{w} {q} Healthcare Ltd"),
    "home_care": ("{s} Homecare Ltd", "{wt} Home Care Ltd", "{wt} Homecare Ltd", "{wt} Care Services Ltd",
                  "{w} {q} Care Services Ltd", "{s} & {s2} Care Ltd", "{wt} Support Ltd", "{w} Home Care Ltd",
                  "{wt} Domiciliary Care Ltd", "{s} Care at Home Ltd"),
    "substance_misuse": ("{wt} Recovery Ltd", "{wt} Treatment Services Ltd", "{w} {q} Recovery CIC"),
    "community": ("{wt} Shared Lives CIC", "{wt} Nursing Agency Ltd", "{w} {q} Community Care Ltd",
                  "{s} Community Services Ltd"),
}


class _ProviderPlan:
    """Who owns each location: a long tail from national groups to single homes."""

    def __init__(self, rng: random.Random, names: _Names, areas: list[_Area], onspd: _OnspdWriter,
                 slot_area: list[int], slot_kind: list[str]):
        self.rng, self.names, self.areas, self.onspd = rng, names, areas, onspd
        self.provider_ids: set[str] = set()
        self.organisations: set[str] = set()
        self.brands = 0
        self.providers: list[_Provider] = []
        self.owner: list[int] = [-1] * len(slot_area)
        regions = [area.region_code for area in areas]
        for kind in KINDS:
            slots = [s for s, k in enumerate(slot_kind) if k == kind]
            if slots:
                self._plan_kind(kind, slots, _Pools(slots, slot_area, regions, rng), slot_area)

    # -- the parts of a provider ---------------------------------------------------
    def _new_id(self) -> str:
        while True:
            provider_id = f"1-{self.rng.randrange(10 ** 8, 10 ** 9)}"
            if provider_id not in self.provider_ids:
                self.provider_ids.add(provider_id)
                return provider_id

    def _brand(self, word: str, kind: str) -> tuple[str, str]:
        self.brands += 1
        what = {"care_home": "Care", "home_care": "Home Care", "substance_misuse": "Recovery"}.get(kind, "Care")
        return f"BD{100 + self.brands}", f"BRAND {word} {what}"

    def _office(self, area: _Area) -> _Address:
        outcode = self.rng.choice(area.outcodes)
        if outcode.offices:
            postcode = self.rng.choice(outcode.offices)[0]
        else:
            postcode = self.onspd.write(outcode)[0]
        return _Address(f"{self.rng.choice(('Unit', 'Suite'))} {self.rng.randint(1, 30)}, "
                        f"{self.rng.choice(HOME_WORDS)} {self.rng.choice(('House', 'Court', 'Business Park'))}",
                        self.names.street(), outcode.town.name, area.name if area.kind == "county" else "",
                        postcode, area.name, area.region_name)

    def _add(self, name: str, area: _Area, *, ownership="Organisation", sector="Social Care Org",
             brand=("-", "-"), office=True, label=None, website=True) -> int:
        if ownership == "Organisation":  # company names are unique; people's names need not be
            if name in self.organisations:
                base, legal = (name[:-4], " Ltd") if name.endswith(" Ltd") else (name, "")
                name = self.names.unique(lambda: f"{base} ({area.region_name or area.name}){legal}",
                                         lambda n: f"{base} ({self.rng.choice(SURNAMES)}){legal}")
            self.organisations.add(name)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:40]
        phone = self.rng.choice(_PHONE_BLOCKS.get(area.region_code, ("01632960",))) + f"{self.rng.randrange(1000):03d}"
        provider = _Provider(self._new_id(), name, ownership, sector, phone,
                             f"www.{slug}.example" if website else "", self.names.person(), brand[0], brand[1],
                             self._office(area) if office else None, label)
        self.providers.append(provider)
        return len(self.providers) - 1

    def _group_name(self, word: str, kind: str) -> str:
        forms = {"care_home": ("Care Group Ltd", "Healthcare Ltd", "Care Homes Ltd", "Living Ltd", "Care Ltd"),
                 "home_care": ("Home Care Ltd", "Homecare Ltd", "Care Services Ltd", "Support Ltd"),
                 "substance_misuse": ("Recovery Partnership", "Treatment Services Ltd"),
                 "hospice": ("Hospice Trust", "Hospice Care"), "community": ("Community Services Ltd", "Care CIC")}
        return f"{word} {self.rng.choice(forms[kind])}"

    def _single_name(self, kind: str) -> tuple[str, str]:
        """(name, ownership type) of a single-location provider."""
        rng, names = self.rng, self.names
        roll = rng.random()
        if kind in ("care_home", "home_care") and roll < 0.06:
            return names.person(), "Individual"
        if kind in ("care_home", "home_care") and roll < 0.10:
            return f"{names.person()} and {names.person()}", "Partnership"
        if kind == "hospice":
            return names.unique(lambda: f"{rng.choice(HOME_WORDS)} Hospice {rng.choice(('Trust', 'Care', 'Ltd'))}",
                                lambda n: f"{rng.choice(HOME_WORDS)} Hospice Trust ({n})"), "Organisation"
        forms = _SINGLE_FORMS.get(kind, _SINGLE_FORMS["care_home"])

        def make() -> str:
            word, short = rng.choice(HOME_WORDS), rng.choice(SHORT_WORDS)
            return rng.choice(forms).format(s=rng.choice(SURNAMES), s2=rng.choice(SURNAMES), w=word,
                                            wt=short + rng.choice(COIN_TAILS).lstrip(short[-1]),
                                            q=rng.choice(HOME_QUALIFIERS[10:]))
        return names.unique(make, lambda n: f"{make()[:-4]} ({rng.choice(SURNAMES)}) Ltd"), "Organisation"

    @staticmethod
    def _sector(kind: str) -> str:
        return "Independent Healthcare Org" if kind in ("hospice", "substance_misuse") else "Social Care Org"

    # -- the long tail -------------------------------------------------------------
    def _size(self, low: int, high: int) -> int:
        return low + int((high - low + 1) * self.rng.random() ** 2.5)  # skewed to small groups

    def _plan_kind(self, kind: str, slots: list[int], pools: _Pools, slot_area: list[int]) -> None:
        rng, spec = self.rng, _GROUPS[kind]
        n, scale = len(slots), len(slots) / FULL_MIX[kind]
        sector = self._sector(kind)

        def scaled(size: int) -> int:
            return max(2, round(size * scale)) if scale < 1 else size

        for size in spec["national"]:  # national groups: one brand, one to three legal entities
            size = round(size * scale)
            first = pools.national()
            if size < 2 or first is None:
                continue
            word = self.names.coined()
            brand = self._brand(word, kind)
            area = self.areas[slot_area[first]]
            base = self._group_name(word, kind)
            entities = [self._add(base, area, sector=sector, brand=brand, label=f"{word} {self._label(kind)}")]
            for suffix in rng.sample(("(North) Ltd", "(South) Ltd", "Operations Ltd", "Properties Ltd"),
                                     rng.choice((0, 0, 1, 2)) if size >= 10 else 0):
                entities.append(self._add(f"{word} {suffix}", area, sector=sector, brand=brand,
                                          label=f"{word} {self._label(kind)}"))
            for i in range(size):
                slot = first if i == 0 else pools.national()
                if slot is None:
                    break
                self.owner[slot] = entities[i] if i < len(entities) else rng.choice(entities)
        for size in spec["franchise"]:  # franchise brands: every branch is its own provider
            size = round(size * scale)
            if size < 2:
                continue
            word = self.names.coined()
            brand = self._brand(word, kind)
            for _ in range(size):
                slot = pools.national()
                if slot is None:
                    break
                area = self.areas[slot_area[slot]]
                town = rng.choice(area.towns).name
                name = self.names.unique(lambda: f"{word} {self._label(kind)} ({town}) Ltd",
                                         lambda k: f"{word} {self._label(kind)} ({town} {k}) Ltd")
                self.owner[slot] = self._add(name, area, brand=brand, label=f"{word} {self._label(kind)}",
                                             website=False)
        for share, sizes, scope in ((spec["regional"], spec["regional_sizes"], "regional"),
                                    (spec["local"], spec["local_sizes"], "local")):
            budget = round(n * share)
            low, high = (scaled(sizes[0]), scaled(sizes[1])) if scope == "regional" else sizes
            while budget >= low:
                size = min(self._size(low, high), budget)
                first = pools.national()
                if first is None:
                    break
                budget -= size
                area_index = slot_area[first]
                area = self.areas[area_index]
                word = self.names.coined() if scope == "regional" else None
                branded = scope == "regional" and rng.random() < 0.3
                name = self._group_name(word, kind) if word else self._single_name(kind)[0]
                label = f"{word} {self._label(kind)}" if word and kind == "home_care" else None
                owner = self._add(name, area, sector=sector, brand=self._brand(word, kind) if branded else ("-", "-"),
                                  label=label, website=rng.random() < 0.8)
                self.owner[first] = owner
                for _ in range(size - 1):
                    slot = pools.regional(area.region_code) if scope == "regional" else pools.local(area_index)
                    if slot is None:
                        break
                    self.owner[slot] = owner
        for slot in slots:  # everyone else: single-location providers, their office their location
            if self.owner[slot] == -1:
                name, ownership = self._single_name(kind)
                self.owner[slot] = self._add(name, self.areas[slot_area[slot]], ownership=ownership, sector=sector,
                                             office=False, website=rng.random() < 0.4)

    @staticmethod
    def _label(kind: str) -> str:
        return {"home_care": "Home Care", "care_home": "Care", "substance_misuse": "Recovery Service"}.get(kind,
                                                                                                         "Care")


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


def _care_home(rng: random.Random, names: _Names) -> dict:
    profile = _pick(rng, {p: v[0] for p, v in _CARE_HOME_PROFILES.items()})
    _, p_nursing, residential, nursing_median, sigma, chances = _CARE_HOME_PROFILES[profile]
    nursing = rng.random() < p_nursing
    median = nursing_median if nursing else residential
    beds = round(_clamp(median * math.exp(rng.gauss(0, sigma)), 10 if nursing else 3, 180))
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


def _home_care(rng: random.Random, provider: _Provider, town: str) -> dict:
    style = _pick(rng, {"domiciliary": 0.72, "both": 0.12, "supported": 0.10, "extra care": 0.06})
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


def _substance_misuse(rng: random.Random, provider: _Provider, town: str) -> dict:
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
    service = _pick(rng, {"Shared Lives": 0.4, "Community health care services - Nurses Agency only": 0.3,
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


class _Locations:
    """Makes the CQC rows, one location at a time."""

    def __init__(self, rng: random.Random, names: _Names, geo: _Geography, onspd: _OnspdWriter):
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

    def row(self, kind: str, area: _Area, provider: _Provider) -> list[str]:
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
        rating = _pick(rng, _RATINGS)
        registered, published = _dates(rng, bool(rating))
        sub_icb = town.sub_icb
        icb_region = self.geo.nhs_region_of(sub_icb)
        street, line_2 = names.street(), names.locality() if rng.random() < 0.4 else ""
        if spec["name"][0].isdigit():  # a home known by its address
            street = spec["name"]
        county = area.name if area.kind == "county" else ""
        city = "London" if area.kind == "london_borough" else town.name
        phone = rng.choice(_PHONE_BLOCKS.get(area.region_code, ("01632960",))) + f"{rng.randrange(1000):03d}"
        self.count += 1
        ods = (self.count * 7919 + 104729) % 36 ** 4
        ods_code = "V" + "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[ods // 36 ** p % 36] for p in (3, 2, 1, 0))
        office = provider.office or _Address(street, line_2, city, county, postcode, area.name, area.region_name)
        specialisms = sorted({_SPECIALISMS[b] for b in spec["bands"] if b in _SPECIALISMS})
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


# -- the whole ---------------------------------------------------------------------------
def _select(local_authorities: list[dict], how_many: int | None, rng: random.Random) -> list[dict]:
    """All LAs, or `how_many` of them: a county first (its districts exercise
    the importer), then one of each other kind, then any (populous ones)."""
    if how_many is None or how_many >= len(local_authorities):
        return list(local_authorities)
    candidates = [la for la in local_authorities if (la.get("population") or 0) >= 100_000] or list(local_authorities)
    if len(candidates) < how_many:
        candidates = list(local_authorities)
    rng.shuffle(candidates)
    kinds = sorted({la.get("kind") or "" for la in candidates}, key=lambda k: (k != "county", k))
    chosen: list[dict] = []
    for kind in kinds:
        first = next((la for la in candidates if (la.get("kind") or "") == kind and la not in chosen), None)
        if first is not None and len(chosen) < how_many:
            chosen.append(first)
    chosen += [la for la in candidates if la not in chosen][:how_many - len(chosen)]
    return sorted(chosen, key=lambda la: la["code"])


def _readme(size: str, seed: int, counts: dict) -> str:
    lines = [
        "FICTIONAL DATA - NOT A REAL CQC OR ONS FILE",
        "",
        "These files were generated by providers.synthetic (Capacity Tracker) from a seed. Every location,",
        "provider, brand, person, address, telephone number, web address, town and postcode in them is",
        "invented. Only the Local Authorities, Sub-ICB locations, ICBs, NHS regions and ONS regions are real",
        "(from the reference geography); they are there so the files import into a real deployment.",
        "",
        f"size: {size}    seed: {seed}    data as of: {AS_OF:%d/%m/%Y}",
        "The same seed, size and reference geography always give byte-identical files.",
        "",
        "HSCA_Active_Locations.csv  the CQC care directory format (one row per location)",
        "ONSPD.csv                  the ONS Postcode Directory format (classic column names)",
        "",
        "Conventions:",
        "- postcode districts have a real-looking area prefix for their region and an invented number;",
        "  coordinates are random points within sqrt(area/pi) km of the LA's centroid;",
        "- district codes of county LAs (oslaua) are synthetic: E079 + 5 digits; wards, constituencies,",
        "  output areas and the like are synthetic '9' series codes or the pseudo code E99999999;",
        "- telephone numbers are in Ofcom's ranges reserved for drama; web addresses end in .example;",
        "- ONSPD.csv holds a few terminated postcodes (doterm set) and a few without coordinates",
        "  (lat 99.999999), as the real directory does.",
        "",
        "Counts:",
    ]
    lines += [f"  {name}: {value}" for name, value in counts.items()]
    return "\n".join(lines) + "\n"


def generate(out_dir: Path, *, size: str = "small", seed: int = 2026, geography: dict | None = None,
             locations: int | None = None) -> dict:
    """Write HSCA_Active_Locations.csv, ONSPD.csv and README.txt into
    `out_dir` (created if need be) and return the counts: locations, one
    entry per kind, providers, brands, local_authorities, outcodes,
    postcodes (ONSPD rows), postcodes_terminated, postcodes_without_coordinates.

    `size` (full | medium | small | tiny) chooses how many Local Authorities
    (all, all, 10, 3) and locations (30,200, 3,000, 300, 30); `locations`
    overrides the number of locations, keeping the size's LAs. `geography`
    is the reference geography (default: data/geography.json). Raises
    ValueError for an unknown size or a number of locations below 1."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    if locations is not None and (not isinstance(locations, int) or locations < 1):
        raise ValueError("locations must be a whole number of at least 1")
    if geography is None:
        geography = json.loads(GEOGRAPHY_FILE.read_text(encoding="utf-8"))
    how_many_las, total = SIZES[size]
    total = locations if locations is not None else total
    rng = random.Random(seed)
    geo = _Geography(geography)
    chosen = _select(geo.local_authorities, how_many_las, rng)
    la_numbers = {la["code"]: i for i, la in enumerate(geo.local_authorities)}
    # locations per LA and kind: in proportion to population, with some local colour
    weights = {kind: [] for kind in KINDS}
    for la in chosen:
        population = float(la.get("population") or 0) or 1.0
        weights["care_home"].append(population * math.exp(rng.gauss(0, 0.18)))
        weights["home_care"].append(population * math.exp(rng.gauss(0, 0.15)))
        for kind in KINDS[2:]:
            weights[kind].append(population)
    per_kind = {kind: _apportion(count, weights[kind]) for kind, count in kind_counts(total).items()}

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = _Names(rng)
    with open(out_dir / "ONSPD.csv", "w", encoding="utf-8", newline="") as onspd_file, \
            open(out_dir / "HSCA_Active_Locations.csv", "w", encoding="utf-8", newline="") as cqc_file:
        onspd = _OnspdWriter(onspd_file, rng)
        counter = [0]
        areas = [_build_area(geo, la, la_numbers[la["code"]], names, rng, onspd, counter) for la in chosen]
        slot_area: list[int] = []
        slot_kind: list[str] = []
        for index in range(len(areas)):
            for kind in KINDS:
                slot_area += [index] * per_kind[kind][index]
                slot_kind += [kind] * per_kind[kind][index]
        plan = _ProviderPlan(rng, names, areas, onspd, slot_area, slot_kind)
        writer = csv.writer(cqc_file)
        writer.writerow(CQC_HEADER)
        made = _Locations(rng, names, geo, onspd)
        for slot, (area_index, kind) in enumerate(zip(slot_area, slot_kind)):
            writer.writerow(made.row(kind, areas[area_index], plan.providers[plan.owner[slot]]))
    counts = {"locations": len(slot_kind)}
    counts.update({kind: slot_kind.count(kind) for kind in KINDS})
    counts.update(providers=len(plan.providers), brands=plan.brands, local_authorities=len(areas),
                  outcodes=counter[0], postcodes=onspd.rows, postcodes_terminated=onspd.terminated,
                  postcodes_without_coordinates=onspd.without_coordinates)
    (out_dir / "README.txt").write_text(_readme(size if locations is None else f"{size}, {locations} locations",
                                                seed, counts), encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m providers.synthetic",
        description="Write a fictional England of care providers as a CQC care directory CSV and an ONSPD CSV.")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if need be)")
    parser.add_argument("--size", choices=tuple(SIZES), default=None,
                        help="full (30,200 locations), medium (3,000), small (300 over 10 LAs), tiny (30 over 3 "
                             "LAs); default small, or full with --locations")
    parser.add_argument("--locations", type=int, default=None, help="number of locations (overrides the size's)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--geography", type=Path, default=GEOGRAPHY_FILE, help="reference geography JSON")
    args = parser.parse_args(argv)
    if args.locations is not None and args.locations < 1:
        parser.error("--locations must be at least 1")
    size = args.size or ("full" if args.locations is not None else "small")
    try:
        geography = json.loads(args.geography.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"Cannot read the reference geography {args.geography}: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = generate(args.out, size=size, seed=args.seed, geography=geography, locations=args.locations)
    elapsed = time.perf_counter() - started
    for name, value in counts.items():
        print(f"{name:>30}: {value:,}")
    print(f"{'seconds':>30}: {elapsed:.1f}")
    for name in ("HSCA_Active_Locations.csv", "ONSPD.csv", "README.txt"):
        print(f"{name:>30}: {(args.out / name).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
