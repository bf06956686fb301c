"""What the shape tests compare: a graph's Mermaid drawing (against its snapshot in
`tests/snapshots/<workflow>.mmd`) and its workflow's handoff map.

A deliberate change of shape: `BATON_UPDATE_SNAPSHOTS=1 pytest tests/unit -k mermaid` rewrites
the snapshots; review the diff and commit it."""

from __future__ import annotations

import os
from pathlib import Path
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


SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"


def snapshot(workflow: str, drawn: str | None = None) -> str:
    """The pinned Mermaid drawing of `workflow`; with `BATON_UPDATE_SNAPSHOTS=1`, `drawn` (the
    current drawing) replaces it first."""
    path = SNAPSHOTS / f"{workflow}.mmd"
    if drawn is not None and os.environ.get("BATON_UPDATE_SNAPSHOTS") == "1":
        path.write_text(drawn, encoding="utf-8")
    return path.read_text(encoding="utf-8")
