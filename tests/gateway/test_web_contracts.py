"""A location's contracts on the web: shown by name on its page, a new one
sent to the Local Authority or Sub-ICB to confirm, one withdrawn; only for
those who may edit the location.

The services behind the pages are a fake (tests/gateway/conftest.py)."""
from __future__ import annotations

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role
from tracker_common.testing import csrf_token, error_summary, notices, page

from .conftest import HERE, HOME, LOCATION, at_home

LEEDS, SUB_LEEDS = LOCATION["la_code"], LOCATION["sub_icb_code"]
AREAS = {"nhs_regions": [], "icbs": [], "sub_icbs": [{"code": SUB_LEEDS, "name": "Leeds", "parent_code": None}],
         "local_authorities": [{"code": LEEDS, "name": "Leeds", "parent_code": None}]}
CONTRACTS = [
    {"id": "k-1", "commissioner_kind": "local_authority", "commissioner_code": LEEDS, "commissioner_name": "Leeds",
     "status": "approved", "requested_at": "2026-01-05T09:00:00+00:00", "decided_at": None, "reason": None},
    {"id": "k-2", "commissioner_kind": "sub_icb", "commissioner_code": SUB_LEEDS,
     "commissioner_name": "NHS West Yorkshire ICB - 15F", "status": "requested",
     "requested_at": "2026-02-05T09:00:00+00:00", "decided_at": None, "reason": None},
    {"id": "k-0", "commissioner_kind": "sub_icb", "commissioner_code": "E38000001", "commissioner_name": "Old",
     "status": "withdrawn", "requested_at": "2025-01-05T09:00:00+00:00", "decided_at": None, "reason": None}]


def test_the_page_names_current_contracts_and_offers_to_add_and_withdraw(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    at_home(backend, contracts=CONTRACTS)
    shown = page(browser.get(HERE))
    listed = [" ".join(item.get_text(" ").split()) for item in shown.select("[data-contract]")]
    assert listed == ["Leeds (Local Authority): approved Withdraw the contract with Leeds",
                      "NHS West Yorkshire ICB - 15F (Sub-ICB): waiting for them to confirm Withdraw the contract with "
                      "NHS West Yorkshire ICB - 15F"]
    assert shown.find("a", href=f"{HERE}/contracts/new") is not None


def test_a_contract_is_sent_to_be_confirmed(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    at_home(backend, contracts=[])
    backend.answers[("reporting", "areas")] = AREAS
    form = browser.get(f"{HERE}/contracts/new")
    options = [o["value"] for o in page(form).select("#area option")]
    assert options == ["", f"sub_icb_code:{SUB_LEEDS}", f"la_code:{LEEDS}"]
    backend.answers[("providers", "request_contract")] = {}
    sent = browser.post(f"{HERE}/contracts/new", data={"csrf_token": csrf_token(form), "area": f"la_code:{LEEDS}"},
                        follow_redirects=True)
    assert backend.sent_to("providers", "request_contract")["payload"] == {
        "commissioner_kind": "local_authority", "commissioner_code": LEEDS}
    assert notices(sent) == ["Contract sent to be confirmed: it shows in search once they approve it."]


def test_nothing_chosen_or_a_contract_already_there_is_named_on_the_box(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    at_home(backend, contracts=CONTRACTS)
    backend.answers[("reporting", "areas")] = AREAS
    form = browser.get(f"{HERE}/contracts/new")
    empty = browser.post(f"{HERE}/contracts/new", data={"csrf_token": csrf_token(form), "area": ""})
    assert empty.status_code == 422
    assert error_summary(empty) == [("area", "Local Authority or Sub-ICB: Choose the Local Authority or Sub-ICB")]
    assert ("providers", "request_contract") not in backend.calls
    backend.answers[("providers", "request_contract")] = service_errors.Conflict(
        "A contract with Leeds is already approved.")
    twice = browser.post(f"{HERE}/contracts/new", data={"csrf_token": csrf_token(form), "area": f"la_code:{LEEDS}"})
    assert twice.status_code == 422
    assert error_summary(twice) == [("area", "Local Authority or Sub-ICB: A contract with Leeds is already approved.")]
    assert page(twice).find(id="area").find("option", selected=True)["value"] == f"la_code:{LEEDS}"


def test_a_contract_is_withdrawn(browser, backend, sign_in):
    sign_in(Role.CARE_HOME_USER)
    at_home(backend, contracts=CONTRACTS)
    backend.answers[("providers", "withdraw_contract")] = {}
    done = browser.post(f"{HERE}/contracts/k-1/withdrawal", data={"csrf_token": csrf_token(browser.get(HERE))},
                        follow_redirects=True)
    sent = backend.sent_to("providers", "withdraw_contract")
    assert (sent["location_id"], sent["contract_id"], sent["actor"]["sub"]) == (HOME, "k-1", "u-1")
    assert notices(done) == ["Contract withdrawn: it no longer shows in search."]


def test_a_viewer_gets_no_contract_forms_and_is_refused(browser, backend, sign_in):
    sign_in(Role.NON_CARE_HOME_USER)
    at_home(backend, contracts=CONTRACTS)
    shown = browser.get(HERE)
    assert page(shown).find("a", href=f"{HERE}/contracts/new") is None
    assert page(shown).find("form", action=f"{HERE}/contracts/k-1/withdrawal") is None
    token = csrf_token(browser.get("/search"))
    assert browser.post(f"{HERE}/contracts/k-1/withdrawal", data={"csrf_token": token}).status_code == 403
    assert browser.get(f"{HERE}/contracts/new").status_code == 403
    assert ("providers", "withdraw_contract") not in backend.calls
