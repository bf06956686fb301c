"""The handoff map: every edge between agents and the contract it carries, read from the graph.

An edge A -> B exists when node B's declared input slice (its LangGraph `input_schema`) contains a
state key that A writes; the contract is what A writes there. Nodes that read the whole state (the
supervisor, which only routes) are not consumers and are left out.

A hierarchy's map has every level: the orchestrator's edges (a department is one agent there,
handing up only its output contract), then each department's own edges, its nodes named
`department/node` and its input (what the orchestrator hands down) `department/input`.

Each edge also knows the type it carries (`AgentResult[X]` for an agent's result, the input
model for one of its fields, the type a non-agent writer's contract names: a model of `schemas`
or the review outcome, or `list[...]` of one, or a builtin), and the consumer's agent spec when
the consumer is an agent: what `graphs.kit.handoff_doc` needs for schemas and reads. A writer's
contract that names no type ("escalation: stage, reason") carries none.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, get_origin, get_type_hints

from pydantic import BaseModel

import schemas
from agents.spec import AgentSpec
from graphs.kit.governed import RERUNS_KEY
from graphs.kit.review_gate import REVIEW_KEY, ReviewOutcome
from graphs.kit.workflows import get_workflow
from schemas.result import AgentResult

_NAMED_TYPE = re.compile(r"^(?:(list)\[)?([A-Za-z_]\w*)\]?$")
_BUILTINS: dict[str, type] = {"int": int, "str": str, "float": float, "bool": bool}


@dataclass(frozen=True)
class Handoff:
    """One edge: `producer` writes `key`, which `consumer` reads, carrying `contract`."""

    producer: str
    consumer: str
    key: str
    contract: str
    carried: Any = None
    """The type carried (None when the contract only describes it); for an input field, the
    input model (see `field`)."""
    field: str | None = None
    """For a field of the workflow's (or department's) input: the field's name."""
    reader: AgentSpec | None = None
    """The consumer's spec when the consumer is an agent (its `select_input` builds its input)."""

    def as_json(self) -> dict[str, str]:
        return {
            "from": self.producer,
            "to": self.consumer,
            "key": self.key,
            "contract": self.contract,
        }


def handoff_map(workflow: str) -> list[dict[str, str]]:
    """Edges `{from, to, key, contract}` of a workflow, sorted by consumer then producer (a
    hierarchy's departments follow the orchestrator, one after another)."""
    return [handoff.as_json() for handoff in handoffs_of(workflow)]


def handoffs_of(workflow: str) -> list[Handoff]:
    """The edges of `handoff_map`, with the type each carries and the consumer's spec."""
    entry = get_workflow(workflow)
    writers = dict(entry.state_writers)
    if entry.departments:
        writers.setdefault(RERUNS_KEY, ("rollback", "department reruns"))
    edges = _edges(entry.builder(), entry.agents, entry.input_model(), writers)
    for department in entry.departments:
        edges += _edges(
            department.compiled().builder,
            department.agents,
            department.input_contract,
            {},
            level=department.name,
        )
    return edges


def _edges(
    builder: Any,
    agents: Sequence[AgentSpec],
    input_model: type[BaseModel],
    state_writers: Mapping[str, tuple[str, str]],
    level: str | None = None,
) -> list[Handoff]:
    def named(node: str) -> str:
        return f"{level}/{node}" if level else node

    specs = {spec.name: spec for spec in agents}
    results = {spec.writes: spec for spec in agents}
    writers: dict[str, tuple[str, str]] = {
        spec.writes: (spec.name, f"AgentResult[{spec.output_contract.__name__}]") for spec in agents
    }
    writers[REVIEW_KEY] = ("review_gate", "ReviewOutcome")  # every governed graph's gate
    writers.update(state_writers)
    edges: list[Handoff] = []
    for name, node in builder.nodes.items():
        schema: Any = node.input_schema
        if schema is None or schema is builder.state_schema or name.startswith("__"):
            continue
        for key in get_type_hints(schema):
            if key in writers and writers[key][0] != name:
                producer, contract = writers[key]
                carried, field = _carried(key, contract, results), None
            elif key in input_model.model_fields:
                producer, contract = "input", f"{input_model.__name__}.{key}"
                carried, field = input_model, key
            else:
                continue
            edges.append(
                Handoff(
                    named(producer), named(name), key, contract, carried, field, specs.get(name)
                )
            )
    order = list(builder.nodes)
    edges.sort(
        key=lambda e: (
            order.index(e.consumer.rsplit("/", 1)[-1]),
            not e.producer.endswith("input"),
            e.producer,
            e.key,
        )
    )
    return edges


def _carried(key: str, contract: str, results: Mapping[str, AgentSpec]) -> Any:
    """The type written under `key`: an agent's result envelope, else what the contract names."""
    spec = results.get(key)
    if spec is not None and contract == f"AgentResult[{spec.output_contract.__name__}]":
        return AgentResult[spec.output_contract]  # type: ignore[name-defined]
    return named_type(contract)


def named_type(contract: str) -> Any:
    """The type a writer's contract names (`Ballot`, `list[Avoid]`, `int`): a builtin, the review
    outcome, or a model or type alias of `schemas` whose name no other module there uses; None
    when the contract is a description."""
    match = _NAMED_TYPE.match(contract)
    if match is None:
        return None
    listed, name = match.groups()
    found = _BUILTINS.get(name) or _schema_types().get(name)
    if found is None:
        return None
    return list[found] if listed else found  # type: ignore[valid-type]


@cache
def _schema_types() -> dict[str, Any]:
    """Every model and annotated type alias of `schemas`, by name (a name two of them share left
    out), and the review outcome."""
    found: dict[str, list[Any]] = {"ReviewOutcome": [ReviewOutcome]}
    for module_info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{module_info.name}")
        for name, value in vars(module).items():
            defined_here = isinstance(value, type) and value.__module__ == module.__name__
            typed = (defined_here and issubclass(value, BaseModel)) or get_origin(
                value
            ) is Annotated
            if typed and not any(value is seen for seen in found.get(name, [])):
                found.setdefault(name, []).append(value)
    return {name: values[0] for name, values in found.items() if len(values) == 1}
