"""How `baton handoffs` shows the handoff map and its changes as tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graphs.kit.handoff_diff import Change


def show_map(console: Console, workflow: str, part: Mapping[str, Any]) -> None:
    """One workflow's edges: producer, consumer, contract and the fields the consumer reads."""
    table = Table("from", "to", "contract", "fields read", title=f"Handoffs of {workflow}")
    for edge in part["handoffs"]:
        table.add_row(
            escape(edge["from"]),
            escape(edge["to"]),
            escape(edge["contract"]),
            escape(", ".join(edge["reads"]) or "—"),
        )
    console.print(table)


def show_changes(console: Console, changes: Sequence[Change], old: str) -> None:
    """The changes since the export `old`: the breaking ones, then the others."""
    breaking = [c for c in changes if c.breaking]
    console.print(
        f"Compared with {escape(old)}: {len(breaking)} breaking change(s), "
        f"{len(changes) - len(breaking)} other(s).",
        highlight=False,
    )
    for title, shown in (
        ("Breaking: a consumer reads what changed", breaking),
        ("Not breaking", [c for c in changes if not c.breaking]),
    ):
        if not shown:
            continue
        table = Table("workflow", "handoff", "field", "change", "detail", title=title)
        for change in shown:
            table.add_row(
                escape(change.workflow),
                escape(f"{change.producer} → {change.consumer} ({change.key}: {change.contract})"),
                escape(change.field or "—"),
                change.change,
                escape(change.detail),
            )
        console.print(table)
