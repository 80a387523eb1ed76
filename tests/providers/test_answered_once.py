"""Providers' writes answered once: a note sent twice under one request id
(a gateway retry after a lost answer, a redelivery after a crash) is added
once and both get the same answer."""
from __future__ import annotations

from sqlalchemy import text

from providers.service import ProvidersService
from tracker_common.rpc import RpcPool

from .test_locations import ALDER, CARER, homes  # noqa: F401 (a fixture)


def test_a_note_sent_again_under_its_request_id_is_added_once(providers_db, homes, amqp_uri,  # noqa: F811
                                                               run_container):
    pool = RpcPool(amqp_uri, timeout=10)
    note = {"actor": CARER.to_claims(), "location_id": ALDER, "payload": {"text": "Lift out of order"}}
    try:
        with run_container(ProvidersService):
            first = pool.call("providers", "add_note", request_id="note-1", **note)
            again = pool.call("providers", "add_note", request_id="note-1", **note)
            other = pool.call("providers", "add_note", request_id="note-2", **note)
    finally:
        pool.close()
    assert again == first and len(first["notes"]) == 1
    assert len(other["notes"]) == 2  # another request: another note
    with providers_db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM processed_requests")).scalar() == 2
