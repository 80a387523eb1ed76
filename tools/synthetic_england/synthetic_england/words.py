"""The word lists of the invented names (homes, streets, towns, people,
coined brand words) and Names, which builds names from them, unique where
the real ones are."""
from __future__ import annotations

import random

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


class Names:
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
