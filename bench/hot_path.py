"""The hot path: a full underwriting run to the review gate through Baton (`WorkflowRun.start`:
the input contract, the thread's lock and registry, the supervisor, governed agents, the trace,
the gate's packet and queue entry, the run's report), against the same specialists' functions
wired as plain LangGraph nodes (intake, then policy lookup, risk and compliance in parallel, then
the quote, then a node that calls `interrupt()`), on the same saver and event loop.

Run by `make bench` (bench/report.py); `python -m bench.hot_path` prints its section (`--json`:
the figures)."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agents.spec import AgentContext, AgentSpec
from agents.underwriting import AGENTS
from bench.samples import REFERRED, sample
from graphs.kit.runtime import WorkflowRun, open_workflow
from graphs.underwriting import UnderwritingState
from schemas.underwriting import UnderwritingSubmission

ROUNDS = 15
BATCH = 8
TARGET = 1.5
FAN_OUT = ("policy_lookup", "risk", "compliance")


def plain_graph(database_url: str) -> StateGraph[Any, Any, Any, Any]:
    """The underwriting specialists' own functions as plain LangGraph nodes: each validates its
    input contract from the state (as the agent's `select_input` picks it), calls the agent's
    deterministic implementation (what runs offline) and writes its output as an ok result; the gate only interrupts."""
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(UnderwritingState)
    by_name = {spec.name: spec for spec in AGENTS}

    def node(spec: AgentSpec[Any, Any]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        context = AgentContext(database_url=database_url)
        run = next(i.run for i in spec.implementations if i.kind == "deterministic")

        def call(state: Mapping[str, Any]) -> dict[str, Any]:
            scoped = {key: state[key] for key in spec.reads if key in state}
            payload = spec.input_contract.model_validate(spec.select_input(scoped))
            value = cast(Any, run)(payload, context)
            return {spec.writes: {"status": "ok", "value": value.model_dump(mode="json")}}

        return call

    def gate(state: Mapping[str, Any]) -> dict[str, Any]:
        return {"review": interrupt({"quote": state.get("quote")})}

    for name, spec in by_name.items():
        builder.add_node(name, cast(Any, node(spec)))
    builder.add_node("review_gate", cast(Any, gate))
    builder.add_edge(START, "intake")
    for name in FAN_OUT:
        builder.add_edge("intake", name)
    builder.add_edge(list(FAN_OUT), "quote")
    builder.add_edge("quote", "review_gate")
    builder.add_edge("review_gate", END)
    return builder


@dataclass(frozen=True)
class HotPath:
    database: str
    baton_ms: float
    plain_ms: float
    ratio: float
    """The median over rounds of Baton ÷ plain, each round timing both sides back to back."""

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET


def _paired(
    flow: WorkflowRun, plain: Any, rounds: int, batch_size: int
) -> tuple[float, float, float]:
    submission = sample(REFERRED)
    plain_input = UnderwritingSubmission.model_validate(submission).model_dump(mode="json")

    def baton() -> float:
        started = time.perf_counter()
        report = flow.start(submission)
        assert report.status == "awaiting_review", report.status
        return time.perf_counter() - started

    def plain_run() -> float:
        config = cast(RunnableConfig, {"configurable": {"thread_id": f"plain-{uuid.uuid4().hex}"}})
        started = time.perf_counter()
        out = flow.portal.call(partial(plain.ainvoke, plain_input, config, durability="sync"))
        elapsed = time.perf_counter() - started
        assert "__interrupt__" in out and out["quote"]["status"] == "ok", "plain run did not stop"
        return elapsed

    def batch(side: Callable[[], float]) -> float:
        return statistics.median(side() for _ in range(batch_size))

    batch(baton), batch(plain_run)  # warm-up
    baton_times, plain_times, ratios = [], [], []
    for round_ in range(rounds):
        first, second = (baton, plain_run) if round_ % 2 == 0 else (plain_run, baton)
        timed = {first: batch(first), second: batch(second)}
        baton_times.append(timed[baton])
        plain_times.append(timed[plain_run])
        ratios.append(baton_times[-1] / plain_times[-1])
    return statistics.median(baton_times), statistics.median(plain_times), statistics.median(ratios)


def measure(rounds: int = ROUNDS, batch: int = BATCH) -> HotPath:
    """Both sides on one new SQLite file, in one process."""
    with tempfile.TemporaryDirectory(prefix="baton_bench_hot_") as folder:
        url = f"sqlite:///{Path(folder) / 'baton.db'}"
        with open_workflow("underwriting", url) as flow:
            plain = plain_graph(url).compile(checkpointer=flow.graph.checkpointer)
            baton_s, plain_s, ratio = _paired(flow, plain, rounds, batch)
    return HotPath("sqlite", baton_s * 1e3, plain_s * 1e3, ratio)


def section(row: HotPath) -> str:
    verdict = "met" if row.met else "not met"
    return "\n".join(
        [
            "## The hot path (`bench/hot_path.py`)",
            "",
            "A full underwriting run to the review gate (the referred sample) through Baton's "
            "runner (`WorkflowRun.start`: input contract, thread lock and registry, supervisor, "
            "governed agents, trace, the gate's packet and queue entry, the report), against the "
            "same specialists' functions wired as plain LangGraph nodes (intake, the three checks "
            "in parallel, the quote, a node that calls `interrupt()`), on the same SQLite saver "
            f'and event loop (`durability="sync"`). Alternating batches of {BATCH} runs, '
            f"{ROUNDS} rounds; medians.",
            "",
            "| saver | Baton ms/run | plain LangGraph ms/run | Baton / plain | target |",
            "|---|---:|---:|---:|---|",
            f"| {row.database} | {row.baton_ms:.1f} | {row.plain_ms:.1f} | {row.ratio:.2f} | "
            f"≤ {TARGET}: {verdict} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"runs a side per round ({BATCH})")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    row = measure(max(1, args.rounds), max(1, args.batch))
    print(json.dumps({**asdict(row), "met": row.met}) if args.json else section(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
