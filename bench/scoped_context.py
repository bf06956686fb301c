"""Scoped context, measured: what each agent is given (its declared state slice) against what it
would be given if every agent saw the whole state, over every underwriting sample.

`make bench` puts it in `docs/benchmarks.md`; `python -m bench.scoped_context [SAMPLE.json ...]
[--json]` prints it (for the samples named, default all of them; `--json`: the figures as one JSON
object). Tokens are estimated as characters / 4 of the JSON an agent would be sent (the same
estimate for both sides; no tokenizer can be downloaded here), so the reduction is exact for
characters and approximate in absolute tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from agents.underwriting.llm_intake import prompt
from checkpoints.rollback import lineage
from graphs.kit.governed import OVERRIDES_KEY
from graphs.kit.runtime import open_workflow
from graphs.kit.workflows import get_workflow
from schemas.underwriting import Document

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples" / "underwriting"
REPORT = ROOT / "docs" / "benchmarks.md"


def tokens(value: Any) -> int:
    """Estimated tokens of a value sent as JSON (characters / 4, rounded up)."""
    return -(-len(json.dumps(value, default=str, ensure_ascii=False)) // 4)


@dataclass
class AgentTotals:
    steps: int = 0
    scoped: int = 0
    full: int = 0


@dataclass
class Measurement:
    samples: int = 0
    agents: dict[str, AgentTotals] = field(default_factory=lambda: defaultdict(AgentTotals))
    intake_prompt: AgentTotals = field(default_factory=AgentTotals)
    """The LLM intake prompt as built (application only) against the same prompt with the full state."""

    @property
    def scoped(self) -> int:
        return sum(a.scoped for a in self.agents.values())

    @property
    def full(self) -> int:
        return sum(a.full for a in self.agents.values())

    def as_json(self) -> dict[str, Any]:
        """The figures as one JSON-ready object."""
        return {
            "samples": self.samples,
            "agents": {name: asdict(totals) for name, totals in sorted(self.agents.items())},
            "intake_prompt": asdict(self.intake_prompt),
            "scoped": self.scoped,
            "full": self.full,
        }


def measure(sample_files: list[Path], database_url: str = "memory://") -> Measurement:
    """Run each sample (deterministic, offline) and size every agent step's input both ways."""
    result = Measurement()
    agents = {spec.name for spec in get_workflow("underwriting").agents}
    with open_workflow("underwriting", database_url) as flow:
        slices = {
            name: [k for k in get_type_hints(node.input_schema) if k != OVERRIDES_KEY]
            for name, node in flow.graph.builder.nodes.items()
            if name in agents and node.input_schema is not None
        }
        for path in sample_files:
            thread = f"bench-{path.stem}-{os.getpid()}"
            flow.start(json.loads(path.read_text(encoding="utf-8")), thread_id=thread)
            result.samples += 1
            for snapshot in lineage(flow.graph, flow.config(thread)):
                for task in snapshot.tasks:
                    if task.name not in agents or task.result is None:
                        continue
                    state = dict(snapshot.values)
                    totals = result.agents[task.name]
                    totals.steps += 1
                    totals.scoped += tokens({k: state[k] for k in slices[task.name] if k in state})
                    totals.full += tokens(state)
                    if task.name == "intake":
                        _measure_intake_prompt(result.intake_prompt, state)
    return result


def _measure_intake_prompt(totals: AgentTotals, state: dict[str, Any]) -> None:
    form = next((d for d in state.get("documents", []) if d.get("kind") == "application"), None)
    if form is None:
        return
    messages = prompt(Document.model_validate(form))
    scoped = [message.content for message in messages]
    full = [messages[0].content, json.dumps(state, default=str, ensure_ascii=False)]
    totals.steps += 1
    totals.scoped += tokens(scoped)
    totals.full += tokens(full)


def report(measurement: Measurement) -> str:
    """The report's section on scoped context (Markdown)."""
    lines = [
        "## Scoped context (`bench/scoped_context.py`)",
        "",
        f"What each underwriting agent is given — its declared state slice — against the whole state, "
        f"over all {measurement.samples} shipped samples (every agent step of every run). Tokens are "
        "estimated as characters / 4 of the JSON sent; the same estimate is used on both sides.",
        "",
        "| agent | steps | tokens, scoped slice | tokens, full state | reduction |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, totals in sorted(measurement.agents.items()):
        lines.append(
            f"| {name} | {totals.steps} | {totals.scoped:,} | {totals.full:,} | "
            f"{1 - totals.scoped / totals.full:.1%} |"
        )
    lines.append(
        f"| **all agents** | {sum(a.steps for a in measurement.agents.values())} | "
        f"**{measurement.scoped:,}** | **{measurement.full:,}** | "
        f"**{1 - measurement.scoped / measurement.full:.1%}** |"
    )
    llm = measurement.intake_prompt
    if llm.steps:
        lines += [
            "",
            "The LLM intake prompt as `llm_reader` builds it (instructions + the application "
            "document) against the same instructions followed by the full state:",
            "",
            "| prompt | runs | tokens, scoped | tokens, full state | reduction |",
            "|---|---:|---:|---:|---:|",
            f"| intake (`llm_reader`) | {llm.steps} | {llm.scoped:,} | {llm.full:,} | "
            f"{1 - llm.scoped / llm.full:.1%} |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scoped_context",
        description="Size what each underwriting agent is given against the whole state.",
    )
    parser.add_argument(
        "samples", nargs="*", type=Path, help="submission JSON files (default: every shipped one)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.samples if not path.is_file()]
    if missing:
        print(f"error: no such sample file: {', '.join(missing)}", file=sys.stderr)
        return 2
    measurement = measure(args.samples or sorted(SAMPLES.glob("*.json")))
    if args.json:
        print(json.dumps(measurement.as_json()))
    else:
        sys.stdout.write(report(measurement))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
