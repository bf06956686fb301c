"""The checkpointer and store factories: one URL picks the official LangGraph savers and stores
(the async ones, so graphs whose model-backed nodes have timeouts can run). On PostgreSQL both use a
psycopg connection pool. The savers write each step's trace events in the step's own transaction
(`checkpoints.trace_carrier`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore

from checkpoints.database import SQLITE_PRAGMAS, DatabaseURL, parse_database_url
from checkpoints.settings import pool_size
from checkpoints.trace_carrier import carry_traces
from checkpoints.trace_store import TraceStore

_MEMORY_SAVERS: dict[str, InMemorySaver] = {}
_MEMORY_STORES: dict[str, InMemoryStore] = {}


@asynccontextmanager
async def open_saver(url: str) -> AsyncIterator[BaseCheckpointSaver]:
    """Open the saver for `memory://`, `sqlite:///path` or `postgresql://…`, set up its tables
    (idempotent), and close its connections on exit. Must be entered on the event loop that runs
    the graph; its synchronous methods (`get_state`, `update_state`) then work from other threads.

    `memory://` gives one saver per process, so a thread survives between calls in one process.
    """
    parsed = parse_database_url(url)
    if parsed.kind == "memory":
        if "memory" not in _MEMORY_SAVERS:
            memory = InMemorySaver()
            carry_traces(memory, url)
            _MEMORY_SAVERS["memory"] = memory
        yield _MEMORY_SAVERS["memory"]
        return
    # The trace table, which the saver writes a step's events into with the step's writes.
    await anyio.to_thread.run_sync(TraceStore, url)
    if parsed.kind == "sqlite":
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with _sqlite(parsed) as conn:
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            carry_traces(saver, url)
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with _postgres_pool(parsed) as pool:
        pg_saver = AsyncPostgresSaver(pool)
        await pg_saver.setup()
        carry_traces(pg_saver, url)
        yield pg_saver


@asynccontextmanager
async def open_store(url: str) -> AsyncIterator[BaseStore]:
    """Open the LangGraph store for the same URLs as `open_saver` (tables set up, idempotent)."""
    parsed = parse_database_url(url)
    if parsed.kind == "memory":
        yield _MEMORY_STORES.setdefault("memory", InMemoryStore())
        return
    if parsed.kind == "sqlite":
        from langgraph.store.sqlite.aio import AsyncSqliteStore

        async with _sqlite(parsed, isolation_level=None) as conn:
            store = AsyncSqliteStore(conn)
            await store.setup()
            yield store
        return
    from langgraph.store.postgres.aio import AsyncPostgresStore

    async with _postgres_pool(parsed) as pool:
        pg_store = AsyncPostgresStore(pool)
        await pg_store.setup()
        yield pg_store


@asynccontextmanager
async def _sqlite(parsed: DatabaseURL, **options: Any) -> AsyncIterator[Any]:
    import aiosqlite

    assert parsed.path is not None
    # Off the event loop: a server's loop (langgraph dev's blockbuster) refuses blocking calls.
    await anyio.to_thread.run_sync(partial(parsed.path.parent.mkdir, parents=True, exist_ok=True))
    async with aiosqlite.connect(str(parsed.path), timeout=30, **options) as conn:
        for pragma in SQLITE_PRAGMAS:
            await conn.execute(pragma)
        yield conn


@asynccontextmanager
async def _postgres_pool(parsed: DatabaseURL) -> AsyncIterator[Any]:
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(
        parsed.libpq_url,
        min_size=1,
        max_size=pool_size(),
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        # A connection is checked before it is lent, so a database restart costs a reconnect,
        # not a failed step.
        check=AsyncConnectionPool.check_connection,
        open=False,
    ) as pool:
        yield pool
