"""`baton prune`: completed threads keep only their final checkpoint (state, decision) while their
trace and ledger stay; threads still open are not touched. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from checkpoints.ledger import SideEffectLedger
from checkpoints.retention import checkpoint_rows
from checkpoints.trace_store import TraceStore
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind
from tests.integration.cli_helpers import baton, run_sample


def test_prune_keeps_final_state_decision_and_trace_and_leaves_open_threads(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    done, reviewed, waiting = f"done-{tag}", f"reviewed-{tag}", f"waiting-{tag}"
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", done)
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", reviewed)
    baton(
        monkeypatch,
        database_url,
        "review",
        reviewed,
        "--approve",
        "--reviewer",
        "Kim",
        "--note",
        "ok",
        "--json",
    )
    run_sample(monkeypatch, database_url, "07_missing_loss_run.json", waiting)
    finished = [done, reviewed]
    with open_workflow("underwriting", database_url) as flow:
        decisions = {t: flow.report(t).decision for t in finished}
        history = {t: len(flow.steps(t)) for t in finished}
    traces = TraceStore(database_url)
    events = {t: len(traces.events(t)) for t in finished}
    ledger_rows = len(SideEffectLedger(database_url).of_kind("underwriting_decision"))
    open_rows = checkpoint_rows(database_url, [waiting])

    listed = baton(monkeypatch, database_url, "prune", "--older-than", "0", "--dry-run", "--json")
    assert set(finished) <= set(listed["threads"]) and waiting not in listed["threads"]
    assert checkpoint_rows(database_url, finished)["checkpoints"] == sum(
        history.values()
    )  # untouched

    pruned = baton(monkeypatch, database_url, "prune", "--older-than", "0", "--json")
    assert set(finished) <= set(pruned["threads"]) and waiting not in pruned["threads"]
    after = checkpoint_rows(database_url, finished)
    assert after["checkpoints"] == len(finished)  # one final checkpoint per thread
    assert pruned["rows_before"]["checkpoints"] > pruned["rows_after"]["checkpoints"]
    for table, rows in pruned["rows_before"].items():
        assert pruned["rows_after"][table] <= rows, table

    with open_workflow("underwriting", database_url) as flow:
        for thread in finished:
            report = flow.report(thread)
            assert report.status == "completed" and report.decision == decisions[thread]
        assert flow.report(waiting).status == "awaiting_review"
    # Every event stays, and the prune is one more: who pruned, when and why.
    assert {t: len(traces.events(t)) for t in finished} == {t: n + 1 for t, n in events.items()}
    for thread in finished:
        [prune] = traces.events(thread, EventKind.PRUNE)
        assert prune.data["by"] and prune.data["identified_by"] and prune.at
    assert len(SideEffectLedger(database_url).of_kind("underwriting_decision")) == ledger_rows
    assert checkpoint_rows(database_url, [waiting]) == open_rows
    # History and rollback say the thread was pruned; its trace still has every step.
    for args in (("history", done), ("rollback", done, "--to", "risk")):
        refused = baton(monkeypatch, database_url, *args, code=2)
        assert "was pruned" in refused and f"baton trace {done}" in refused
    # The open thread still resumes to a decision.
    resumed = baton(
        monkeypatch,
        database_url,
        "review",
        waiting,
        "--approve",
        "--reviewer",
        "Kim",
        "--note",
        "ok",
        "--json",
    )
    assert resumed["status"] == "completed"


def test_prune_leaves_threads_younger_than_the_age(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    run_sample(monkeypatch, sqlite_url, "01_clean_straight_through.json", "young")
    rows = checkpoint_rows(sqlite_url, ["young"])
    result = baton(monkeypatch, sqlite_url, "prune", "--older-than", "30", "--json")
    assert result["threads"] == [] and checkpoint_rows(sqlite_url, ["young"]) == rows


def test_prune_refuses_a_negative_age_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    out = baton(monkeypatch, "sqlite:///unused.db", "prune", "--older-than", "-1", code=2)
    assert "Invalid value for '--older-than'" in out and "greater than or equal to 0" in out
    out = baton(monkeypatch, "memory://", "prune", "--older-than", "1", code=2)
    assert "nothing to prune" in out
