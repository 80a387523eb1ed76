"""Administrators' pages: Terms of Use, API users and their keys, the audit
log, the people page's permissions (the emails and templates:
test_web_admin_emails.py), and deactivating a location (administrators, and brokers in their area).

The services behind the pages are a fake that answers each (service,
method) as the test says and records what it was sent (conftest.py); a page
a person may not open must not call any service at all."""
from __future__ import annotations

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.testing import csrf_token, error_summary, notices, page

from .conftest import HOME, LOCATION, NOW, form

NOT_ADMINISTRATORS = ["approver", "standard user", "another organisation's approver", "Leeds broker"]


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
        browser, "", **{"u-9-label": "Weekly export"}, name=FEED["name"], organisation="la-leeds"))
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
    response = browser.post("/admin/api-users/u-9/keys", data=form(browser, "", **{"u-9-label": " "},
                                                                   organisation="la-leeds"))
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


# -- the audit log ----------------------------------------------------------------------------------
def audit_rows(count: int, start: int = 1000) -> list[dict]:
    """`count` access-control changes, newest first, as identity answers."""
    rows = []
    for n in range(count):
        rows.append({"id": start - n, "at": f"2026-03-01T{(n % 24):02d}:15:00+00:00", "actor_id": "u-1",
                     "actor_email": "alexandra.fitzgerald-montgomery@capacity-tracker.example",
                     "actor_generic": False, "action": "permissions_changed", "subject_user_id": f"u-{n}",
                     "subject_email": f"person.{n}.with.a.long.address@leedsteachinghospitals.nhs.example",
                     "details": {"before": ["broker"], "after": ["broker", "extended_reporting"]}})
    return rows


def test_the_audit_log_is_filtered_and_paged_with_the_filters_in_the_address(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "audit_trail")] = audit_rows(50)
    response = browser.get("/admin/audit?kind=access&who=alexandra.fitzgerald-montgomery%40capacity-tracker.example"
                           "&about=&what=permissions_changed&from-day=1&from-month=3&from-year=2026"
                           "&to-day=2&to-month=3&to-year=2026&page=2")
    assert response.status_code == 200
    assert backend.sent_to("identity", "audit_trail")["query"] == {
        "kind": "access", "limit": 50, "page": 2,
        "actor_email": "alexandra.fitzgerald-montgomery@capacity-tracker.example", "action": "permissions_changed",
        "since": "2026-03-01T00:00:00+00:00", "until": "2026-03-03T00:00:00+00:00"}  # UK days, whole
    shown = page(response)
    rows = shown.select("#audit-entries tbody tr")
    assert len(rows) == 50
    first = rows[0].get_text(" ", strip=True)
    assert "Permissions changed" in first and "person.0.with.a.long.address" in first
    assert "After: Broker, Extended reporting" in first
    assert [cell["data-label"] for cell in rows[0].find_all("td")] == ["When", "What", "Who", "About", "Details"]
    previous, following = shown.select(".govuk-pagination a")
    assert "page=1" in previous["href"] and "page=3" in following["href"]
    assert "what=permissions_changed" in following["href"] and "from-day=1" in following["href"]


