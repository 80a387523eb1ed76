"""Forgotten password, through the whole system: the link emailed by the
notifications service leads to the page where a new password is chosen;
the token held before is refused at once, the old password too, the new one
works and its owner is told by email; the administrator sees it all in the
audit of sign-ins. And a locked account's token stops working at once."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tracker_common.testing import page

from .test_web_journey import Browser

pytestmark = pytest.mark.system

PASSWORD, NEW_PASSWORD = "Heron-Valley-Beacon-27", "Linden-Harbour-Quartz-64"


def test_a_forgotten_password_is_reset_from_the_emailed_link_and_old_tokens_are_refused(system, unique):
    admin = system.admin_token()
    email = f"robin.{unique()}@barnsley.gov.uk"
    old_token = system.onboard(name="Robin Reset", email=email, organisation_id="la-E08000016")
    me = system.api("GET", "/api/v1/me", token=old_token).json()

    # Asking says the same whether or not the address has an account.
    asked = system.api("POST", "/api/v1/auth/password-reset-links", json={"email": email.upper()},
                       headers={"User-Agent": "Journey/1.0"})
    unknown = system.api("POST", "/api/v1/auth/password-reset-links", json={"email": f"no.{email}"})
    assert asked.status_code == unknown.status_code == 202 and asked.json() == unknown.json()

    [letter] = system.emails(email, subject="Reset your Capacity Tracker password")
    link = re.search(r"https://tracker\.example/reset-password\?token=\S+", letter["text"]).group(0)
    token = link.split("token=")[1]
    assert token not in str(system.identity_sql("SELECT * FROM password_reset_links"))  # only its hash

    browser = Browser(system)
    form = browser.visit(link)
    assert form.status_code == 200 and page(form).h1.get_text(strip=True) == "Choose a new password"
    assert urlsplit(form.url).query == ""  # the token left the address at once
    done = browser.submit(form, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert urlsplit(done.url).path == "/sign-in" and "Your password has been changed" in done.text

    refused = system.api("GET", "/api/v1/me", token=old_token)
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    assert system.api("POST", "/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code == 401
    assert system.api("GET", "/api/v1/me", token=system.login(email, NEW_PASSWORD)).status_code == 200
    again = system.api("POST", "/api/v1/auth/password-reset", json={"token": token, "new_password": PASSWORD})
    assert again.status_code == 422 and "token" in again.json()["errors"]
    [told] = system.emails(email, subject="Your Capacity Tracker password has been changed")
    assert "using a link sent to this email address" in told["text"]

    # The administrator reads it in the audit of sign-ins; the person reads their own.
    audit = system.api("GET", f"/api/v1/users/{me['id']}/audit?kind=sign_ins", token=admin)
    assert audit.status_code == 200
    outcomes = [e["action"] for e in audit.json()["entries"]]
    assert outcomes[:4] == ["succeeded", "failed", "password_reset_by_link", "reset_link_requested"]
    requested = audit.json()["entries"][3]
    assert requested["details"]["client_address"] == "127.0.0.1"
    assert requested["details"]["user_agent"] == "Journey/1.0"
    own = system.api("GET", f"/api/v1/users/{me['id']}/audit?kind=sign_ins",
                     token=system.login(email, NEW_PASSWORD))
    assert own.status_code == 200
    assert system.api("GET", "/api/v1/audit?kind=sign_ins", token=system.login(email, NEW_PASSWORD)).status_code == 403


def test_locking_an_account_stops_its_tokens_at_once(system, unique):
    email = f"lee.{unique()}@barnsley.gov.uk"
    token = system.onboard(name="Lee Locked", email=email, organisation_id="la-E08000016")
    assert system.api("GET", "/api/v1/me", token=token).status_code == 200
    for _ in range(5):
        system.api("POST", "/api/v1/auth/token", json={"email": email, "password": "Not-The-Password-1"})
    refused = system.api("GET", "/api/v1/me", token=token)
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
