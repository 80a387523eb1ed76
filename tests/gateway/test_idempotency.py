"""`Idempotency-Key` on the API's creating POSTs, and the web forms' hidden
key: a request sent again creates nothing twice and gets the first answer.
The services are the recording fake (each call they get is counted); the
keys live in the test database of Redis."""
from __future__ import annotations

import threading
import uuid

import pytest

from gateway.idempotency import PREFIX, rpc_options
from tracker_common.contracts.errors import InvalidInput
from tracker_common.contracts.permissions import Role
from tracker_common.rpc import ServiceUnavailable
from tracker_common.testing import csrf_token, page

from .conftest import HERE, HOME, at_home

RETURN = {"vacancies": [{"vacancy_type": "general_residential", "weekly_price_from": "700.00", "maximum_capacity": 10,
                         "occupied": 8, "vacant_reserved": 0, "vacant_accepting": 2, "vacant_not_available": 0}]}
SAVED = {"id": "r-1", "location_id": HOME, "sequence": 1, "admission_status": "accepting"}


@pytest.fixture(autouse=True)
def no_keys(services):
    for key in services.session_store.scan_iter(f"{PREFIX}*"):
        services.session_store.delete(key)


@pytest.fixture
def requests_sent(services):
    """What each RPC call would carry (its request id, whether it may be sent again), as Tracker.call sends it."""
    sent = []
    plain = services.call

    def call(service, method, **kwargs):
        sent.append((service, method, rpc_options()))
        return plain(service, method, **kwargs)
    services.call = call
    return sent


def auth(token_value: str, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token_value}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def submit(client, token_value, key, body=RETURN, location=HOME):
    return client.post(f"/api/v1/locations/{location}/capacity-returns", json=body, headers=auth(token_value, key))


def returns_sent(services) -> int:
    return services.calls.count(("capacity", "submit_capacity_return"))


def test_the_same_key_and_body_gives_the_first_answer_and_creates_once(client, services, token):
    services.answers[("capacity", "submit_capacity_return")] = SAVED
    carer = token(Role.CARE_HOME_USER)
    key = f'"{uuid.uuid4()}"'  # as the draft writes it: a structured-field string
    first = submit(client, carer, key)
    again = submit(client, carer, key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data() and again.json == SAVED
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert returns_sent(services) == 1
    ttl = services.session_store.ttl(next(services.session_store.scan_iter(f"{PREFIX}*")))
    assert 23 * 3600 < ttl <= 24 * 3600  # kept a day


def test_the_same_key_with_another_body_is_refused_naming_the_header(client, services, token):
    services.answers[("capacity", "submit_capacity_return")] = SAVED
    carer = token(Role.CARE_HOME_USER)
    assert submit(client, carer, "k-1").status_code == 201
    changed = {"vacancies": [{**RETURN["vacancies"][0], "occupied": 7, "vacant_accepting": 3}]}
    refused = submit(client, carer, "k-1", changed)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "idempotency_key_reused" and "Idempotency-Key" in refused.json["errors"]
    elsewhere = submit(client, carer, "k-1", location="1-000000002")  # the same key at another address
    assert elsewhere.status_code == 422
    assert returns_sent(services) == 1


def test_a_request_still_being_answered_gets_409(client, services, token):
    carer = token(Role.CARE_HOME_USER)
    during = {}
    app = client.application

    def slow_answer(**_):
        with app.test_client() as second:  # the same request sent again while this one is running
            during["response"] = submit(second, carer, "k-busy")
        return SAVED
    services.answers[("capacity", "submit_capacity_return")] = slow_answer
    assert submit(client, carer, "k-busy").status_code == 201
    busy = during["response"]
    assert busy.status_code == 409 and busy.json["code"] == "idempotency_key_in_use"
    assert "Idempotency-Key" in busy.json["errors"] and busy.headers["Retry-After"]
    assert returns_sent(services) == 1
    assert submit(client, carer, "k-busy").headers["Idempotent-Replayed"] == "true"  # answered: replayed now


def test_keys_belong_to_their_caller(client, services, token):
    services.answers[("capacity", "submit_capacity_return")] = lambda actor, **_: {
        **SAVED, "submitted_by": actor["sub"]}
    mine = submit(client, token(Role.CARE_HOME_USER, user_id="u-1"), "shared-key")
    theirs = submit(client, token(Role.CARE_HOME_USER, user_id="u-2"), "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers and theirs.json["submitted_by"] == "u-2"
    assert returns_sent(services) == 2


def test_a_refused_request_is_not_kept_so_the_corrected_one_runs(client, services, token):
    carer = token(Role.CARE_HOME_USER)
    services.answers[("capacity", "submit_capacity_return")] = InvalidInput(fields={"vacancies": ["Enter them"]})
    assert submit(client, carer, "k-2").status_code == 422
    services.answers[("capacity", "submit_capacity_return")] = SAVED
    assert submit(client, carer, "k-2").status_code == 201
    assert returns_sent(services) == 2


def test_a_request_answered_503_is_sent_again_under_the_same_request_id(client, services, token, requests_sent):
    """The gateway never heard the answer, but capacity may have stored the
    return: the retry carries the same request id, so capacity answers it from
    its first outcome (tests/capacity/test_answered_once.py)."""
    carer = token(Role.CARE_HOME_USER)
    services.answers[("capacity", "submit_capacity_return")] = ServiceUnavailable("lost the connection")
    assert submit(client, carer, "k-3").status_code == 503
    services.answers[("capacity", "submit_capacity_return")] = SAVED
    assert submit(client, carer, "k-3").status_code == 201
    other = submit(client, carer, "k-4")
    assert other.status_code == 201
    ids = [options["request_id"] for service, _, options in requests_sent if service == "capacity"]
    assert ids[0] == ids[1] != ids[2]
    assert all(options["retry"] for service, _, options in requests_sent if service == "capacity")


def test_without_a_key_each_request_runs_and_writes_are_not_sent_again(client, services, token, requests_sent):
    services.answers[("capacity", "submit_capacity_return")] = SAVED
    carer = token(Role.CARE_HOME_USER)
    assert submit(client, carer, None).status_code == submit(client, carer, None).status_code == 201
    assert returns_sent(services) == 2
    assert [options for s, _, options in requests_sent if s == "capacity"] == [{"retry": False}] * 2
    client.get(f"/api/v1/locations/{HOME}/capacity-returns/current", headers=auth(carer))
    assert requests_sent[-1][2] == {"retry": True}  # a read may always be sent again


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "é"])
def test_a_malformed_key_is_refused_naming_the_header(client, services, token, key):
    refused = submit(client, token(Role.CARE_HOME_USER), key)
    assert refused.status_code == 400 and "Idempotency-Key" in refused.json["errors"]
    assert returns_sent(services) == 0


