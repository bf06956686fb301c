"""Governance overhead: the underwriting agents replaced by no-op implementations, run through
Baton's governed nodes (slice, input and output contracts, result envelope, trace events) and as
plain LangGraph nodes writing the same results, in the same graph shape on the same saver. Both
sides run on the event loop (the no-op does no I/O, so Baton runs it inline; the plain nodes are
async functions), so the difference is what governance adds.

Run by `make bench` (bench/report.py); `python -m bench.governance_overhead` prints its section."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from agents.spec import AgentContext, AgentSpec, Implementation
from agents.underwriting import AGENTS
from bench.samples import DATABASE_PREFIX, POSTGRES_ADMIN_URL
from bench.scoped_context import SAMPLES
from checkpoints.provisioning import fresh_database, kinds
from checkpoints.saver import open_saver
from graphs.kit.context import BatonContext
from graphs.kit.governed import add_governed_agent
from graphs.kit.runtime import open_workflow
from graphs.underwriting import UnderwritingState
from schemas.underwriting import UnderwritingSubmission

SAMPLE_FOR_BENCH: dict[str, Any] = json.loads(
    (SAMPLES / "01_clean_straight_through.json").read_text(encoding="utf-8")
)
BATCH = 10
ROUNDS = 40
TARGETS = {"memory": 1.10, "sqlite": 1.05, "postgres": 1.05}
"""Governed ÷ plain per step, at most, by saver."""
STEPS = len(AGENTS)
FAN_OUT = ("policy_lookup", "risk", "compliance")


def recorded_results() -> dict[str, dict[str, Any]]:
    """Each agent's result on the straight-through sample (what the no-ops return)."""
    with open_workflow("underwriting", "memory://") as flow:
        thread = f"bench-noop-{uuid.uuid4().hex[:8]}"
        flow.start(SAMPLE_FOR_BENCH, thread_id=thread)
        values = flow.graph.get_state(flow.config(thread)).values
    return {spec.name: values[spec.writes] for spec in AGENTS}


def _noop(value: Mapping[str, Any]) -> Callable[[Any, AgentContext], Any]:
    def run(payload: Any, context: AgentContext) -> Any:
        return value

    return run


def _wire(builder: StateGraph[Any, Any, Any, Any], add: Callable[[str, str], None]) -> None:
    """intake → policy_lookup | risk | compliance → quote → END, the underwriting order."""
    add("intake", "policy_lookup")
    for name in FAN_OUT:
        add(name, "quote")
    add("quote", END)
    builder.add_edge(START, "intake")
    for name in FAN_OUT[1:]:
        builder.add_edge("intake", name)


def governed_graph(results: dict[str, dict[str, Any]]) -> StateGraph[Any, Any, Any, Any]:
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        UnderwritingState, context_schema=BatonContext
    )
    specs: dict[str, AgentSpec] = {
        spec.name: replace(
            spec,
            implementations=(
                Implementation(
                    "noop", "deterministic", _noop(results[spec.name]["value"]), runs_inline=True
                ),
            ),
        )
        for spec in AGENTS
    }
    _wire(builder, lambda name, then: add_governed_agent(builder, specs[name], then=then))
    return builder


def plain_graph(results: dict[str, dict[str, Any]]) -> StateGraph:
    builder = StateGraph(UnderwritingState)

    def add(name: str, then: str) -> None:
        writes = {AGENT_WRITES[name]: results[name]}

        async def node(state: Any) -> dict[str, Any]:
            return writes

        builder.add_node(name, node)
        builder.add_edge(name, then)

    _wire(builder, add)
    return builder


AGENT_WRITES = {spec.name: spec.writes for spec in AGENTS}


@dataclass(frozen=True)
class Overhead:
    database: str
    governed_us: float
    plain_us: float
    ratio: float
    """The median over rounds of governed ÷ plain, each round timing both sides back to back."""

    @property
    def target(self) -> float:
        return TARGETS[self.database]

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


async def _paired_rounds(
    governed: StateGraph, plain: StateGraph, url: str
) -> tuple[float, float, float]:
    """(governed seconds per run, plain seconds per run, governed ÷ plain), medians over ROUNDS
    rounds after a warm-up; each round runs a batch of BATCH runs on each side, in alternating
    order, so drift in the machine's speed touches both sides alike."""
    submission = UnderwritingSubmission.model_validate(SAMPLE_FOR_BENCH).model_dump(mode="json")
    async with open_saver(url) as saver:
        graphs = (governed.compile(checkpointer=saver), plain.compile(checkpointer=saver))

        async def batch(graph: Any) -> float:
            times = []
            for _ in range(BATCH):
                config = {"configurable": {"thread_id": f"noop-{uuid.uuid4().hex}"}}
                started = time.perf_counter()
                await graph.ainvoke(
                    submission,
                    cast(RunnableConfig, config),
                    context=BatonContext(database_url=url),  # as `open_workflow` runs it
                    durability="sync",
                )
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        for graph in graphs:  # warm-up
            await batch(graph)
        governed_times, plain_times, ratios = [], [], []
        for round_ in range(ROUNDS):
            order = graphs if round_ % 2 == 0 else graphs[::-1]
            timed = {id(graph): await batch(graph) for graph in order}
            governed_times.append(timed[id(graphs[0])])
            plain_times.append(timed[id(graphs[1])])
            ratios.append(governed_times[-1] / plain_times[-1])
        return (
            statistics.median(governed_times),
            statistics.median(plain_times),
            statistics.median(ratios),
        )


def measure() -> list[Overhead]:
    results = recorded_results()
    rows = []
    for kind in kinds(POSTGRES_ADMIN_URL):
        with fresh_database(kind, POSTGRES_ADMIN_URL, DATABASE_PREFIX) as url:
            governed, plain, ratio = asyncio.run(
                _paired_rounds(governed_graph(results), plain_graph(results), url)
            )
        rows.append(Overhead(kind, governed / STEPS * 1e6, plain / STEPS * 1e6, ratio))
    return rows


def section(rows: list[Overhead]) -> str:
    lines = [
        "## Governance overhead (`bench/governance_overhead.py`)",
        "",
        "The five underwriting agents with no-op implementations, run through Baton's governed "
        "nodes (state slice, input and output contracts, result envelope, trace events) and as "
        "plain LangGraph nodes (async functions) writing the same results, in the same graph shape on "
        'the same saver (`durability="sync"`); both run on the event loop, so the difference is what '
        "governance adds. The two sides run in alternating batches of "
        f"{BATCH} runs, {ROUNDS} rounds; the table gives medians per agent step and the median of "
        "the rounds' ratios.",
        "",
        "| saver | governed µs/step | plain µs/step | governed / plain | target |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        verdict = "met" if row.met else "not met"
        lines.append(
            f"| {row.database} | {row.governed_us:,.0f} | {row.plain_us:,.0f} | {row.ratio:.2f} "
            f"| ≤ {row.target}: {verdict} |"
        )
    over = [row for row in rows if not row.met]
    if over:
        lines += [
            "",
            "Above the target: "
            + ", ".join(
                f"{row.database} ({row.governed_us - row.plain_us:,.0f} µs more per step)"
                for row in over
            )
            + ". What remains per step is the validation of the input and output contracts "
            "(in strict JSON mode), the result envelope and the redaction of what tracers record.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section(measure()))
