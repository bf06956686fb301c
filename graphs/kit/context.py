"""The run context every workflow graph takes (LangGraph `context_schema`).

On a server the context is whatever the caller sent, so it is a trust boundary: infrastructure
(the database) never comes from it, and model choices only from an operator, within the
deployment's allow-list (`BATON_MODEL_ALLOWLIST`). The server's request boundary
(`graphs.server.boundary`) refuses such requests with a 4xx first; this is the graph's own check, for
servers or routes that boundary does not cover. In-process runs (`baton`, `open_workflow`) carry no
principal and set the context themselves."""

from __future__ import annotations

from dataclasses import dataclass

from langgraph.config import get_config
from langgraph.runtime import Runtime

from agents.models import model_allowlist, model_name
from checkpoints.settings import database_url
from graphs.kit.access import AccessRefused, Principal, principal_of


@dataclass(frozen=True)
class BatonContext:
    """Per-run settings. Fields left None come from the environment (`BATON_*`)."""

    database_url: str | None = None
    """Where business data, traces and side effects live; defaults to `BATON_DATABASE_URL`.
    In-process runs only: a server run that carries one is refused."""
    models: dict[str, str | None] | None = None
    """Per-run model overrides by role (`supervisor`, `review_summary`, or any role an agent
    declares: `intake`, `contract_analysis`, `support_triage`, ...) or `default`; roles not named use `BATON_MODEL_<ROLE>`, else `BATON_MODEL`. On a server, operators only,
    and only models in `BATON_MODEL_ALLOWLIST`."""


def _server_principal() -> Principal | None:
    """The principal of the server run this is part of, or None for an in-process run."""
    try:
        config = get_config()
    except RuntimeError:  # not inside a run
        return None
    return principal_of(config)


def resolved_database_url(runtime: Runtime[BatonContext] | None) -> str:
    """The run's database URL: the context's if set (in-process runs only), else the configured
    default. AccessRefused when a server run's caller chose one."""
    context = runtime.context if runtime is not None else None
    chosen = context.database_url if context is not None else None
    if chosen is not None and _server_principal() is not None:
        raise AccessRefused(
            "context.database_url: the database is the deployment's setting "
            "(BATON_DATABASE_URL), never a caller's"
        )
    return database_url(chosen)


def resolved_models(runtime: Runtime[BatonContext] | None) -> dict[str, str | None]:
    """The model for every role in this run (None where no model is configured). AccessRefused
    when a server run's caller chose a model it may not."""
    context = runtime.context if runtime is not None else None
    overrides = context.models if context is not None else None
    if overrides:
        refused_model_choice(overrides, _server_principal())
    from graphs.kit.workflows import declared_model_roles  # the registry imports the workflows

    roles = declared_model_roles()
    return {role: model_name(role, overrides, roles) for role in roles}


def model_for(role: str, overrides: dict[str, str | None] | None = None) -> str | None:
    """The model for a declared `role` (see `agents.models.model_name`); ValueError naming the
    declared roles for a role, or an override, that no workflow or the platform declares."""
    from graphs.kit.workflows import declared_model_roles

    return model_name(role, overrides, declared_model_roles())


def refused_model_choice(overrides: dict[str, str | None], principal: Principal | None) -> None:
    """AccessRefused unless `principal` may choose these models for a run: anyone in-process,
    on a server only an operator, and only models in `BATON_MODEL_ALLOWLIST` (None, switching
    the model off, is always allowed to an operator)."""
    if principal is None:
        return
    if principal.role != "operator":
        raise AccessRefused(
            f"context.models: {principal.identity!r} ({principal.role or 'no Baton role'}) may "
            "not choose models; operators may"
        )
    allowed = model_allowlist()
    for role, name in overrides.items():
        if name and name not in allowed:
            raise AccessRefused(
                f"context.models.{role}: {name!r} is not in BATON_MODEL_ALLOWLIST "
                f"({', '.join(sorted(allowed)) or 'empty'})"
            )
