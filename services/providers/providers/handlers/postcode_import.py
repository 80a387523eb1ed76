"""Loading the ONS postcode directory into the providers database.

The file is streamed into a staging table in batches, then swapped in with
the district centroids in one transaction: readers see the old directory or
the new one, never half of it, and a refused file changes nothing. The same
transaction announces the new directory on the bus, part by part, so that
other services geocode without calling providers."""
from __future__ import annotations

import math
import uuid
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.engine import Engine

from tracker_common.contracts.events import new_event

from .. import repository
from ..models import ImportRun
from ..postcode_directory import read_directory
from ..repository import postcode_swap

CHUNK = 5_000
PART_SIZE = 5_000  # postcodes per providers.postcodes_published event


class DirectoryRefused(Exception):
    """The file is not a usable directory; nothing was changed."""

    def __init__(self, reason: str, summary: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.summary = summary or {}


def import_postcode_directory(engine: Engine, source, *, clock, progress=None,
                              max_rejected_ratio: float = 0.01) -> dict:
    """Replace the postcode directory with the file at `source`. Returns the
    summary (read, loaded, terminated, without coordinates, outside England,
    rejected with reasons, and the `directory_version` its events carry).
    Raises DirectoryRefused (nothing changed, nothing announced)."""
    run_id, started = str(uuid.uuid4()), clock.now()
    reader = read_directory(source, progress=progress)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        postcode_swap.create_staging(cursor)
        batch = []
        for record in reader:
            batch.append(record)
            if len(batch) == CHUNK:
                postcode_swap.stage_postcodes(cursor, batch, page_size=CHUNK)
                batch = []
        if batch:
            postcode_swap.stage_postcodes(cursor, batch, page_size=CHUNK)
        summary = {k: v for k, v in asdict(reader.summary).items() if k != "rejections"}
        summary["rejections"] = [asdict(r) for r in reader.summary.rejections[:100]]
        if summary["loaded"] == 0:
            raise DirectoryRefused("The file holds no live postcode in England.", summary)
        if summary["rejected"] > max_rejected_ratio * max(summary["read"], 1):
            raise DirectoryRefused(
                f"{summary['rejected']} of {summary['read']} rows were rejected: is this the ONS postcode "
                "directory?", summary)
        # Everything the swap needs, and its events, is made before the
        # TRUNCATE: readers (locate_postcode) wait only for the swap itself.
        summary["outcodes"] = postcode_swap.prepare_swap(cursor)
        summary["directory_version"] = int(started.timestamp() * 1000)
        finished = clock.now()
        _publish_directory(connection, summary["directory_version"], finished)
        postcode_swap.swap(cursor)
        postcode_swap.record_applied(cursor, run_id, str(source)[:300], started, finished, summary)
        connection.commit()
        return summary
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _publish_directory(connection, version: int, occurred_at: datetime) -> None:
    """Write the directory about to be swapped in to the outbox as
    `providers.postcodes_published` parts, in the swap's transaction, so the
    events carry exactly what is committed. The postcodes are streamed and
    written one part at a time: the whole directory (~1.4M postcodes) is
    never in memory."""
    cursor = connection.cursor()
    outcodes = postcode_swap.next_outcodes(cursor)
    parts = max(1, math.ceil(postcode_swap.next_postcodes_with_coordinates(cursor) / PART_SIZE))
    for part, postcodes in enumerate(postcode_swap.next_postcodes_in_parts(connection, PART_SIZE, parts), 1):
        event = new_event("providers.postcodes_published", {
            "directory_version": version, "part": part, "parts": parts, "postcodes": postcodes,
            "outcodes": outcodes if part == 1 else []}, occurred_at=occurred_at)
        postcode_swap.add_to_outbox(cursor, event)


def record_refusal(session, *, kind: str, source: str, reason: str, summary: dict, clock) -> None:
    repository.add_import_run(session, ImportRun(
        id=str(uuid.uuid4()), kind=kind, source=str(source)[:300], status="refused", started_at=clock.now(),
        finished_at=clock.now(), summary={**summary, "reason": reason}))
