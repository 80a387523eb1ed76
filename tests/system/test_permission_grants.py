"""Granted permissions bound to organisations, through the real gateway and
identity: a care home's approver cannot be made a broker (and so still
cannot search its competitors), a council's person can."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.system


def test_broker_is_refused_for_a_care_home_and_granted_to_a_council(system, unique):
    admin = system.admin_token()
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    carer = system.onboard(name="Erin Approver", email=f"erin@{org}.example", organisation_id=org, level="approver")
    carer_id = system.identity_sql("SELECT id FROM users WHERE email = :e", e=f"erin@{org}.example")[0][0]

    refused = system.api("PUT", f"/api/v1/users/{carer_id}/permissions", token=admin, json={"roles": ["broker"]})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert (body["code"], body["rule"]) == ("invalid_input", "permission_holders")
    assert body["errors"] == {"roles": [
        "Broker may be held only by people of a Local Authority or a Sub-ICB, not a care provider."]}
    assert system.identity_sql("SELECT granted_roles FROM users WHERE id = :i", i=carer_id)[0][0] == []
    assert system.api("GET", "/api/v1/search/vacancies", token=carer,
                      params={"postcode": "S70 1AA"}).status_code == 403

    council = system.identity_sql("SELECT id FROM organisations WHERE kind = 'local_authority' ORDER BY id")[0][0]
    email = f"sue.{unique()}@council.example"
    system.onboard(name="Sue Broker", email=email, organisation_id=council)
    sue_id = system.identity_sql("SELECT id FROM users WHERE email = :e", e=email)[0][0]
    granted = system.api("PUT", f"/api/v1/users/{sue_id}/permissions", token=admin, json={"roles": ["broker"]})
    assert granted.status_code == 200, granted.text
    assert "broker" in granted.json()["roles"]
    assert "broker" in system.api("GET", "/api/v1/me", token=system.login(email, "Heron-Valley-Beacon-27")).json()[
        "roles"]
