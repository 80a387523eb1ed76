"""The reporting service's nameko entrypoints: parse input with its schema,
call a use case, return plain data.

Stateless per request, like search: several instances can share its
queues."""
from __future__ import annotations

import base64
from functools import partial


from tracker_common.clock import LONDON
from tracker_common.contracts.errors import TrackerError
from tracker_common.contracts.permissions import Principal
from tracker_common.contracts.reporting import (EXPORT_LIMIT, BedStateQuery, ComplianceQuery, ExportQuery,
                                                LastModifiedQuery, UtilisationQuery)
from tracker_common.dependencies import Clock, DatabaseWithOutbox, RebuildWhenEmpty, Telemetry
from tracker_common.entrypoints import rpc, subscribe
from tracker_common.schemas import load

from . import export
from .handlers import compliance, readmodel, rebuild, reports
from .models import outbox, processed_events

expected = {"expected_exceptions": TrackerError}
UTILISATION, LAST_MODIFIED, BED_STATE, EXPORT = UtilisationQuery(), LastModifiedQuery(), BedStateQuery(), ExportQuery()
COMPLIANCE = ComplianceQuery()
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ReportingService:
    name = "reporting"

    db = DatabaseWithOutbox((outbox, processed_events))
    clock = Clock()
    telemetry = Telemetry()
    rebuild_when_empty = RebuildWhenEmpty(partial(rebuild.rebuild, only_if_empty=True))

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping()}

    @rpc(**expected)
    def utilisation(self, actor, query):
        """Capacity, used and spare beds and utilisation, rows by one
        dimension against columns by another, for a month or a range of
        months. Raises InvalidInput, Forbidden (care home users)."""
        command = load(UTILISATION, query)
        today = self.clock.now().astimezone(LONDON).date()
        with self.db.read() as connection:
            return reports.utilisation(connection, Principal.from_claims(actor), command, today)

    @rpc
    def areas(self):
        """The NHS regions, ICBs, Sub-ICBs and Local Authorities reports can
        be limited to, named (public)."""
        with self.db.read() as connection:
            return reports.areas(connection)

    @rpc(**expected)
    def last_modified(self, actor, query):
        """When each location in the actor's view last updated its capacity,
        never and oldest first. Raises InvalidInput, Forbidden."""
        command = load(LAST_MODIFIED, query)
        with self.db.read() as connection:
            return reports.last_modified(connection, Principal.from_claims(actor), command, self.clock.now())

    @rpc(**expected)
    def collection_compliance(self, actor, query):
        """The ASC collection: for each location of an area and each month,
        whether it sent its capacity within the window (8th to 14th, UK
        time), and the formal notice's flag (3 months missed in a row, or 4
        of the last 12). Raises InvalidInput, Forbidden (anyone but
        administrators and the area's commissioners)."""
        command = load(COMPLIANCE, query)
        today = self.clock.now().astimezone(LONDON).date()
        with self.db.read() as connection:
            return compliance.compliance(connection, Principal.from_claims(actor), command, today)

    @rpc(**expected)
    def bed_state(self, query):
        """The public bed state of one Local Authority or Sub-ICB: each care
        home's latest vacancies. Raises InvalidInput, NotFound."""
        command = load(BED_STATE, query)
        with self.db.read() as connection:
            return reports.bed_state(connection, command, self.clock.now())

    @rpc(**expected)
    def export_capacity(self, actor, query):
        """Every location the actor may export (up to EXPORT_LIMIT), its latest
        capacity a row per vacancy type, as CSV or Excel (base64). Raises
        InvalidInput, Forbidden (without extended reporting)."""
        command = load(EXPORT, query)
        now = self.clock.now()
        with self.db.read() as connection:
            rows, truncated = reports.export_rows(connection, Principal.from_claims(actor), command, EXPORT_LIMIT)
            areas = reports.area_names(connection, rows)
        content = export.to_file(rows, areas, command["format"])
        return {"file_name": f"capacity-{now.astimezone(LONDON):%Y%m%d-%H%M}.{command['format']}",
                "content_type": CONTENT_TYPES[command["format"]], "locations": len(rows), "truncated": truncated,
                "content": base64.b64encode(content).decode()}

    # -- the read model ----------------------------------------------------------------
    @subscribe("providers.location_updated", batch=True)
    def on_location_updated(self, events):
        self.db.apply_snapshots(events, readmodel.apply_location_snapshots)

    @subscribe("capacity.return_submitted", batch=True)
    def on_return_submitted(self, events):
        self.db.apply_snapshots(events, readmodel.apply_return_snapshots)

    @subscribe("providers.geography_published")
    def on_geography_published(self, event):
        with self.db.unit_of_work() as uow:
            readmodel.apply_geography(uow.session, event.data)
            uow.commit()
