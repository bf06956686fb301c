"""A step's trace events are written together: by Baton's saver, in the transaction that saves the
step's writes (or the checkpoint that holds them), or, on any other saver, by the tracer when the
step ends. Either way the trace reads back the same, every step once, in the order of each step."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from functools import partial
from typing import Any, cast

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints.saver import open_saver
from checkpoints.trace_store import TraceStore
from graphs.kit.context import BatonContext
from graphs.kit.runtime import open_workflow
from graphs.kit.tracing import BatonTracer
from graphs.kit.workflows import get_workflow
from schemas.trace import EventKind, TraceEvent
from tests.conftest import load_sample

AGENTS = ("intake", "policy_lookup", "risk", "compliance", "quote")


def _assert_every_step_once(events: list[TraceEvent]) -> None:
    steps = [e for e in events if e.kind is EventKind.STEP]
    assert max(Counter(str(e.data.get("task")) for e in steps).values()) == 1
    by_node = Counter(e.node for e in steps)
    assert all(by_node[agent] == 1 for agent in AGENTS), by_node
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert all(e.at.tzinfo is not None for e in events)


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_every_durability_traces_every_step_once(saver_url: str, durability: str) -> None:
    thread = f"batch-{durability}-{uuid.uuid4().hex[:6]}"
    submission = (
        get_workflow("underwriting")
        .input_model()
        .model_validate(load_sample("02_high_risk_referral"))
    )
    with open_workflow("underwriting", saver_url) as flow:
        run = partial(
            cast(Any, flow.graph).ainvoke,
            submission.model_dump(mode="json"),
            flow.config(thread),
            context=BatonContext(database_url=saver_url),
            durability=durability,
        )
        flow.portal.call(run)
        assert flow.report(thread).status == "awaiting_review"
        done = flow.resume(thread, {"action": "refer", "reviewer": "Kim", "note": "checked"})
        assert done.status == "completed"
        events = flow.traces.events(thread)
    _assert_every_step_once(events)
    assert Counter(e.kind for e in events)[EventKind.GATE_FIRED] == 1


def test_a_step_is_traced_by_the_tracer_on_a_saver_baton_did_not_make(tmp_path: Any) -> None:
    """A graph compiled with another saver (here LangGraph's own InMemorySaver): the tracer writes
    each step's events itself when the step ends."""
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    store = TraceStore(url)
    graph = get_workflow("underwriting").builder().compile(checkpointer=InMemorySaver())
    thread = "foreign-saver"
    config = cast(
        RunnableConfig,
        {"configurable": {"thread_id": thread}, "callbacks": [BatonTracer(store)]},
    )
    submission = load_sample("01_clean_straight_through")
    asyncio.run(
        graph.ainvoke(submission, config, context=BatonContext(database_url=url))  # type: ignore[arg-type]
    )
    events = store.events(thread)
    _assert_every_step_once(events)
    assert any(e.kind is EventKind.ATTEMPT for e in events)


def test_events_written_with_the_writes_read_back_as_written(database_url: str) -> None:
    """What the saver writes on its own connection reads back through the trace store exactly as
    an event appended there: kind, node, agent, time (to the microsecond) and data."""
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("01_clean_straight_through"), thread_id="round-trip")
        carried = flow.traces.events("round-trip", EventKind.STEP)
        intake = next(e for e in carried if e.node == "intake")
        copy = intake.model_copy(update={"thread_id": "appended", "seq": None})
        flow.traces.append(copy)
        appended = flow.traces.events("appended")[0]
    assert appended.model_dump(exclude={"seq", "thread_id"}) == intake.model_dump(
        exclude={"seq", "thread_id"}
    )


def test_a_later_run_in_the_same_task_on_another_saver_is_traced(tmp_path: Any) -> None:
    """The carrier a run finds in its context is the saver's it read its thread with: a later
    run in the same asyncio task, on a saver Baton did not open, is traced by the tracer."""
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    store = TraceStore(url)
    submission = load_sample("01_clean_straight_through")

    def config(thread: str) -> RunnableConfig:
        return cast(
            RunnableConfig,
            {"configurable": {"thread_id": thread}, "callbacks": [BatonTracer(store)]},
        )

    async def both() -> None:
        context = BatonContext(database_url=url)
        async with open_saver(url) as saver:
            carried = get_workflow("underwriting").builder().compile(checkpointer=saver)
            await carried.ainvoke(submission, config("carried"), context=context)  # type: ignore[arg-type]
            other = get_workflow("underwriting").builder().compile(checkpointer=InMemorySaver())
            await other.ainvoke(submission, config("other"), context=context)  # type: ignore[arg-type]

    asyncio.run(both())
    _assert_every_step_once(store.events("carried"))
    _assert_every_step_once(store.events("other"))
