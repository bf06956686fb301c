"""The handoff map as a document: every edge with its contract's JSON Schema and the fields its
consumer reads, a Mermaid drawing, as JSON (`baton handoffs --format json`) or Markdown
(`docs/handoffs.md`, `make docs-handoffs`).

The JSON export, which `baton handoffs --diff` reads back (`graphs.kit.handoff_diff`):
    {"version": 1, "workflows": {name: {"description", "handoffs": [edge, ...], "mermaid"}}}
and, for one workflow, `{"version": 1, "workflow": name, "description", "handoffs", "mermaid"}`.
An edge is `{from, to, key, contract, reads, schema}`: `schema` is the contract's JSON Schema
(`graphs.kit.contract_schema`; null when the contract only describes what it carries) and
`reads` the fields the consumer reads (`graphs.kit.handoff_reads`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphs.kit.contract_schema import WHOLE, schema_of
from graphs.kit.handoff_reads import reads_of
from graphs.kit.handoffs import handoffs_of
from graphs.kit.workflows import get_workflow

VERSION = 1
_MERMAID_WORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click"}


def workflow_handoffs(workflow: str) -> dict[str, Any]:
    """One workflow's part of the export: its description, edges and drawing."""
    handoffs = handoffs_of(workflow)
    with_schemas = [(h, schema_of(h.carried, h.field)) for h in handoffs]
    edges = [
        {**handoff.as_json(), "reads": reads, "schema": schema}
        for (handoff, schema), reads in zip(with_schemas, reads_of(with_schemas), strict=True)
    ]
    return {
        "description": get_workflow(workflow).description,
        "handoffs": edges,
        "mermaid": mermaid(edges),
    }


def handoff_document(workflows: Sequence[str]) -> dict[str, Any]:
    """The export of several workflows, in the order given."""
    return {"version": VERSION, "workflows": {name: workflow_handoffs(name) for name in workflows}}


def single_workflow_document(workflow: str) -> dict[str, Any]:
    """The export of one workflow (its edges at the top, as `baton handoffs WORKFLOW --json`
    always gave them)."""
    return {"version": VERSION, "workflow": workflow, **workflow_handoffs(workflow)}


def mermaid(edges: Sequence[Mapping[str, Any]]) -> str:
    """A Mermaid flowchart: one arrow per producer and consumer, labelled with the contracts it
    carries (an input's fields as `Model: field, field`). An edge written by either of two nodes
    (`tally, check_ruling`) is drawn from each."""
    arrows: dict[tuple[str, str], list[str]] = {}
    for edge in edges:
        for producer in str(edge["from"]).split(", "):
            arrows.setdefault((producer, str(edge["to"])), []).append(str(edge["contract"]))
    nodes = list(dict.fromkeys(name for pair in arrows for name in pair))
    lines = ["flowchart LR"]
    lines += [f"    {_node(name)}" for name in nodes]
    lines += [
        f'    {_node_id(producer)} -->|"{_quoted(_arrow_label(contracts))}"| {_node_id(consumer)}'
        for (producer, consumer), contracts in arrows.items()
    ]
    return "\n".join(lines) + "\n"


def _node(name: str) -> str:
    shape = '(["{}"])' if name == "input" or name.endswith("/input") else '["{}"]'
    return _node_id(name) + shape.format(_quoted(name))


def _node_id(name: str) -> str:
    node_id = re.sub(r"\W", "_", name)
    return f"{node_id}_" if node_id.lower() in _MERMAID_WORDS else node_id


def _arrow_label(contracts: Sequence[str]) -> str:
    fields: dict[str, list[str]] = {}
    for contract in contracts:
        model, dot, field = contract.partition(".")
        key = model if dot and model.isidentifier() and field.isidentifier() else contract
        fields.setdefault(key, [])
        if key != contract:
            fields[key].append(field)
    return "<br/>".join(
        f"{key}: {', '.join(names)}" if names else key for key, names in fields.items()
    )


def _quoted(text: str) -> str:
    return text.replace('"', "#quot;")


def markdown(document: Mapping[str, Any]) -> str:
    """`docs/handoffs.md`: per workflow, the drawing, a table of the edges and the JSON Schema of
    each contract (once per workflow)."""
    workflows: Mapping[str, Any] = document["workflows"]
    parts = [_INTRO, "Workflows: " + " · ".join(f"[{n}](#{n})" for n in workflows) + "\n"]
    for name, part in workflows.items():
        parts.append(_workflow_markdown(name, part))
    return "\n".join(parts)


_INTRO = """\
# The handoff map

Generated from the graphs by `baton handoffs --format markdown` (`make docs-handoffs`): do not
edit it by hand; a test fails when it is stale.

Every handoff of every workflow: the node that writes a state key (the producer; `input` is the
workflow's input, `department/input` what an orchestrator hands a department), a node whose
input slice holds that key (the consumer), the contract it carries, the fields of it the
consumer reads, and the contract's JSON Schema (as carried in the state: pydantic's
serialization mode). The fields read are found by running each agent's own `select_input` on
sample values: a field is read when taking it out changes the input the agent builds
(`graphs/kit/handoff_reads.py`). `*` is the whole value (and what a node that is not an agent,
such as a gate or an evaluator, is taken to read), `value.*` every field of a result's value,
and `—` nothing. `baton handoffs --diff OLD.json` reports the contract changes that break a
consumer: a field it reads removed, retyped, or made optional or nullable.
"""


def _workflow_markdown(name: str, part: Mapping[str, Any]) -> str:
    edges: Sequence[Mapping[str, Any]] = part["handoffs"]
    rows = [
        "| producer | consumer | state key | contract | fields read |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {_cell(e['from'])} | {_cell(e['to'])} | `{_cell(e['key'])}` | "
        f"`{_cell(e['contract'])}` | {_reads_cell(e['reads'])} |"
        for e in edges
    ]
    schemas = {e["contract"]: e["schema"] for e in edges if e["schema"] is not None}
    details = [
        f"<details><summary><code>{_html(contract)}</code></summary>\n\n"
        f"```json\n{json.dumps(schema, indent=2, ensure_ascii=False)}\n```\n\n</details>\n"
        for contract, schema in sorted(schemas.items())
    ]
    return "\n".join(
        [
            f"## {name}\n",
            f"{part['description']}\n",
            f"```mermaid\n{part['mermaid']}```\n",
            "\n".join(rows) + "\n",
            f"### Contracts of {name}\n",
            *details,
        ]
    )


def _reads_cell(reads: Sequence[str]) -> str:
    if not reads:
        return "—"
    return ", ".join("`*` (all)" if r == WHOLE else f"`{_cell(r)}`" for r in reads)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
