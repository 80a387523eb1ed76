"""Who owns each location: providers, their offices, brands and groups, from
national groups and franchise brands down to single-location providers."""
from __future__ import annotations

import random
from dataclasses import dataclass

from .mix import FULL_MIX, KINDS
from .places import PHONE_BLOCKS, Area, OnspdWriter
from .words import COIN_TAILS, HOME_QUALIFIERS, HOME_WORDS, SHORT_WORDS, SURNAMES, Names


# -- providers -------------------------------------------------------------------------
@dataclass
class Address:
    street: str
    line_2: str
    city: str
    county: str
    postcode: str
    la_name: str
    region_name: str


@dataclass
class Provider:
    provider_id: str
    name: str
    ownership: str
    sector: str
    telephone: str
    website: str
    nominated: str
    brand_id: str = "-"
    brand_name: str = "-"
    office: Address | None = None  # None: the address of its (only) location
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


class ProviderPlan:
    """Who owns each location: a long tail from national groups to single homes."""

    def __init__(self, rng: random.Random, names: Names, areas: list[Area], onspd: OnspdWriter,
                 slot_area: list[int], slot_kind: list[str]):
        self.rng, self.names, self.areas, self.onspd = rng, names, areas, onspd
        self.provider_ids: set[str] = set()
        self.organisations: set[str] = set()
        self.brands = 0
        self.providers: list[Provider] = []
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

    def _office(self, area: Area) -> Address:
        outcode = self.rng.choice(area.outcodes)
        if outcode.offices:
            postcode = self.rng.choice(outcode.offices)[0]
        else:
            postcode = self.onspd.write(outcode)[0]
        return Address(f"{self.rng.choice(('Unit', 'Suite'))} {self.rng.randint(1, 30)}, "
                        f"{self.rng.choice(HOME_WORDS)} {self.rng.choice(('House', 'Court', 'Business Park'))}",
                        self.names.street(), outcode.town.name, area.name if area.kind == "county" else "",
                        postcode, area.name, area.region_name)

    def _add(self, name: str, area: Area, *, ownership="Organisation", sector="Social Care Org",
             brand=("-", "-"), office=True, label=None, website=True) -> int:
        if ownership == "Organisation":  # company names are unique; people's names need not be
            if name in self.organisations:
                base, legal = (name[:-4], " Ltd") if name.endswith(" Ltd") else (name, "")
                name = self.names.unique(lambda: f"{base} ({area.region_name or area.name}){legal}",
                                         lambda n: f"{base} ({self.rng.choice(SURNAMES)}){legal}")
            self.organisations.add(name)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:40]
        phone = self.rng.choice(PHONE_BLOCKS.get(area.region_code, ("01632960",))) + f"{self.rng.randrange(1000):03d}"
        provider = Provider(self._new_id(), name, ownership, sector, phone,
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
