"""How the demo's care homes set themselves up, from what CQC says of them."""
from __future__ import annotations

from tracker_common.contracts import providers as bodies
from tracker_common.schemas import load

from providers import demo


def _home(location_id="1-100000001", service_types=("Care home service without nursing",), specialisms=()):
    return {"location_id": location_id, "service_types": list(service_types), "specialisms": list(specialisms)}


def test_a_nursing_home_with_a_dementia_specialism_offers_nursing_and_dementia_nursing():
    services, profile = demo.home_setup(_home(service_types=("Care home service with nursing",),
                                              specialisms=("Dementia", "Caring for adults over 65 yrs")))
    assert {"general_nursing", "dementia_nursing"} <= set(services["long_term_vacancy_types"])
    assert "residential" not in profile["care_types"] and "nursing" in profile["care_types"]
    assert "sub_icb" in profile["funding_sources"]


def test_a_residential_home_offers_residential_beds_only():
    services, profile = demo.home_setup(_home(specialisms=("Dementia",)))
    assert set(services["long_term_vacancy_types"]) == {"general_residential", "dementia_residential"}
    assert profile["care_types"] == ["residential"]


def test_every_setup_is_what_the_location_page_accepts_and_the_same_each_run():
    for i in range(200):
        home = _home(f"1-{300000000 + i}", ("Care home service with nursing",) if i % 3 else (),
                     ("Dementia", "Learning disabilities", "Mental health conditions", "Physical disabilities")[:i % 5])
        services, profile = demo.home_setup(home)
        load(bodies.ServicesUpdate(), services)
        load(bodies.ProfileUpdate(), profile)
        assert profile["funding_sources"] and profile["care_types"]
        assert demo.home_setup(home) == (services, profile)


def test_a_few_homes_are_left_as_cqc_registered_them():
    left = sum(demo.left_not_set_up(f"1-{400000000 + i}") for i in range(2000))
    assert 0.03 < left / 2000 < 0.08
