"""Loading the ONS postcode directory into the providers database.

The file is streamed into a staging table in batches, then swapped in with
the district centroids in one transaction: readers see the old directory or
the new one, never half of it, and a refused file changes nothing."""
from __future__ import annotations

import uuid
from dataclasses import asdict

from psycopg2.extras import execute_values
from sqlalchemy.engine import Engine

from ..models import ImportRun
from ..postcode_directory import read_directory

COLUMNS = ("postcode", "outcode", "latitude", "longitude", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code")
CHUNK = 5_000


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
    rejected with reasons). Raises DirectoryRefused (nothing changed)."""
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
        cursor.execute("TRUNCATE postcodes, outcodes")
        cursor.execute(f"INSERT INTO postcodes SELECT DISTINCT ON (postcode) {', '.join(COLUMNS)} "
                       "FROM postcodes_staging ORDER BY postcode")
        cursor.execute("INSERT INTO outcodes (outcode, latitude, longitude, postcodes) "
                       "SELECT outcode, avg(latitude), avg(longitude), count(*) FROM postcodes "
                       "WHERE latitude IS NOT NULL GROUP BY outcode")
        cursor.execute("SELECT count(*) FROM outcodes")
        summary["outcodes"] = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO import_runs (id, kind, source, status, started_at, finished_at, summary) "
            "VALUES (%s, 'postcodes', %s, 'applied', %s, %s, %s)",
            (run_id, str(source)[:300], started, clock.now(), _json(summary)))
        connection.commit()
        return summary
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _json(value) -> str:
    import json
    return json.dumps(value, default=str)


def record_refusal(session, *, kind: str, source: str, reason: str, summary: dict, clock) -> None:
    session.add(ImportRun(id=str(uuid.uuid4()), kind=kind, source=str(source)[:300], status="refused",
                          started_at=clock.now(), finished_at=clock.now(), summary={**summary, "reason": reason}))
