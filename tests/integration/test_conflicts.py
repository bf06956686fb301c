"""Conflicts say so: a second run of a thread that is running, a review sent again after it was
recorded, a task saved but not applied when a run died."""

from __future__ import annotations

import pytest
from langgraph.types import PregelTask, StateSnapshot

from checkpoints.ledger import SideEffectLedger
from checkpoints.thread_lock import running
from graphs.kit.errors import ThreadRunning
from graphs.kit.runtime import open_workflow
from graphs.underwriting import DECISION_KIND
from tests.conftest import load_sample
from tests.integration.cli_helpers import baton, run_sample


def test_a_thread_being_run_refuses_a_second_run_at_once(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "busy")
    with running(database_url, "busy"):  # as another process running it would
        out = baton(
            monkeypatch,
            database_url,
            "review",
            "busy",
            "--approve",
            "--reviewer",
            "Dana",
            "--note",
            "ok",
            code=2,
        )
        assert "being run by another process" in out
        with open_workflow("underwriting", database_url) as flow, pytest.raises(ThreadRunning):
            flow.start(load_sample("02_high_risk_referral"), thread_id="busy")
    decided = baton(
        monkeypatch,
        database_url,
        "review",
        "busy",
        "--approve",
        "--reviewer",
        "Dana",
        "--note",
        "ok",
        "--json",
    )
    assert decided["status"] == "completed"


def test_a_review_sent_again_after_it_was_recorded_is_an_idempotent_success(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "again")
    args = ("review", "again", "--approve", "--reviewer", "Dana", "--note", "ok", "--json")
    first = baton(monkeypatch, database_url, *args)
    second = baton(monkeypatch, database_url, *args)
    assert first == second and second["status"] == "completed"
    other = baton(
        monkeypatch, database_url, "review", "again", "--reject", "--reviewer", "Lee", code=2
    )
    assert "already answered by Dana (approve)" in other
    assert len(SideEffectLedger(database_url).for_thread("again", DECISION_KIND)) == 1


def test_a_task_saved_but_not_applied_is_not_read_as_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LangGraph leaves a task whose writes were saved before a crash out of `next`: the thread
    is incomplete (and `baton run` continues it), not completed without a decision."""
    with open_workflow("underwriting", "memory://") as flow:
        saved = PregelTask("t1", "finalize", ("__pregel_pull", "finalize"), result={"x": 1})
        snapshot = StateSnapshot(
            values={"intake": {}}, next=(), config={}, metadata=None, created_at=None,
            parent_config=None, tasks=(saved,), interrupts=(),
        )  # fmt: skip
        monkeypatch.setattr(flow.graph, "get_state", lambda *_a, **_k: snapshot)
        report = flow.report("any")
    assert report.status == "incomplete" and report.next == ["finalize"]
