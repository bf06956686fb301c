"""What a LangGraph server loads through `langgraph.json` (`checkpointer.path`, `store.path`):
Baton's saver and store for `BATON_DATABASE_URL`, so a server persists where `baton` does."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from checkpoints.saver import open_saver, open_store
from checkpoints.settings import database_url


def checkpointer() -> AbstractAsyncContextManager[BaseCheckpointSaver]:
    """The server's checkpointer (entered and closed by the server)."""
    return open_saver(database_url())


def store() -> AbstractAsyncContextManager[BaseStore]:
    """The server's long-term store (entered and closed by the server)."""
    return open_store(database_url())
