"""A care home manager's jobs on the web, in seconds: "nothing has changed"
in one tap (one location, or all of one's own), the workforce, visiting
and home care returns (the history of a location's returns with its chart:
test_web_manager_history.py), and asking for access to more locations. Who may, and who may not.

The services are a fake answering each (service, method) as the test says
(tests/gateway/conftest.py); pages are read with an HTML parser."""
from __future__ import annotations

import pytest

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

from .conftest import HOME, LOCATION, at_home
from .test_web_manager_history import history

WILLOW, OAK, ASH, ELSEWHERE = "1-000000001", "1-000000002", "1-000000003", "1-900000001"
LONG_NAME = "The Old Rectory Residential and Nursing Home for Older People (Upper Wharfedale)"


def listed(*rows) -> dict:
    return {"total": len(rows), "page": 1, "per_page": 20, "locations": [
        {"id": location_id, "provider_id": provider, "name": name, "kind": kind, "postcode": "LS1 4AP",
         "la_code": "E08000035", "sub_icb_code": "E38000225", "active": True}
        for location_id, provider, name, kind in rows]}


def summary(location_id, at="2026-03-01T08:30:00+00:00", staleness="stale_24h") -> dict:
    return {"location_id": location_id, "last_submitted_at": at, "staleness": staleness,
            "admission_status": "accepting", "vacant_accepting": 2}


def my_locations(backend, *rows, summaries=None):
    rows = rows or ((WILLOW, "prov-a", LONG_NAME, "care_home"), (OAK, "prov-a", "Oak Lodge", "care_home"),
                    (ASH, "prov-a", "Ash Court", "care_home"))
    backend.answers[("providers", "list_locations")] = listed(*rows)
    backend.answers[("capacity", "return_summaries")] = summaries if summaries is not None else [
        summary(WILLOW), summary(OAK, "2026-02-27T15:40:00+00:00", "stale_48h")]


def still_true_buttons(shown) -> dict[str, str]:
    """Location card -> the action of its "Nothing has changed" form."""
    return {card["data-location"]: form["action"] for card in shown.select("[data-location]")
            for form in card.select("form") if "Nothing has changed" in form.get_text()}


def saved(location_id=WILLOW, at="2026-03-02T09:00:00+00:00", sequence=8) -> dict:
    return {"id": f"r-{sequence}", "location_id": location_id, "sequence": sequence, "submitted_at": at,
            "still_true": True, "admission_status": "accepting"}


# -- "nothing has changed" ----------------------------------------------------------------------
def test_each_location_with_a_return_has_a_one_tap_refresh_and_the_others_are_sent_to_the_form(
        browser, backend, sign_in):
    sign_in()
    my_locations(backend)
    shown = page(browser.get("/capacity"))
    assert still_true_buttons(shown) == {WILLOW: f"/locations/{WILLOW}/capacity/still-true",
                                         OAK: f"/locations/{OAK}/capacity/still-true"}
    ash = shown.find(attrs={"data-location": ASH})
    assert ash.find("a", href=f"/locations/{ASH}/capacity").get_text(" ", strip=True) == "Update capacity of Ash Court"
    button = shown.find(attrs={"data-location": WILLOW}).find("button")
    assert button.get_text(" ", strip=True) == f"Nothing has changed at {LONG_NAME}"  # each button says where
    everything = [f for f in shown.select("form") if f["action"] == "/capacity/still-true"]
    assert len(everything) == 1 and "any of my locations" in everything[0].get_text()
    assert shown.find("a", href="/capacity/access") is not None


