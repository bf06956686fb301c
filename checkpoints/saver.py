"""The checkpointer factory: one URL picks the official LangGraph saver (the async ones, so graphs
whose model-backed nodes have timeouts can run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints.database import SQLITE_PRAGMAS, parse_database_url

_MEMORY_SAVERS: dict[str, InMemorySaver] = {}


@asynccontextmanager
async def open_saver(url: str) -> AsyncIterator[BaseCheckpointSaver]:
    """Open the saver for `memory://`, `sqlite:///path` or `postgresql://…`, set up its tables
    (idempotent), and close its connection on exit. Must be entered on the event loop that runs
    the graph; its synchronous methods (`get_state`, `update_state`) then work from other threads.

    `memory://` gives one saver per process, so a thread survives between calls in one process.
    """
    parsed = parse_database_url(url)
    if parsed.kind == "memory":
        yield _MEMORY_SAVERS.setdefault("memory", InMemorySaver())
        return
    if parsed.kind == "sqlite":
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        assert parsed.path is not None
        parsed.path.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(str(parsed.path), timeout=30) as conn:
            for pragma in SQLITE_PRAGMAS:
                await conn.execute(pragma)
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection
    from psycopg.rows import dict_row

    async with await AsyncConnection.connect(
        parsed.libpq_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as pg_conn:
        pg_saver = AsyncPostgresSaver(pg_conn)
        await pg_saver.setup()
        yield pg_saver
