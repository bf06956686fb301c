"""A step whose trace cannot be written fails the run, loudly, instead of running untraced; the
thread then resumes with nothing lost. (The failure here strikes while the agent runs; one that
strikes only when its finished step is written leaves that one step event missing, but still stops
the run.)"""

from __future__ import annotations

from typing import Any

import pytest

from checkpoints.trace_store import TraceStore
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind, TraceEvent
from tests.conftest import load_sample


def test_a_trace_store_failure_stops_the_run_and_it_resumes_fully_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    plain_append = TraceStore.append

    def trace_store_down(self: TraceStore, event: TraceEvent) -> Any:
        if event.kind is EventKind.ATTEMPT and event.node == "risk":
            raise ConnectionError("trace database unreachable")
        return plain_append(self, event)

    monkeypatch.setattr(TraceStore, "append", trace_store_down)
    with open_workflow("underwriting", database_url) as flow:
        with pytest.raises(ConnectionError, match="trace database unreachable"):
            flow.start(load_sample("01_clean_straight_through"), thread_id="untraced")
        assert flow.report("untraced").status == "incomplete"
        monkeypatch.setattr(TraceStore, "append", plain_append)
        done = flow.continue_thread("untraced")
        assert done.status == "completed" and done.decision is not None
        steps = [e.node for e in flow.traces.events("untraced", EventKind.STEP)]
    for agent in ("intake", "policy_lookup", "risk", "compliance", "quote", "finalize"):
        assert agent in steps, f"{agent} has no trace step"
