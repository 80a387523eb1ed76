"""The search query's own checks (gateway and search service load it alike):
each incoherent or out-of-range query is refused naming the one field at
fault; coherent ones load as given."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from tracker_common.contracts.search import SearchQuery

BARNSLEY, SUB_BARNSLEY = "E08000016", "E38000006"


@pytest.mark.parametrize(("params", "field"), [
    pytest.param({}, "postcode", id="nowhere"),
    pytest.param({"la_code": BARNSLEY, "sub_icb_code": SUB_BARNSLEY}, "sub_icb_code", id="la-and-sub-icb"),
    pytest.param({"la_code": BARNSLEY, "radius_miles": 5}, "radius_miles", id="radius-without-postcode"),
    pytest.param({"la_code": BARNSLEY, "sort": "distance"}, "sort", id="distance-without-postcode"),
    pytest.param({"postcode": "S70 1AA", "vacancy_types": ["respite_care"]}, "vacancy_types",
                 id="short-stay-service-for-long-term"),
    pytest.param({"postcode": "S70 1AA", "stay": "short_stay", "vacancy_types": ["general_nursing"]},
                 "vacancy_types", id="long-term-type-for-short-stay"),
    pytest.param({"postcode": "S70 1AA", "per_page": 0}, "per_page", id="per-page-0"),
    pytest.param({"postcode": "S70 1AA", "per_page": 101}, "per_page", id="per-page-101"),
    pytest.param({"postcode": "S70 1AA", "page": 51, "per_page": 100}, "page", id="beyond-5000"),
    pytest.param({"postcode": "S70 1AA", "page": 2501, "per_page": 2}, "page", id="beyond-5000-small-pages"),
    pytest.param({"postcode": "S70 1AA", "radius_miles": 0}, "radius_miles", id="radius-0"),
    pytest.param({"postcode": "S70 1AA", "radius_miles": 501}, "radius_miles", id="radius-501"),
    pytest.param({"postcode": "NOT A PC"}, "postcode", id="invalid-postcode"),
    pytest.param({"postcode": "S70 1AA", "ratings": ["Excellent"]}, "ratings", id="unknown-rating"),
])
def test_the_schema_refuses(params, field):
    with pytest.raises(ValidationError) as raised:
        SearchQuery().load(params)

    assert list(raised.value.messages) == [field]


@pytest.mark.parametrize("params", [
    {"postcode": "S70 1AA", "page": 50, "per_page": 100},
    {"postcode": "S70 1AA", "radius_miles": 500, "sort": "distance"},
    {"la_code": BARNSLEY, "stay": "short_stay", "vacancy_types": ["respite_care"], "ratings": ["Not rated"]},
    {"sub_icb_code": SUB_BARNSLEY, "per_page": 100, "sort": "last_updated"},
])
def test_the_schema_accepts(params):
    loaded = SearchQuery().load(params)

    assert {key: loaded[key] for key in params} == params
