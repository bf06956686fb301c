"""What changed in the handoffs since an earlier export, and whether it breaks a consumer.

Edges are matched by workflow, consumer and state key. A change is breaking when:
- a handoff is gone (the consumer no longer receives the key, or the workflow is gone);
- a field the consumer reads is removed from the contract, retyped (its JSON Schema, with
  references resolved and titles, descriptions, examples and defaults left aside, differs), or
  made nullable or optional;
- the contract changed and either export has no schema for it (nothing to compare the fields
  with), while the consumer reads something of it.
Anything else is not: a new handoff, a field added, a field removed or changed that the consumer
does not read, a new producer or a new name for the same contract.

The fields a consumer reads are those either export lists (`*` and `value.*` stand for all of
them): a field removed from a contract is breaking when the old export says it was read, even
if the consumer changed with it, so a reviewed change is followed by a new baseline. An export
written before schemas and reads were added (`{"workflow", "handoffs"}`) is read too; with no
reads the consumer is taken to read everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from graphs.kit.contract_schema import WHOLE, FieldSchema, contract_fields, is_envelope

Edges = list[dict[str, Any]]
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment"})
_EDGE_KEYS = ("from", "to", "key", "contract")


@dataclass(frozen=True)
class Change:
    """One difference on one handoff."""

    workflow: str
    producer: str
    consumer: str
    key: str
    contract: str
    field: str | None
    change: str
    breaking: bool
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        return {
            "workflow": found.pop("workflow"),
            "from": found.pop("producer"),
            "to": found.pop("consumer"),
            **found,
        }


def exported_workflows(document: Any) -> dict[str, Edges]:
    """The edges of each workflow of an export (any version `baton handoffs` wrote); ValueError
    saying what is wrong when `document` is not one."""
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object, not {type(document).__name__}")
    if isinstance(document.get("workflows"), dict):
        parts = document["workflows"]
    elif isinstance(document.get("workflow"), str) and "handoffs" in document:
        parts = {document["workflow"]: document}
    else:
        raise ValueError('expected {"workflows": {...}} or {"workflow": ..., "handoffs": [...]}')
    return {str(name): _edges_of(name, part) for name, part in parts.items()}


def _edges_of(workflow: str, part: Any) -> Edges:
    edges = part.get("handoffs") if isinstance(part, dict) else None
    if not isinstance(edges, list):
        raise ValueError(f"workflow {workflow!r} has no list of handoffs")
    for position, edge in enumerate(edges):
        where = f"workflow {workflow!r}, handoff {position}"
        if not isinstance(edge, dict) or not all(isinstance(edge.get(k), str) for k in _EDGE_KEYS):
            raise ValueError(f"{where} needs the strings {', '.join(_EDGE_KEYS)}")
        schema = edge.get("schema")
        if schema is not None and not (isinstance(schema, dict) and _well_formed(schema)):
            raise ValueError(f"{where}: its schema is not a JSON Schema object (or null)")
        reads = edge.get("reads")
        if reads is not None and not (
            isinstance(reads, list) and all(isinstance(r, str) for r in reads)
        ):
            raise ValueError(f"{where}: its reads must be a list of strings")
    return edges


def _well_formed(schema: Any) -> bool:
    """Whether the keywords the comparison walks have the shapes JSON Schema gives them."""
    if not isinstance(schema, dict):
        return False
    maps = [schema.get(k, {}) for k in ("properties", "$defs")]
    lists = [schema.get(k, []) for k in ("anyOf", "oneOf", "allOf", "prefixItems")]
    if not all(isinstance(m, dict) for m in maps) or not all(isinstance(x, list) for x in lists):
        return False
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return False
    parts = [*(v for m in maps for v in m.values()), *(v for x in lists for v in x)]
    if "items" in schema:
        parts.append(schema["items"])
    return all(_well_formed(part) for part in parts)


def diff_handoffs(old: Mapping[str, Edges], new: Mapping[str, Edges]) -> list[Change]:
    """Every change from `old` to `new` (workflows in either), old edges first."""
    changes: list[Change] = []
    for workflow in dict.fromkeys([*old, *new]):
        changes += _workflow_changes(workflow, old.get(workflow), new.get(workflow))
    return changes


def _workflow_changes(workflow: str, old: Edges | None, new: Edges | None) -> list[Change]:
    def at(edges: Edges | None) -> dict[tuple[str, str], dict[str, Any]]:
        return {(e["to"], e["key"]): e for e in edges or []}

    before, after = at(old), at(new)
    changes: list[Change] = []
    for place, edge in before.items():
        if place not in after:
            why = "the workflow is gone" if new is None else "the consumer no longer receives it"
            changes.append(_change(workflow, edge, None, "handoff removed", True, why))
        else:
            changes += _edge_changes(workflow, edge, after[place])
    changes += [
        _change(workflow, edge, None, "handoff added", False)
        for place, edge in after.items()
        if place not in before
    ]
    return changes


def _edge_changes(workflow: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes: list[Change] = []
    if old["from"] != new["from"]:
        changes.append(_change(workflow, new, None, "producer changed", False, _was(old, "from")))
    comparable = old.get("schema") is not None and new.get("schema") is not None
    if old["contract"] != new["contract"]:
        if comparable:
            renamed = _was(old, "contract")
            changes.append(_change(workflow, new, None, "contract renamed", False, renamed))
        else:
            why = f"{_was(old, 'contract')}; no schema to compare its fields with"
            reads_any = bool(_reads(old) or _reads(new))
            changes.append(_change(workflow, new, None, "contract changed", reads_any, why))
    if comparable:
        changes += _field_changes(workflow, old, new)
    return changes


def _field_changes(workflow: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    before = contract_fields(old["schema"], is_envelope(old["contract"]))
    after = contract_fields(new["schema"], is_envelope(new["contract"]))
    read = _read_fields([*_reads(old), *_reads(new)], [*before, *after])
    changes: list[Change] = []
    for field in dict.fromkeys([*before, *after]):
        found = _field_change(before.get(field), after.get(field), field in read)
        if found is not None:
            change, breaking, detail = found
            changes.append(_change(workflow, new, field, change, breaking, detail))
    return changes


def _field_change(
    old: FieldSchema | None, new: FieldSchema | None, read: bool
) -> tuple[str, bool, str] | None:
    """What happened to one field: (change, breaking, detail), or None when nothing did."""
    unread = "" if read else "not read by the consumer"
    if new is None:
        return "field removed", read, unread or "read by the consumer"
    if old is None:
        return "field added", False, ""
    if _comparable(old.schema) != _comparable(new.schema):
        types = f"{type_summary(old.schema)} -> {type_summary(new.schema)}"
        if not read:
            return "field changed", False, f"{types}; {unread}"
        if _nullable(new.schema) and not _nullable(old.schema):
            return "field now nullable", True, types
        return "field retyped", True, types
    if old.required and not new.required:
        return "field now optional", read, unread or "read by the consumer, and may be absent"
    return None


def _reads(edge: Mapping[str, Any]) -> list[str]:
    reads = edge.get("reads")
    return [WHOLE] if reads is None else list(reads)


def _read_fields(reads: Sequence[str], fields: Sequence[str]) -> set[str]:
    if WHOLE in reads:
        return set(fields)
    read = set(reads)
    if "value.*" in read:
        read |= {field for field in fields if field.startswith("value.")}
    return read


def _comparable(schema: Any) -> Any:
    """A schema without what documents it, to compare types and constraints alone."""
    if isinstance(schema, dict):
        return {k: _comparable(v) for k, v in sorted(schema.items()) if k not in _ANNOTATIONS}
    if isinstance(schema, list):
        return [_comparable(item) for item in schema]
    return schema


def _nullable(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_nullable(b) for key in ("anyOf", "oneOf") for b in schema.get(key, []))


def type_summary(schema: Mapping[str, Any]) -> str:
    """A short name for a schema's type: `integer`, `string | null`, `array of number`, ..."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(type_summary(branch) for branch in schema[key])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_summary(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " | ".join(map(str, kind))
    named = f" {schema['title']}" if kind == "object" and "title" in schema else ""
    return f"{kind or 'any'}{named}" + (f" ({schema['format']})" if "format" in schema else "")


def _was(edge: Mapping[str, Any], key: str) -> str:
    return f"was {edge[key]}"


def _change(
    workflow: str,
    edge: Mapping[str, Any],
    field: str | None,
    change: str,
    breaking: bool,
    detail: str = "",
) -> Change:
    producer, consumer, key, contract = (edge[k] for k in _EDGE_KEYS)
    return Change(workflow, producer, consumer, key, contract, field, change, breaking, detail)


def breaking_first(changes: Sequence[Change]) -> Iterator[Change]:
    """The breaking changes, then the rest, each in their order."""
    yield from (c for c in changes if c.breaking)
    yield from (c for c in changes if not c.breaking)
