"""Redacting fields marked sensitive before anything is traced or logged."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache
from typing import Any

from langgraph.types import TracePolicy
from pydantic import BaseModel

from schemas.sensitive import sensitive_fields

REDACTED = "[redacted]"


def redact(value: Any, keys: frozenset[str]) -> Any:
    """A JSON-like value with every entry under a sensitive key replaced: a copy where something
    was replaced, the value itself where nothing was. (It runs on every traced node input and
    output, so it only descends into containers, copies only what it changes, and tells leaves
    apart by their exact type before any `isinstance`: pydantic's `BaseModel` check is slow.)"""
    return _hidden(value, keys, False)


def redacted_and_bounded(value: Any, keys: frozenset[str]) -> Any:
    """`bounded(redact(value, keys))` in one pass: what a trace records of a value."""
    return _hidden(value, keys, True)


def _hidden(value: Any, keys: frozenset[str], bound: bool) -> Any:
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict or (kind not in _SEQUENCES and isinstance(value, dict)):
        copy: dict[Any, Any] | None = None
        for key, item in value.items():
            if key in keys:
                if item is None:
                    continue
                new = _mask(item)
            elif type(item) in _LEAVES:
                continue
            else:
                new = _hidden(item, keys, bound)
            if new is not item:
                if copy is None:
                    copy = dict(value)
                copy[key] = new
        return value if copy is None else copy
    if kind in _SEQUENCES or isinstance(value, list | tuple):
        if bound and len(value) > MAX_TRACED_ITEMS:
            return {
                "traced": f"the first {TRACED_HEAD} of {len(value)} items",
                "items": len(value),
                "head": [_hidden(item, keys, bound) for item in value[:TRACED_HEAD]],
            }
        items: list[Any] | None = None
        for index, item in enumerate(value):
            if type(item) in _LEAVES:
                continue
            new = _hidden(item, keys, bound)
            if new is not item:
                if items is None:
                    items = list(value)
                items[index] = new
        return value if items is None else items
    if isinstance(value, BaseModel):
        return _hidden(value.model_dump(mode="json"), keys, bound)
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})
_SEQUENCES = frozenset({list, tuple})


MAX_TRACED_ITEMS = 500
"""A longer list in a traced input or output (the rows of a data set) is traced as its length and
its first few items: a trace records what happened, not a copy of every input at every step."""
TRACED_HEAD = 3


def bounded(value: Any) -> Any:
    """`value` with every list longer than `MAX_TRACED_ITEMS` replaced by its length and its first
    `TRACED_HEAD` items (a copy where something was replaced, the value itself where not)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict or (kind not in _SEQUENCES and isinstance(value, dict)):
        changed = {key: bounded(item) for key, item in value.items()}
        same = all(changed[key] is item for key, item in value.items())
        return value if same else changed
    if kind in _SEQUENCES or isinstance(value, list | tuple):
        if len(value) > MAX_TRACED_ITEMS:
            return {
                "traced": f"the first {TRACED_HEAD} of {len(value)} items",
                "items": len(value),
                "head": [bounded(item) for item in value[:TRACED_HEAD]],
            }
        items = [bounded(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def sensitive_keys(*models: type[BaseModel]) -> frozenset[str]:
    """Field names to redact: those marked sensitive in these contracts and in every registered
    agent's contracts (a node's slice may carry the results of the agents before it)."""
    return sensitive_fields(*models) | registered_sensitive_fields()


@cache
def registered_sensitive_fields() -> frozenset[str]:
    """Sensitive field names across every contract in the `schemas` package, where every
    workflow's contracts live (a test checks that each registered workflow's are there). Reading
    the contracts costs far less than importing every workflow with its agents and data tables."""
    import schemas

    models: list[type[BaseModel]] = []
    for module_info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{module_info.name}")
        models += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == module.__name__
        ]
    return sensitive_fields(*models)


def _mask(item: Any) -> str:
    if isinstance(item, str):
        return item if item.startswith(REDACTED) else f"{REDACTED} ({len(item)} chars)"
    return REDACTED


def redacting_trace_policy(models: Iterable[type[BaseModel]]) -> TracePolicy:
    """A LangGraph trace policy that redacts, in a node's traced input and output (what LangSmith
    and the local trace store record), the sensitive fields of these contracts and of every
    registered agent's contracts (a node's slice may carry results of the agents before it), and
    traces a long list (a data set's rows) as its length and first items (`bounded`)."""
    contracts = tuple(models)

    @cache
    def keys() -> frozenset[str]:
        # Every contract's sensitive fields are read at the first traced step, not when the
        # graph is built (`baton status` builds it and traces nothing).
        return sensitive_keys(*contracts)

    return TracePolicy(
        process_inputs=lambda value: redacted_and_bounded(value, keys()),
        process_outputs=lambda value: redacted_and_bounded(value, keys()),
    )
