"""Granting permissions through the gateway, on the API and on the people
page: administrators only (checked at the edge, before identity is asked),
and identity's refusal under the permission holders rule shown as a 422
naming the rule and the field, with nothing changed.

The services behind the gateway are a fake (tests/gateway/conftest.py);
identity's own tests hold the rule against its database."""
from __future__ import annotations

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

NOT_ADMINISTRATORS = [(Role.CARE_HOME_USER, Role.APPROVER), (Role.NON_CARE_HOME_USER, Role.APPROVER),
                      (Role.NON_CARE_HOME_USER, Role.BROKER, Role.SYSTEM_CHAMPION, Role.EXTENDED_REPORTING,
                       Role.MANAGE_ALERTS), (Role.API_USER,)]
BROKER_REFUSED = "Broker may be held only by people of a Local Authority or a Sub-ICB, not a care provider."
REFUSAL = service_errors.InvalidInput(
    "These permissions cannot be held by people of this organisation (the permission_holders rule).",
    fields={"roles": [BROKER_REFUSED]}, rule="permission_holders")


def auth(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


# -- the API ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", NOT_ADMINISTRATORS, ids=lambda roles: "+".join(r.value for r in roles))
def test_only_administrators_may_ask_to_grant(client, services, token, roles):
    response = client.put("/api/v1/users/u-7/permissions", json={"roles": ["broker"]}, headers=auth(token(*roles)))
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert services.calls == []


def test_an_administrators_grant_reaches_identity(client, services, token):
    services.answers[("identity", "grant_permissions")] = lambda **kwargs: {
        "id": kwargs["user_id"], "roles": ["broker", "non_care_home_user"]}
    response = client.put("/api/v1/users/u-7/permissions", json={"roles": ["broker"]}, headers=auth(token(Role.ADMIN)))
    assert response.status_code == 200, response.json
    assert services.sent_to("identity", "grant_permissions")["payload"] == {"roles": ["broker"]}


def test_a_grant_outside_the_rule_is_a_422_naming_the_rule_and_the_field(client, services, token):
    services.answers[("identity", "grant_permissions")] = REFUSAL
    response = client.put("/api/v1/users/u-7/permissions", json={"roles": ["broker"]}, headers=auth(token(Role.ADMIN)))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert (response.json["code"], response.json["rule"], response.json["errors"]) == (
        "invalid_input", "permission_holders", {"roles": [BROKER_REFUSED]})
    assert "permission_holders" in response.json["detail"]


def test_a_permission_that_is_not_granted_is_refused_before_identity(client, services, token):
    response = client.put("/api/v1/users/u-7/permissions", json={"roles": ["admin"]}, headers=auth(token(Role.ADMIN)))
    assert response.status_code == 422 and "roles" in response.json["errors"]
    assert services.calls == []


# -- the people page ---------------------------------------------------------------------------------------
PEOPLE = [{"id": "u-7", "name": "Sue Council", "email": "sue@barnsley.gov.uk", "level": "standard",
           "organisation_kind": "local_authority", "status": "active", "generic": False, "api_user": False, "last_login_at": None, "locked_until": None,
           "roles": ["broker", "non_care_home_user"]},
          {"id": "u-9", "name": "Sam Left", "email": "sam@barnsley.gov.uk", "level": "standard",
           "organisation_kind": "local_authority", "status": "deactivated", "generic": False, "api_user": False, "last_login_at": None,
           "locked_until": None, "roles": ["non_care_home_user"]}]


def checked(shown, user_id) -> list[str]:
    return [box["value"] for box in shown.select(f'[data-user="{user_id}"] input[type=checkbox]')
            if box.has_attr("checked")]


def test_administrators_find_an_organisation_and_see_its_peoples_permissions(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    backend.answers[("identity", "find_places")] = [
        {"organisation_id": "la-E08000016", "organisation_name": "Barnsley Council", "location_id": None},
        {"organisation_id": "prov-a", "organisation_name": "Alder Care", "location_id": "1-100"},
        {"organisation_id": "prov-a", "organisation_name": "Alder Care", "location_id": "1-101"}]
    backend.answers[("identity", "list_users")] = PEOPLE

    shown = page(browser.get("/users?find=barn"))
    assert backend.sent_to("identity", "find_places")["query"] == {"text": "barn"}
    assert [(a.get_text(), a["href"]) for a in shown.select("#organisations-found a")] == [
        ("Barnsley Council", "/users?organisation=la-E08000016"), ("Alder Care", "/users?organisation=prov-a")]
    assert len(shown.select("#permission-holders li")) == 4

    response = browser.get("/users?organisation=la-E08000016")
    shown = page(response)
    assert response.status_code == 200
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "la-E08000016"
    assert checked(shown, "u-7") == ["broker"]
    assert [box["value"] for box in shown.select('[data-user="u-7"] input[type=checkbox]')] == [
        "broker", "system_champion", "extended_reporting", "manage_alerts"]
    assert shown.select_one('[data-user="u-9"] form') is None  # nothing to grant someone deactivated
    assert shown.find("style") is None and all(not s.get_text(strip=True) for s in shown.find_all("script"))
    assert not shown.select("[style]")


def test_an_administrator_grants_and_comes_back_to_the_organisation(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    backend.answers[("identity", "list_users")] = PEOPLE
    backend.answers[("identity", "grant_permissions")] = lambda **kwargs: PEOPLE[0]
    form = csrf_token(browser.get("/users?organisation=la-E08000016"))
    response = browser.post("/users/u-7/permissions", data={
        "u-7-roles": ["system_champion", "manage_alerts"], "name": "Sue Council", "organisation": "la-E08000016",
        "csrf_token": form})
    assert response.status_code == 302 and response.headers["Location"] == "/users?organisation=la-E08000016"
    sent = backend.sent_to("identity", "grant_permissions")
    assert (sent["user_id"], sent["payload"]) == ("u-7", {"roles": ["system_champion", "manage_alerts"]})
    assert notices(browser.get(response.headers["Location"])) == [
        "Sue Council's permissions are saved: they apply when they next sign in."]


def test_a_refused_grant_is_shown_on_the_form_and_changes_nothing(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    backend.answers[("identity", "list_users")] = [{**PEOPLE[0], "id": "u-3", "name": "Pat Home",
                                                    "email": "pat@alder-care.example", "roles": ["care_home_user"]}]
    backend.answers[("identity", "grant_permissions")] = REFUSAL
    response = browser.post("/users/u-3/permissions", data={
        "u-3-roles": ["broker"], "name": "Pat Home", "organisation": "prov-a",
        "csrf_token": csrf_token(browser.get("/users?organisation=prov-a"))})
    assert response.status_code == 422
    assert error_summary(response) == [("u-3-roles", f"Permissions of Pat Home: {BROKER_REFUSED}")]
    shown = page(response)
    assert shown.find(id="u-3-roles-error").get_text(" ", strip=True) == f"Error: {BROKER_REFUSED}"
    assert checked(shown, "u-3") == ["broker"]  # as sent, to be corrected
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "prov-a"
    assert [c for c in backend.calls if c == ("identity", "grant_permissions")] == [("identity", "grant_permissions")]


@pytest.mark.parametrize("roles", NOT_ADMINISTRATORS[:3], ids=["care-home-approver", "council-approver", "champion"])
def test_others_get_no_permission_forms_nor_other_organisations(browser, backend, sign_in, roles):
    sign_in(*roles)
    backend.answers[("identity", "list_users")] = PEOPLE
    shown = page(browser.get("/users?organisation=la-E08000016&find=barn"))
    assert backend.sent_to("identity", "list_users")["organisation_id"] == "prov-a"  # their own
    assert ("identity", "find_places") not in backend.calls
    assert shown.select('form[action$="/permissions"]') == [] and shown.find(id="find") is None

    response = browser.post("/users/u-7/permissions", data={
        "u-7-roles": ["broker"], "csrf_token": csrf_token(browser.get("/users"))})
    assert response.status_code == 403
    assert ("identity", "grant_permissions") not in backend.calls


def test_a_grant_without_the_forms_csrf_token_is_refused(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    response = browser.post("/users/u-7/permissions", data={"u-7-roles": ["broker"]})
    assert response.status_code == 400
    assert ("identity", "grant_permissions") not in backend.calls
