"""The human queue: cases waiting for a person at a review gate, in the workflow's database.

A gate puts its case here before it stops (`enqueue`) and takes it out once a person has decided
or the case no longer needs one (`dequeue`). The queue is a table beside the side-effect ledger
(`baton_human_queue`, one row per waiting thread) in the database of `BATON_DATABASE_URL`, the one
every server and process of a deployment shares, so `baton queue` lists the cases of all of them.
(LangGraph's SQLite store was tried first: its explicit `BEGIN` made concurrent gates on one
SQLite file fail with "database is locked".)

Putting a case again keeps its first `queued_at`, so a gate that re-runs (a resume, a crash, a
rollback) does not move it to the back of the queue; its reasons are replaced by the new ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from checkpoints.database import create_tables, engine_for
from schemas.review import QueuedCase

metadata = MetaData()

queue_table = Table(
    "baton_human_queue",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("workflow", String(100), nullable=False, index=True),
    Column("queued_at", String(40), nullable=False, index=True),
    Column("entry", Text, nullable=False),
)


class HumanQueue:
    """The waiting cases of one database."""

    def __init__(self, database_url: str) -> None:
        self.engine = engine_for(database_url)
        create_tables(metadata, self.engine)

    def enqueue(self, case: dict[str, Any]) -> tuple[QueuedCase, bool]:
        """Put a case on the queue (validated as a `QueuedCase`); returns the entry and whether it
        is new. A case already waiting keeps its place and takes the new reasons."""
        thread_id = str(case.get("thread_id"))
        earlier = self._entry(thread_id)
        if earlier is not None:
            entry = QueuedCase.model_validate({**case, "queued_at": earlier.queued_at})
            if entry != earlier:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(queue_table)
                        .where(queue_table.c.thread_id == thread_id)
                        .values(entry=entry.model_dump_json())
                    )
            return entry, False
        entry = QueuedCase.model_validate({**case, "queued_at": datetime.now(UTC).isoformat()})
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(queue_table).values(
                        thread_id=thread_id,
                        workflow=entry.workflow,
                        queued_at=entry.queued_at,
                        entry=entry.model_dump_json(),
                    )
                )
        except IntegrityError:  # another run of the same gate queued it first
            kept = self._entry(thread_id)
            assert kept is not None
            return kept, False
        return entry, True

    def dequeue(self, thread_id: str) -> None:
        """Take a thread's case off the queue (nothing happens when it is not there)."""
        with self.engine.begin() as conn:
            conn.execute(delete(queue_table).where(queue_table.c.thread_id == thread_id))

    def waiting(self, workflow: str | None = None) -> list[QueuedCase]:
        """Every waiting case (of one workflow, or all), oldest first."""
        query = select(queue_table.c.entry)
        if workflow is not None:
            query = query.where(queue_table.c.workflow == workflow)
        query = query.order_by(queue_table.c.queued_at, queue_table.c.thread_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).scalars().all()
        return [QueuedCase.model_validate(json.loads(row)) for row in rows]

    def is_waiting(self, thread_id: str) -> bool:
        """Whether the thread's case is waiting for a person."""
        return self._entry(thread_id) is not None

    def _entry(self, thread_id: str) -> QueuedCase | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(queue_table.c.entry).where(queue_table.c.thread_id == thread_id)
            ).scalar_one_or_none()
        return None if row is None else QueuedCase.model_validate(json.loads(row))
