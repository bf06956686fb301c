"""The handoff map: every edge between agents and the contract it carries, read from the graph.

An edge A -> B exists when node B's declared input slice (its LangGraph `input_schema`) contains a
state key that A writes; the contract is what A writes there. Nodes that read the whole state (the
supervisor, which only routes) are not consumers and are left out.

A hierarchy's map has every level: the orchestrator's edges (a department is one agent there,
handing up only its output contract), then each department's own edges, its nodes named
`department/node` and its input (what the orchestrator hands down) `department/input`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_type_hints

from pydantic import BaseModel

from agents.spec import AgentSpec
from graphs.kit.governed import RERUNS_KEY
from graphs.kit.review_gate import REVIEW_KEY
from graphs.kit.workflows import get_workflow


def handoff_map(workflow: str) -> list[dict[str, str]]:
    """Edges `{from, to, key, contract}` of a workflow, sorted by consumer then producer (a
    hierarchy's departments follow the orchestrator, one after another)."""
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
) -> list[dict[str, str]]:
    def named(node: str) -> str:
        return f"{level}/{node}" if level else node

    writers: dict[str, tuple[str, str]] = {
        spec.writes: (spec.name, f"AgentResult[{spec.output_contract.__name__}]") for spec in agents
    }
    writers[REVIEW_KEY] = ("review_gate", "ReviewOutcome")  # every governed graph's gate
    writers.update(state_writers)
    edges: list[dict[str, str]] = []
    for name, node in builder.nodes.items():
        schema: Any = node.input_schema
        if schema is None or schema is builder.state_schema or name.startswith("__"):
            continue
        for key in get_type_hints(schema):
            if key in writers and writers[key][0] != name:
                producer, contract = named(writers[key][0]), writers[key][1]
            elif key in input_model.model_fields:
                producer, contract = named("input"), f"{input_model.__name__}.{key}"
            else:
                continue
            edges.append({"from": producer, "to": named(name), "key": key, "contract": contract})
    order = list(builder.nodes)
    edges.sort(
        key=lambda e: (
            order.index(e["to"].rsplit("/", 1)[-1]),
            not e["from"].endswith("input"),
            e["from"],
            e["key"],
        )
    )
    return edges
