"""The JSON Schema of what a handoff carries, the fields in it, and a value that fits it.

The schema is pydantic's, in serialization mode: agents write contracts into the state as
`model_dump(mode="json")`, so that is the shape a consumer receives. For `AgentResult[X]` it is
the schema of that generic; for a field of an input model, that field's schema with the
definitions it refers to.

A contract's fields are its top-level properties, and for a result envelope (`AgentResult[X]`)
the fields of its value too, as `value.<field>` (in place of `value` itself). A contract that is
not an object with properties (a string, a list) is one field, the whole value: `*`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

WHOLE = "*"
"""The whole value, as a field: of a contract that is not an object, or read as a whole."""
_DEFS = "#/$defs/"
_MAX_DEPTH = 12


@dataclass(frozen=True)
class FieldSchema:
    """One field of a contract: its schema (references resolved) and whether it is required."""

    schema: dict[str, Any]
    required: bool


def schema_of(carried: Any, field: str | None = None) -> dict[str, Any] | None:
    """The JSON Schema of `carried` (None when it carries no type), or of its field `field`."""
    if carried is None:
        return None
    schema = TypeAdapter(carried).json_schema(mode="serialization")
    if field is None:
        return schema
    defs = schema.get("$defs", {})
    chosen = dict(schema["properties"][field])
    needed = _referenced(chosen, defs)
    if needed:
        chosen["$defs"] = {name: defs[name] for name in sorted(needed)}
    return chosen


def is_envelope(contract: str) -> bool:
    """Whether the contract is an agent's result envelope, `AgentResult[X]`."""
    return contract.startswith("AgentResult[")


MAX_RESOLVED_NODES = 200_000
"""How large a schema may grow when its `$ref`s are inlined (a hostile file could explode)."""


def resolved(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`schema` with every `$ref` replaced by its definition (a recursive one left as `$ref`);
    ValueError when that grows past `MAX_RESOLVED_NODES`."""
    defs = schema.get("$defs", {})
    budget = [MAX_RESOLVED_NODES]

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        budget[0] -= 1
        if budget[0] < 0:  # `$ref`s that fan out to each other grow exponentially
            raise ValueError(
                f"the schema expands past {MAX_RESOLVED_NODES} nodes when its $refs are inlined"
            )
        if isinstance(node, list):
            return [inline(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS) and ref[len(_DEFS) :] in defs:
            name = ref[len(_DEFS) :]
            if name in seen:
                return {"$ref": ref}
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return inline({**defs[name], **rest}, (*seen, name))
        return {k: inline(v, seen) for k, v in node.items() if k != "$defs"}

    inlined: dict[str, Any] = inline(dict(schema), ())
    return inlined


def contract_fields(schema: Mapping[str, Any], envelope: bool) -> dict[str, FieldSchema]:
    """The fields of a contract by path (`band`, `value.band`, or `*`), their schemas resolved."""
    root = resolved(schema)
    shape = object_branch(root)
    if shape is None:
        return {WHOLE: FieldSchema(root, True)}
    fields = dict(_properties(shape))
    value = object_branch(fields.pop("value").schema) if envelope and "value" in fields else None
    if value is not None:
        fields.update({f"value.{name}": found for name, found in _properties(value)})
    return fields


def object_branch(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The object with properties a schema describes (through a nullable or union), or None."""
    if schema.get("properties"):
        return dict(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found = object_branch(branch)
            if found is not None:
                return found
    return None


def sample_of(schema: Mapping[str, Any]) -> Any:
    """A value fitting `schema`, every field present and every leaf distinct: strings
    and numbers are numbered, dates are days apart; an enum takes `ok` when it has it, else its
    first value; a union its first non-null branch; a list one item. Deterministic."""
    counter = iter(range(1, 1_000_000))
    return _sample(resolved(schema), counter, 0)


def _sample(schema: Mapping[str, Any], counter: Iterator[int], depth: int) -> Any:
    if depth > _MAX_DEPTH or "$ref" in schema:
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return "ok" if "ok" in schema["enum"] else schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        branches = [b for b in schema.get(key, []) if b.get("type") != "null"]
        if branches:
            return _sample(branches[0], counter, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _sample(sub, counter, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        if "prefixItems" in schema:
            return [_sample(item, counter, depth + 1) for item in schema["prefixItems"]]
        return [_sample(schema.get("items", {}), counter, depth + 1)]
    return _leaf(kind, schema.get("format"), next(counter))


def _leaf(kind: Any, format_: Any, number: int) -> Any:
    if kind == "integer":
        return number
    if kind == "number":
        return number + 0.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if format_ == "date":
        return (date(2024, 1, 1) + timedelta(days=number)).isoformat()
    if format_ == "date-time":
        return (datetime(2024, 1, 1) + timedelta(days=number)).isoformat() + "Z"
    return f"sample-{number}"


def _properties(shape: Mapping[str, Any]) -> Iterator[tuple[str, FieldSchema]]:
    required = set(shape.get("required", []))
    for name, sub in shape["properties"].items():
        yield name, FieldSchema(sub, name in required)


def _referenced(node: Any, defs: Mapping[str, Any], found: set[str] | None = None) -> set[str]:
    """The names of the definitions `node` refers to, directly or through other definitions."""
    found = set() if found is None else found
    if isinstance(node, list):
        for item in node:
            _referenced(item, defs, found)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            name = ref[len(_DEFS) :]
            if name in defs and name not in found:
                found.add(name)
                _referenced(defs[name], defs, found)
        for value in node.values():
            _referenced(value, defs, found)
    return found