def test_sign_ins_and_a_locations_changes_are_in_the_audit_log_too(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("identity", "audit_trail")] = [
        {"id": 7, "at": "2026-03-02T08:59:00+00:00", "actor_id": "u-7", "actor_email": "robin@leeds.gov.uk",
         "actor_generic": False, "action": "failed", "subject_user_id": "u-7", "subject_email": "robin@leeds.gov.uk",
         "details": {"client_address": "2001:db8::7", "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like "
                                                                     "Mac OS X) AppleWebKit/605.1.15 Safari/604.1"}}]
    shown = page(browser.get("/admin/audit?kind=sign_ins&what=failed"))
    assert backend.sent_to("identity", "audit_trail")["query"]["outcome"] == "failed"
    assert "Client address: 2001:db8::7" in shown.find(id="audit-entries").get_text(" ", strip=True)

    backend.answers[("providers", "location_history")] = [
        {"at": "2026-03-01T16:20:00+00:00", "actor_id": "u-1", "actor_generic": False, "action": "profile_updated",
         "changes": {"out_of_hours_admissions": [False, True]}},
        {"at": "2026-02-01T10:00:00+00:00", "actor_id": "u-1", "actor_generic": False, "action": "note_added",
         "changes": {"note": [None, "Lift out of order until April."]}}]
    shown = page(browser.get(f"/admin/audit?kind=location&location={HOME}&from-day=1&from-month=3&from-year=2026"))
    assert backend.sent_to("providers", "location_history")["location_id"] == HOME
    rows = [row.get_text(" ", strip=True) for row in shown.select("#audit-entries tbody tr")]
    assert len(rows) == 1 and "Out of hours admissions: False → True" in rows[0]


def test_a_refused_audit_filter_is_named_and_nothing_is_asked(browser, backend, signed_in_as):
    signed_in_as("administrator")
    response = browser.get("/admin/audit?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=2026")
    assert response.status_code == 422
    assert error_summary(response) == [("from-day", "From must be a real date, like 27 3 2026")]
    response = browser.get("/admin/audit?kind=location")
    assert error_summary(response) == [("location", "Enter the location's CQC ID, like 1-000000001")]
    assert backend.calls == []
    backend.answers[("identity", "audit_trail")] = service_errors.InvalidInput(
        fields={"actor_email": ["Not a valid email address."]})
    response = browser.get("/admin/audit?who=robin")
    assert error_summary(response) == [("who", "Who: Not a valid email address.")]


# -- deactivating a location -----------------------------------------------------------------------
@pytest.mark.parametrize("who, may", [("administrator", True), ("Leeds broker", True), ("Wakefield broker", False),
                                      ("approver", False), ("standard user", False),
                                      ("another organisation's approver", False)])
def test_a_location_is_deactivated_only_by_those_who_may_and_after_confirming(browser, backend, signed_in_as,
                                                                             who, may):
    signed_in_as(who)
    backend.answers[("providers", "get_location")] = {**LOCATION, "name": "Willow House Nursing and Residential "
                                                      "Care Home for Older People with Dementia"}
    location_page = page(browser.get(f"/locations/{HOME}"))
    assert (location_page.find(id="deactivate") is not None) is may
    asking = browser.get(f"/locations/{HOME}/deactivate")
    if not may:
        assert asking.status_code == 403
        response = browser.post(f"/locations/{HOME}/deactivate", data=form(browser, "", confirm="yes"))
        assert response.status_code == 403 and ("providers", "deactivate_location") not in backend.calls
        return
    assert "Are you sure you want to deactivate Willow House" in page(asking).h1.get_text()
    response = browser.post(f"/locations/{HOME}/deactivate", data=form(browser, "", confirm=""))
    assert response.status_code == 422 and error_summary(response)[0][0] == "confirm"
    backend.answers[("providers", "deactivate_location")] = lambda **kwargs: {**LOCATION, "active": False}
    response = browser.post(f"/locations/{HOME}/deactivate", data=form(browser, "", confirm="yes"))
    assert response.headers["Location"] == f"/locations/{HOME}"
    assert backend.sent_to("providers", "deactivate_location")["location_id"] == HOME


def test_a_location_already_deactivated_says_so(browser, backend, signed_in_as):
    signed_in_as("administrator")
    backend.answers[("providers", "get_location")] = LOCATION
    backend.answers[("providers", "deactivate_location")] = service_errors.Conflict(
        "This location is already deactivated.")
    response = browser.post(f"/locations/{HOME}/deactivate", data=form(browser, "", confirm="yes"))
    assert "There is a problem" in page(browser.get(response.headers["Location"])).get_text()
