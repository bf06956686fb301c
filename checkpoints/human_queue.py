"""The human queue: cases waiting for a person at a review gate, in the workflow's database.

A gate puts its case here before it stops (`enqueue`) and takes it out once a person has decided
or the case no longer needs one (`dequeue`). The queue is a table beside the side-effect ledger
(`baton_human_queue_gates`) in the database of `BATON_DATABASE_URL`, the one every server and
process of a deployment shares, so `baton queue` lists the cases of all of them. (LangGraph's
SQLite store was tried first: its explicit `BEGIN` made concurrent gates on one SQLite file fail
with "database is locked".)

One row per waiting gate, keyed by the thread and the gate's place: its name, or for a gate
inside a department of a hierarchy `department/gate` (`place_of`), since departments running in
parallel can wait in one thread at once, each answered on its own. Putting a case again keeps its
first `queued_at`, so a gate that re-runs (a resume, a crash, a rollback) does not move it to the
back of the queue; its reasons are replaced by the new ones.

Databases written before gates were queued one by one hold `baton_human_queue`, one row per
thread. Opening a queue moves its rows into the new table: each row is deleted and inserted in one
transaction (`DELETE … RETURNING`), so of processes opening the database at once exactly one takes
it, and none loses or doubles it. The emptied table stays, so a row an older Baton still running
on the database puts there is moved at the next open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Insert,
    MetaData,
    String,
    Table,
    Text,
    delete,
    exists,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from checkpoints.database import create_tables, engine_for
from schemas.review import QueuedCase

metadata = MetaData()

queue_table = Table(
    "baton_human_queue_gates",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("place", String(300), primary_key=True),
    Column("workflow", String(100), nullable=False, index=True),
    Column("queued_at", String(40), nullable=False, index=True),
    Column("entry", Text, nullable=False),
)

LEGACY_TABLE = "baton_human_queue"
"""The queue's table before gates were queued one by one (one row per thread)."""
legacy_table = Table(
    LEGACY_TABLE,
    MetaData(),
    Column("thread_id", String(200), primary_key=True),
    Column("workflow", String(100), nullable=False),
    Column("queued_at", String(40), nullable=False),
    Column("entry", Text, nullable=False),
)


def place_of(gate: str, department: str | None = None) -> str:
    """Where a gate waits in its thread: its name, or `department/gate` inside a department."""
    return f"{department}/{gate}" if department else gate


class HumanQueue:
    """The waiting cases of one database."""

    def __init__(self, database_url: str) -> None:
        self.engine = engine_for(database_url)
        create_tables(metadata, self.engine)
        _take_over_legacy_rows(self.engine)

    def enqueue(self, case: dict[str, Any]) -> tuple[QueuedCase, bool]:
        """Put a gate's case on the queue (validated as a `QueuedCase`); returns the entry and
        whether it is new. A gate already waiting keeps its place and takes the new reasons."""
        thread_id = str(case.get("thread_id"))
        place = place_of(str(case.get("gate")), case.get("department"))
        earlier = self._entry(thread_id, place)
        if earlier is not None:
            entry = QueuedCase.model_validate({**case, "queued_at": earlier.queued_at})
            if entry != earlier:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(queue_table)
                        .where(queue_table.c.thread_id == thread_id, queue_table.c.place == place)
                        .values(entry=entry.model_dump_json())
                    )
            return entry, False
        entry = QueuedCase.model_validate({**case, "queued_at": datetime.now(UTC).isoformat()})
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(queue_table).values(
                        thread_id=thread_id,
                        place=place,
                        workflow=entry.workflow,
                        queued_at=entry.queued_at,
                        entry=entry.model_dump_json(),
                    )
                )
        except IntegrityError:  # another run of the same gate queued it first
            kept = self._entry(thread_id, place)
            assert kept is not None
            return kept, False
        return entry, True

    def dequeue(
        self, thread_id: str, gate: str | None = None, *, department: str | None = None
    ) -> None:
        """Take one gate's case off the queue (`gate`, inside `department` when given), or with
        no gate every gate's of the thread; nothing happens when it is not there."""
        query = delete(queue_table).where(queue_table.c.thread_id == thread_id)
        if gate is not None:
            query = query.where(queue_table.c.place == place_of(gate, department))
        with self.engine.begin() as conn:
            conn.execute(query)

    def waiting(self, workflow: str | None = None) -> list[QueuedCase]:
        """Every waiting case (of one workflow, or all), oldest first."""
        query = select(queue_table.c.entry)
        if workflow is not None:
            query = query.where(queue_table.c.workflow == workflow)
        query = query.order_by(
            queue_table.c.queued_at, queue_table.c.thread_id, queue_table.c.place
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).scalars().all()
        return [QueuedCase.model_validate(json.loads(row)) for row in rows]

    def of_thread(self, thread_id: str) -> list[QueuedCase]:
        """The gates of one thread that wait for a person, oldest first."""
        query = (
            select(queue_table.c.entry)
            .where(queue_table.c.thread_id == thread_id)
            .order_by(queue_table.c.queued_at, queue_table.c.place)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).scalars().all()
        return [QueuedCase.model_validate(json.loads(row)) for row in rows]

    def is_waiting(self, thread_id: str) -> bool:
        """Whether any gate of the thread waits for a person."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(exists().where(queue_table.c.thread_id == thread_id))
            ).scalar()
        return bool(found)

    def _entry(self, thread_id: str, place: str) -> QueuedCase | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(queue_table.c.entry).where(
                    queue_table.c.thread_id == thread_id, queue_table.c.place == place
                )
            ).scalar_one_or_none()
        return None if row is None else QueuedCase.model_validate(json.loads(row))


def _take_over_legacy_rows(engine: Engine) -> None:
    """Move the rows of the queue's old table (one per thread, all at top-level gates) into the
    per-gate table; a case the new table already holds keeps its row there."""
    if not inspect(engine).has_table(LEGACY_TABLE):
        return
    with engine.connect() as conn:
        if conn.execute(select(legacy_table.c.thread_id).limit(1)).first() is None:
            return
    with engine.begin() as conn:
        taken = conn.execute(
            delete(legacy_table).returning(
                legacy_table.c.thread_id,
                legacy_table.c.workflow,
                legacy_table.c.queued_at,
                legacy_table.c.entry,
            )
        ).all()
        for row in taken:
            gate = json.loads(row.entry).get("gate") or "review_gate"
            conn.execute(
                _insert_unless_there(engine).values(
                    thread_id=row.thread_id,
                    place=place_of(str(gate)),
                    workflow=row.workflow,
                    queued_at=row.queued_at,
                    entry=row.entry,
                )
            )


def _insert_unless_there(engine: Engine) -> Insert:
    """An insert into the queue that leaves a row already there (same thread and place) alone."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(queue_table).on_conflict_do_nothing()
    return sqlite.insert(queue_table).on_conflict_do_nothing()
