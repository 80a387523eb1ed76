"""Database access shared by every service: engine, the plumbing tables
(outbox, processed events) and a unit of work that rolls back unless told to
commit and writes events in the same transaction as the change."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterator

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, MetaData, String, Table,
                        create_engine, insert, text)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from .contracts.events import Event, new_event


# Constraint names every service's migrations can rely on.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s",
}


def plumbing_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox and the processed-events table, added to a service's metadata
    so that its migrations create them in its own database."""
    outbox = Table(
        "outbox", metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("message", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
    )
    processed = Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed


def _json_value(value):
    """JSON columns keep what a schema loaded (times, dates, Decimals) as its
    dump would write them: ISO 8601 text, and Decimals as plain strings."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value) -> str:
    return json.dumps(value, default=_json_value)


def make_engine(url: str, pool_size: int = 10, settings: dict | None = None, *, max_overflow: int = 0,
                **options) -> Engine:
    """`pool_size` connections kept open, `max_overflow` more opened in a
    burst and closed after use: together the most this pool ever holds
    (docs/operations.md adds them up for the whole system). `settings`:
    PostgreSQL settings for every connection. Never JIT: it compiles for
    tens of milliseconds to save microseconds on the short queries services run."""
    settings = {"jit": "off", **(settings or {})}
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                         connect_args={"options": " ".join(f"-c {k}={v}" for k, v in settings.items())},
                         json_serializer=to_json, **options)


class UnitOfWork:
    """One transaction. Rolls back unless `commit()` is called."""

    def __init__(self, session_factory: sessionmaker, outbox: Table, processed: Table,
                 clock, correlation_id: str | None = None,
                 after_commit: Callable[[], None] | None = None,
                 record_request: Callable[[Session, object], None] | None = None):
        self._session_factory = session_factory
        self._record_request = record_request  # once.recorder: the request's answer, with the change
        self._outbox = outbox
        self._processed = processed
        self.clock = clock
        self.correlation_id = correlation_id
        self._after_commit = after_commit
        self._events: list[dict] = []
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        return self

    def __exit__(self, *exc) -> None:
        self._events = []
        self.session.rollback()
        self.session.close()

    def commit(self, answer=None) -> None:
        """`answer`: what the RPC request being served answers, recorded with
        the change when the request carries an id (see `once`)."""
        if self._record_request is not None:
            self._record_request(self.session, answer)
        wrote_events = bool(self._events)
        if self._events:  # one multi-row INSERT, in the same transaction as the change
            self.session.execute(insert(self._outbox), self._events)
            self._events = []
        self.session.commit()
        if wrote_events and self._after_commit:
            self._after_commit()

    def now(self) -> datetime:
        return self.clock.now()

    def record_event(self, event_type: str, data: dict, *, actor_id: str | None = None,
                     generic_actor: bool = False) -> Event:
        """Write an event to the outbox with this transaction's commit (a
        rolled-back unit of work writes none)."""
        event = new_event(event_type, data, occurred_at=self.now(), actor_id=actor_id,
                          generic_actor=generic_actor, correlation_id=self.correlation_id)
        self._events.append({"event_id": event.id, "event_type": event.type, "message": event.to_message(),
                             "created_at": event.occurred_at})
        return event

    def first_delivery(self, event: Event) -> bool:
        """Record that `event` is being processed; False when it already was
        (a redelivery), in which case the caller must change nothing."""
        result = self.session.execute(
            pg_insert(self._processed)
            .values(event_id=event.id, event_type=event.type, processed_at=self.now())
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        return result.rowcount == 1


class Database:
    """A service's database: engine, sessions and units of work."""

    def __init__(self, url: str, metadata_tables: tuple[Table, Table], clock, pool_size: int = 10,
                 after_commit: Callable[[], None] | None = None, read_settings: dict | None = None, *,
                 max_overflow: int = 0, read_pool_size: int | None = None):
        self.engine = make_engine(url, pool_size, max_overflow=max_overflow)
        self._url, self._read_engine = url, None
        self._read_pool = (read_pool_size or pool_size, max_overflow)
        self._read_settings = read_settings
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.outbox, self.processed = metadata_tables
        self.clock = clock
        self.after_commit = after_commit

    def unit_of_work(self, correlation_id: str | None = None,
                     record_request: Callable[[Session, object], None] | None = None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.outbox, self.processed, self.clock,
                          correlation_id, self.after_commit, record_request)

    @property
    def processed_requests(self) -> Table | None:
        """The service's processed_requests table, when its models have one."""
        return self.outbox.metadata.tables.get("processed_requests")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading only, outside any transaction: a query
        costs one round trip, not three (BEGIN, the query, ROLLBACK). Taken
        from the service's pool (a worker holds one connection at a time, so
        one pool sized for the workers serves reads and writes alike); with
        `read_settings`, from a pool of its own, made on first use."""
        if self._read_settings is None:
            with self.engine.connect() as connection:  # back in the pool, it is transactional again
                yield connection.execution_options(isolation_level="AUTOCOMMIT")
            return
        if self._read_engine is None:
            size, overflow = self._read_pool
            self._read_engine = make_engine(self._url, size, self._read_settings, max_overflow=overflow,
                                            isolation_level="AUTOCOMMIT")
        with self._read_engine.connect() as connection:
            yield connection

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


def apply_newer(session: Session, model, rows: list[dict], *, key: str, version: str = "version") -> int:
    """Insert each of `rows`, or update the stored row where the given
    `version` is newer, in one statement (a key given twice: its newest).
    Safe under concurrent consumers: an insert of a key being inserted by
    another waits for it, then compares versions instead of failing; rows
    are written in key order, so they lock them in the same order and never
    deadlock. Returns how many rows were inserted or updated."""
    from .snapshots import newest_per_key

    rows = newest_per_key(rows, lambda row: row[key], lambda row: row[version])
    if not rows:
        return 0
    table = model.__table__
    statement = pg_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[key], set_={column: statement.excluded[column] for column in rows[0] if column != key},
        where=table.c[version] < statement.excluded[version]).returning(table.c[key])
    return len(session.execute(statement, rows).all())
