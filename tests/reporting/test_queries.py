"""The reports' queries refuse what cannot be answered, naming the field."""
from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from tracker_common.contracts.reporting import BedStateQuery, LastModifiedQuery, UtilisationQuery, months_apart


@pytest.mark.parametrize("query, field, message", [
    ({}, "rows", "Missing data for required field."),
    ({"rows": "postcode"}, "rows", "Must be one of"),
    ({"rows": "month", "columns": "month"}, "columns", "different dimension"),
    ({"rows": "vacancy_type", "from_month": "2026-13"}, "from_month", "Not a month"),
    ({"rows": "vacancy_type", "from_month": "Nov 2026"}, "from_month", "Not a month"),
    ({"rows": "month", "from_month": "2026-11", "to_month": "2026-10"}, "to_month", "before the first"),
    ({"rows": "month", "from_month": "2023-01", "to_month": "2026-01"}, "to_month", "At most 36 months"),
    ({"rows": "local_authority", "from_month": "2026-10", "to_month": "2026-11"}, "to_month",
     "put month on the rows or the columns"),
    ({"rows": "vacancy_type", "la_code": "Barnsley"}, "la_code", "Not an ONS code"),
    ({"rows": "vacancy_type", "per_page": "501"}, "per_page", "less than or equal to 500"),
])
def test_utilisation_refusals_name_the_field(query, field, message):
    with pytest.raises(ValidationError) as refused:
        UtilisationQuery().load(query)
    assert message in " ".join(refused.value.messages[field])


def test_a_range_of_months_is_accepted_with_month_as_a_dimension():
    loaded = UtilisationQuery().load({"rows": "vacancy_type", "columns": "month", "from_month": "2024-01",
                                      "to_month": "2026-12"})
    assert (loaded["from_month"], loaded["to_month"]) == (date(2024, 1, 1), date(2026, 12, 1))
    assert months_apart(loaded["from_month"], loaded["to_month"]) == 36


def test_bed_state_takes_exactly_one_area():
    for query in ({}, {"la_code": "E08000016", "sub_icb_code": "E38000006"}):
        with pytest.raises(ValidationError) as refused:
            BedStateQuery().load(query)
        assert "la_code" in refused.value.messages
    assert BedStateQuery().load({"sub_icb_code": "E38000006"}) == {"sub_icb_code": "E38000006"}


def test_last_modified_hours_are_bounded():
    with pytest.raises(ValidationError) as refused:
        LastModifiedQuery().load({"not_updated_for_hours": "0"})
    assert "not_updated_for_hours" in refused.value.messages
