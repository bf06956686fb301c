"""The checkpointer factory: one URL picks the official LangGraph saver."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints.database import parse_database_url, prepare_sqlite_connection

_MEMORY_SAVERS: dict[str, InMemorySaver] = {}


@contextmanager
def open_saver(url: str) -> Iterator[BaseCheckpointSaver]:
    """Open the saver for `memory://`, `sqlite:///path` or `postgresql://…`, set up its tables
    (idempotent), and close its connection on exit.

    `memory://` gives one saver per process, so a thread survives between calls in one process.
    """
    parsed = parse_database_url(url)
    if parsed.kind == "memory":
        yield _MEMORY_SAVERS.setdefault("memory", InMemorySaver())
        return
    if parsed.kind == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        assert parsed.path is not None
        parsed.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(parsed.path), check_same_thread=False, timeout=30)
        prepare_sqlite_connection(conn)
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
        return
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    with Connection.connect(
        parsed.libpq_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as pg_conn:
        pg_saver = PostgresSaver(pg_conn)
        pg_saver.setup()
        yield pg_saver
