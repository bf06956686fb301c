from __future__ import annotations

import asyncio
import threading
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END

from agents.spec import AgentContext, AgentSpec, Implementation
from graphs.patterns.supervisor import Worker, build_supervisor, plan_route
from schemas.result import ErrorKind, Outcome
from tests.unit.fakes import OWNER, DoubledOut, NumberIn


class FlowState(TypedDict, total=False):
    number: int
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    c: dict[str, Any] | None
    d: dict[str, Any] | None
    finished: bool
    overrides: dict[str, dict[str, Any]]


def spec(name: str, fn: Any) -> AgentSpec:
    return AgentSpec(
        name=name,
        workflow="toy",
        owner=OWNER,
        version="1",
        description=name,
        reads=("number",),
        input_contract=NumberIn,
        output_contract=DoubledOut,
        implementations=(Implementation("rules", "deterministic", fn),),
    )


def ok(payload: NumberIn, _ctx: AgentContext) -> DoubledOut:
    return DoubledOut(doubled=payload.number * 2)


def failed(payload: NumberIn, _ctx: AgentContext) -> Outcome:
    return Outcome.failed("lookup failed: database timeout", ErrorKind.UNAVAILABLE)


def empty(payload: NumberIn, _ctx: AgentContext) -> Outcome:
    return Outcome.empty("no policy on file")


def compile_flow(workers: list[Worker]) -> Any:
    builder = build_supervisor(FlowState, workers, then="finish")
    builder.add_node("finish", lambda state: {"finished": True})
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_rejects_duplicate_unknown_and_cyclic_workers_before_running() -> None:
    with pytest.raises(ValueError, match="duplicate worker names: \\['a'\\]"):
        build_supervisor(FlowState, [Worker(spec("a", ok)), Worker(spec("a", ok))], then="finish")
    with pytest.raises(ValueError, match="unknown workers \\['zz'\\]"):
        build_supervisor(FlowState, [Worker(spec("a", ok), after=("zz",))], then="finish")
    with pytest.raises(ValueError, match="cycle"):
        build_supervisor(
            FlowState,
            [Worker(spec("a", ok), after=("b",)), Worker(spec("b", ok), after=("a",))],
            then="finish",
        )
    with pytest.raises(ValueError, match="collides"):
        build_supervisor(FlowState, [Worker(spec("a", ok))], then="a")


def test_independent_workers_run_in_parallel() -> None:
    barrier = threading.Barrier(2, timeout=5)

    def meets_the_other(payload: NumberIn, ctx: AgentContext) -> DoubledOut:
        barrier.wait()  # only passes if both workers run at the same time
        return ok(payload, ctx)

    graph = compile_flow(
        [
            Worker(spec("a", ok)),
            Worker(spec("b", meets_the_other), after=("a",)),
            Worker(spec("c", meets_the_other), after=("a",)),
        ]
    )
    final = asyncio.run(graph.ainvoke({"number": 1}, {"configurable": {"thread_id": "p"}}))
    assert final["finished"] and final["b"]["status"] == final["c"]["status"] == "ok"
    steps = [s.next for s in graph.get_state_history({"configurable": {"thread_id": "p"}})]
    assert ("b", "c") in steps


def test_a_failed_result_is_never_taken_as_an_answer_to_build_on() -> None:
    graph = compile_flow([Worker(spec("a", failed)), Worker(spec("b", ok), after=("a",))])
    final = asyncio.run(graph.ainvoke({"number": 1}, {"configurable": {"thread_id": "f"}}))
    assert final["a"]["status"] == "failed"
    assert final.get("b") is None, "b needs an ok answer from a; it must not run on a failure"
    plan = plan_route([Worker(spec("a", failed)), Worker(spec("b", ok), after=("a",))], final)
    assert plan.blocked == {"b": "a is failed"} and plan.ready == []


def test_an_empty_result_blocks_dependents_and_says_so() -> None:
    workers = [Worker(spec("a", empty)), Worker(spec("b", ok), after=("a",))]
    final = asyncio.run(
        compile_flow(workers).ainvoke({"number": 1}, {"configurable": {"thread_id": "e"}})
    )
    assert final["a"]["status"] == "empty" and final["a"]["reason"] == "no policy on file"
    assert plan_route(workers, final).blocked == {"b": "a is empty"}


def test_workflow_input_is_validated_at_the_entry() -> None:
    builder = build_supervisor(
        FlowState, [Worker(spec("a", ok))], then="finish", input_contract=NumberIn
    )
    builder.add_node("finish", lambda state: {"finished": True})
    builder.add_edge("finish", END)
    graph = builder.compile()
    with pytest.raises(ValueError, match=r"number: Input should be a valid integer \[int_type\]"):
        asyncio.run(graph.ainvoke({"number": "12"}))
    assert asyncio.run(graph.ainvoke({"number": 12}))["a"]["value"] == {"doubled": 24}


def test_route_plan_is_a_pure_function_of_results() -> None:
    workers = [
        Worker(spec("a", ok)),
        Worker(spec("b", ok), after=("a",)),
        Worker(spec("d", ok), after=("b",)),
    ]
    assert plan_route(workers, {}).ready == ["a"]
    state = {"a": {"status": "ok", "value": {"doubled": 2}}}
    assert plan_route(workers, state).ready == ["b"]
