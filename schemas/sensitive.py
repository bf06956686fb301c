"""Marking contract fields as sensitive, so traces and logs redact them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonDict

SENSITIVE: JsonDict = {"sensitive": True}
"""Pass as `json_schema_extra` on a field: `Field(json_schema_extra=SENSITIVE)`."""


def sensitive_fields(*models: type[BaseModel]) -> frozenset[str]:
    """Names of the fields marked sensitive in these models and the models they nest."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra
            if isinstance(extra, dict) and extra.get("sensitive"):
                names.add(field.alias or name)
            for nested in _nested_models(field.annotation):
                visit(nested)

    for model in models:
        visit(model)
    return frozenset(names)


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_nested_models(arg))
    return found
