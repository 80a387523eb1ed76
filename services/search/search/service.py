"""The search service's nameko entrypoints: parse input with its schema,
call a use case, return plain data.

Stateless per request: every instance reads the same read model, so
operations run as many instances as searches need (they share the service's
queues: RPC requests and events are spread between them)."""
from __future__ import annotations

import base64
from functools import partial


from tracker_common.contracts.errors import Forbidden, TrackerError
from tracker_common.contracts.permissions import Action, Principal, may
from tracker_common.contracts.search import EXPORT_LIMIT, ExportQuery, SearchQuery
from tracker_common.dependencies import Clock, DatabaseWithOutbox, RebuildWhenEmpty, Telemetry
from tracker_common.entrypoints import rpc, subscribe
from tracker_common.logs import get_logger
from tracker_common.schemas import load

from . import export
from .handlers import find, readmodel, rebuild
from .models import outbox, processed_events

log = get_logger(__name__)
expected = {"expected_exceptions": TrackerError}
SEARCH_QUERY, EXPORT_QUERY = SearchQuery(), ExportQuery()
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _check_may_search(actor: dict) -> None:
    if not may(Principal.from_claims(actor), Action.FIND_CAPACITY):
        raise Forbidden("Care home users cannot search for vacancies.")


class SearchService:
    name = "search"

    # Searches walk indexes (nearest first, or one area's homes): a bitmap
    # scan of a whole radius, which the planner picks when it underestimates
    # how many homes a box holds, reads thousands of rows to keep twenty.
    db = DatabaseWithOutbox((outbox, processed_events), read_settings={"enable_bitmapscan": "off"})
    clock = Clock()
    telemetry = Telemetry()
    rebuild_when_empty = RebuildWhenEmpty(partial(rebuild.rebuild, only_if_empty=True))

    @rpc
    def health(self):
        return {"service": self.name, "database": self.db.ping()}

    @rpc
    def ping(self):
        """Nothing but a round trip: the transport floor of a search."""
        return {}

    @rpc(**expected)
    def find_vacancies(self, actor, query):
        _check_may_search(actor)
        command = load(SEARCH_QUERY, query)
        with self.db.read() as connection:
            # JSON text: the gateway sends it on as it is
            return find.find_vacancies_json(connection, command, self.clock.now())

    @rpc(**expected)
    def export_vacancies(self, actor, query):
        """The whole search (up to EXPORT_LIMIT homes) as a CSV or Excel file (base64)."""
        _check_may_search(actor)
        command = load(EXPORT_QUERY, query)
        now = self.clock.now()
        with self.db.read() as connection:
            found = find.find_vacancies(connection, command, now, export_limit=EXPORT_LIMIT)
        criteria = {k: v for k, v in EXPORT_QUERY.dump(command).items() if k not in ("page", "per_page", "format")}
        write = export.to_csv if command["format"] == "csv" else export.to_xlsx
        content = write(found["results"], criteria, now)
        return {"file_name": f"vacancies-{now:%Y%m%d-%H%M}.{command['format']}",
                "content_type": CONTENT_TYPES[command["format"]], "rows": len(found["results"]),
                "truncated": found["has_more"], "content": base64.b64encode(content).decode()}

    @rpc(**expected)
    def search_options(self, actor):
        _check_may_search(actor)
        with self.db.read() as connection:
            return find.search_options(connection)

    # -- the read model ----------------------------------------------------------------
    @subscribe("providers.location_updated", batch=True)
    def on_location_updated(self, events):
        self.db.apply_snapshots(events, readmodel.apply_location_snapshots)

    @subscribe("capacity.return_submitted", batch=True)
    def on_return_submitted(self, events):
        self.db.apply_snapshots(events, readmodel.apply_return_snapshots)

    @subscribe("providers.postcodes_published")
    def on_postcodes_published(self, event):
        with self.db.unit_of_work() as uow:
            readmodel.apply_directory_part(uow.session, event.data)
            uow.commit()
