"""The search read model never goes back: older profiles or returns, the
same snapshots twice, a return before its profile, a batch holding a home
twice."""
from __future__ import annotations

from search.handlers.readmodel import apply_location_snapshots, apply_return_snapshots

from .conftest import BARNSLEY, locations_loaded, returns_loaded, vacancy
from .finding import find, home, ids, row


# --- the read model never goes back ---------------------------------------------------------------

def apply(search_db, *, profiles=(), returns=()) -> tuple[int, int]:
    with search_db.unit_of_work() as uow:
        applied = (apply_location_snapshots(uow.session, locations_loaded(profiles)),
                   apply_return_snapshots(uow.session, returns_loaded(returns)))
        uow.commit()
    return applied


def test_an_older_profile_after_a_newer_one_changes_nothing(search_db, directory):
    newer, _ = home("1-801", name="New Name", version=2)
    older, a_return = home("1-801", name="Old Name", version=1)

    assert apply(search_db, profiles=[newer], returns=[a_return]) == (1, 1)
    assert apply(search_db, profiles=[older]) == (0, 0)

    assert row(search_db, "1-801").location_version == 2
    assert [c["name"] for c in find(search_db, la_code=BARNSLEY)["results"]] == ["New Name"]


def test_an_older_return_after_a_newer_one_changes_nothing(search_db, directory):
    a_profile, newer = home("1-802", vacancy(accepting=3), sequence=2, hours_ago=1)
    _, older = home("1-802", vacancy(accepting=0), sequence=1, hours_ago=5)

    assert apply(search_db, profiles=[a_profile], returns=[newer]) == (1, 1)
    assert apply(search_db, returns=[older]) == (0, 0)

    assert row(search_db, "1-802").return_sequence == 2
    card = find(search_db, la_code=BARNSLEY)["results"][0]
    assert (card["total_accepting"], card["last_updated"]) == (3, "2026-11-23T08:00:00+00:00")


def test_the_same_snapshots_twice_change_nothing(search_db, directory):
    a_profile, a_return = home("1-803")

    assert apply(search_db, profiles=[a_profile], returns=[a_return]) == (1, 1)
    before = row(search_db, "1-803")
    assert apply(search_db, profiles=[a_profile], returns=[a_return]) == (0, 0)
    after = row(search_db, "1-803")

    assert (after.card, after.offers, after.eligible) == (before.card, before.offers, before.eligible)
    assert ids(find(search_db, la_code=BARNSLEY)) == ["1-803"]


def test_a_return_before_its_profile_is_kept_until_the_profile_arrives(search_db, directory):
    a_profile, a_return = home("1-804", vacancy(accepting=2))

    assert apply(search_db, returns=[a_return]) == (0, 1)
    early = row(search_db, "1-804")
    assert (early.eligible, early.ineligible_reasons, early.return_sequence) == (False, ["no_profile"], 1)
    assert ids(find(search_db, la_code=BARNSLEY)) == []

    assert apply(search_db, profiles=[a_profile]) == (1, 0)

    found = find(search_db, la_code=BARNSLEY)
    assert ids(found) == ["1-804"]
    assert found["results"][0]["total_accepting"] == 2



def test_a_newer_profile_no_longer_offering_the_returned_type_unlists_the_home(search_db, directory):
    first, a_return = home("1-805", vacancy("general_residential"))
    changed, _ = home("1-805", vacancy("general_nursing"), version=2)  # now offers general nursing only
    _, next_return = home("1-805", vacancy("general_nursing"), sequence=2)

    apply(search_db, profiles=[first], returns=[a_return])
    assert ids(find(search_db, la_code=BARNSLEY)) == ["1-805"]

    apply(search_db, profiles=[changed])
    assert ids(find(search_db, la_code=BARNSLEY, accepting_today=False)) == []
    assert row(search_db, "1-805").ineligible_reasons == ["no_long_term_cost"]

    apply(search_db, returns=[next_return])
    assert ids(find(search_db, la_code=BARNSLEY, vacancy_types=["general_nursing"])) == ["1-805"]


def test_a_home_that_moves_is_measured_from_where_it_is_now(search_db, directory):
    before, a_return = home("1-806", at="S1 2DD")
    after, _ = home("1-806", at="S70 2BB", version=2)

    apply(search_db, profiles=[before], returns=[a_return])
    assert [c["distance_miles"] for c in find(search_db, postcode="S70 1AA")["results"]] == [11.9]

    apply(search_db, profiles=[after])
    assert [c["distance_miles"] for c in find(search_db, postcode="S70 1AA")["results"]] == [0.7]
    assert ids(find(search_db, postcode="S70 1AA", radius_miles=1)) == ["1-806"]


def test_one_batch_holding_a_home_twice_keeps_its_newest(search_db, directory):
    newer, newer_return = home("1-807", vacancy(accepting=4), name="Newest", version=3, sequence=5)
    older, older_return = home("1-807", vacancy(accepting=1), name="Older", version=2, sequence=4)

    assert apply(search_db, profiles=[newer, older], returns=[newer_return, older_return]) == (1, 1)

    card = find(search_db, la_code=BARNSLEY)["results"][0]
    assert (card["name"], card["total_accepting"]) == ("Newest", 4)
