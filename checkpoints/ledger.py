"""The idempotency ledger: a side effect is recorded once per key, however often its step runs.

A resumed interrupt re-runs its node from the top and a crash can re-run a node whose writes were
not saved, so side effects (recording a decision, issuing a document) go through `record_once`
with a key derived from the thread and the task, never from wall-clock time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.exc import IntegrityError

from checkpoints.database import create_tables, engine_for
from checkpoints.trace_carrier import wait_until_durable

metadata = MetaData()

side_effects = Table(
    "baton_side_effects",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("thread_id", String(200), nullable=False, index=True),
    Column("kind", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Recorded:
    """What `record_once` found or wrote."""

    key: str
    payload: dict[str, Any]
    created: bool
    """False when the key was already recorded (the effect was not done again)."""


class SideEffectLedger:
    """Side effects keyed for exactly-once recording, in the workflow's database."""

    def __init__(self, database_url: str) -> None:
        self.engine = engine_for(database_url)
        create_tables(metadata, self.engine)

    def record_once(
        self, key: str, *, thread_id: str, kind: str, payload: dict[str, Any]
    ) -> Recorded:
        """Record `payload` under `key` unless the key is already there; return what is kept.
        Called in a graph's step, it first waits until the checkpoint the step runs from is
        saved: a crash after the effect then re-runs the step from that checkpoint, with the
        same key."""
        wait_until_durable()
        existing = self.get(key)
        if existing is not None:
            return Recorded(key=key, payload=existing, created=False)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(side_effects).values(
                        key=key,
                        thread_id=thread_id,
                        kind=kind,
                        payload=json.dumps(payload, sort_keys=True, default=str),
                        recorded_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # Another process recorded it between our read and our insert.
            kept = self.get(key)
            assert kept is not None
            return Recorded(key=key, payload=kept, created=False)
        return Recorded(key=key, payload=payload, created=True)

    def get(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(side_effects.c.payload).where(side_effects.c.key == key))
            found = row.scalar_one_or_none()
        return None if found is None else json.loads(found)

    def for_thread(self, thread_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Every effect recorded for a thread (oldest first), optionally of one kind."""
        query = select(side_effects).where(side_effects.c.thread_id == thread_id)
        if kind is not None:
            query = query.where(side_effects.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(side_effects.c.recorded_at)).mappings().all()
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Every effect of one kind, oldest first."""
        query = select(side_effects).where(side_effects.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(side_effects.c.recorded_at)).mappings().all()
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def count(self, kind: str) -> int:
        with self.engine.connect() as conn:
            query = (
                select(func.count()).select_from(side_effects).where(side_effects.c.kind == kind)
            )
            return int(conn.execute(query).scalar_one())
