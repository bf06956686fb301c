"""The handoff map: every edge between agents and the contract it carries, read from the graph.

An edge A -> B exists when node B's declared input slice (its LangGraph `input_schema`) contains a
state key that A writes; the contract is what A writes there. Nodes that read the whole state (the
supervisor, which only routes) are not consumers and are left out.
"""

from __future__ import annotations

from typing import Any, get_type_hints

from graphs.kit.review_gate import REVIEW_KEY
from graphs.kit.workflows import get_workflow


def handoff_map(workflow: str) -> list[dict[str, str]]:
    """Edges `{from, to, key, contract}` of a workflow, sorted by consumer then producer."""
    entry = get_workflow(workflow)
    builder = entry.builder()
    writers: dict[str, tuple[str, str]] = {
        spec.writes: (spec.name, f"AgentResult[{spec.output_contract.__name__}]")
        for spec in entry.agents
    }
    writers[REVIEW_KEY] = ("review_gate", "ReviewOutcome")  # every governed workflow's gate
    writers.update(entry.state_writers)
    input_model = entry.input_model()
    edges: list[dict[str, str]] = []
    for name, node in builder.nodes.items():
        schema: Any = node.input_schema
        if schema is None or schema is builder.state_schema or name.startswith("__"):
            continue
        for key in get_type_hints(schema):
            if key in writers and writers[key][0] != name:
                producer, contract = writers[key]
            elif key in input_model.model_fields:
                producer, contract = "input", f"{input_model.__name__}.{key}"
            else:
                continue
            edges.append({"from": producer, "to": name, "key": key, "contract": contract})
    order = list(builder.nodes)
    edges.sort(key=lambda e: (order.index(e["to"]), e["from"] != "input", e["from"], e["key"]))
    return edges
