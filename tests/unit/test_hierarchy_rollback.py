"""Rollback into a department: rewinding to a specialist inside a department re-runs that
specialist and what follows it in the department, then the orchestrator's later steps, and
nothing else (executions counted). LangGraph's own time travel into a subgraph re-runs the whole
subgraph and its parallel siblings (langgraph#8458), and resuming a subgraph forked by
`update_state` can loop at its gate (langgraph#6444): Baton's rollback inherits neither."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, StateGraph
from langgraph.types import Command
from pydantic import BaseModel

from agents.spec import AgentContext, AgentSpec, Owner, rules_agent
from checkpoints.rollback import RollbackError
from graphs.kit import GateSpec, build_supervisor, governed_state
from graphs.kit.context import BatonContext
from graphs.kit.policy import ReviewPolicy, Rule
from graphs.kit.review_gate import add_review_gate
from graphs.patterns.hierarchy import (
    Department,
    build_hierarchy,
    department_agent,
    hierarchy_state,
    rewind_into_department,
)
from schemas.result import Outcome

OWNER = Owner("Toy Team", "toy@example.com")
RUNS: Counter[str] = Counter()


class Brief(BaseModel):
    topic: str


class Notes(BaseModel):
    facts: list[str]


class WriterInput(BaseModel):
    topic: str
    research: dict[str, Any] | None = None


class Text(BaseModel):
    text: str


def _specialists(department: str) -> tuple[AgentSpec[Any, Any], AgentSpec[Any, Any]]:
    def research(brief: Brief, _: AgentContext) -> Notes:
        """Finds the facts."""
        RUNS[f"{department}.research"] += 1
        return Notes(facts=[f"{brief.topic} fact {RUNS[f'{department}.research']}"])

    def write(given: WriterInput, _: AgentContext) -> Text:
        """Writes from the facts."""
        RUNS[f"{department}.writer"] += 1
        facts = ((given.research or {}).get("value") or {}).get("facts", [])
        return Text(text=f"{department}: {', '.join(facts)} (draft {RUNS[f'{department}.writer']})")

    return (
        rules_agent(research, "research", department, OWNER),
        rules_agent(write, "writer", department, OWNER, reads=("topic", "research")),
    )


def _department(name: str, *, gate: bool) -> Department[Any, Any]:
    research, writer = _specialists(name)

    def compile_department() -> Any:
        state = governed_state(f"{name.title()}State", Brief, [research, writer])
        from graphs.patterns.supervisor import Worker

        then = "review_gate" if gate else "done"
        builder = build_supervisor(
            state, [Worker(research), Worker(writer, after=("research",))], then=then
        )
        if gate:
            policy = ReviewPolicy(
                workflow=name,
                owner="Toy Team",
                rules=[Rule(name="always", description="A person signs off.", always=True)],
            )
            add_review_gate(
                builder,
                GateSpec(
                    workflow=name,
                    agents=[research, writer],
                    subject=lambda _: "Sign it off?",
                    recommend=lambda _: "approve",
                    policy=policy,
                ),
            )
            builder.add_edge("review_gate", END)
        else:
            builder.add_node("done", lambda _: {})
            builder.add_edge("done", END)
        return builder.compile(name=name)

    def output(final: Any) -> Text | Outcome:
        return Text.model_validate(final["writer"]["value"])

    return Department(
        name=name,
        graph=compile_department,
        input_contract=Brief,
        output_contract=Text,
        output=output,
        owner=OWNER,
        agents=(research, writer),
    )


def _orchestrator(departments: list[Department[Any, Any]]) -> Any:
    agents = [department_agent(d, "toy") for d in departments]
    state = hierarchy_state("ToyState", Brief, agents)
    builder: StateGraph[Any, Any, Any, Any] = build_hierarchy(
        state, departments, workflow="toy", then="reconcile", input_contract=Brief
    )

    def reconcile(_: Any) -> dict[str, Any]:
        RUNS["orchestrator.reconcile"] += 1
        return {}

    builder.add_node("reconcile", reconcile)
    builder.add_edge("reconcile", END)
    return builder.compile(checkpointer=InMemorySaver())


def _run(graph: Any, payload: Any, config: dict[str, Any], tmp_path: Path) -> Any:
    context = BatonContext(database_url=f"sqlite:///{tmp_path / 'toy.db'}")
    return asyncio.run(graph.ainvoke(payload, config, context=context))


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    RUNS.clear()


def test_rewinding_to_a_specialist_reruns_it_and_what_follows_only(tmp_path: Path) -> None:
    sales, legal = _department("sales", gate=False), _department("legal", gate=False)
    graph = _orchestrator([sales, legal])
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    _run(graph, {"topic": "launch"}, config, tmp_path)
    assert RUNS == {
        "sales.research": 1,
        "sales.writer": 1,
        "legal.research": 1,
        "legal.writer": 1,
        "orchestrator.reconcile": 1,
    }
    forked = rewind_into_department(
        graph, config, departments=[sales, legal], agent="sales/writer", values=lambda _: {}
    )
    _run(graph, None, forked, tmp_path)
    # Only the writer of sales, then the orchestrator's later step: not sales' research (#8458
    # re-runs a subgraph from its start), not the parallel legal department (replay re-runs a
    # superstep's siblings).
    assert RUNS == {
        "sales.research": 1,
        "sales.writer": 2,
        "legal.research": 1,
        "legal.writer": 1,
        "orchestrator.reconcile": 2,
    }
    final = graph.get_state(config).values
    assert final["sales"]["value"]["text"] == "sales: launch fact 1 (draft 2)"  # the kept facts
    assert final["legal"]["value"]["text"] == "legal: launch fact 1 (draft 1)"


def test_rewinding_to_a_departments_first_specialist_reruns_the_department_only(
    tmp_path: Path,
) -> None:
    sales, legal = _department("sales", gate=False), _department("legal", gate=False)
    graph = _orchestrator([sales, legal])
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    _run(graph, {"topic": "launch"}, config, tmp_path)
    forked = rewind_into_department(
        graph, config, departments=[sales, legal], agent="legal/research", values=lambda _: {}
    )
    _run(graph, None, forked, tmp_path)
    assert RUNS["legal.research"] == RUNS["legal.writer"] == 2
    assert RUNS["sales.research"] == RUNS["sales.writer"] == 1
    assert RUNS["orchestrator.reconcile"] == 2
    # A second rollback on the same thread keeps the first one's redo.
    forked = rewind_into_department(
        graph, config, departments=[sales, legal], agent="sales/writer", values=lambda _: {}
    )
    _run(graph, None, forked, tmp_path)
    assert RUNS["legal.writer"] == 2 and RUNS["sales.writer"] == 2 and RUNS["sales.research"] == 1
    assert (
        graph.get_state(config).values["legal"]["value"]["text"] == "legal: launch fact 2 (draft 2)"
    )


def test_a_department_gate_asks_again_after_a_rollback_and_one_answer_finishes_it(
    tmp_path: Path,
) -> None:
    sales, legal = _department("sales", gate=True), _department("legal", gate=False)
    graph = _orchestrator([sales, legal])
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    answer = {"action": "approve", "reviewer": "Ann"}
    _run(graph, {"topic": "launch"}, config, tmp_path)
    (waiting,) = graph.get_state(config).interrupts
    _run(graph, Command(resume={waiting.id: answer}), config, tmp_path)
    assert graph.get_state(config).next == ()
    forked = rewind_into_department(
        graph, config, departments=[sales, legal], agent="sales/writer", values=lambda _: {}
    )
    _run(graph, None, forked, tmp_path)
    (again,) = graph.get_state(config).interrupts  # the redone draft is signed off anew
    assert again.id != waiting.id
    _run(graph, Command(resume={again.id: answer}), config, tmp_path)
    state = graph.get_state(config)
    assert state.next == () and not state.interrupts  # no loop at the gate (#6444)
    assert RUNS == {
        "sales.research": 1,
        "sales.writer": 2,
        "legal.research": 1,
        "legal.writer": 1,
        "orchestrator.reconcile": 2,
    }


def test_rolling_back_to_what_is_no_specialist_or_never_ran_is_refused(tmp_path: Path) -> None:
    sales, legal = _department("sales", gate=False), _department("legal", gate=False)
    graph = _orchestrator([sales, legal])
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    with pytest.raises(RollbackError, match="has not finished"):
        rewind_into_department(
            graph, config, departments=[sales, legal], agent="sales/writer", values=lambda _: {}
        )
    _run(graph, {"topic": "launch"}, config, tmp_path)
    with pytest.raises(RollbackError, match=r"several departments \(sales, legal\): name one"):
        rewind_into_department(
            graph, config, departments=[sales, legal], agent="writer", values=lambda _: {}
        )
    with pytest.raises(RollbackError, match="is no department and no department's specialist"):
        rewind_into_department(
            graph, config, departments=[sales, legal], agent="sales/editor", values=lambda _: {}
        )
