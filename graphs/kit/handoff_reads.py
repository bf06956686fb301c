"""Which fields of a handoff its consumer reads, found by running the consumer's own code.

An agent's input is built from its state slice by its spec's `select_input`, a pure function of
the slice. Each state key of the slice is given a sample that fits its contract's JSON Schema
(every field present, every leaf a distinct value, every result `ok`: see
`graphs.kit.contract_schema.sample_of`), the input is built once from the samples, and once more
for each field of each contract with that field taken out. A field is read when taking it out
changes the input built, or makes building it fail. Nothing is listed by hand, so the reads
follow the code.

What the rule gives:
- `*`: the consumer reads the whole value: every field of it (a value passed on as it is), or
  the consumer is not an agent (a gate, an evaluator, a pattern's own node: they take their
  slice as it is, so they are taken to read all of it), or the contract names no type, or the
  input cannot be built from the samples at all;
- `value.*`: every field of a result's value (`AgentResult[X]`), besides the envelope's fields
  listed (`status`, for a consumer that only uses ok results);
- nothing: the key is in the consumer's slice but its input does not depend on it.
A field read only on a path the samples do not take (a result that is not `ok`, a list longer
than one item) is not seen.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphs.kit.contract_schema import WHOLE, contract_fields, is_envelope, sample_of
from graphs.kit.handoffs import Handoff

Select = Callable[[Mapping[str, Any]], Any]
ALL_OF_VALUE = "value.*"


def reads_of(edges: Sequence[tuple[Handoff, dict[str, Any] | None]]) -> list[list[str]]:
    """The fields each edge's consumer reads (sorted), in the order of `edges` (each paired with
    its contract's schema)."""
    by_consumer: dict[str, list[int]] = {}
    for position, (handoff, _) in enumerate(edges):
        by_consumer.setdefault(handoff.consumer, []).append(position)
    reads: list[list[str]] = [[WHOLE] for _ in edges]
    for positions in by_consumer.values():
        reader = edges[positions[0]][0].reader
        if reader is None:
            continue
        found = _agent_reads(reader.select_input, [edges[p] for p in positions])
        for position, fields in zip(positions, found, strict=True):
            reads[position] = fields
    return reads


def _agent_reads(
    select: Select, edges: Sequence[tuple[Handoff, dict[str, Any] | None]]
) -> list[list[str]]:
    samples = {h.key: sample_of(schema) for h, schema in edges if schema is not None}
    built = _built(select, samples)
    if built[0] == "failed":
        return [[WHOLE] for _ in edges]
    reads: list[list[str]] = []
    for handoff, schema in edges:
        if schema is None:
            reads.append([WHOLE])
            continue
        fields = contract_fields(schema, is_envelope(handoff.contract))
        read = [
            path for path in fields if _built(select, _without(samples, handoff.key, path)) != built
        ]
        reads.append(_summarised(read, list(fields)))
    return reads


def _built(select: Select, state_slice: Mapping[str, Any]) -> tuple[str, Any]:
    """What `select` builds from the slice, or that it failed and how."""
    try:
        return "built", select(copy.deepcopy(state_slice))
    except Exception as error:  # a failure to build is what the field's absence changes
        return "failed", type(error).__name__


def _without(samples: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    """The samples with the field `path` of `key` taken out (`*`: the key itself)."""
    taken = copy.deepcopy(dict(samples))
    if path == WHOLE:
        taken.pop(key, None)
        return taken
    *parents, name = path.split(".")
    holder = taken.get(key)
    for parent in parents:
        holder = holder.get(parent) if isinstance(holder, dict) else None
    if isinstance(holder, dict):
        holder.pop(name, None)
    return taken


def _summarised(read: Sequence[str], fields: Sequence[str]) -> list[str]:
    """`*` when every field is read; `value.*` for every field of a result's value."""
    if set(read) >= set(fields):
        return [WHOLE]
    of_value = [f for f in fields if f.startswith("value.")]
    if of_value and set(of_value) <= set(read):
        read = [f for f in read if not f.startswith("value.")] + [ALL_OF_VALUE]
    return sorted(read)
