"""The invented places under the real geography: postcode areas and districts
(outcodes), towns, points and grid references, the Local Authorities as
Areas, and the ONSPD writer that gives every new postcode its row."""
from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field

from .formats import ONSPD_HEADER
from .mix import clamp
from .words import Names

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
PHONE_BLOCKS = {
    "E12000001": ("01914980",), "E12000002": ("01614960", "01514960"), "E12000003": ("01134960", "01144960"),
    "E12000004": ("01154960", "01164960"), "E12000005": ("01214960",), "E12000006": ("01632960",),
    "E12000007": ("02079460",), "E12000008": ("01184960",), "E12000009": ("01174960",),
}


# -- geometry ------------------------------------------------------------------------
def _around(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A uniform random point within `km` of (lat, lon), clamped to England.
    Clamping each coordinate towards a box holding the centre only shortens
    the distance to it."""
    r, theta = km * math.sqrt(rng.random()), 2 * math.pi * rng.random()
    lat2 = lat + r * math.cos(theta) / _KM_PER_DEGREE
    lon2 = lon + r * math.sin(theta) / (_KM_PER_DEGREE * math.cos(math.radians(lat)))
    return clamp(lat2, *ENGLAND_BOX[0]), clamp(lon2, *ENGLAND_BOX[1])


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
class Town:
    name: str
    latitude: float
    longitude: float
    district_code: str  # a county's (synthetic) district; the LA itself otherwise
    sub_icb: dict | None
    ward: str
    constituency: str


@dataclass
class Outcode:
    code: str
    index: int
    latitude: float
    longitude: float
    town: Town
    spread_km: float
    sectors: list[int]
    used: set = field(default_factory=set)
    offices: list = field(default_factory=list)  # (postcode, lat, lon) of live postcodes for provider offices
    template: list = field(default_factory=list)  # its ONSPD row, postcode fields blank


@dataclass
class Area:
    """One Local Authority with its invented towns and postcode districts."""

    code: str
    name: str
    kind: str
    region_code: str
    region_name: str
    towns: list[Town]
    outcodes: list[Outcode]


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
        counters = {area: 0 for area in REGION_AREAS.get(region, "").split()}
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


class Geography:
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


class OnspdWriter:
    """Writes ONSPD rows; counts them."""

    def __init__(self, file, rng: random.Random):
        self.writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        self.writer.writerow(ONSPD_HEADER)
        self.rng = rng
        self.rows = self.terminated = self.without_coordinates = 0
        self.at = {name: i for i, name in enumerate(ONSPD_HEADER)}

    def new_inward(self, outcode: Outcode) -> str:
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

    def write(self, outcode: Outcode, *, terminated: bool = False, coordinates: bool = True,
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


def _onspd_template(geo: Geography, area: Area, outcode: Outcode, county_code: str | None,
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


def build_area(geo: Geography, la: dict, la_number: int, names: Names, rng: random.Random,
                onspd: OnspdWriter, outcode_counter: list[int]) -> Area:
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
        towns.append(Town(name, town_lat, town_lon, district, sub_icb, f"E059{(la_number * 20 + t) % 100000:05d}",
                           f"E149{(la_number * 20 + t) % 100000:05d}"))
    area = Area(la["code"], la["name"], kind, la.get("ons_region_code") or "", la.get("ons_region_name") or "",
                 towns, [])
    county_code = la["code"] if kind == "county" else None
    for number, code in enumerate(outcode_names):
        if number < len(towns):  # every town gets a district (towns lie within 0.6 of the radius)
            town = towns[number]
            o_lat, o_lon = _around(rng, town.latitude, town.longitude, 0.15 * radius)
        else:  # the others belong to the nearest town
            o_lat, o_lon = _around(rng, lat, lon, 0.75 * radius)
            town = min(towns, key=lambda t: (t.latitude - o_lat) ** 2 + ((t.longitude - o_lon) * 0.62) ** 2)
        outcode = Outcode(code, outcode_counter[0], o_lat, o_lon, town, min(0.22 * radius, 2.5),
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
