"""A care home manager on the web pages, against the real system: she
applies for an account, finding her home by its postcode; the link in the
approval email leads to the sign-in page; the one-time password is
changed there; the capacity form refuses a wrong figure (saving nothing),
then saves; the location's page, the API and the search read model agree.
An approver decides a contract from the link in their email."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from tracker_common.testing import error_summary, page, wait_until

pytestmark = pytest.mark.system


class Browser:
    """Keeps the session cookie and follows redirects as a browser does.
    PUBLIC_URL is https here, so the cookie is Secure; the test talks plain
    http to the gateway, as the TLS-terminating proxy in front of it would,
    so the cookie is sent by hand (requests would hold it back)."""

    def __init__(self, system):
        self.system = system
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        for _ in range(5):
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
            response = self.http.request(method, f"{self.system.base}{path}", headers=headers,
                                         allow_redirects=False, timeout=30, **kwargs)
            self.cookies.update({c.name: c.value for c in response.cookies})
            if response.status_code not in (301, 302, 303):
                return response
            method, kwargs = "GET", {}
            path = response.headers["Location"]
        raise AssertionError("too many redirects")

    def visit(self, link: str) -> requests.Response:
        """Follow a link (from an email: its host is the public one)."""
        parts = urlsplit(link)
        return self.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))

    def submit(self, response: requests.Response, fields: dict, *, form: int = 0,
               button: tuple[str, str] | None = None) -> requests.Response:
        """Fill in and send a form of the page, as a browser does: every
        field it holds (hidden ones too), changed by `fields`."""
        html = page(response)
        chosen = html.select("main form")[form]
        data = {i["name"]: i.get("value", "") for i in chosen.select("input[name]")
                if i.get("type") != "checkbox" or i.has_attr("checked")}
        data.update({s["name"]: (s.find("option", selected=True) or {"value": ""})["value"]
                     for s in chosen.select("select[name]")})
        data.update(fields)
        if button:
            data[button[0]] = button[1]
        return self.request("POST", chosen["action"], data=data)


def summary(response) -> list[str]:
    return [text for _, text in error_summary(response)]


def test_a_care_home_manager_signs_in_from_the_email_and_updates_capacity(system, unique):
    admin = system.admin_token()
    home = system.home_without_a_return(admin)
    assert system.api("PUT", f"/api/v1/locations/{home['id']}/services", token=admin, json={
        "short_stay_services": ["respite_care"],
        "long_term_vacancy_types": ["general_residential"]}).status_code == 200
    email = f"morgan.{unique()}@care.example"

    # She applies on the web: finds her home by its postcode, "My Care Home".
    applying = Browser(system)
    found = applying.visit(f"/register?place={home['postcode']}")
    choice = f"{home['provider_id']}|{home['id']}"
    assert page(found).find("input", {"name": "choice", "value": choice}) is not None, found.text
    sent = applying.submit(found, {"choice": choice, "name": "Morgan Manager", "email": email, "level": "standard"},
                           form=1)  # (the first is the search)
    assert sent.status_code == 200 and "Application sent" in sent.text
    application = next(a for a in system.api("GET", "/api/v1/applications", token=admin).json()["applications"]
                       if a["email"] == email)
    assert application["location_ids"] == [home["id"]]
    assert system.api("POST", f"/api/v1/applications/{application['id']}/decision", token=admin,
                      json={"decision": "approve"}).status_code == 200
    [welcome] = system.emails(email, subject="Your Capacity Tracker account is ready")
    one_time = re.search(r"one-time password: (\S+)", welcome["text"]).group(1)
    link = re.search(r"https://tracker\.example/sign-in\S*", welcome["text"]).group(0)

    browser = Browser(system)
    sign_in = browser.visit(link)
    assert sign_in.status_code == 200 and page(sign_in).h1.get_text(strip=True) == "Sign in"
    # The one-time password must be changed first: the page says so.
    to_change = browser.submit(sign_in, {"email": email, "password": one_time})
    assert urlsplit(to_change.url).path == "/account/password"
    assert "choose a new password" in to_change.text
    mismatch = browser.submit(to_change, {"current_password": one_time, "new_password": "Linden-Harbour-Quartz-64",
                                          "confirm_password": "Linden-Harbour-Quartz-46"})
    assert mismatch.status_code == 422 and summary(mismatch) == [
        "Confirm new password: the two new passwords are not the same"]
    changed = browser.submit(mismatch, {"current_password": one_time, "new_password": "Linden-Harbour-Quartz-64",
                                        "confirm_password": "Linden-Harbour-Quartz-64"})
    assert urlsplit(changed.url).path == "/sign-in"
    assert "Your password has been changed" in changed.text
    signed_in = browser.submit(changed, {"password": "Linden-Harbour-Quartz-64"})
    assert urlsplit(signed_in.url).path == "/capacity", signed_in.text

    # Her home is listed, never updated.
    card = page(signed_in).find(attrs={"data-location": home["id"]})
    assert card is not None and "No return yet" in card.get_text()
    # The services it offers (set up by the administrator above) are ticked;
    # saving them as they are leads on to the capacity form.
    services = browser.visit(f"/locations/{home['id']}/services")
    assert [i["value"] for i in page(services).select("input[type=checkbox][checked]")] == [
        "general_residential", "respite_care"]
    form = browser.submit(services, {})
    assert urlsplit(form.url).path == f"/locations/{home['id']}/capacity"
    assert f"Services saved for {home['name']}." in form.text

    # Wrong figures: each named, nothing saved. Four more beds than CQC
    # registered need confirming.
    beds = home["registered_beds"]
    refused = browser.submit(form, {
        "general_residential-weekly_price_from": "£795", "general_residential-maximum_capacity": str(beds + 4),
        "general_residential-occupied": str(beds), "general_residential-vacant_reserved": "0",
        "general_residential-vacant_accepting": "5", "general_residential-vacant_not_available": "0",
        "short_stay-respite_care": "900"})
    assert refused.status_code == 422
    assert summary(refused) == [
        f"General residential, maximum capacity: Occupied, reserved, accepting and not available add up to "
        f"{beds + 5}, more than the maximum capacity of {beds + 4}.",
        f"Registered beds: The total maximum capacity of {beds + 4} is above the {beds} beds registered with CQC. "
        f"Confirm it to save it: the return is then flagged for the System Champions."]
    assert page(refused).find(id="general_residential-vacant_accepting")["value"] == "5"
    assert system.api("GET", f"/api/v1/locations/{home['id']}/capacity-returns/current",
                      token=admin).status_code == 404

    saved = browser.submit(refused, {"general_residential-vacant_accepting": "3",
                                     "confirm_over_registered_capacity": "yes"})
    assert urlsplit(saved.url).path == "/capacity"
    assert f"Capacity saved for {home['name']}: accepting admissions." in saved.text
    card = page(saved).find(attrs={"data-location": home["id"]})
    assert "Accepting admissions (3 vacant)" in card.get_text(" ", strip=True)
    current = system.api("GET", f"/api/v1/locations/{home['id']}/capacity-returns/current", token=admin).json()
    assert current["submitted_by"] and current["vacancies"][0]["weekly_price_from"] == "795.00"
    assert current["short_stay_prices"] == {"respite_care": "900.00"} and current["over_registered_capacity"]

    # A note on the home (from the API), shown on its own page, newest first.
    assert system.api("POST", f"/api/v1/locations/{home['id']}/notes", token=admin,
                      json={"text": "Hoist and ceiling track in rooms 4-9."}).status_code == 201
    own_page = browser.visit(f"/locations/{home['id']}")
    assert own_page.status_code == 200, own_page.text
    assert "Hoist and ceiling track in rooms 4-9." in page(own_page).find(id="notes").get_text()

    # Signed out (the form in the header), the pages ask for sign-in again.
    token = page(saved).select_one("header form input[name=csrf_token]")["value"]
    signed_out = browser.request("POST", "/sign-out", data={"csrf_token": token})
    assert urlsplit(signed_out.url).path == "/sign-in" and "You have signed out." in signed_out.text
    again = browser.visit(f"/locations/{home['id']}/capacity")
    assert urlsplit(again.url).path == "/sign-in"


def test_an_administrator_decides_a_contract_from_the_link_in_the_email(system, unique):
    admin_email, admin_password = system.env["ADMIN_EMAIL"], system.env["ADMIN_PASSWORD"]
    admin = system.admin_token()
    # a home whose Local Authority has no approvers: its contracts go to the administrators
    home = system.home_without_a_return(admin, where=lambda h: not system.commissioner_has_approvers(h["la_code"]))
    carer = system.onboard(name="Casey Carer", email=f"casey.{unique()}@care.example",
                           organisation_id=home["provider_id"], location_id=home["id"])
    requested = system.api("POST", f"/api/v1/locations/{home['id']}/contracts", token=carer,
                           json={"commissioner_kind": "local_authority", "commissioner_code": home["la_code"]})
    assert requested.status_code in (200, 201), requested.text
    contract_id = next(c["id"] for c in requested.json()["contracts"] if c["status"] == "requested")
    [asked] = system.emails(admin_email, subject=f"{home['name']} says it has a contract with")
    link = re.search(r"https://tracker\.example/contracts\S*", asked["text"]).group(0)

    browser = Browser(system)
    to_sign_in = browser.visit(link)
    assert urlsplit(to_sign_in.url).path == "/sign-in"
    asked_code = browser.submit(to_sign_in, {"email": admin_email, "password": admin_password})
    assert urlsplit(asked_code.url).path == "/sign-in/code"  # an administrator gives a second factor
    contracts = browser.submit(asked_code, {"code": system.mfa_code(admin_email)})
    assert urlsplit(contracts.url).path == "/contracts"
    forms = page(contracts).select("main form")
    index = next(i for i, f in enumerate(forms) if f["action"] == f"/contracts/{contract_id}/decision")
    assert home["name"] in page(contracts).find(id=f"contract-{contract_id}").get_text()

    unexplained = browser.submit(contracts, {}, form=index, button=("decision", "decline"))
    assert unexplained.status_code == 422 and summary(unexplained) == ["Reason: Give a reason to decline."]
    approved = browser.submit(contracts, {}, form=index, button=("decision", "approve"))
    assert f"Contract with {home['name']} approved" in approved.text
    assert page(approved).find(id=f"contract-{contract_id}") is None

    # The administrator's own organisation's people, themselves among them.
    people = browser.visit("/users")
    assert admin_email in page(people).get_text()
    forms = page(people).select("main form")
    mine = next(i for i, f in enumerate(forms) if f["action"].endswith("/deactivation")
                and admin_email in f.find_parent(attrs={"data-user": True}).get_text())
    refused = browser.submit(people, {}, form=mine)
    assert "You cannot deactivate your own account." in refused.text

    def in_the_location():
        contracts = system.api("GET", f"/api/v1/locations/{home['id']}", token=admin).json()["contracts"]
        return next((c for c in contracts if c["id"] == contract_id and c["status"] == "approved"), None)
    wait_until(in_the_location, message="the approved contract on the location")
