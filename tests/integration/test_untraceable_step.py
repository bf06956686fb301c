"""A step whose trace cannot be written fails the run, loudly, instead of running untraced; the
thread then resumes with nothing lost and nothing twice.

A step's events are written by the saver in the transaction that saves the step's writes
(`checkpoints.trace_carrier`): the failure is injected there, where the trace rows are made for
the database (and in the trace store, for any write that does not ride the saver)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import checkpoints.trace_carrier
from checkpoints.trace_store import TraceStore
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind, TraceEvent
from tests.conftest import load_sample

AGENTS = ("intake", "policy_lookup", "risk", "compliance", "quote")


def _trace_down_for(
    monkeypatch: pytest.MonkeyPatch, node: str, kind: EventKind
) -> Callable[[], None]:
    """Make every trace write that holds a `kind` event of `node` fail; returns the repair."""
    plain_params = checkpoints.trace_carrier.trace_insert_params
    plain_append_many = TraceStore.append_many

    def refuse(events: Sequence[TraceEvent]) -> None:
        if any(event.node == node and event.kind is kind for event in events):
            raise ConnectionError("trace database unreachable")

    def params(events: Sequence[TraceEvent], dialect: Any) -> Any:
        refuse(events)
        return plain_params(events, dialect)

    def append_many(self: TraceStore, events: Sequence[TraceEvent]) -> None:
        refuse(events)
        plain_append_many(self, events)

    monkeypatch.setattr(checkpoints.trace_carrier, "trace_insert_params", params)
    monkeypatch.setattr(TraceStore, "append_many", append_many)

    def repair() -> None:
        monkeypatch.setattr(checkpoints.trace_carrier, "trace_insert_params", plain_params)
        monkeypatch.setattr(TraceStore, "append_many", plain_append_many)

    return repair


def test_a_trace_store_failure_stops_the_run_and_it_resumes_fully_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    repair = _trace_down_for(monkeypatch, "risk", EventKind.ATTEMPT)
    with open_workflow("underwriting", database_url) as flow:
        with pytest.raises(ConnectionError, match="trace database unreachable"):
            flow.start(load_sample("01_clean_straight_through"), thread_id="untraced")
        assert flow.report("untraced").status == "incomplete"
        repair()
        done = flow.continue_thread("untraced")
        assert done.status == "completed" and done.decision is not None
        steps = [e.node for e in flow.traces.events("untraced", EventKind.STEP)]
    for agent in ("intake", "policy_lookup", "risk", "compliance", "quote", "finalize"):
        assert agent in steps, f"{agent} has no trace step"


def test_a_trace_write_failure_stops_the_step_and_no_later_step_runs(
    monkeypatch: pytest.MonkeyPatch, saver_url: str
) -> None:
    """The risk step's trace cannot be written: the run stops in that step's superstep, so the
    quote (the next agent) never runs; resumed, every step is traced exactly once."""
    repair = _trace_down_for(monkeypatch, "risk", EventKind.STEP)
    thread = f"untraced-{saver_url.split(':')[0]}"
    with open_workflow("underwriting", saver_url) as flow:
        with pytest.raises(ConnectionError, match="trace database unreachable"):
            flow.start(load_sample("01_clean_straight_through"), thread_id=thread)
        values = flow.graph.get_state(flow.config(thread)).values
        assert values.get("quote") is None, "the quote ran after a step whose trace was lost"
        traced = Counter(e.node for e in flow.traces.events(thread, EventKind.STEP))
        assert traced["quote"] == 0 and traced["risk"] == 0
        assert flow.report(thread).status == "incomplete"

        repair()
        done = flow.continue_thread(thread)
        assert done.status == "completed" and done.decision is not None
        events = flow.traces.events(thread)
    steps = [e for e in events if e.kind is EventKind.STEP]
    by_agent = Counter(e.node for e in steps)
    for agent in AGENTS:
        assert by_agent[agent] == 1, f"{agent} traced {by_agent[agent]} times"
    by_task = Counter(e.data.get("task") for e in steps)
    assert max(by_task.values()) == 1, "a step was traced twice"
    attempts = Counter(e.node for e in events if e.kind is EventKind.ATTEMPT)
    assert all(attempts[agent] == 1 for agent in AGENTS), attempts
