"""Notifications' writes answered once: an email asked for twice under one
request id (a caller's retry whose answer was lost, a redelivery after a
crash) -- even without a Notify reference -- is sent once, both callers
getting the same answer."""
from __future__ import annotations

from notifications.service import NotificationsService
from tracker_common.rpc import RpcPool

from .test_service import notifications_queues_empty, service_env  # noqa: F401 (fixtures)

LOCKED = {"name": "Lee", "locked until": "9:00am on 24 November 2026"}


def test_an_email_asked_for_again_under_its_request_id_is_sent_once(run_container, amqp_uri, service_env,  # noqa: F811
                                                                     smtp):
    inbox, _ = smtp
    pool = RpcPool(amqp_uri, timeout=10)
    try:
        with run_container(NotificationsService):
            first = pool.call("notifications", "send_email", request_id="email-1", template="account-locked",
                              to="lee@alder.example", personalisation=LOCKED)
            again = pool.call("notifications", "send_email", request_id="email-1", template="account-locked",
                              to="lee@alder.example", personalisation=LOCKED)
            inbox.wait_for("lee@alder.example")
    finally:
        pool.close()
    assert again == first and first["duplicate"] is False
    assert len(inbox.to("lee@alder.example")) == 1
