"""The producer's cheap check of an event its own code built: serialised by
its schema, then each required field present and no None where its field
allows none (nested data included); the consumer's full validation stays."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tracker_common.contracts.events import ContractBroken, load_event, new_event, schema_of, shape_problems

NOW = datetime(2026, 12, 3, 8, 30, tzinfo=timezone.utc)


def snapshot(**overrides) -> dict:
    data = {
        "location_id": "1-1000000001", "version": 3, "organisation_id": "1-100000001",
        "provider_name": "Alder Care Ltd", "brand_id": None, "brand_name": None, "kind": "care_home",
        "active": True, "name": "Alder House", "street_address": "1 Alder Road", "address_line_2": None,
        "city": "Barnsley", "county": "South Yorkshire", "postcode": "S70 1AA", "latitude": 53.5526,
        "longitude": -1.4797, "geocoded_by": "postcode", "la_code": "E08000016", "sub_icb_code": "E38000006",
        "icb_code": "E54000061", "nhs_region_code": "E40000012", "telephone": "0113 496 0001",
        "website": "www.alder-house.example", "registered_beds": 40, "overall_rating": "Good",
        "rating_published": None, "regulated_activities": ["Personal care"], "service_types": [],
        "service_user_bands": ["Dementia"], "specialisms": [], "dormant": False, "cqc_refreshed_at": None,
        "care_types": [], "funding_sources": [], "out_of_hours_admissions": None, "manager": {}, "rooms": {},
        "short_stay_services": None, "long_term_vacancy_types": [], "languages": ["English"],
        "reminders_enabled": True, "approved_contracts": [{"commissioner_kind": "local_authority",
                                                           "commissioner_code": "E08000016"}],
        "notes": [{"id": "n-1", "text": "Lift out of order until Friday", "author_id": None, "updated_at": NOW}],
        "updated_at": NOW,
    }
    data.update(overrides)
    return data


def test_a_well_built_snapshot_passes_and_the_consumer_loads_what_was_written():
    event = new_event("providers.location_updated", snapshot(), occurred_at=NOW)
    assert shape_problems(schema_of("providers.location_updated"), event.serialised) == []
    assert load_event(event.to_message()).data["notes"][0]["text"] == "Lift out of order until Friday"


@pytest.mark.parametrize("wrong, named", [
    ({"name": None}, "name: None is not allowed"),
    ({"active": None}, "active: None is not allowed"),
    ({"kind": None}, "kind: None is not allowed"),
    ({"notes": [{"id": "n-1", "text": None, "updated_at": NOW}]}, "notes[0].text: None is not allowed"),
    ({"approved_contracts": [{"commissioner_kind": "sub_icb"}]}, "approved_contracts[0].commissioner_code: missing"),
])
def test_none_where_none_is_not_allowed_or_a_nested_field_missing_is_refused(wrong, named):
    with pytest.raises(ContractBroken) as raised:
        new_event("providers.location_updated", snapshot(**wrong), occurred_at=NOW)
    assert named in str(raised.value)


@pytest.mark.parametrize("field", ["location_id", "version", "postcode", "la_code", "active"])
def test_a_required_field_missing_is_refused(field):
    data = snapshot()
    del data[field]
    with pytest.raises(ContractBroken) as raised:
        new_event("providers.location_updated", data, occurred_at=NOW)
    assert f"{field}: missing" in str(raised.value)


def test_a_required_field_that_allows_none_may_be_none():
    event = new_event("providers.location_updated", snapshot(la_code=None, sub_icb_code=None), occurred_at=NOW)
    assert event.serialised["la_code"] is None


@pytest.mark.parametrize("wrong", [{"version": "first"}, {"registered_beds": "forty"},
                                   {"updated_at": "yesterday"}])
def test_a_value_of_the_wrong_kind_is_refused_by_the_serialisation(wrong):
    with pytest.raises(ContractBroken):
        new_event("providers.location_updated", snapshot(**wrong), occurred_at=NOW)


def test_an_unknown_event_type_is_refused():
    with pytest.raises(ContractBroken):
        new_event("providers.no_such_event", snapshot(), occurred_at=NOW)


def test_other_producers_events_are_checked_the_same_way():
    organisation = {"organisation_id": "1-100000001", "version": 1, "name": "Alder Care Ltd",
                    "kind": "care_provider", "email_domains": [], "ons_code": None, "la_code": None,
                    "sub_icb_code": None}
    assert new_event("providers.organisation_updated", organisation, occurred_at=NOW).serialised["version"] == 1
    with pytest.raises(ContractBroken) as raised:
        new_event("providers.organisation_updated", {**organisation, "email_domains": None}, occurred_at=NOW)
    assert "email_domains: None is not allowed" in str(raised.value)


def test_the_short_way_serialises_as_the_schema_does():
    from tracker_common.contracts.events import _dump

    postcodes = {"directory_version": 3, "part": 1, "parts": 2, "postcodes": [("S70 1AA", 53.55, -1.48, None, None)],
                 "outcodes": [("S70", 53.5, -1.5)]}
    for event_type, data in (("providers.location_updated", snapshot()),
                             ("providers.location_updated", snapshot(notes=[], manager={"name": "Robin"})),
                             ("providers.postcodes_published", postcodes)):
        schema = schema_of(event_type)
        assert _dump(schema, data) == schema.dump(data)
        assert new_event(event_type, data, occurred_at=NOW).serialised == schema.dump(data)
    partial = {k: v for k, v in snapshot().items() if k not in ("brand_name", "notes")}  # absent: left out
    assert _dump(schema_of("providers.location_updated"), partial) == \
        schema_of("providers.location_updated").dump(partial)


def test_a_schema_with_hooks_is_dumped_by_marshmallow():
    from marshmallow import Schema, fields, post_dump

    from tracker_common.contracts.events import _dump

    class Shouting(Schema):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    assert _dump(Shouting(), {"name": "alder house"}) == {"name": "ALDER HOUSE"}
