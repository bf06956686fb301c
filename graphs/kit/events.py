"""Platform trace events, sent as langchain custom events so every tracer (local, LangSmith) sees them."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from langchain_core.callbacks import (
    BaseCallbackManager,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.runnables import RunnableConfig

from schemas.trace import EventKind

EVENT_PREFIX = "baton."


def listened(config: RunnableConfig) -> bool:
    """Whether any callback handler could receive an event from this run."""
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        return bool(callbacks.handlers or callbacks.inheritable_handlers)
    return bool(callbacks)


def emit(kind: EventKind, data: dict[str, Any], config: RunnableConfig) -> None:
    """Record a platform event (contract violation, fallback hop, review decision…) on the
    current node's run. Needs the node's `config`; a no-op outside a traced run."""
    if not listened(config):
        return
    # RuntimeError: no parent run to attach to (called outside a graph run), so nothing traces.
    with suppress(RuntimeError):
        dispatch_custom_event(EVENT_PREFIX + kind.value, data, config=config)


async def aemit(kind: EventKind, data: dict[str, Any], config: RunnableConfig) -> None:
    """`emit` for async nodes."""
    if not listened(config):
        return
    with suppress(RuntimeError):
        await adispatch_custom_event(EVENT_PREFIX + kind.value, data, config=config)
