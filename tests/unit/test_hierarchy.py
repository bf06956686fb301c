"""The hierarchy pattern: departments (each a supervisor with its own state and its own review
gate) under an orchestrator. Only a department's output contract crosses upward; two departments
waiting at once are answered each on its own, by interrupt id; a department that fails, breaks its
contract or cannot finish is a failed or escalated result at the top; builders refuse bad input."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, StateGraph
from langgraph.types import Command
from pydantic import BaseModel

from agents.spec import AgentContext, Owner, rules_agent
from graphs.kit import GateSpec, build_supervisor, governed_state
from graphs.kit.context import BatonContext
from graphs.kit.policy import ReviewPolicy, Rule
from graphs.kit.review_gate import add_review_gate
from graphs.patterns.hierarchy import Department, build_hierarchy, department_agent, hierarchy_state
from schemas.result import Outcome

OWNER = Owner("Toy Team", "toy@example.com")
RUNS: Counter[str] = Counter()


class Brief(BaseModel):
    topic: str


class Draft(BaseModel):
    text: str
    secret_working: str


class Summary(BaseModel):
    text: str


def _writer(department: str) -> Any:
    def write(brief: Brief, _: AgentContext) -> Draft:
        """Writes the department's draft."""
        RUNS[f"{department}.writer"] += 1
        return Draft(text=f"{department} on {brief.topic}", secret_working="inner notes")

    return rules_agent(write, "writer", department, OWNER)


def _department_graph(name: str, *, gate: bool, compile_with: Any = None) -> Any:
    writer = _writer(name)
    state = governed_state(f"{name.title()}State", Brief, [writer])
    builder = build_supervisor(state, [writer], then="review_gate" if gate else "done")
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
                agents=[writer],
                subject=lambda _: f"Sign off the {name} draft?",
                recommend=lambda _: "approve",
                policy=policy,
            ),
        )
        builder.add_edge("review_gate", END)
    else:
        builder.add_node("done", lambda _: {})
        builder.add_edge("done", END)
    return builder.compile(name=name, checkpointer=compile_with)


def _summary(final: Mapping[str, Any]) -> Summary | Outcome:
    review = final.get("review") or {}
    record = review.get("record") or {}
    if (record.get("decision") or {}).get("action") == "reject":
        return Outcome.escalated("the department's reviewer rejected its draft")
    return Summary(text=final["writer"]["value"]["text"])


def _department(name: str, *, gate: bool = True, **changes: Any) -> Department[Any, Any]:
    fields: dict[str, Any] = {
        "name": name,
        "graph": _department_graph(name, gate=gate),
        "input_contract": Brief,
        "output_contract": Summary,
        "output": _summary,
        "owner": OWNER,
        **changes,
    }
    return Department(**fields)


def _orchestrator(departments: list[Department[Any, Any]]) -> Any:
    agents = [department_agent(d, "toy") for d in departments]
    state = hierarchy_state("ToyPlanState", Brief, agents)
    builder: StateGraph[Any, Any, Any, Any] = build_hierarchy(
        state, departments, workflow="toy", then="reconcile", input_contract=Brief
    )
    builder.add_node("reconcile", lambda _: {})
    builder.add_edge("reconcile", END)
    return builder.compile(checkpointer=InMemorySaver())


def _run(graph: Any, payload: Any, thread: str, tmp_path: Path) -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    context = BatonContext(database_url=f"sqlite:///{tmp_path / 'toy.db'}")
    result: dict[str, Any] = asyncio.run(graph.ainvoke(payload, config, context=context))
    return result