def test_one_tap_saves_the_figures_as_still_true_and_says_so(browser, backend, sign_in):
    sign_in()
    my_locations(backend)
    form = page(browser.get("/capacity")).find(attrs={"data-location": WILLOW}).find("form")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    assert fields["idempotency_key"] and fields["csrf_token"]
    at_home(backend, location_id=WILLOW, name=LONG_NAME)
    backend.answers[("capacity", "confirm_still_true")] = lambda **kwargs: saved(kwargs["location_id"])
    response = browser.post(form["action"], data=fields)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/capacity?page=1&refreshed={WILLOW}#location-{WILLOW}"
    assert backend.sent_to("capacity", "confirm_still_true")["location_id"] == WILLOW
    again = browser.post(form["action"], data=fields)  # a double tap, or the page sent again
    assert again.status_code == 302 and backend.calls.count(("capacity", "confirm_still_true")) == 1
    my_locations(backend, summaries=[summary(WILLOW, "2026-03-02T09:00:00+00:00", "fresh")])
    shown = browser.get(response.headers["Location"])
    assert notices(shown) == [f"Nothing has changed at {LONG_NAME}: its figures are saved as still true at "
                              f"9:00am on 2 March 2026."]
    card = page(shown).find(attrs={"data-location": WILLOW}).get_text(" ", strip=True)
    assert "9:00am on 2 March 2026 Saved as still true" in card  # where the tap was, too


def test_figures_that_no_longer_fit_send_the_person_to_the_form_with_the_reason(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "confirm_still_true")] = service_errors.InvalidInput(
        "The capacity return breaks the rules; nothing was saved.", fields={"vacancies": [
            "Enter the figures of every vacancy type the location offers; missing: general nursing."]})
    response = browser.post(f"/locations/{HOME}/capacity/still-true",
                            data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.headers["Location"] == f"/locations/{HOME}/capacity"
    backend.answers[("capacity", "current_return")] = service_errors.NotFound("No return yet.")
    assert error_summary(browser.get(f"/locations/{HOME}/capacity")) == [(None, (
        "Nothing was saved for Willow House: Enter the figures of every vacancy type the location offers; "
        "missing: general nursing. Update its capacity below."))]


@pytest.mark.parametrize("refusal, status", [(service_errors.NotFound("No such location."), 404),
                                             (service_errors.Forbidden(), 403)])
def test_another_organisations_location_or_one_only_seen_is_not_refreshed(browser, backend, sign_in, refusal,
                                                                          status):
    sign_in()
    backend.answers[("providers", "get_location")] = refusal
    response = browser.post(f"/locations/{ELSEWHERE}/capacity/still-true",
                            data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == status and ("capacity", "confirm_still_true") not in backend.calls


def test_all_of_my_locations_at_once_say_what_was_saved_and_what_was_not(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "confirm_still_true_many")] = {
        "refreshed": [saved(WILLOW), saved(OAK, sequence=3)],
        "refused": {ASH: ["Enter the figures of every vacancy type the location offers; missing: general nursing."]}}
    backend.answers[("providers", "get_location")] = lambda **kwargs: {**LOCATION, "name": "Ash Court"}
    response = browser.post("/capacity/still-true", data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    assert backend.sent_to("capacity", "confirm_still_true_many")["payload"] == {}  # the service knows whose
    my_locations(backend)
    shown = browser.get(response.headers["Location"])
    assert notices(shown) == ["Nothing has changed: the figures of 2 locations are saved as still true at "
                              "9:00am on 2 March 2026."]
    assert error_summary(shown) == [(None, "Nothing was saved for Ash Court: Enter the figures of every vacancy "
                                           "type the location offers; missing: general nursing. Update its capacity.")]


def test_more_homes_than_one_tap_may_refresh_saves_none_and_says_so(browser, backend, sign_in):
    sign_in()
    backend.answers[("capacity", "confirm_still_true_many")] = service_errors.InvalidInput(
        fields={"location_ids": ["At most 200 locations at a time."]})
    response = browser.post("/capacity/still-true", data={"csrf_token": csrf_token(browser.get("/sign-in"))})
    my_locations(backend)
    assert error_summary(browser.get(response.headers["Location"])) == [(None, (
        "At most 200 locations at a time. Nothing was saved: say so for each location, or update them with the "
        "spreadsheet."))]


def test_no_refresh_is_offered_where_the_person_may_only_look(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)  # a discharge team
    my_locations(backend, (WILLOW, "prov-z", "Willow House", "care_home"),
                 (OAK, "prov-z", "Oak Lodge", "care_home"))
    shown = page(browser.get("/capacity"))
    assert still_true_buttons(shown) == {} and shown.find("a", href=f"/locations/{WILLOW}/capacity") is None
    assert not [f for f in shown.select("form") if f["action"] == "/capacity/still-true"]


def test_an_administrator_is_never_offered_every_home_in_england_at_once(browser, backend, sign_in):
    sign_in(Role.ADMIN)
    my_locations(backend)
    shown = page(browser.get("/capacity"))
    assert len(still_true_buttons(shown)) == 2  # one at a time, yes
    assert not [f for f in shown.select("form") if f["action"] == "/capacity/still-true"]


def test_the_capacity_form_offers_the_refresh_when_there_is_a_return(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "current_return")] = {"submitted_at": "2026-03-01T08:30:00+00:00", "vacancies": [],
                                                       "short_stay_prices": {}}
    shown = page(browser.get(f"/locations/{HOME}/capacity"))
    form = next(f for f in shown.select("form") if f["action"].endswith("/still-true"))
    assert form.button.get_text(strip=True) == "Nothing has changed since 8:30am on 1 March 2026"
    nav = shown.find("nav", class_="app-returns-nav")
    assert [a["href"] for a in nav.select("a")] == [f"{HERE}/returns/workforce", f"{HERE}/returns/visiting",
                                                    f"{HERE}/returns"]


HERE = f"/locations/{HOME}"


@pytest.mark.parametrize("path", ["/capacity", "/services", "/returns/workforce", "/returns/visiting"])
def test_a_discharge_team_is_never_shown_a_form_it_cannot_send(browser, backend, sign_in, path):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend)
    response = browser.get(HERE + path)
    assert response.status_code == 403 and page(response).find("form", method="post", action=HERE + path) is None


