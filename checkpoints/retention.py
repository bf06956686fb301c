"""Retention: drop the intermediate checkpoints of finished threads, keeping each thread's latest
checkpoint (its final state and decision). The trace store and the side-effect ledger are separate
tables and are not touched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, text

from checkpoints.database import engine_for, parse_database_url
from checkpoints.ledger import SideEffectLedger

PRUNED_KIND = "pruned"
"""Ledger kind marking a thread whose intermediate checkpoints were pruned."""

CHECKPOINT_TABLES = {
    "sqlite": ("checkpoints", "writes"),
    "postgres": ("checkpoints", "checkpoint_writes", "checkpoint_blobs"),
}
"""The tables each official saver keeps a thread's checkpoints in."""


@dataclass(frozen=True)
class PruneCounts:
    """Rows of the threads' checkpoint tables before and after pruning, by table."""

    before: dict[str, int]
    after: dict[str, int]


def checkpoint_rows(database_url: str, thread_ids: Sequence[str]) -> dict[str, int]:
    """How many rows the threads have in each checkpoint table."""
    kind = parse_database_url(database_url).kind
    if kind == "memory" or not thread_ids:
        return {}
    counts: dict[str, int] = {}
    with engine_for(database_url).connect() as conn:
        for table in CHECKPOINT_TABLES[kind]:
            query = text(f"SELECT count(*) FROM {table} WHERE thread_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            )
            counts[table] = int(conn.execute(query, {"ids": list(thread_ids)}).scalar_one())
    return counts


def prune_threads(database_url: str, thread_ids: Sequence[str]) -> PruneCounts:
    """Keep only the latest checkpoint (with its pending writes) of each thread's namespaces.

    On PostgreSQL this is the official saver's `prune(strategy="keep_latest")`; the SQLite saver has
    no prune, so the same is done here in one transaction. `memory://` keeps nothing to prune.
    """
    parsed = parse_database_url(database_url)
    if parsed.kind == "memory":
        raise ValueError("memory:// keeps no checkpoints after the process ends: nothing to prune")
    ids = list(thread_ids)
    before = checkpoint_rows(database_url, ids)
    if ids and parsed.kind == "postgres":
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(parsed.libpq_url) as saver:
            saver.prune(ids, strategy="keep_latest")
    elif ids:
        _prune_sqlite(database_url, ids)
    ledger = SideEffectLedger(database_url)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for thread_id in ids:
        ledger.record_once(
            f"{PRUNED_KIND}:{thread_id}", thread_id=thread_id, kind=PRUNED_KIND, payload={"at": now}
        )
    return PruneCounts(before=before, after=checkpoint_rows(database_url, ids))


def pruned_at(database_url: str, thread_id: str) -> str | None:
    """When the thread's intermediate checkpoints were pruned (None if they were not)."""
    record = SideEffectLedger(database_url).get(f"{PRUNED_KIND}:{thread_id}")
    return None if record is None else str(record["at"])


def _prune_sqlite(database_url: str, thread_ids: list[str]) -> None:
    # Checkpoint ids are time-ordered (uuid6), so the greatest is the latest of a namespace.
    latest = """
        SELECT thread_id, checkpoint_ns, max(checkpoint_id) AS checkpoint_id
        FROM checkpoints WHERE thread_id IN :ids GROUP BY thread_id, checkpoint_ns
    """
    stale = f"""
        thread_id IN :ids AND (thread_id, checkpoint_ns, checkpoint_id) NOT IN ({latest})
    """
    orphans = text(
        "UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    with engine_for(database_url).begin() as conn:
        for table in CHECKPOINT_TABLES["sqlite"]:
            query = text(f"DELETE FROM {table} WHERE {stale}").bindparams(
                bindparam("ids", expanding=True)
            )
            conn.execute(query, {"ids": thread_ids})
        conn.execute(orphans, {"ids": thread_ids})  # as the PostgreSQL prune leaves them
