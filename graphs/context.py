"""The run context every workflow graph takes (LangGraph `context_schema`)."""

from __future__ import annotations

from dataclasses import dataclass

from langgraph.runtime import Runtime

from agents.models import ROLES, model_name
from checkpoints.settings import database_url


@dataclass(frozen=True)
class BatonContext:
    """Per-run settings. Fields left None come from the environment (`BATON_*`)."""

    database_url: str | None = None
    """Where business data, traces and side effects live; defaults to `BATON_DATABASE_URL`."""
    models: dict[str, str | None] | None = None
    """Per-run model overrides by role (`intake`, `supervisor`, `review_summary`,
    `contract_analysis`, `support_triage`) or `default`;
    roles not named use `BATON_MODEL_<ROLE>`, else `BATON_MODEL`."""


def resolved_database_url(runtime: Runtime[BatonContext] | None) -> str:
    """The run's database URL: the context's if set, else the configured default."""
    context = runtime.context if runtime is not None else None
    return database_url(context.database_url if context is not None else None)


def resolved_models(runtime: Runtime[BatonContext] | None) -> dict[str, str | None]:
    """The model for every role in this run (None where no model is configured)."""
    context = runtime.context if runtime is not None else None
    overrides = context.models if context is not None else None
    return {role: model_name(role, overrides) for role in ROLES}
