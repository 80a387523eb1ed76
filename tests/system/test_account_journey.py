"""The capability end to end, through the gateway, over the bus: register →
routed to the approver → approved → first login demands a password change →
change → login → five bad passwords lock → unlocked 24 h later → a
deactivated user's token is refused at once."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.system


def register(system, **body):
    response = system.api("POST", "/api/v1/registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def decide(system, token, application_id, **body):
    return system.api("POST", f"/api/v1/applications/{application_id}/decision", token=token, json=body)


def first_login(system, email: str, new_password: str) -> str:
    one_time = system.one_time_password(email)
    refused = system.api("POST", "/api/v1/auth/token", json={"email": email, "password": one_time})
    assert refused.status_code == 403
    assert refused.json()["code"] == "password_change_required"
    changed = system.api("POST", "/api/v1/auth/password",
                         json={"email": email, "current_password": one_time, "new_password": new_password})
    assert changed.status_code == 204, changed.text
    return system.login(email, new_password)


def test_register_approve_login_lock_unlock_deactivate(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    admin = system.admin_token()

    # An approver registers: the organisation has no approver yet, so the
    # application goes to the administrators.
    alice_email = f"alice@{org}.example"
    alice_app = register(system, name="Alice Approver", email=alice_email, organisation_id=org, level="approver")
    assert alice_app["status"] == "pending" and alice_app["routed_to"] == "administrators"
    pending = system.api("GET", "/api/v1/applications", token=admin).json()["applications"]
    assert alice_app["id"] in [a["id"] for a in pending]
    assert decide(system, admin, alice_app["id"], decision="approve").json()["status"] == "approved"
    alice = first_login(system, alice_email, "Teal-Orchard-Compass-81")
    me = system.api("GET", "/api/v1/me", token=alice).json()
    assert {"approver", "care_home_user"} <= set(me["roles"])

    # A standard user registers for one home: routed to Alice, the approver.
    bob_email = f"bob@{org}.example"
    bob_app = register(system, name="Bob Carer", email=bob_email, organisation_id=org, location_id=home,
                       level="standard")
    assert bob_app["routed_to"] == "approvers"
    alice_sees = system.api("GET", "/api/v1/applications", token=alice).json()["applications"]
    assert [a["id"] for a in alice_sees] == [bob_app["id"]]
    approved = decide(system, alice, bob_app["id"], decision="approve")
    assert approved.status_code == 200, approved.text

    bob_password = "Willow-Granite-Harbour-36"
    first_login(system, bob_email, bob_password)
    bob = system.login(bob_email, bob_password)
    assert system.api("GET", "/api/v1/me", token=bob).json()["location_ids"] == [home]

    # Five wrong passwords lock the account for 24 hours.
    for attempt in range(1, 5):
        wrong = system.api("POST", "/api/v1/auth/token", json={"email": bob_email, "password": "not-it-at-all"})
        assert wrong.status_code == 401
        assert "locked for 24 hours" in wrong.json()["detail"]
    locked = system.api("POST", "/api/v1/auth/token", json={"email": bob_email, "password": "not-it-at-all"})
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked" and locked.json()["locked_until"]
    still = system.api("POST", "/api/v1/auth/token", json={"email": bob_email, "password": bob_password})
    assert still.status_code == 423

    system.advance_clock(hours=23, minutes=59)
    assert system.api("POST", "/api/v1/auth/token",
                      json={"email": bob_email, "password": bob_password}).status_code == 423
    system.advance_clock(minutes=2)
    bob = system.login(bob_email, bob_password)

    # Alice deactivates Bob: his token stops working at once.
    alice = system.login(alice_email, "Teal-Orchard-Compass-81")
    assert system.api("GET", "/api/v1/me", token=bob).status_code == 200
    gone = system.api("POST", f"/api/v1/users/{approved.json()['user_id']}/deactivation", token=alice)
    assert gone.status_code == 200 and gone.json()["status"] == "deactivated"
    refused = system.api("GET", "/api/v1/me", token=bob)
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    assert system.api("POST", "/api/v1/auth/token",
                      json={"email": bob_email, "password": bob_password}).status_code == 401


def test_a_rejected_applicant_cannot_log_in_and_the_reason_is_kept(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    admin = system.admin_token()
    application = register(system, name="Carol Gmail", email=f"carol.{unique()}@gmail.com", organisation_id=org,
                           level="standard")
    assert any(flag.startswith("personal_webmail") for flag in application["flags"])
    no_reason = decide(system, admin, application["id"], decision="reject")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    rejected = decide(system, admin, application["id"], decision="reject", reason="Personal email address")
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "Personal email address"
    again = decide(system, admin, application["id"], decision="approve")
    assert again.status_code == 409


def test_an_api_key_is_shown_once_reads_through_the_gateway_and_stops_when_revoked(system, unique):
    admin = system.admin_token()
    api_user = system.api("POST", "/api/v1/api-users", token=admin, json={
        "name": "Nightly feed", "email": f"feed.{unique()}@barnsley.gov.uk", "organisation_id": "la-E08000016"})
    assert api_user.status_code == 201 and api_user.json()["roles"] == ["api_user"]
    user_id = api_user.json()["id"]
    created = system.api("POST", f"/api/v1/api-users/{user_id}/keys", token=admin, json={"label": "nightly"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ctk_")
    listed = system.api("GET", f"/api/v1/api-users/{user_id}/keys", token=admin).json()["api_keys"]
    assert [k["id"] for k in listed] == [created.json()["id"]] and "key" not in listed[0]
    assert key not in str(system.identity_sql("SELECT * FROM api_keys"))  # only its hash is kept

    me = system.api("GET", "/api/v1/me", token=key)
    assert me.status_code == 200 and me.json()["id"] == user_id
    assert system.api("GET", "/api/v1/audit", token=key).status_code == 403
    revoked = system.api("DELETE", f"/api/v1/api-users/{user_id}/keys/{created.json()['id']}", token=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert system.api("GET", "/api/v1/me", token=key).status_code == 401
