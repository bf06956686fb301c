"""Redacting fields marked sensitive before anything is traced or logged."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from langgraph.types import TracePolicy
from pydantic import BaseModel

from schemas.sensitive import sensitive_fields

REDACTED = "[redacted]"


def redact(value: Any, keys: frozenset[str]) -> Any:
    """A JSON-like value with every entry under a sensitive key replaced: a copy where something
    was replaced, the value itself where nothing was."""
    if isinstance(value, dict):
        redacted = {
            key: (_mask(item) if key in keys and item is not None else redact(item, keys))
            for key, item in value.items()
        }
        same = all(redacted[key] is item for key, item in value.items())
        return value if same else redacted
    if isinstance(value, list | tuple):
        items = [redact(item, keys) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json"), keys)
    return value


def sensitive_keys(*models: type[BaseModel]) -> frozenset[str]:
    """Field names to redact: those marked sensitive in these contracts and in every registered
    agent's contracts (a node's slice may carry the results of the agents before it)."""
    return sensitive_fields(*models) | registered_sensitive_fields()


@cache
def registered_sensitive_fields() -> frozenset[str]:
    """Sensitive field names across the contracts of every registered agent."""
    from agents.registry import all_agents

    contracts = [m for spec in all_agents() for m in (spec.input_contract, spec.output_contract)]
    return sensitive_fields(*contracts)


def _mask(item: Any) -> str:
    if isinstance(item, str):
        return item if item.startswith(REDACTED) else f"{REDACTED} ({len(item)} chars)"
    return REDACTED


def redacting_trace_policy(models: Iterable[type[BaseModel]]) -> TracePolicy:
    """A LangGraph trace policy that redacts, in a node's traced input and output (what LangSmith
    and the local trace store record), the sensitive fields of these contracts and of every
    registered agent's contracts (a node's slice may carry results of the agents before it)."""
    keys = sensitive_keys(*models)
    return TracePolicy(
        process_inputs=lambda value: redact(value, keys),
        process_outputs=lambda value: redact(value, keys),
    )