@pytest.mark.parametrize("path", ["/capacity", "/returns/workforce", "/returns"])
def test_another_organisations_location_is_not_found(browser, backend, sign_in, path):
    sign_in()
    backend.answers[("providers", "get_location")] = service_errors.NotFound("No such location.")
    assert browser.get(HERE + path).status_code == 404


# -- workforce, visiting, home care --------------------------------------------------------------
def test_the_workforce_return_sends_what_was_typed(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    shown = page(browser.get(f"{HERE}/returns/workforce"))
    for box in ("registered_nurses-total_employed", "care_staff-visa_holders_own_sponsor",
                "non_care_staff-absent_other", "agency_bank_headcount", "holds_sponsorship_licence"):
        assert shown.find(id=box) is not None
    data = {f"{group}-{name}": "0" for group in ("registered_nurses", "care_staff", "non_care_staff")
            for name in ("total_employed", "visa_holders_own_sponsor", "absent_covid", "absent_other")}
    data.update({"registered_nurses-total_employed": "12", "care_staff-total_employed": " 48 ",
                 "care_staff-visa_holders_own_sponsor": "6", "agency_bank_headcount": "4",
                 "holds_sponsorship_licence": "yes", "csrf_token": csrf_token(browser.get("/sign-in"))})
    backend.answers[("capacity", "submit_other_return")] = lambda **kwargs: {"id": "o-1", "kind": kwargs["kind"]}
    response = browser.post(f"{HERE}/returns/workforce", data=data)
    assert response.headers["Location"] == f"/capacity#location-{HOME}"
    sent = backend.sent_to("capacity", "submit_other_return")
    assert (sent["kind"], sent["location_id"]) == ("workforce", HOME)
    assert sent["payload"]["care_staff"] == {"total_employed": 48, "visa_holders_own_sponsor": 6,
                                             "absent_covid": 0, "absent_other": 0}
    assert sent["payload"]["agency_bank_headcount"] == 4 and sent["payload"]["holds_sponsorship_licence"] is True
    my_locations(backend)
    assert notices(browser.get("/capacity")) == ["Workforce headcount saved for Willow House."]


def test_a_refused_workforce_return_names_each_box_and_keeps_what_was_typed(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "submit_other_return")] = service_errors.InvalidInput(
        "The workforce return breaks the rules; nothing was saved.", fields={
            "registered_nurses": {"total_employed": ["Missing data for required field."]},
            "care_staff": {"visa_holders_own_sponsor": [
                "Only organisations holding a sponsorship licence for international workers' visas report visa "
                "holders employed under their own sponsor licence: enter 0, or answer that the organisation "
                "holds one."], "absent_other": ["Not a valid integer."]},
            "holds_sponsorship_licence": ["Missing data for required field."]})
    response = browser.post(f"{HERE}/returns/workforce", data={
        "care_staff-visa_holders_own_sponsor": "6", "care_staff-absent_other": "two",
        "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 422
    assert backend.sent_to("capacity", "submit_other_return")["payload"]["care_staff"] == {
        "visa_holders_own_sponsor": 6, "absent_other": "two"}
    summary_ = error_summary(response)
    assert summary_ == [
        ("registered_nurses-total_employed", "Registered nurses, total employed: Enter a figure"),
        ("care_staff-visa_holders_own_sponsor", "Care providing staff, visa holders under your own sponsor licence: "
         "Only organisations holding a sponsorship licence for international workers' visas report visa holders "
         "employed under their own sponsor licence: enter 0, or answer that the organisation holds one."),
        ("care_staff-absent_other", "Care providing staff, absent today: other reasons: Enter a whole number, like 3"),
        ("holds_sponsorship_licence", "Sponsorship licence: Choose yes or no")]
    shown = page(response)
    for field_id, _ in summary_:
        assert shown.find(id=field_id) is not None and shown.find(id=f"{field_id}-error") is not None
    assert shown.find(id="care_staff-absent_other")["value"] == "two"


def test_visiting_needs_both_answers(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "submit_other_return")] = service_errors.InvalidInput(fields={
        "visits_out": ["Missing data for required field."]})
    response = browser.post(f"{HERE}/returns/visiting", data={"visits_in": "no",
                                                              "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert backend.sent_to("capacity", "submit_other_return")["payload"] == {"visits_in": False}
    assert error_summary(response) == [("visits_out", "Visits out of the home: Choose yes or no")]
    assert page(response).find(id="visits_in-no").has_attr("checked")


def test_the_home_care_return_is_for_home_care_agencies_only(browser, backend, sign_in):
    sign_in()
    at_home(backend)  # a care home
    assert browser.get(f"{HERE}/returns/home-care").status_code == 404
    at_home(backend, kind="home_care", name="Wharfedale Home Care")
    assert browser.get(f"{HERE}/returns/visiting").status_code == 404
    shown = page(browser.get(f"{HERE}/returns/home-care"))
    assert shown.h1.get_text(strip=True) == "Home care return"
    backend.answers[("capacity", "submit_other_return")] = service_errors.InvalidInput(fields={
        "extra_care_hours_available_per_week": ["Use at most 1 decimal places."],
        "staff_delivering_care": ["People are using the service, so at least one member of staff delivers care."]})
    response = browser.post(f"{HERE}/returns/home-care", data={
        "people_using_service": "1,240", "staff_delivering_care": "0", "extra_care_hours_available_per_week": "12.25",
        "issues": "Short of drivers in the Dales.", "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert backend.sent_to("capacity", "submit_other_return")["payload"] == {
        "people_using_service": 1240, "staff_delivering_care": 0, "extra_care_hours_available_per_week": "12.25",
        "issues": "Short of drivers in the Dales."}
    assert [field for field, _ in error_summary(response)] == ["extra_care_hours_available_per_week",
                                                               "staff_delivering_care"]
    assert page(response).find(id="issues").get_text() == "Short of drivers in the Dales."


def test_a_home_care_agency_is_offered_its_return_not_the_capacity_form(browser, backend, sign_in):
    sign_in()
    my_locations(backend, (WILLOW, "prov-a", "Wharfedale Home Care", "home_care"),
                 summaries=[{"location_id": WILLOW, "last_submitted_at": None, "staleness": "never",
                             "admission_status": None, "vacant_accepting": None}])
    card = page(browser.get("/capacity")).find(attrs={"data-location": WILLOW})
    assert card.find("a", href=f"/locations/{WILLOW}/returns/home-care") is not None
    assert card.find("a", href=f"/locations/{WILLOW}/capacity") is None and still_true_buttons(card) == {}
    assert "Last updated" not in card.get_text() and "No return yet" not in card.get_text()


# -- access to more locations -----------------------------------------------------------------------
PLACES = [{"organisation_id": "prov-b", "organisation_name": "Dales Care Group", "location_id": OAK,
           "location_name": "Oak Lodge", "postcode": "BD23 1AA"},
          {"organisation_id": "prov-b", "organisation_name": "Dales Care Group", "location_id": ASH,
           "location_name": "Ash Court", "postcode": "BD23 2BB"},
          {"organisation_id": "prov-b", "organisation_name": "Dales Care Group", "location_id": None,
           "location_name": None, "postcode": None}]


def test_asking_for_access_finds_homes_and_sends_the_ones_ticked(browser, backend, sign_in):
    sign_in()
    backend.answers[("identity", "find_places")] = PLACES
    shown = page(browser.get("/capacity/access?place=BD23"))
    assert [i["value"] for i in shown.select("input[name=location_ids]")] == [OAK, ASH]  # homes, not organisations
    backend.answers[("identity", "request_location_access")] = {"id": "a-1", "status": "pending"}
    response = browser.post("/capacity/access", data={
        "place": "BD23", "location_ids": [OAK, ASH], "reason": "I cover both homes at weekends.",
        "csrf_token": csrf_token(browser.get("/sign-in")),
        "idempotency_key": shown.find("input", attrs={"name": "idempotency_key"})["value"]})
    assert response.headers["Location"] == "/capacity"
    assert backend.sent_to("identity", "request_location_access")["payload"] == {
        "location_ids": [OAK, ASH], "reason": "I cover both homes at weekends."}
    my_locations(backend)
    assert notices(browser.get("/capacity")) == [
        "You asked for access to Oak Lodge, Ash Court. Your request goes to the approvers of the organisation that "
        "runs them; you will be emailed when it is decided."]


def test_asking_for_nothing_or_for_homes_already_mine_is_refused_on_the_boxes(browser, backend, sign_in):
    sign_in()
    backend.answers[("identity", "find_places")] = PLACES
    response = browser.post("/capacity/access", data={"place": "BD23",
                                                      "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert response.status_code == 422
    assert error_summary(response) == [("location_ids", "Care homes: choose at least one care home")]
    assert ("identity", "request_location_access") not in backend.calls
    backend.answers[("identity", "request_location_access")] = service_errors.Conflict(
        "You already have access to these locations.")
    response = browser.post("/capacity/access", data={"place": "BD23", "location_ids": [OAK],
                                                      "csrf_token": csrf_token(browser.get("/sign-in"))})
    assert error_summary(response) == [("location_ids", "You already have access to these locations.")]
    assert page(response).find(id="location_ids").has_attr("checked")


@pytest.mark.parametrize("path, heading", [
    ("/capacity", "Update capacity"), ("/services", "Services"), ("/returns/workforce", "Workforce headcount"),
    ("/returns/visiting", "Visiting"), ("/returns", "History of returns")])
@pytest.mark.parametrize("roles", [(Role.CARE_HOME_USER,), (Role.CARE_HOME_USER, Role.APPROVER)],
                         ids=["standard", "approver"])
def test_standard_users_and_approvers_of_the_home_both_do_its_jobs(browser, backend, sign_in, path, heading, roles):
    sign_in(*roles)
    at_home(backend)
    backend.answers[("capacity", "current_return")] = service_errors.NotFound("No return yet.")
    backend.answers[("identity", "list_users")] = []
    history(backend)
    response = browser.get(HERE + path)
    assert response.status_code == 200 and heading in page(response).h1.get_text()
    if path == "/services":  # languages too: English always, others added here
        assert page(response).find(id="languages")["value"] == "Polish"
