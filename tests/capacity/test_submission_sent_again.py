"""Through the gateway: a capacity return whose client was told the service
did not answer in time -- while capacity went on and stored it -- and which
the client then sends again with the same Idempotency-Key is stored once,
and the client gets the first answer. The gateway (with its real RPC pool)
and the capacity service run in this process, on the real broker."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import text

from capacity.service import CapacityService
from gateway.app import Tracker, create_app
from tracker_common.keys import signing_key
from tracker_common.testing import wait_until
from tracker_common.tokens import issue_access_token

from .test_answered_once import CARER, a_payload, stored_returns
from .test_returns import ALDER


def test_a_return_stored_after_its_client_was_told_504_is_stored_once_when_sent_again(
        capacity_db, known_location, amqp_uri, run_container, monkeypatch):
    known_location(ALDER)
    monkeypatch.setenv("RPC_TIMEOUT", "1")
    gateway = create_app(Tracker()).test_client()
    token = issue_access_token(CARER, private_key=signing_key(), now=datetime.now(timezone.utc),
                               lifetime_seconds=300)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/v1/locations/{ALDER}/capacity-returns"
    with run_container(CapacityService):
        with capacity_db.engine.connect() as blocker:
            held = blocker.begin()
            blocker.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))  # capacity's commit waits
            first = gateway.post(path, json=a_payload(), headers=headers)
            held.rollback()
        assert first.status_code == 504, first.json
        wait_until(lambda: stored_returns(capacity_db) == 1, timeout=20, message="capacity to store it anyway")

        again = gateway.post(path, json=a_payload(), headers=headers)  # the client tries again
        assert again.status_code == 201, again.json
        assert again.json["sequence"] == 1 and stored_returns(capacity_db) == 1
        replayed = gateway.post(path, json=a_payload(), headers=headers)
        assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json == again.json

        other = gateway.post(path, json=a_payload(), headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert other.status_code == 201 and other.json["sequence"] == 2  # a new key: a new return
