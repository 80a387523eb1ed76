"""A synthetic, clearly fictional England of care providers, written in the
file formats a real deployment imports: the CQC care directory
(HSCA_Active_Locations.csv) and an ONS Postcode Directory (ONSPD.csv), plus a
README.txt saying what the files are.

    python -m synthetic_england --out DIR [--size full|medium|small|tiny] [--locations N] [--seed 2026]

    counts = generate(Path("out"), size="small", seed=2026)

The Local Authorities, Sub-ICB locations, ICBs, NHS regions and ONS regions
are the real ones of the reference geography (the providers service's
data/geography.json); all the rest is invented: locations, providers, brands,
people, streets, towns,
postcodes (districts get a real-looking area prefix for their region and an
invented number), coordinates (random points within sqrt(area/pi) km of the
LA's centroid), district codes of county LAs ("E079" + 5 digits) and the
other ONSPD codes ("9" series or pseudo codes). Telephone numbers are in
Ofcom's ranges reserved for drama, web addresses end in ".example".

The same seed, size and geography give byte-identical files. Rows are written
as they are generated; a full-size England (30,200 locations) takes seconds.

The package: mix (sizes, the kinds' mix, AS_OF), formats (the CSV headers),
words (names), places (geography, postcodes, the ONSPD writer),
provider_plan (providers, brands, groups), locations (the CQC rows), england
(generate) and cli (main).
"""
from __future__ import annotations

from .cli import main
from .england import GEOGRAPHY_FILE, generate
from .formats import CQC_HEADER, ONSPD_HEADER
from .mix import AS_OF, FULL_MIX, KINDS, SIZES, kind_counts  # AS_OF and KINDS: for the tests, as before

__all__ = ["generate", "kind_counts", "main", "SIZES", "FULL_MIX", "GEOGRAPHY_FILE", "CQC_HEADER", "ONSPD_HEADER",
           "AS_OF", "KINDS"]
