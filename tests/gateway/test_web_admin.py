"""Administrators' pages: Terms of Use, API users and their keys, the audit
log, the emails sent and their templates, the people page's permissions,
and deactivating a location (administrators, and brokers in their area).

The services behind the pages are a fake that answers each (service,
method) as the test says and records what it was sent (conftest.py); a page
a person may not open must not call any service at all."""
from __future__ import annotations

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Principal, Role
from tracker_common.keys import signing_key
from tracker_common.testing import csrf_token, error_summary, notices, page
from tracker_common.tokens import issue_access_token

from .conftest import HOME, LOCATION, NOW

LEEDS, WAKEFIELD = "E08000035", "E08000036"
PEOPLE_OF = {  # who signs in: (organisation, roles, aligned codes)
    "administrator": ("ct-national", {Role.ADMIN, Role.NON_CARE_HOME_USER, Role.APPROVER}, ()),
    "approver": ("prov-a", {Role.CARE_HOME_USER, Role.APPROVER}, ()),
    "standard user": ("prov-a", {Role.CARE_HOME_USER}, ()),
    "another organisation's approver": ("la-wakefield", {Role.NON_CARE_HOME_USER, Role.APPROVER}, (WAKEFIELD,)),
    "Leeds broker": ("la-leeds", {Role.NON_CARE_HOME_USER, Role.BROKER}, (LEEDS,)),
    "Wakefield broker": ("la-wakefield", {Role.NON_CARE_HOME_USER, Role.BROKER}, (WAKEFIELD,)),
}
NOT_ADMINISTRATORS = ["approver", "standard user", "another organisation's approver", "Leeds broker"]


@pytest.fixture
def signed_in_as(browser, backend):
    """signed_in_as(who): signed in on the pages as one of PEOPLE_OF."""
    def sign_in(who: str) -> None:
        organisation, roles, aligned = PEOPLE_OF[who]
        principal = Principal("u-1", organisation, frozenset(roles), aligned_codes=frozenset(aligned))
        backend.answers[("identity", "authenticate")] = {
            "access_token": issue_access_token(principal, private_key=signing_key(), now=NOW, lifetime_seconds=900),
            "token_type": "bearer", "expires_in": 900}
        response = browser.post("/sign-in", data={"email": "ash@example.org", "password": "Heron-Valley-Beacon-27",
                                                  "csrf_token": csrf_token(browser.get("/sign-in"))})
        assert response.status_code == 302, response.get_data(as_text=True)
        backend.calls.clear()
    return sign_in


def form(browser, path: str, **fields) -> dict:
    return {"csrf_token": csrf_token(browser.get("/sign-in")), **fields}


# -- who may open each page ---------------------------------------------------------------------
ADMIN_PAGES = [("get", "/admin"), ("get", "/admin/terms"), ("post", "/admin/terms"), ("get", "/admin/api-users"),
               ("post", "/admin/api-users"), ("post", "/admin/api-users/u-9/keys"),
               ("post", "/admin/api-users/u-9/keys/k-1/revocation"), ("get", "/admin/audit"),
               ("get", "/admin/emails"), ("get", "/admin/emails/6f1f7a5e-0c1e-4d55-9a8e-1d1f5b0c2a11"),
               ("get", "/admin/templates"), ("get", "/admin/templates/user-approved"),
               ("post", "/admin/templates/user-approved")]


@pytest.mark.parametrize("who", NOT_ADMINISTRATORS)
def test_only_administrators_open_the_administration_pages(browser, backend, signed_in_as, who):
    signed_in_as(who)
    data = form(browser, "", text="New terms of use for everyone", confirm="yes", label="Feed",
                subject="s", body="b", name="Feed", email="feed@leeds.gov.uk", organisation="la-leeds")
    for method, path in ADMIN_PAGES:
        response = browser.get(path) if method == "get" else browser.post(path, data=data)
        assert response.status_code == 403, (method, path)
        assert page(response).h1.get_text(strip=True) == "You cannot see this page"
    assert backend.calls == []


@pytest.mark.parametrize("who, shown", [("administrator", True), ("approver", False), ("standard user", False),
                                        ("another organisation's approver", False), ("Leeds broker", False)])
def test_the_administration_link_is_for_administrators(browser, backend, signed_in_as, who, shown):
    signed_in_as(who)
    backend.answers[("identity", "current_terms")] = {"version": 1, "text": "x" * 20, "published_at": NOW.isoformat()}
    backend.answers[("providers", "get_location")] = LOCATION
    navigation = page(browser.get(f"/locations/{HOME}")).find(id="navigation")
    assert (navigation.find("a", href="/admin") is not None) is shown


def test_the_administration_page_leads_to_each_job(browser, backend, signed_in_as):
    signed_in_as("administrator")
    links = [a["href"] for a in page(browser.get("/admin")).select("#administration a")]
    assert links == ["/users", "/admin/api-users", "/admin/terms", "/admin/audit", "/admin/emails", "/admin/templates"]


