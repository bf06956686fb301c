"""The run context every workflow graph takes (LangGraph `context_schema`)."""

from __future__ import annotations

from dataclasses import dataclass

from langgraph.runtime import Runtime

from checkpoints.settings import database_url


@dataclass(frozen=True)
class BatonContext:
    """Per-run settings. Fields left None come from the environment (`BATON_*`)."""

    database_url: str | None = None
    """Where business data, traces and side effects live; defaults to `BATON_DATABASE_URL`."""


def resolved_database_url(runtime: Runtime[BatonContext] | None) -> str:
    """The run's database URL: the context's if set, else the configured default."""
    context = runtime.context if runtime is not None else None
    return database_url(context.database_url if context is not None else None)
