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

from psycopg2.extras import execute_values
from sqlalchemy.engine import Engine

from tracker_common.contracts.events import new_event

from ..models import ImportRun
from ..postcode_directory import read_directory

COLUMNS = ("postcode", "outcode", "latitude", "longitude", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code")
CHUNK = 5_000
PART_SIZE = 5_000  # postcodes per providers.postcodes_published event


class DirectoryRefused(Exception):
    """The file is not a usable directory; nothing was changed."""

    def __init__(self, reason: str, summary: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.summary = summary or {}


def _row(record) -> tuple:
    return (record.postcode, record.outcode, record.latitude, record.longitude, record.local_authority_code,
            record.sub_icb_code, record.icb_code, record.nhs_region_code)


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
        cursor.execute("CREATE TEMP TABLE postcodes_staging (LIKE postcodes INCLUDING DEFAULTS) ON COMMIT DROP")
        # Multi-row INSERTs rather than COPY: COPY is refused when psycopg2
        # runs with eventlet's wait callback (as in a nameko process).
        insert = f"INSERT INTO postcodes_staging ({', '.join(COLUMNS)}) VALUES %s"
        batch = []
        for record in reader:
            batch.append(_row(record))
            if len(batch) == CHUNK:
                execute_values(cursor, insert, batch, page_size=CHUNK)
                batch = []
        if batch:
            execute_values(cursor, insert, batch, page_size=CHUNK)
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
        columns = ", ".join(COLUMNS)
        cursor.execute(f"CREATE TEMP TABLE postcodes_next ON COMMIT DROP AS SELECT DISTINCT ON (postcode) "
                       f"{columns} FROM postcodes_staging ORDER BY postcode")
        cursor.execute("CREATE TEMP TABLE outcodes_next ON COMMIT DROP AS "
                       "SELECT outcode, avg(latitude) AS latitude, avg(longitude) AS longitude, count(*) AS postcodes "
                       "FROM postcodes_next WHERE latitude IS NOT NULL GROUP BY outcode")
        cursor.execute("SELECT count(*) FROM outcodes_next")
        summary["outcodes"] = cursor.fetchone()[0]
        summary["directory_version"] = int(started.timestamp() * 1000)
        finished = clock.now()
        _publish_directory(connection, summary["directory_version"], finished)
        cursor.execute("TRUNCATE postcodes, outcodes")
        cursor.execute(f"INSERT INTO postcodes ({columns}) SELECT {columns} FROM postcodes_next")
        cursor.execute("INSERT INTO outcodes (outcode, latitude, longitude, postcodes) "
                       "SELECT outcode, latitude, longitude, postcodes FROM outcodes_next")
        cursor.execute(
            "INSERT INTO import_runs (id, kind, source, status, started_at, finished_at, summary) "
            "VALUES (%s, 'postcodes', %s, 'applied', %s, %s, %s)",
            (run_id, str(source)[:300], started, finished, _json(summary)))
        connection.commit()
        return summary
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _publish_directory(connection, version: int, occurred_at: datetime) -> None:
    """Write the directory about to be swapped in (`postcodes_next`,
    `outcodes_next`) to the outbox as `providers.postcodes_published` parts,
    in the swap's transaction, so the events carry exactly what is committed.
    The postcodes are streamed through a server-side cursor and written one
    part at a time: the whole directory (~1.4M postcodes) is never in memory."""
    cursor = connection.cursor()
    cursor.execute("SELECT outcode, latitude, longitude FROM outcodes_next ORDER BY outcode")
    outcodes = [list(row) for row in cursor.fetchall()]
    cursor.execute("SELECT count(*) FROM postcodes_next WHERE latitude IS NOT NULL")
    parts = max(1, math.ceil(cursor.fetchone()[0] / PART_SIZE))
    with connection.cursor(name="postcodes_published") as rows:
        rows.execute("SELECT postcode, latitude, longitude, la_code, sub_icb_code FROM postcodes_next "
                     "WHERE latitude IS NOT NULL ORDER BY postcode")
        for part in range(1, parts + 1):
            event = new_event("providers.postcodes_published", {
                "directory_version": version, "part": part, "parts": parts,
                "postcodes": [list(row) for row in rows.fetchmany(PART_SIZE)],
                "outcodes": outcodes if part == 1 else []}, occurred_at=occurred_at)
            cursor.execute("INSERT INTO outbox (event_id, event_type, message, created_at) "
                           "VALUES (%s, %s, %s, %s)",
                           (event.id, event.type, _json(event.to_message()), event.occurred_at))


def _json(value) -> str:
    import json
    return json.dumps(value, default=str)


def record_refusal(session, *, kind: str, source: str, reason: str, summary: dict, clock) -> None:
    session.add(ImportRun(id=str(uuid.uuid4()), kind=kind, source=str(source)[:300], status="refused",
                          started_at=clock.now(), finished_at=clock.now(), summary={**summary, "reason": reason}))
