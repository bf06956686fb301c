"""The model loader: which chat model each role uses, and the one place models are built.

`BATON_MODEL` is a `provider:model` string for langchain's `init_chat_model` (for example
`openai:gpt-4.1-mini`; `OPENAI_BASE_URL` and `OPENAI_API_KEY` reach any OpenAI-compatible server).
`BATON_MODEL_<ROLE>` overrides it for one role (`BATON_MODEL_INTAKE`, `BATON_MODEL_SUPERVISOR`,
`BATON_MODEL_REVIEW_SUMMARY`, or any role an agent's implementation declares), and a run may
override both through its context. With no model configured, `model_name` is None and the
deterministic implementations run alone. Roles are not listed here: each implementation declares
its own (`Implementation.model_role`), and the workflows' declarations collect them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from functools import cache
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # langchain's model classes load when a model is built, not with the settings
    from langchain_core.language_models import BaseChatModel

Role = str
"""A model role: lower-case letters, digits and `_`, named by the implementation that uses it."""
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
DEFAULT = "default"
"""Key of a per-run override that applies to every role without its own."""


CLIENT_TIMEOUT_MARGIN = 10.0
"""Seconds the model client waits past the node timeout (so LangGraph's timeout acts first)."""


class ModelSettings(BaseSettings):
    """Model settings from the environment (`BATON_*`)."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    model: str | None = None
    model_timeout: float = Field(default=60.0, gt=0)
    """Seconds a model-backed node may go without progress before LangGraph cancels the attempt
    (its retry policy then decides). The HTTP client gives up on one request 10 seconds later
    still: a backstop, and the limit for the review summary, which runs where no node timeout
    applies."""
    model_retry_attempts: int = Field(default=3, ge=1)
    """Attempts of a node whose model call fails transiently (429, 5xx, connection, timeout)."""
    model_retry_interval: float = Field(default=0.5, ge=0)
    """Seconds before the first retry (doubling, with jitter)."""
    model_allowlist: str | None = None
    """Comma-separated `provider:model` names an operator may choose per run on a server
    (`BATON_MODEL_ALLOWLIST`); unset, a server run takes no model choice from its caller."""


def model_allowlist() -> frozenset[str]:
    """The models an operator may choose for one server run (`BATON_MODEL_ALLOWLIST`)."""
    listed = model_settings().model_allowlist or ""
    return frozenset(name.strip() for name in listed.split(",") if name.strip())


def model_settings() -> ModelSettings:
    """The model settings, read again only when a `BATON_*` variable has changed (reading them is
    slow enough to matter on every agent step)."""
    return _settings_for(tuple(os.environ.get(f"BATON_{name.upper()}") for name in _FIELDS))


_FIELDS = tuple(ModelSettings.model_fields)
RESERVED_ROLES = frozenset(name.removeprefix("model_") for name in _FIELDS if name != "model") | {
    DEFAULT
}
"""Names no role may take: `BATON_MODEL_<NAME>` is a setting of its own (the timeout, ...)."""


def check_role_name(role: str) -> None:
    """ValueError unless `role` can name a model role (and its `BATON_MODEL_<ROLE>` variable)."""
    if not ROLE_NAME.fullmatch(role) or role in RESERVED_ROLES:
        raise ValueError(
            f"model role {role!r} must be lower-case letters, digits and _ (at most 41), and "
            f"not one of {', '.join(sorted(RESERVED_ROLES))}"
        )


class ModelSettingsError(ValueError):
    """A `BATON_MODEL*` variable that cannot be used (the message names it)."""


@cache
def _settings_for(environment: tuple[str | None, ...]) -> ModelSettings:
    try:
        return ModelSettings()
    except ValidationError as error:
        raise ModelSettingsError(
            "; ".join(
                f"BATON_{str(item['loc'][0]).upper()}={item.get('input')!r}: {item['msg']}"
                for item in error.errors(include_url=False)
            )
        ) from None


def model_name(
    role: Role,
    overrides: Mapping[str, str | None] | None = None,
    roles: Collection[str] | None = None,
) -> str | None:
    """The model for `role`: a per-run override for the role, else one for every role, else
    `BATON_MODEL_<ROLE>`, else `BATON_MODEL`, else None (no model: deterministic only). A per-run
    override set to None or "" switches the model off for that run, whatever the environment says.
    With `roles` (the declared ones), an unknown role, here or in the overrides, is a ValueError."""
    check_role_name(role)
    known = ", ".join(sorted(roles)) if roles is not None else ""
    if roles is not None and role not in roles:
        raise ValueError(f"unknown model role {role!r} (roles: {known})")
    overrides = overrides or {}
    unknown = sorted(set(overrides) - {*(roles or overrides), DEFAULT})
    if unknown:
        raise ValueError(
            f"unknown model roles {unknown} in the run's overrides (roles: {known}, {DEFAULT})"
        )
    for key in (role, DEFAULT):
        if key in overrides:
            return overrides[key] or None
    settings = model_settings()
    chosen = os.environ.get(f"BATON_MODEL_{role.upper()}", "").strip()
    return chosen or settings.model or None


def load_chat_model(name: str) -> BaseChatModel:
    """The chat model for a `provider:model` string, built once per process and name.

    The client's own retries are off (`max_retries=0`): retries of transient errors belong to the
    graph's retry policy, so every attempt is a traced node attempt, not a hidden loop.
    """
    if ":" not in name:
        raise ValueError(f"model {name!r} must be 'provider:model', e.g. 'openai:gpt-4.1-mini'")
    return _load(name, model_settings().model_timeout + CLIENT_TIMEOUT_MARGIN)


@cache
def _load(name: str, timeout: float) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    return init_chat_model(name, temperature=0, timeout=timeout, max_retries=0)
