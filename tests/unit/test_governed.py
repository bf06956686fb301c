from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from agents.spec import AgentContext
from graphs.kit.governed import add_governed_agent
from graphs.kit.tracing import BatonTracer
from schemas.trace import EventKind
from tests.unit.fakes import (
    MemoryTraceStore,
    NumberIn,
    ToyState,
    broken_output,
    double,
    impl,
    raises,
    says_failed,
    spec_with,
)


def run(spec: Any, state: dict[str, Any]) -> tuple[dict[str, Any], MemoryTraceStore]:
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(ToyState)
    add_governed_agent(builder, spec, then=END)
    builder.add_edge(START, "doubler")
    store = MemoryTraceStore()
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "t"}, "callbacks": [BatonTracer(store)]}
    final = asyncio.run(graph.ainvoke(state, config))
    return final["doubler"], store


def test_ok_result_carries_provenance() -> None:
    result, store = run(spec_with(impl("rules", double)), {"number": 21})
    assert result["status"] == "ok"
    assert result["value"] == {"doubled": 42}
    assert (result["agent"], result["version"], result["implementation"]) == (
        "doubler",
        "2.0.0",
        "rules",
    )
    assert result["attempts"] == 1
    step = next(e for e in store.recorded if e.kind is EventKind.STEP)
    assert (
        step.data["status"] == "ok" and step.data["owner"] is None
    )  # toy workflow is not registered


def test_next_implementation_runs_when_one_raises_fails_or_breaks_the_contract() -> None:
    spec = spec_with(
        impl("model", raises),
        impl("second", broken_output),
        impl("third", says_failed),
        impl("rules", double),
    )
    result, store = run(spec, {"number": 2})
    assert result["status"] == "ok" and result["implementation"] == "rules"
    assert result["attempts"] == 4
    assert [f.split(":")[0] for f in result["fallbacks"]] == ["model", "second", "third"]
    hops = [e.data for e in store.recorded if e.kind is EventKind.FALLBACK]
    assert [(h["from"], h["to"]) for h in hops] == [
        ("model", "second"),
        ("second", "third"),
        ("third", "rules"),
    ]
    assert [h["error_kind"] for h in hops] == [
        "implementation_error",
        "contract_violation",
        "unavailable",
    ]
    violation = next(e for e in store.recorded if e.kind is EventKind.CONTRACT_VIOLATION)
    assert violation.data["stage"] == "output"
    assert any(err.startswith("doubled:") for err in violation.data["errors"])


def test_every_implementation_failing_is_failed_with_all_reasons_and_a_hop_to_people() -> None:
    result, store = run(spec_with(impl("model", raises), impl("rules", says_failed)), {"number": 2})
    assert result["status"] == "failed"
    assert result["error_kind"] == "all_implementations_failed"
    assert "model" in result["reason"] and "database timeout" in result["reason"]
    assert store.recorded[-2].kind is EventKind.FALLBACK or any(
        e.kind is EventKind.FALLBACK and e.data["to"] == "human review" for e in store.recorded
    )


def test_single_implementation_failure_keeps_its_own_kind() -> None:
    result, _ = run(spec_with(impl("rules", says_failed)), {"number": 2})
    assert (result["status"], result["error_kind"]) == ("failed", "unavailable")
    assert result["reason"] == "lookup failed: database timeout"


@pytest.mark.parametrize(
    ("number", "rule"), [("5", "int_type"), (-1, "greater_than_equal"), (None, "int_type")]
)
def test_input_contract_violation_is_failed_with_field_and_rule_never_coerced(
    number: Any, rule: str
) -> None:
    calls: list[int] = []

    def counting(payload: NumberIn, ctx: AgentContext) -> Any:
        calls.append(payload.number)
        return double(payload, ctx)

    result, store = run(spec_with(impl("rules", counting)), {"number": number})
    assert calls == [], "the implementation must not run on input that breaks the contract"
    assert result["status"] == "failed" and result["error_kind"] == "contract_violation"
    assert "number" in result["reason"] and rule in result["reason"]
    assert EventKind.CONTRACT_VIOLATION in store.kinds()


def test_node_sees_only_its_declared_slice() -> None:
    seen: list[Any] = []

    def spy(payload: NumberIn, ctx: AgentContext) -> Any:
        return double(payload, ctx)

    spec = spec_with(impl("rules", spy))
    original = spec.select_input

    def select(state: Any) -> Any:
        seen.append(dict(state))
        return original(state)

    object.__setattr__(spec, "select_input", select)
    run(spec, {"number": 1, "secret": "s3cret", "other": "must not be visible"})
    assert set(seen[0]) <= {"number", "secret", "overrides"}
    assert "other" not in seen[0]


def test_sensitive_fields_are_redacted_in_the_trace() -> None:
    _, store = run(spec_with(impl("rules", double)), {"number": 1, "secret": "hunter2"})
    step = next(e for e in store.recorded if e.kind is EventKind.STEP)
    assert "hunter2" not in str(step.data)
    assert step.data["input"]["secret"].startswith("[redacted]")


def test_unknown_state_key_is_rejected_when_building() -> None:
    with pytest.raises(ValueError, match="not keys of ToyState"):
        builder: StateGraph[Any, Any, Any, Any] = StateGraph(ToyState)
        add_governed_agent(
            builder, spec_with(impl("rules", double), reads=("number", "nope")), then=END
        )


def test_a_slice_that_cannot_be_read_is_a_contract_failure_not_a_crash() -> None:
    spec = spec_with(impl("rules", double))

    def broken_select(state: Any) -> Any:
        return state["missing"]["value"]

    object.__setattr__(spec, "select_input", broken_select)
    result, _ = run(spec, {"number": 1})
    assert result["status"] == "failed" and result["error_kind"] == "contract_violation"
    assert "cannot build the input: KeyError" in result["reason"]
