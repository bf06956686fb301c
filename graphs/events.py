"""Platform trace events, sent as langchain custom events so every tracer (local, LangSmith) sees them."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from langchain_core.callbacks import adispatch_custom_event, dispatch_custom_event
from langchain_core.runnables import RunnableConfig

from schemas.trace import EventKind

EVENT_PREFIX = "baton."


def emit(kind: EventKind, data: dict[str, Any], config: RunnableConfig) -> None:
    """Record a platform event (contract violation, fallback hop, review decision…) on the
    current node's run. Needs the node's `config`; a no-op outside a traced run."""
    # RuntimeError: no parent run to attach to (called outside a graph run), so nothing traces.
    with suppress(RuntimeError):
        dispatch_custom_event(EVENT_PREFIX + kind.value, data, config=config)


async def aemit(kind: EventKind, data: dict[str, Any], config: RunnableConfig) -> None:
    """`emit` for async nodes."""
    with suppress(RuntimeError):
        await adispatch_custom_event(EVENT_PREFIX + kind.value, data, config=config)