# -- Terms of Use ----------------------------------------------------------------------------------
TERMS = ("These Terms of Use apply to everyone who uses the Capacity Tracker for adult social care in England. "
         "You must keep your password to yourself, enter figures that are true when you enter them, and use what "
         "you see only to find care for people who need it. " * 4).strip()


def test_the_current_terms_are_shown_and_a_new_version_is_published(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "current_terms")] = {"version": 3, "text": TERMS,
                                                      "published_at": "2026-01-05T10:30:00+00:00"}
    shown = page(browser.get("/admin/terms"))
    assert shown.h1.get_text(strip=True) == "Terms of Use"
    assert "Current version: 3" in shown.get_text()
    assert shown.find(id="current-terms").get_text(strip=True) == TERMS
    assert "10:30am on 5 January 2026" in shown.find(id="terms-published").get_text()
    assert "accept the new version when they next sign in" in shown.select_one(".govuk-warning-text").get_text()

    backend.answers[("identity", "publish_terms")] = lambda actor, payload: {
        "version": 4, "text": payload["text"], "published_at": NOW.isoformat()}
    response = browser.post("/admin/terms", data=form(browser, "/admin/terms", text=TERMS + " New clause.",
                                                      confirm="yes"))
    assert response.headers["Location"] == "/admin/terms"
    assert backend.sent_to("identity", "publish_terms")["payload"] == {"text": TERMS + " New clause."}
    assert notices(browser.get("/admin/terms")) == [
        "Terms of Use version 4 are published: everyone accepts them when they next sign in."]


def test_terms_are_published_only_when_given_and_confirmed(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "current_terms")] = service_errors.NotFound("No terms yet.")
    assert "No Terms of Use have been published yet." in page(browser.get("/admin/terms")).get_text()
    response = browser.post("/admin/terms", data=form(browser, "/admin/terms", text="short"))
    assert response.status_code == 422
    assert error_summary(response) == [("text", "Enter the new Terms of Use (at least 10 characters)"),
                                       ("confirm", "Confirm that everyone must accept the new Terms of Use")]
    assert page(response).find(id="text").get_text() == "short"  # what was typed is kept
    assert ("identity", "publish_terms") not in backend.calls


# -- API users and keys ------------------------------------------------------------------------------
FEED = {"id": "u-9", "name": "Leeds Teaching Hospitals discharge dashboard (nightly bed state feed)",
        "email": "integration.team.discharge-dashboard@leedsteachinghospitals.nhs.example", "api_user": True,
        "status": "active", "organisation_id": "la-leeds"}
PERSON = {"id": "u-7", "name": "Robin Reed", "email": "robin@leeds.gov.uk", "api_user": False, "status": "active"}
KEYS = [{"id": "k-1", "label": "Nightly bed state report to the regional data warehouse", "prefix": "3fa9c2d1",
         "created_at": "2026-01-05T10:30:00+00:00", "revoked_at": None, "last_used_at": "2026-03-02T02:00:00+00:00"},
        {"id": "k-0", "label": "Pilot", "prefix": "0b1c2d3e", "created_at": "2025-11-01T09:00:00+00:00",
         "revoked_at": "2026-01-05T10:31:00+00:00", "last_used_at": None}]
SECRET = "ctk_7d2e4f1a_" + "Zq3" * 14


def test_api_users_are_listed_with_their_keys_but_never_a_secret(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "list_users")] = [PERSON, FEED]
    backend.answers[("identity", "list_api_keys")] = KEYS
    shown = page(browser.get("/admin/api-users?organisation=la-leeds"))
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "la-leeds"
    assert [card["data-api-user"] for card in shown.select("[data-api-user]")] == ["u-9"]  # people are not API users
    rows = [row.get_text(" ", strip=True) for row in shown.select("[data-key]")]
    assert "ctk_3fa9c2d1_" in rows[0] and "2:00am on 2 March 2026" in rows[0]
    assert "Revoked" in rows[1] and "Never" in rows[1]
    assert shown.select('[data-key="k-0"] form') == []  # a revoked key has nothing left to revoke
    assert "ctk_" not in "".join(i.get("value", "") for i in shown.find_all("input"))


