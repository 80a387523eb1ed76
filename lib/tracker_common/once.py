"""Writes answered once: an RPC request that changes something carries a
request id (put in the nameko context by the caller, `REQUEST_ID`), and the
service records (request id -> answer) in the same transaction as the change.
The same request delivered again -- redelivered by the broker after the
service died between its commit and its acknowledgement, or sent again by a
caller that never heard the answer -- gets the first answer back and changes
nothing.

In a service: a `processed_requests_table(Base.metadata)` beside its outbox,
and on each write entrypoint

    @rpc(**expected)
    @answered_once
    def submit_capacity_return(self, actor, location_id, payload):
        with self.db.unit_of_work() as uow:
            result = ...
            uow.commit(answer=result)
            return result
"""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Callable

from kombu.utils.json import dumps, loads
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

REQUEST_ID = "request_id"  # the nameko context key
TABLE = "processed_requests"
MAX_REQUEST_ID = 100


class AlreadyAnswered(Exception):
    """The same request was committed by another worker meanwhile."""


def processed_requests_table(metadata: MetaData) -> Table:
    """(request id -> answer) of every write a service applied, kept as long
    as a caller may send the same request again (RETENTION)."""
    return Table(
        TABLE, metadata,
        Column("request_id", String(MAX_REQUEST_ID), primary_key=True),
        Column("method", String(100), nullable=False),
        Column("answer", Text, nullable=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        Index("ix_processed_requests_processed_at", "processed_at"),
    )


def encode(answer) -> str:
    """The answer as JSON that reads back as the same objects (datetimes,
    decimals) the first caller got."""
    return dumps(answer)


def recorder(table: Table, request_id: str, method: str, now: Callable[[], datetime]):
    """What a unit of work calls at commit: insert the request's row; a row
    already there (a duplicate committed first, which a concurrent insert
    waits for) raises AlreadyAnswered, and the caller's transaction is
    rolled back with nothing applied. Records once per worker."""
    done = []

    def record(session: Session, answer) -> None:
        if done:
            return
        inserted = session.execute(
            pg_insert(table).values(request_id=request_id, method=method, answer=encode(answer),
                                    processed_at=now())
            .on_conflict_do_nothing(index_elements=["request_id"])
        ).rowcount
        if not inserted:
            raise AlreadyAnswered(request_id)
        done.append(True)
    return record


_MISSING = object()


def stored_answer(connection, table: Table, request_id: str):
    """The answer recorded for `request_id`, or _MISSING."""
    row = connection.execute(select(table.c.answer).where(table.c.request_id == request_id)).first()
    if row is None:
        return _MISSING
    return loads(row.answer) if row.answer is not None else None


def forget_before(connection, table: Table, cutoff: datetime) -> int:
    """Drop the records of requests older than `cutoff`; how many went."""
    return connection.execute(delete(table).where(table.c.processed_at < cutoff)).rowcount


def answered_once(method):
    """Decorate an RPC write entrypoint (under `@rpc`) of a service whose
    `db` is a DatabaseWithOutbox with a processed_requests table: a request
    id already answered gets its stored answer; otherwise the method runs and
    its unit of work records the answer given to `uow.commit(answer=...)`.
    Without a request id (an older caller) the method simply runs."""
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        db = self.db
        if not getattr(db, "answers_requests", lambda: False)():  # e.g. a bare Database in unit tests
            return method(self, *args, **kwargs)
        earlier = db.stored_answer()
        if earlier is not _MISSING:
            db.log_replay(method.__name__)
            return earlier
        db.record_requests(method.__name__)
        try:
            return method(self, *args, **kwargs)
        except AlreadyAnswered:  # a duplicate running at the same time won the race
            db.log_replay(method.__name__)
            return db.stored_answer()
    return wrapper