CREATING = [
    ("/api/v1/locations/{location_id}/capacity-returns", "post"),
    ("/api/v1/locations/{location_id}/workforce-returns", "post"),
    ("/api/v1/locations/{location_id}/visiting-returns", "post"),
    ("/api/v1/locations/{location_id}/home-care-returns", "post"),
    ("/api/v1/capacity/bulk-uploads", "post"),
    ("/api/v1/locations/{location_id}/notes", "post"),
    ("/api/v1/locations/{location_id}/contacts", "post"),
    ("/api/v1/locations/{location_id}/contracts", "post"),
    ("/api/v1/registrations", "post"),
    ("/api/v1/me/location-access", "post"),
    ("/api/v1/notifications/reminders", "post"),
    ("/api/v1/terms", "post"),
    ("/api/v1/api-users", "post"),
]


def test_the_openapi_document_offers_the_header_on_every_creating_operation(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, method in CREATING:
        operation = spec["paths"][path][method]
        header = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in header] == ["Idempotency-Key"], path
        assert {"400", "409", "422"} <= set(operation["responses"]), path
        assert operation["requestBody"], path  # the body's schema is still documented


def test_other_api_keys_are_shown_once_and_never_kept(client, services, token):
    """A new API key is a secret shown in one answer only: never stored for replay."""
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/api-users/{user_id}/keys"]["post"]
    assert not [p for p in operation.get("parameters", []) if p["in"] == "header"]


def test_a_bulk_upload_sent_again_is_received_once(client, services, token):
    import io

    services.answers[("capacity", "receive_bulk_upload")] = {"id": "up-1", "status": "received"}
    carer = token(Role.CARE_HOME_USER)

    def upload(content: bytes):  # each send has its own multipart boundary
        return client.post("/api/v1/capacity/bulk-uploads", headers=auth(carer, "k-up"),
                           data={"declaration": "true", "file": (io.BytesIO(content), "returns.xlsx")},
                           content_type="multipart/form-data")
    assert upload(b"PK workbook").status_code == 202
    again = upload(b"PK workbook")
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert upload(b"PK another workbook").status_code == 422
    assert services.calls.count(("capacity", "receive_bulk_upload")) == 1


# -- the web forms ------------------------------------------------------------------------------
def test_the_capacity_form_sent_twice_saves_once(browser, backend, sign_in, requests_sent):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "current_return")] = SAVED | {"vacancies": []}
    backend.answers[("capacity", "submit_capacity_return")] = {**SAVED, "still_true": False}
    form = page(browser.get(f"{HERE}/capacity"))
    key = form.find("input", {"name": "idempotency_key"})["value"]
    fields = {"csrf_token": csrf_token(browser.get(f"{HERE}/capacity")), "idempotency_key": key,
              "general_residential-maximum_capacity": "10", "general_residential-occupied": "8",
              "general_residential-vacant_reserved": "0", "general_residential-vacant_accepting": "2",
              "general_residential-vacant_not_available": "0"}
    first = browser.post(f"{HERE}/capacity", data=fields)
    again = browser.post(f"{HERE}/capacity", data=fields)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert backend.calls.count(("capacity", "submit_capacity_return")) == 1
    other = page(browser.get(f"{HERE}/capacity")).find("input", {"name": "idempotency_key"})["value"]
    assert other != key  # each rendering of the form is a new submission


def test_a_form_refused_and_corrected_is_saved(browser, backend, sign_in):
    sign_in()
    at_home(backend)
    backend.answers[("capacity", "current_return")] = SAVED | {"vacancies": []}
    backend.answers[("capacity", "submit_capacity_return")] = InvalidInput(
        fields={"vacancies": {"0": {"occupied": ["Too many"]}}})
    key = page(browser.get(f"{HERE}/capacity")).find("input", {"name": "idempotency_key"})["value"]
    fields = {"csrf_token": csrf_token(browser.get(f"{HERE}/capacity")), "idempotency_key": key,
              "general_residential-maximum_capacity": "10", "general_residential-occupied": "80"}
    refused = browser.post(f"{HERE}/capacity", data=fields)
    assert refused.status_code == 422
    assert page(refused).find("input", {"name": "idempotency_key"})["value"] == key
    backend.answers[("capacity", "submit_capacity_return")] = {**SAVED, "still_true": False}
    assert browser.post(f"{HERE}/capacity", data={**fields, "general_residential-occupied": "8"}).status_code == 302
    assert backend.calls.count(("capacity", "submit_capacity_return")) == 2
