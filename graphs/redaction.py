"""Redacting fields marked sensitive before anything is traced or logged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langgraph.types import TracePolicy
from pydantic import BaseModel

from schemas.sensitive import sensitive_fields

REDACTED = "[redacted]"


def redact(value: Any, keys: frozenset[str]) -> Any:
    """A copy of a JSON-like value with every entry under a sensitive key replaced."""
    if isinstance(value, dict):
        return {
            key: (_mask(item) if key in keys and item is not None else redact(item, keys))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, keys) for item in value]
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json"), keys)
    return value


def _mask(item: Any) -> str:
    return f"{REDACTED} ({len(item)} chars)" if isinstance(item, str) else REDACTED


def redacting_trace_policy(models: Iterable[type[BaseModel]]) -> TracePolicy:
    """A LangGraph trace policy that redacts the sensitive fields of these contracts in a node's
    traced input and output (what LangSmith and the local trace store record)."""
    keys = sensitive_fields(*models)
    return TracePolicy(
        process_inputs=lambda value: redact(value, keys),
        process_outputs=lambda value: redact(value, keys),
    )