def test_two_departments_wait_at_once_and_are_answered_each_by_its_interrupt(
    tmp_path: Path,
) -> None:
    RUNS.clear()
    graph = _orchestrator([_department("sales"), _department("legal")])
    config = {"configurable": {"thread_id": "two"}}
    _run(graph, {"topic": "launch"}, "two", tmp_path)
    waiting = graph.get_state(config, subgraphs=True)
    assert set(waiting.next) == {"sales", "legal"} and len(waiting.interrupts) == 2
    by_department = {task.name: task.interrupts[0].id for task in waiting.tasks}
    named = {
        t.name: (t.interrupts[0].value["workflow"], t.interrupts[0].value["gate"])
        for t in waiting.tasks
    }
    assert named == {"sales": ("sales", "review_gate"), "legal": ("legal", "review_gate")}
    answer = {"action": "approve", "reviewer": "Ann"}
    _run(graph, Command(resume={by_department["legal"]: answer}), "two", tmp_path)
    half = graph.get_state(config)
    assert half.next == ("sales",) and [i.id for i in half.interrupts] == [by_department["sales"]]
    _run(graph, Command(resume={by_department["sales"]: answer}), "two", tmp_path)
    done = graph.get_state(config)
    assert done.next == ()
    assert done.values["sales"]["status"] == done.values["legal"]["status"] == "ok"
    assert done.values["sales"]["value"] == {"text": "sales on launch"}
    assert RUNS == {"sales.writer": 1, "legal.writer": 1}  # a resume re-runs no finished agent
    assert "secret_working" not in str(done.values)  # a department's inner state stays inside


def test_a_department_that_fails_breaks_its_contract_or_cannot_finish_is_said_so_at_the_top(
    tmp_path: Path,
) -> None:
    def broken(_: Mapping[str, Any]) -> Summary:
        raise RuntimeError("the forecast store is down")

    def wrong(final: Mapping[str, Any]) -> Any:
        return {"text": 42}

    graph = _orchestrator(
        [
            _department("sales", gate=False, output=broken),
            _department("legal", gate=False, output=wrong),
            _department("finance", output=_summary, after=("sales",)),
            _department("pr", after=()),
        ]
    )
    _run(graph, {"topic": "launch"}, "bad", tmp_path)
    state = graph.get_state({"configurable": {"thread_id": "bad"}})
    assert state.values["sales"]["status"] == "failed"
    assert "the forecast store is down" in state.values["sales"]["reason"]
    assert state.values["legal"]["status"] == "failed"
    assert state.values["legal"]["error_kind"] == "contract_violation"
    assert "finance" not in state.values or state.values["finance"] is None  # built only on ok
    interrupt = state.interrupts[0].id
    _run(
        graph, Command(resume={interrupt: {"action": "reject", "reviewer": "Ann"}}), "bad", tmp_path
    )
    after = graph.get_state({"configurable": {"thread_id": "bad"}}).values
    assert after["pr"]["status"] == "escalated"
    assert after["pr"]["reason"] == "the department's reviewer rejected its draft"


def test_bad_departments_are_refused_before_anything_runs() -> None:
    sales = _department("sales")
    with pytest.raises(ValueError, match="given more than once: sales"):
        _orchestrator([sales, _department("sales")])
    with pytest.raises(ValueError, match=r"duplicate department names: \['sales'\]"):
        build_hierarchy(hierarchy_state("S", Brief, []), [sales, sales], workflow="toy")
    with pytest.raises(
        ValueError, match="no 'department_reruns' key: build it with hierarchy_state"
    ):
        build_hierarchy(governed_state("S", Brief, []), [sales], workflow="toy")
    with pytest.raises(ValueError, match="needs an output contract"):
        _orchestrator([_department("sales", output_contract=dict)])
    own = _department(
        "sales", graph=_department_graph("sales", gate=False, compile_with=InMemorySaver())
    )
    with pytest.raises(ValueError, match="without a checkpointer"):
        _orchestrator([own])
    with pytest.raises(ValueError, match="cycle"):
        _orchestrator([_department("a", after=("b",)), _department("b", after=("a",))])
    with pytest.raises(ValueError, match="unknown workers"):
        _orchestrator([_department("a", after=("nobody",))])
