"""The postcode directory kept from its parts, in any order: a newer
directory replaces an older one once all its parts have arrived."""
from __future__ import annotations

from sqlalchemy import select

from search.handlers.readmodel import apply_directory_part
from search.models import DirectoryPart, SearchPostcode

from .conftest import BARNSLEY, OUTCODES, POSTCODES, located



# -- 3. the postcode directory in parts ------------------------------------------------

def part(version: int, number: int, parts: int, postcodes: list, outcodes: list = ()) -> dict:
    return {"directory_version": version, "part": number, "parts": parts, "postcodes": list(postcodes),
            "outcodes": list(outcodes)}


def apply(search_db, *parts: dict) -> None:
    for each in parts:
        with search_db.unit_of_work() as uow:
            apply_directory_part(uow.session, each)
            uow.commit()


VERSION_1 = part(1, 1, 1, POSTCODES, OUTCODES)
# Version 2 terminates S71 1CC (and its district), and adds S70 9ZZ in its part 2.
WITHOUT_S71 = [p for p in POSTCODES if not p[0].startswith("S71")]
V2_PART_1 = part(2, 1, 2, WITHOUT_S71, [o for o in OUTCODES if o[0] != "S71"])
V2_PART_2 = part(2, 2, 2, [["S70 9ZZ", 53.5400, -1.4700, BARNSLEY, "E38000006"]])


def test_a_directory_in_parts_replaces_the_older_one_once_all_its_parts_arrived(search_db):
    apply(search_db, VERSION_1, V2_PART_2)
    assert located(search_db, "S70 9ZZ") == "postcode"
    assert located(search_db, "S71 1CC") == "postcode"  # version 2 is not complete yet: kept

    apply(search_db, V2_PART_1)
    assert located(search_db, "S70 9ZZ") == located(search_db, "S70 1AA") == "postcode"
    assert located(search_db, "S71 1CC") == "unknown"
    with search_db.unit_of_work() as uow:
        assert set(uow.session.scalars(select(SearchPostcode.directory_version))) == {2}


def test_a_part_of_an_older_directory_arriving_late_changes_nothing(search_db):
    apply(search_db, V2_PART_1, V2_PART_2, VERSION_1)
    assert located(search_db, "S71 1CC") == "unknown"
    with search_db.unit_of_work() as uow:
        assert set(uow.session.scalars(select(SearchPostcode.directory_version))) == {2}
        assert uow.session.scalars(select(DirectoryPart.directory_version)).all() == [2, 2]


def test_the_same_part_twice_counts_once(search_db):
    apply(search_db, VERSION_1, V2_PART_1, V2_PART_1)
    assert located(search_db, "S71 1CC") == "postcode"  # part 2 of 2 still missing: version 1 kept
    apply(search_db, V2_PART_2, V2_PART_2)
    assert located(search_db, "S71 1CC") == "unknown"
    assert located(search_db, "S70 9ZZ") == "postcode"