def test_an_api_user_is_added_and_a_refused_one_named_on_the_form(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "list_users")] = []
    backend.answers[("identity", "create_api_user")] = service_errors.Conflict(
        "An account already exists for this email address.", fields={"email": ["Already registered."]})
    data = form(browser, "/admin/api-users", name=FEED["name"], email=FEED["email"], organisation="la-leeds")
    response = browser.post("/admin/api-users", data=data)
    assert response.status_code == 409
    assert error_summary(response) == [("email", "Contact email address: Already registered.")]
    assert page(response).find(id="name")["value"] == FEED["name"]

    backend.answers[("identity", "create_api_user")] = lambda actor, payload: {**FEED, **payload}
    response = browser.post("/admin/api-users", data={**data, "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.headers["Location"] == "/admin/api-users?organisation=la-leeds"
    assert backend.sent_to("identity", "create_api_user")["payload"] == {
        "name": FEED["name"], "email": FEED["email"], "organisation_id": "la-leeds"}


def test_a_new_key_is_shown_once_with_a_warning_and_not_kept_by_the_browser(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "create_api_key")] = lambda actor, user_id, payload: {
        "id": "k-2", "label": payload["label"], "prefix": "7d2e4f1a", "created_at": NOW.isoformat(),
        "revoked_at": None, "last_used_at": None, "key": SECRET}
    response = browser.post("/admin/api-users/u-9/keys", data=form(
        browser, "", label="Weekly export", name=FEED["name"], organisation="la-leeds"))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    shown = page(response)
    assert shown.find(id="api-key")["value"] == SECRET
    assert "shown on this page only" in shown.select_one(".govuk-warning-text").get_text()
    assert backend.sent_to("identity", "create_api_key") == {
        "actor": backend.sent_to("identity", "create_api_key")["actor"], "user_id": "u-9",
        "payload": {"label": "Weekly export"}}

    backend.answers[("identity", "list_users")] = [FEED]
    backend.answers[("identity", "list_api_keys")] = KEYS + [{"id": "k-2", "label": "Weekly export",
                                                             "prefix": "7d2e4f1a", "created_at": NOW.isoformat(),
                                                             "revoked_at": None, "last_used_at": None}]
    assert SECRET not in browser.get("/admin/api-users?organisation=la-leeds").get_data(as_text=True)


def test_a_key_needs_a_label_and_is_revoked(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "list_users")] = [FEED]
    backend.answers[("identity", "list_api_keys")] = KEYS
    response = browser.post("/admin/api-users/u-9/keys", data=form(browser, "", label=" ", organisation="la-leeds"))
    assert response.status_code == 422
    assert error_summary(response) == [("u-9-label", "Enter what the key is for, like “Nightly bed report”")]
    assert ("identity", "create_api_key") not in backend.calls

    backend.answers[("identity", "revoke_api_key")] = lambda **kwargs: {**KEYS[0], "revoked_at": NOW.isoformat()}
    response = browser.post("/admin/api-users/u-9/keys/k-1/revocation", data=form(
        browser, "", label=KEYS[0]["label"], organisation="la-leeds"))
    assert response.headers["Location"] == "/admin/api-users?organisation=la-leeds"
    assert {k: v for k, v in backend.sent_to("identity", "revoke_api_key").items() if k != "actor"} == {
        "user_id": "u-9", "key_id": "k-1"}
    assert notices(browser.get(response.headers["Location"])) == [
        f"The key “{KEYS[0]['label']}” is revoked: it stopped working at once."]


# -- permissions on the people page -----------------------------------------------------------------
def test_only_the_permissions_a_persons_organisation_may_hold_are_offered(browser, backend, signed_in_as):
    signed_in_as("administrator")
    people = {"la-leeds": [{**PERSON, "organisation_kind": "local_authority", "roles": ["non_care_home_user"]}],
              "trust-rr8": [{**PERSON, "id": "u-8", "name": "Priya Ramanathan-Whitfield",
                             "organisation_kind": "nhs_trust", "roles": ["non_care_home_user"]}],
              "prov-a": [{**PERSON, "id": "u-6", "name": "Casey Jones", "organisation_kind": "care_provider",
                          "roles": ["care_home_user", "approver"]}]}
    backend.answers[("identity", "list_users")] = lambda actor, organisation_id: people[organisation_id]

    def offered(organisation):
        shown = page(browser.get(f"/users?organisation={organisation}"))
        return [box["value"] for box in shown.select('input[type="checkbox"]')], shown

    assert offered("la-leeds")[0] == ["broker", "system_champion", "extended_reporting", "manage_alerts"]
    assert offered("trust-rr8")[0] == ["system_champion"]
    boxes, shown = offered("prov-a")
    assert boxes == []
    assert shown.find(id="u-6-no-permissions").get_text(strip=True) == \
        "People of a care provider cannot be granted permissions."


def test_a_refused_grant_is_named_in_the_error_summary(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "list_users")] = [{**PERSON, "organisation_kind": "nhs_trust", "roles": []}]
    refusal = "Broker may be held only by people of a Local Authority or a Sub-ICB, not an NHS trust."
    backend.answers[("identity", "grant_permissions")] = service_errors.InvalidInput(
        "These permissions cannot be held by people of this organisation.", fields={"roles": [refusal]})
    response = browser.post("/users/u-7/permissions", data=form(
        browser, "", **{"u-7-roles": "broker", "name": "Robin Reed", "organisation": "trust-rr8"}))
    assert response.status_code == 422
    assert error_summary(response) == [("u-7-roles", f"Permissions of Robin Reed: {refusal}")]
