"""What the shape tests compare: a graph's Mermaid drawing and its workflow's handoff map."""

from __future__ import annotations

from typing import Any

from graphs.kit.handoffs import handoff_map


def mermaid_body(graph: Any) -> str:
    """The drawing from `graph TD;` on, without the style lines (they are not the shape)."""
    drawing: str = graph.get_graph().draw_mermaid()
    body = drawing[drawing.index("graph TD;") :]
    return "".join(
        line + "\n" for line in body.splitlines() if not line.strip().startswith("classDef")
    )


def handoff_edges(workflow: str) -> list[tuple[str, str, str, str]]:
    return [(e["from"], e["to"], e["key"], e["contract"]) for e in handoff_map(workflow)]
