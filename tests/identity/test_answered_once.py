"""Identity's writes answered once: an application sent again under the same
request id (the gateway's retry of a keyed registration whose answer was
lost, or a redelivery after a crash) is made once, and both get its answer."""
from __future__ import annotations

from sqlalchemy import func, select, text

from identity.models import Application
from identity.service import IdentityService
from tracker_common.rpc import RpcPool
from tracker_common.testing import empty_subscriptions


def test_a_registration_sent_again_under_its_request_id_is_made_once(identity_db, reference, amqp_uri,
                                                                       run_container):
    empty_subscriptions(amqp_uri, "identity")
    pool = RpcPool(amqp_uri, timeout=10)
    application = {"name": "Sam Jones", "email": "sam.jones@alder-care.example", "organisation_id": "prov-a",
                   "location_id": None, "level": "standard"}
    try:
        with run_container(IdentityService):
            first = pool.call("identity", "register", request_id="apply-1", payload=application)
            again = pool.call("identity", "register", request_id="apply-1", payload=application)
    finally:
        pool.close()
    assert again == first
    with identity_db.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Application.__table__)).scalar() == 1
        assert connection.execute(text("SELECT method FROM processed_requests")).scalars().all() == ["register"]
