"""Email end to end: the services' events become emails that arrive at a
real SMTP server (the mail catcher `make run` starts); a newcomer signs in
with the one-time password read from the email; administrators read the
history through the gateway (secrets hidden) and change templates; a
reminder is sent from a report; a contract request reaches the people
identity routes it to."""
from __future__ import annotations

import re

import pytest

from tracker_common.testing import wait_until

pytestmark = pytest.mark.system
NOTIFICATIONS = "/api/v1/notifications"


def register(system, **body) -> dict:
    response = system.api("POST", "/api/v1/registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_from_application_to_sign_in_by_email_and_the_history_administrators_read(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    admin = system.admin_token()
    alice_email, alice_name = f"alice@{org}.example", f"Alice {unique().capitalize()}"
    application = register(system, name=alice_name, email=alice_email, organisation_id=org, level="approver")

    # The application is routed to the administrators: they are emailed.
    [to_review] = system.emails(system.env["ADMIN_EMAIL"], subject=f"{alice_name} has applied for access")
    assert f"{alice_name} ({alice_email}) from Provider {org}" in to_review["text"]
    assert "https://tracker.example/applications" in to_review["text"]

    decided = system.api("POST", f"/api/v1/applications/{application['id']}/decision", token=admin,
                         json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    [welcome] = system.emails(alice_email)
    assert welcome["subject"] == "Your Capacity Tracker account is ready"
    one_time = re.search(r"one-time password: (\S+)", welcome["text"]).group(1)
    assert one_time in welcome["html"]
    changed = system.api("POST", "/api/v1/auth/password", json={
        "email": alice_email, "current_password": one_time, "new_password": "Teal-Orchard-Compass-81"})
    assert changed.status_code == 204, changed.text
    alice = system.login(alice_email, "Teal-Orchard-Compass-81")

    # Administrators see what was sent to her, the password hidden.
    def sent_to_alice():
        page = system.api("GET", NOTIFICATIONS, token=admin, params={"to": alice_email}).json()
        return page if page["total"] >= 1 and page["notifications"][0]["status"] == "delivered" else None
    page = wait_until(sent_to_alice, message="the delivered status recorded")
    [approval] = page["notifications"]
    assert approval["template"]["id"] == "user-approved" and approval["sender"] == "identity"
    found = system.api("GET", f"{NOTIFICATIONS}/{approval['id']}", token=admin).json()
    assert "one-time password: (hidden)" in found["body"] and one_time not in str(found)
    assert [h["outcome"] for h in found["history"]] == ["delivered"]
    assert system.sql("notifications", "SELECT count(*) FROM notifications WHERE personalisation_sealed IS NOT NULL "
                                       "AND \"to\" = :to", to=alice_email)[0][0] == 0
    for process in ("identity", "notifications", "gateway", "mail"):
        assert one_time not in system.log(process), f"the one-time password is in the {process} log"
    by_reference = system.api("GET", NOTIFICATIONS, token=admin, params={"reference": approval["reference"]}).json()
    assert [n["id"] for n in by_reference["notifications"]] == [approval["id"]]

    # Only administrators, and only known filters.
    assert system.api("GET", NOTIFICATIONS, token=alice).status_code == 403
    assert system.api("GET", f"{NOTIFICATIONS}/{approval['id']}", token=alice).status_code == 403
    bad = system.api("GET", NOTIFICATIONS, token=admin, params={"status": "lost", "recipient": "x"})
    assert bad.status_code == 422 and {"status", "recipient"} <= set(bad.json()["errors"])
    assert system.api("GET", f"{NOTIFICATIONS}/no-such-id", token=admin).status_code == 404

    # Five wrong passwords: she is told her account is locked.
    for _ in range(5):
        system.api("POST", "/api/v1/auth/token", json={"email": alice_email, "password": "not-it-at-all"})
    [locked] = system.emails(alice_email, subject="Your Capacity Tracker account is locked")
    assert "5 times in a row" in locked["text"]


def test_administrators_publish_new_wording_within_a_template_placeholders(system):
    admin = system.admin_token()
    templates = system.api("GET", f"{NOTIFICATIONS}/templates", token=admin).json()["templates"]
    assert {"user-approved", "capacity-reminder", "monthly-refresh", "manual-reminder"} <= {t["id"] for t in templates}
    refused = system.api("PUT", f"{NOTIFICATIONS}/templates/access-approved", token=admin, json={
        "subject": "More locations", "body": "Hello ((name)), see ((locations))"})
    assert refused.status_code == 422 and "name" in refused.json()["errors"]["body"][0]
    published = system.api("PUT", f"{NOTIFICATIONS}/templates/access-approved", token=admin, json={
        "subject": "You can now update more locations", "body": "You can now update:\n((locations))\n\n"
                                                                 "((sign in link))"})
    assert published.status_code == 200, published.text
    assert published.json()["version"] >= 2 and published.json()["versions"][0]["created_by"]
    assert system.api("PUT", f"{NOTIFICATIONS}/templates/no-such", token=admin,
                      json={"subject": "s", "body": "b"}).status_code == 404


def test_a_reminder_from_a_report_and_a_contract_request_reach_the_right_people(system, unique):
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    carer_email = f"casey.{unique()}@care.example"
    carer = system.onboard(name="Casey Carer", email=carer_email, organisation_id=home["provider_id"],
                           location_id=home["id"])

    # Care home users cannot send reminders; an administrator can.
    assert system.api("POST", f"{NOTIFICATIONS}/reminders", token=carer,
                      json={"location_ids": [home["id"]]}).status_code == 403
    assert system.api("POST", f"{NOTIFICATIONS}/reminders", token=admin, json={}).status_code == 422
    sent = system.api("POST", f"{NOTIFICATIONS}/reminders", token=admin, json={"location_ids": [home["id"]]})
    assert sent.status_code == 202, sent.text
    assert carer_email in [r["to"] for r in sent.json()["reminded"]]
    [reminder] = system.emails(carer_email, subject="Update the capacity of")
    assert reminder["subject"] == f"Update the capacity of {home['name']} on the Capacity Tracker"
    assert f"has asked you to update the capacity of {home['name']}" in reminder["text"]

    # A contract request goes to whoever identity routes it to (here, with
    # no approver at the council, the administrators).
    requested = system.api("POST", f"/api/v1/locations/{home['id']}/contracts", token=carer,
                           json={"commissioner_kind": "local_authority", "commissioner_code": home["la_code"]})
    assert requested.status_code in (200, 201), requested.text
    [request] = system.emails(system.env["ADMIN_EMAIL"], subject=f"{home['name']} says it has a contract with")
    assert "https://tracker.example/contracts" in request["text"]
