"""Who the demo's people are: plain rules over the demo's homes."""
from __future__ import annotations

from identity import demo
from identity.second_factor import MfaPolicy
from tracker_common.contracts.permissions import Role, may_hold
from tracker_common.demo import freshness


def _homes():
    homes = {}
    for i in range(40):
        provider = "1-group" if i < 6 else f"1-prov{i}"
        homes[f"1-{500000000 + i}"] = {"location_id": f"1-{500000000 + i}", "organisation_id": provider,
                                       "name": f"Home {i}", "la_code": "E09000025" if i % 2 else "E08000028"}
    return homes


def test_the_manager_runs_one_current_home_the_care_group_the_largest_provider():
    people = {p.email: p for p in demo.demo_people(_homes(), {"E09000025": "Newham", "E08000028": "Sandwell"})}
    manager = people["manager@care-home.example"]
    assert freshness(manager.location_id) == "current"
    assert manager.organisation_id != "1-group"  # a single-home provider: the manager sees one home
    assert people["group@care-group.example"].organisation_id == "1-group"
    assert people["group@care-group.example"].location_id is None  # all the group's homes
    assert people["discharge@hospital.example"].organisation_id == demo.DISCHARGE_TEAM_ORGANISATION


def test_each_local_authority_has_a_commissioner_with_what_a_commissioner_may_hold():
    people = demo.demo_people(_homes(), {"E09000025": "Newham", "E08000028": "Sandwell"})
    councils = [p for p in people if p.email.startswith("commissioner@")]
    assert [(p.email, p.organisation_id) for p in councils] == [
        ("commissioner@newham.council.example", "E09000025"), ("commissioner@sandwell.council.example", "E08000028")]
    for person in councils:
        assert set(person.roles) == {"broker", "extended_reporting", "manage_alerts"}
        assert all(may_hold(Role(role), "local_authority") for role in person.roles)


def test_no_demo_person_needs_a_second_factor():
    policy = MfaPolicy()
    for person in demo.demo_people(_homes(), {"E09000025": "Newham"}):
        roles = {Role(r) for r in person.roles} | {Role.CARE_HOME_USER, Role.NON_CARE_HOME_USER}
        assert not policy.requires(roles)


def test_council_addresses_are_plain_words():
    assert demo.slug("Kingston upon Hull, City of") == "kingston-upon-hull-city-of"
    assert demo.slug("Brighton & Hove") == "brighton-and-hove"
