"""The capacity service's nameko entrypoints: parse input with its schema,
call a use case, return plain data."""
from __future__ import annotations

import eventlet
from eventlet import tpool

from tracker_common.config import env_float
from tracker_common.contracts import capacity as bodies
from tracker_common.contracts.errors import NotFound, TrackerError
from tracker_common.contracts.permissions import Principal
from tracker_common.dependencies import Clock, DatabaseWithOutbox, Telemetry
from tracker_common.entrypoints import RpcProxy, rpc, subscribe
from tracker_common.once import answered_once
from tracker_common.schemas import load

from .handlers import bulk, readmodel, returns
from .spreadsheet import read_upload
from .models import outbox, processed_events

expected = {"expected_exceptions": TrackerError}
PROVIDERS_TIMEOUT = env_float("RPC_TIMEOUT", 10.0)
SNAPSHOT_PAGE = 2000  # returns a page when a rebuild does not say (bench/capacity_snapshots.py)
OTHER_RETURNS = {"workforce": bodies.WorkforceReturnRequest, "visiting": bodies.VisitingReturnRequest,
                 "home_care": bodies.HomeCareReturnRequest}


class CapacityService:
    name = "capacity"

    db = DatabaseWithOutbox((outbox, processed_events))
    clock = Clock()
    telemetry = Telemetry()
    providers_rpc = RpcProxy("providers")

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping()}

    @rpc(**expected)
    @answered_once
    def submit_capacity_return(self, actor, location_id, payload):
        command = load(bodies.CapacityReturnRequest, payload)
        with self.db.unit_of_work() as uow:
            result = returns.submit_capacity_return(uow, Principal.from_claims(actor), location_id, command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    @answered_once
    def confirm_still_true(self, actor, location_id):
        """Nothing has changed: the location's current return re-stamped now
        (marked still true, announced). InvalidInput when it has none yet or
        its figures no longer fit the location; NotFound, Forbidden."""
        with self.db.unit_of_work() as uow:
            result = returns.confirm_still_true(uow, Principal.from_claims(actor), location_id)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    @answered_once
    def confirm_still_true_many(self, actor, payload):
        """Nothing has changed at several locations (or all of the actor's
        own): each refreshed all or nothing on its own; {"refreshed": [...],
        "refused": {location id: [why]}}."""
        command = load(bodies.StillTrueRequest, payload or {})
        with self.db.unit_of_work() as uow:
            result = returns.confirm_still_true_many(uow, Principal.from_claims(actor), command["location_ids"])
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def current_return(self, actor, location_id):
        with self.db.unit_of_work() as uow:
            return returns.current_return(uow, Principal.from_claims(actor), location_id)

    @rpc(**expected)
    def return_history(self, actor, location_id, query):
        with self.db.unit_of_work() as uow:
            return returns.return_history(uow, Principal.from_claims(actor), location_id,
                                          load(bodies.HistoryQuery, query))

    @rpc(**expected)
    @answered_once
    def submit_other_return(self, actor, location_id, kind, payload):
        if kind not in OTHER_RETURNS:
            raise NotFound(f"No {kind} return.")
        command = load(OTHER_RETURNS[kind](), payload)
        with self.db.unit_of_work() as uow:
            result = returns.submit_other_return(uow, Principal.from_claims(actor), location_id, kind, command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def return_summaries(self, actor, query):
        """When each location (of those the actor may see) last sent its
        return, how stale that is, and its admission status: for lists."""
        location_ids = load(bodies.SummaryQuery, query)["location_ids"]
        with self.db.unit_of_work() as uow:
            return returns.return_summaries(uow, Principal.from_claims(actor), self.clock.now(), location_ids)

    @rpc(**expected)
    def stale_locations(self, query=None):
        """Active locations whose latest return is older than the threshold
        (24 h by default), or that never sent one: for reminder emails."""
        hours = load(bodies.StaleQuery, query or {})["older_than_hours"]
        with self.db.unit_of_work() as uow:
            return returns.stale_locations(uow, self.clock.now(), older_than_hours=hours)

    @rpc(**expected)
    def return_snapshots(self, after="", limit=SNAPSHOT_PAGE):
        """Every location's current return, page by page, as
        `capacity.return_submitted` carries it (`next` is the `after` of the
        following page, None at the end)."""
        page = load(bodies.ReturnSnapshotPage, {"after": after, "limit": limit})
        with self.db.unit_of_work() as uow:
            return returns.snapshot_page(uow, page["after"], page["limit"])

    @rpc(**expected)
    def return_history_snapshots(self, after="", limit=SNAPSHOT_PAGE):
        """Every return ever accepted, in return id order, page by page, as
        `capacity.return_submitted` carries it (`next` is the `after` of the
        following page, None at the end)."""
        page = load(bodies.ReturnSnapshotPage, {"after": after, "limit": limit})
        with self.db.unit_of_work() as uow:
            return returns.history_snapshot_page(uow, page["after"], page["limit"])

    # -- bulk updates ------------------------------------------------------------
    @rpc(**expected)
    def bulk_template(self, actor, query=None):
        """The .xlsx template (base64) for the locations the actor may update."""
        with self.db.unit_of_work() as uow:
            return bulk.bulk_template(uow, Principal.from_claims(actor), load(bodies.BulkTemplateQuery, query or {}))

    @rpc(**expected)
    @answered_once
    def receive_bulk_upload(self, actor, payload):
        """Keep an upload for the background worker; returns its status (received)."""
        command = load(bodies.BulkUploadRequest, payload)
        with self.db.unit_of_work() as uow:
            result = bulk.receive_bulk_upload(uow, Principal.from_claims(actor), command)
            uow.commit(answer=result)
            return result

    @rpc(**expected)
    def bulk_upload_status(self, actor, upload_id):
        with self.db.unit_of_work() as uow:
            return bulk.bulk_upload_status(uow, Principal.from_claims(actor), upload_id)

    @subscribe("capacity.bulk_upload_received")
    def process_bulk_upload(self, event):
        # Parsing a workbook is CPU work: a real thread lets the service's
        # other workers (and its AMQP heartbeats) carry on meanwhile.
        def parse(content, **kwargs):
            return tpool.execute(read_upload, content, **kwargs)

        def set_out_of_hours(claims, location_id, value):
            with eventlet.Timeout(PROVIDERS_TIMEOUT):  # never wait on another service for ever
                self.providers_rpc.update_profile(actor=claims, location_id=location_id,
                                                  payload={"out_of_hours_admissions": value})

        with self.db.unit_of_work() as uow:
            bulk.process_bulk_upload(uow, event.data["upload_id"], parse=parse, set_out_of_hours=set_out_of_hours)
            uow.commit()

    @subscribe("providers.location_updated", batch=True)
    def on_location_updated(self, events):
        # a versioned snapshot, applied newer-wins (handlers/readmodel.py)
        self.db.apply_snapshots(events, readmodel.apply_location_snapshots)
