"""The local trace store and the thread registry, in the workflow's database."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from checkpoints.database import create_tables, engine_for
from schemas.trace import EventKind, TraceEvent

metadata = MetaData()

trace_events = Table(
    "baton_trace",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("thread_id", String(200), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("node", String(100)),
    Column("agent", String(100)),
    Column("run_id", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False),
)

threads = Table(
    "baton_threads",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("workflow", String(100), nullable=False),
    Column("subject", String(200)),
    Column("status", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class TraceStore:
    """Append-only trace events per thread, and which workflow each thread runs."""

    def __init__(self, database_url: str) -> None:
        self.engine = engine_for(database_url)
        create_tables(metadata, self.engine)

    def append(self, event: TraceEvent) -> None:
        self.append_many([event])

    def append_many(self, events: Sequence[TraceEvent]) -> None:
        """Record `events` in one transaction (all or none), in their order."""
        if not events:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(trace_events), [_row(event) for event in events])

    def events(self, thread_id: str, kind: EventKind | None = None) -> list[TraceEvent]:
        """A thread's events in the order they were recorded."""
        query = select(trace_events).where(trace_events.c.thread_id == thread_id)
        if kind is not None:
            query = query.where(trace_events.c.kind == kind.value)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(trace_events.c.seq)).mappings().all()
        return [_event(row) for row in rows]

    def stream(
        self, since: datetime | None = None, workflow: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event (of one workflow's threads, or all; from `since` on), in the order they
        were recorded, as its stored row with its thread's `workflow` (the kind as stored, even
        one this version does not know; `at` aware): read in batches, never all at once."""
        query = select(trace_events, threads.c.workflow).join(
            threads, threads.c.thread_id == trace_events.c.thread_id, isouter=True
        )
        if since is not None:
            query = query.where(trace_events.c.at >= since.astimezone(UTC))
        if workflow is not None:
            query = query.where(threads.c.workflow == workflow)
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=500).execute(
                query.order_by(trace_events.c.seq)
            )
            for row in rows.mappings():
                yield {**row, "at": _aware(row["at"]), "data": json.loads(row["data"])}

    def register_thread(self, thread_id: str, workflow: str, subject: str | None) -> None:
        """Record that a thread runs `workflow` (idempotent)."""
        if self.thread(thread_id) is not None:
            return
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(threads).values(
                    thread_id=thread_id,
                    workflow=workflow,
                    subject=subject,
                    status="running",
                    created_at=now,
                    updated_at=now,
                )
            )

    def set_thread_status(self, thread_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(threads)
                .where(threads.c.thread_id == thread_id)
                .values(status=status, updated_at=datetime.now(UTC))
            )

    def thread(self, thread_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(threads).where(threads.c.thread_id == thread_id))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def threads_settled_before(self, status: str, before: datetime) -> list[dict[str, Any]]:
        """Threads whose last recorded status is `status` and which have not changed since
        `before`, oldest first."""
        query = (
            select(threads)
            .where(threads.c.status == status, threads.c.updated_at < before)
            .order_by(threads.c.updated_at)
        )
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings().all()]

    def list_threads(self, limit: int = 50) -> list[dict[str, Any]]:
        """The most recently updated threads first."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(select(threads).order_by(threads.c.updated_at.desc()).limit(limit))
                .mappings()
                .all()
            )
        return [dict(row) for row in rows]


TRACE_COLUMNS = ("thread_id", "kind", "node", "agent", "run_id", "at", "data")


def trace_insert_sql(paramstyle: Literal["qmark", "format"]) -> str:
    """The statement a saver runs, on its own connection and in its own transaction, to record
    trace events with its writes (`trace_insert_params` gives the rows)."""
    mark = "?" if paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {trace_events.name} ({', '.join(TRACE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(TRACE_COLUMNS))})"
    )


def trace_insert_params(
    events: Sequence[TraceEvent], dialect: Literal["sqlite", "postgresql"]
) -> list[tuple[Any, ...]]:
    """The rows of `events` for `trace_insert_sql`, each value as SQLAlchemy would bind it for
    that dialect (SQLite keeps times as text in SQLAlchemy's format, so they read back alike)."""
    stored_time = _SQLITE_TIME if dialect == "sqlite" else None
    rows = []
    for event in events:
        row = _row(event)
        if stored_time is not None:
            row["at"] = stored_time(row["at"])
        rows.append(tuple(row[column] for column in TRACE_COLUMNS))
    return rows


def _row(event: TraceEvent) -> dict[str, Any]:
    return {
        "thread_id": event.thread_id,
        "kind": event.kind.value,
        "node": event.node,
        "agent": event.agent,
        "run_id": event.run_id,
        "at": event.at,
        "data": json.dumps(event.data, default=str, sort_keys=True),
    }


_SQLITE_TIME = trace_events.c.at.type.dialect_impl(sqlite_dialect()).bind_processor(
    sqlite_dialect()
)


def _event(row: RowMapping) -> TraceEvent:
    return TraceEvent(
        seq=row["seq"],
        thread_id=row["thread_id"],
        kind=EventKind(row["kind"]),
        node=row["node"],
        agent=row["agent"],
        run_id=row["run_id"],
        at=_aware(row["at"]),
        data=json.loads(row["data"]),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
