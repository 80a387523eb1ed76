""""Nothing has changed" in the API: one location, or several at once."""
from __future__ import annotations

from tracker_common.contracts import errors as service_errors
from tracker_common.contracts.permissions import Role

HOME = "1-000000001"


def bearer(token) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_one_location_is_refreshed_and_a_refusal_is_a_problem(client, services, token):
    services.answers[("capacity", "confirm_still_true")] = lambda **kwargs: {
        "id": "r-2", "location_id": kwargs["location_id"], "sequence": 2, "still_true": True,
        "submitted_at": "2026-03-02T09:00:00+00:00"}
    answer = client.post(f"/api/v1/locations/{HOME}/capacity-returns/still-true",
                         headers=bearer(token(Role.CARE_HOME_USER)))
    assert answer.status_code == 201 and answer.get_json()["still_true"] is True
    assert services.sent_to("capacity", "confirm_still_true")["location_id"] == HOME

    services.answers[("capacity", "confirm_still_true")] = service_errors.InvalidInput(
        fields={"location_id": ["No capacity return yet: update its capacity first."]})
    refused = client.post(f"/api/v1/locations/{HOME}/capacity-returns/still-true",
                          headers=bearer(token(Role.CARE_HOME_USER)))
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == {"location_id": ["No capacity return yet: update its capacity first."]}


def test_several_locations_at_once_say_which_were_refused(client, services, token):
    services.answers[("capacity", "confirm_still_true_many")] = {
        "refreshed": [{"id": "r-2", "location_id": HOME, "sequence": 2, "still_true": True}],
        "refused": {"1-000000002": ["No such location."]}}
    answer = client.post("/api/v1/capacity-returns/still-true", json={"location_ids": [HOME, "1-000000002"]},
                         headers=bearer(token(Role.CARE_HOME_USER)))
    assert answer.status_code == 200
    assert answer.get_json()["refused"] == {"1-000000002": ["No such location."]}
    assert services.sent_to("capacity", "confirm_still_true_many")["payload"] == {
        "location_ids": [HOME, "1-000000002"]}
    everything = client.post("/api/v1/capacity-returns/still-true", json={},
                             headers=bearer(token(Role.CARE_HOME_USER)))
    assert everything.status_code == 200
    assert services.sent_to("capacity", "confirm_still_true_many")["payload"] == {"location_ids": None}
    without_a_body = client.post("/api/v1/capacity-returns/still-true", headers=bearer(token(Role.CARE_HOME_USER)))
    assert without_a_body.status_code == 200  # the body is optional, as the document says
    assert services.sent_to("capacity", "confirm_still_true_many")["payload"] == {"location_ids": None}


def test_the_document_says_the_body_of_several_is_optional(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/capacity-returns/still-true"]["post"]
    assert operation["requestBody"].get("required", False) is False


def test_a_bad_list_is_refused_before_any_call(client, services, token):
    for body in ({"location_ids": []}, {"location_ids": ["x"] * 201}, {"location_ids": "1-000000001"}):
        answer = client.post("/api/v1/capacity-returns/still-true", json=body,
                             headers=bearer(token(Role.CARE_HOME_USER)))
        assert answer.status_code == 422 and "location_ids" in answer.get_json()["errors"]
    assert services.calls == []
    assert client.post("/api/v1/capacity-returns/still-true", json={}).status_code == 401
