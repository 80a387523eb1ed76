"""The second factor end to end, through the gateway, over the bus: an
approver's first login sets up an authenticator app; later logins need its
code, good once; wrong codes lock the account like wrong passwords; an
administrator's reset ends the approver's sessions and emails them, and
their next login sets up a new app. A care home user needs no code."""
from __future__ import annotations

import pyotp
import pytest

pytestmark = pytest.mark.system
PASSWORD = "Heron-Valley-Beacon-27"  # System.onboard's


def token_call(system, email, **extra):
    return system.api("POST", "/api/v1/auth/token", json={"email": email, "password": PASSWORD, **extra})


def test_an_approvers_second_factor_from_first_login_to_an_administrators_reset(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    admin = system.admin_token()
    email = f"ada@{org}.example"
    ada = system.onboard(name="Ada Approver", email=email, organisation_id=org, level="approver")  # sets up an app
    me = system.api("GET", "/api/v1/me", token=ada).json()
    assert me["mfa_enabled"] is True
    status = system.api("GET", "/api/v1/me/mfa", token=ada).json()
    assert (status["required"], status["recovery_codes_left"]) == (True, 10)

    # The password alone is not enough; the code with it is, once.
    refused = token_call(system, email)
    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_required")
    assert "access_token" not in refused.json()
    code = system.mfa_code(email)
    assert token_call(system, email, code=code).status_code == 200
    replayed = token_call(system, email, code=code)
    assert (replayed.status_code, replayed.json()["code"]) == (401, "invalid_mfa_code")

    # An administrator resets it: Ada's token stops, she is emailed, and her
    # next login sets up a new app.
    reset = system.api("POST", f"/api/v1/users/{me['id']}/mfa-reset", token=admin)
    assert reset.status_code == 200 and reset.json()["mfa_enabled"] is False
    assert system.api("GET", "/api/v1/me", token=ada).status_code == 401
    [told] = system.emails(email, subject="Set up your authenticator app again")
    assert "/sign-in" in told["text"]
    audit = system.api("GET", f"/api/v1/users/{me['id']}/audit", token=admin).json()["entries"]
    assert "mfa_reset" in [entry["action"] for entry in audit]
    again = token_call(system, email)
    assert again.json()["code"] == "mfa_enrolment_required"
    key = system.api("POST", "/api/v1/auth/mfa/enrolment", json={"mfa_token": again.json()["mfa_token"]}).json()
    system.mfa_secrets[email] = key["secret"]
    confirmed = system.api("POST", "/api/v1/auth/mfa/enrolment/confirmation",
                           json={"mfa_token": again.json()["mfa_token"], "code": system.mfa_code(email)})
    assert confirmed.status_code == 200 and len(confirmed.json()["recovery_codes"]) == 10

    # A recovery code signs in once; wrong codes lock the account like wrong passwords.
    recovery = confirmed.json()["recovery_codes"][0]
    assert token_call(system, email, code=recovery).status_code == 200
    assert token_call(system, email, code=recovery).status_code == 401
    challenge = token_call(system, email).json()["mfa_token"]
    wrong = str((int(pyotp.TOTP(key["secret"]).now()) + 1) % 1_000_000).zfill(6)
    answers = [system.api("POST", "/api/v1/auth/mfa", json={"mfa_token": challenge, "code": wrong}).status_code
               for _ in range(4)]
    assert answers == [401, 401, 401, 423]  # the used recovery code above was the first wrong one
    assert token_call(system, email, code=system.mfa_code(email)).status_code == 423


def test_a_care_home_user_signs_in_without_a_code(system, unique):
    org, home = f"prov-{unique()}", f"1-{unique()}"
    system.add_care_provider(org, f"{org}.example", home)
    email = f"cal@{org}.example"
    system.onboard(name="Cal Carer", email=email, organisation_id=org, location_id=home)
    assert "access_token" in token_call(system, email).json()
