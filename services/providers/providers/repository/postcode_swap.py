"""The postcode directory's import, on a raw (psycopg2) connection: the file
staged in batches, then swapped in with its district centroids and announced
through the outbox, in one transaction."""
from __future__ import annotations

import json
from typing import Iterator

from psycopg2.extras import execute_values

COLUMNS = ("postcode", "outcode", "latitude", "longitude", "la_code", "sub_icb_code", "icb_code",
           "nhs_region_code")


def _json(value) -> str:
    return json.dumps(value, default=str)


def create_staging(cursor) -> None:
    cursor.execute("CREATE TEMP TABLE postcodes_staging (LIKE postcodes INCLUDING DEFAULTS) ON COMMIT DROP")


def stage_postcodes(cursor, records: list, page_size: int) -> None:
    """A batch of PostcodeRecords into the staging table. Multi-row INSERTs
    rather than COPY: COPY is refused when psycopg2 runs with eventlet's wait
    callback (as in a nameko process)."""
    insert = f"INSERT INTO postcodes_staging ({', '.join(COLUMNS)}) VALUES %s"
    execute_values(cursor, insert, [
        (r.postcode, r.outcode, r.latitude, r.longitude, r.local_authority_code, r.sub_icb_code, r.icb_code,
         r.nhs_region_code) for r in records], page_size=page_size)


def prepare_swap(cursor) -> int:
    """The next directory (one row a postcode) and its district centroids,
    made before the swap; returns the number of districts."""
    columns = ", ".join(COLUMNS)
    cursor.execute(f"CREATE TEMP TABLE postcodes_next ON COMMIT DROP AS SELECT DISTINCT ON (postcode) "
                   f"{columns} FROM postcodes_staging ORDER BY postcode")
    cursor.execute("CREATE TEMP TABLE outcodes_next ON COMMIT DROP AS "
                   "SELECT outcode, avg(latitude) AS latitude, avg(longitude) AS longitude, count(*) AS postcodes "
                   "FROM postcodes_next WHERE latitude IS NOT NULL GROUP BY outcode")
    cursor.execute("SELECT count(*) FROM outcodes_next")
    return cursor.fetchone()[0]


def next_outcodes(cursor) -> list[list]:
    cursor.execute("SELECT outcode, latitude, longitude FROM outcodes_next ORDER BY outcode")
    return [list(row) for row in cursor.fetchall()]


def next_postcodes_with_coordinates(cursor) -> int:
    cursor.execute("SELECT count(*) FROM postcodes_next WHERE latitude IS NOT NULL")
    return cursor.fetchone()[0]


def next_postcodes_in_parts(connection, part_size: int, parts: int) -> Iterator[list[list]]:
    """[postcode, latitude, longitude, la, sub-ICB] of the next directory's
    postcodes with coordinates, in order, `part_size` at a time: streamed
    through a server-side cursor, never all in memory."""
    with connection.cursor(name="postcodes_published") as rows:
        rows.execute("SELECT postcode, latitude, longitude, la_code, sub_icb_code FROM postcodes_next "
                     "WHERE latitude IS NOT NULL ORDER BY postcode")
        for _ in range(parts):
            yield [list(row) for row in rows.fetchmany(part_size)]


def add_to_outbox(cursor, event) -> None:
    cursor.execute("INSERT INTO outbox (event_id, event_type, message, created_at) VALUES (%s, %s, %s, %s)",
                   (event.id, event.type, _json(event.to_message()), event.occurred_at))


def swap(cursor) -> None:
    """The next directory replaces the current one."""
    columns = ", ".join(COLUMNS)
    cursor.execute("TRUNCATE postcodes, outcodes")
    cursor.execute(f"INSERT INTO postcodes ({columns}) SELECT {columns} FROM postcodes_next")
    cursor.execute("INSERT INTO outcodes (outcode, latitude, longitude, postcodes) "
                   "SELECT outcode, latitude, longitude, postcodes FROM outcodes_next")


def record_applied(cursor, run_id: str, source: str, started, finished, summary: dict) -> None:
    cursor.execute(
        "INSERT INTO import_runs (id, kind, source, status, started_at, finished_at, summary) "
        "VALUES (%s, 'postcodes', %s, 'applied', %s, %s, %s)",
        (run_id, source, started, finished, _json(summary)))
