"""`baton trace` reconstructs a run: fallback hops, contract violations and review decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from agents.underwriting.policy_db import policy_engine
from tests.conftest import SAMPLES
from tests.integration.cli_helpers import baton, run_sample


def break_policy_table(database_url: str) -> None:
    """Make the real policy table unreadable: a view in its place that fails when read (over a
    missing table on SQLite, dividing by zero on PostgreSQL)."""
    engine = policy_engine(database_url)  # created and seeded
    broken = (
        "SELECT * FROM uw_policies_archive"
        if engine.dialect.name == "sqlite"
        else "SELECT 1 / 0 AS policy_number"
    )
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE uw_policies"))
        conn.execute(text(f"CREATE VIEW uw_policies AS {broken}"))


def test_failed_lookup_hops_to_people_and_is_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    break_policy_table(database_url)
    thread = "lookup-down"
    stopped = run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    # A lookup that could not be done is never read as "no prior policy": the case stops.
    assert stopped["status"] == "awaiting_review"
    failed = [r for r in stopped["reasons"] if r["rule"] == "agent_failed"]
    assert (
        failed and "lookup failed" in failed[0]["detail"] and "unavailable" in failed[0]["detail"]
    )

    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    hops = [e for e in events if e["kind"] == "fallback"]
    assert (
        hops
        and hops[0]["data"]["from"] == "policy_table"
        and hops[0]["data"]["to"] == "human review"
    )
    text = baton(monkeypatch, database_url, "trace", thread)
    assert "fallback" in text and "policy_table rejected" in text


def test_contract_violation_and_review_decision_are_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    thread = "violation"
    run_sample(monkeypatch, database_url, "05_invalid_policy_number.json", thread)
    baton(monkeypatch, database_url, "review", thread, "--approve", "--reviewer", "Ada", "--json")
    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    kinds = [e["kind"] for e in events]
    assert "contract_violation" in kinds and "gate_fired" in kinds and "review_decision" in kinds
    assert kinds.index("gate_fired") < kinds.index("review_decision") < kinds.index("side_effect")
    violation = next(e for e in events if e["kind"] == "contract_violation")
    assert violation["agent"] == "policy_lookup"
    assert violation["data"]["errors"][0].startswith("policy_number:")
    decision = next(e for e in events if e["kind"] == "review_decision")
    assert decision["data"]["decision"]["reviewer"] == "Ada"
    assert kinds.count("gate_fired") == 1, "the gate fired once, even though its node ran twice"

    text = baton(monkeypatch, database_url, "trace", thread)
    for expected in (
        "contract_violation",
        "review_decision",
        "Ada chose approve",
        "stopped for review",
    ):
        assert expected in text


def test_every_agent_step_is_recorded_with_provenance(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    thread = "provenance"
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    steps = {e["node"]: e for e in events if e["kind"] == "step" and e["agent"]}
    assert set(steps) == {"intake", "policy_lookup", "risk", "compliance", "quote"}
    intake = steps["intake"]
    assert intake["thread_id"] == thread
    assert intake["data"]["owner"]["team"] == "Submission Intake"
    assert intake["data"]["version"] == "1.0.0"
    assert intake["data"]["implementation"] == "label_parser"
    assert intake["data"]["status"] == "ok"
    assert intake["data"]["latency_ms"] >= 0 and intake["data"]["task"].startswith("intake:")
    # Documents and marked-sensitive fields are redacted in what is traced.
    assert "01-2345678" not in str(events) and "owner@harborlightbakery.example" not in str(events)
    assert intake["data"]["input"]["documents"][0]["content"].startswith("[redacted]")
    assert intake["data"]["output"]["intake"]["value"]["fein"] == "[redacted] (10 chars)"


def test_trace_of_unknown_thread_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    out = baton(monkeypatch, database_url, "trace", "no-such-thread", code=2)
    assert "no thread 'no-such-thread'" in out


def test_a_refused_review_answer_is_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "refused"
    run_sample(monkeypatch, database_url, "12_cancelled_prior_policy.json", thread)
    bad = tmp_path / "bad.json"
    bad.write_text('{"deductible": -1}')
    baton(monkeypatch, database_url, "review", thread, "--amend", str(bad), code=2)
    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    refusals = [e for e in events if e["kind"] == "review_refused"]
    assert len(refusals) == 1 and "deductible" in refusals[0]["data"]["reason"]
    assert refusals[0]["data"]["by"]  # who sent the refused answer
    assert [e["kind"] for e in events].count("gate_fired") == 2
    # Stopping again (a later, valid first of two decisions, or a resume) does not refuse anew.
    baton(monkeypatch, database_url, "review", thread, "--reject", "--reviewer", "Dana Lee")
    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    assert [e["kind"] for e in events].count("review_refused") == 1


def test_corrected_input_is_redacted_in_the_trace(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "override-redacted"
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    sample = json.loads((SAMPLES / "01_clean_straight_through.json").read_text())
    path = tmp_path / "intake.json"
    path.write_text(json.dumps({"submission_id": "SUB-1001", "documents": sample["documents"]}))
    baton(
        monkeypatch,
        database_url,
        "rollback",
        thread,
        "--to",
        "intake",
        "--input",
        str(path),
        "--json",
    )
    trace = baton(monkeypatch, database_url, "trace", thread, "--json")
    assert "01-2345678" not in json.dumps(trace) and "Pier Street" not in json.dumps(trace)
    override = next(e for e in trace["events"] if e["kind"] == "input_override")
    assert override["data"]["input"]["documents"][0]["content"].startswith("[redacted]")


def test_langsmith_gets_runs_with_sensitive_fields_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith
    from langsmith.run_trees import get_cached_client
    from langsmith.utils import get_env_var

    from graphs.kit.tracing import redact_langsmith_runs

    get_env_var.cache_clear()  # langsmith caches what it read of the environment
    assert redact_langsmith_runs() is False  # off unless LANGSMITH_TRACING is set
    monkeypatch.delenv("LANGCHAIN_TRACING_V2")
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")
    get_env_var.cache_clear()
    try:
        assert redact_langsmith_runs() is True
        client = get_cached_client()  # what every LangChainTracer of the process sends through
        sample = json.loads((SAMPLES / "01_clean_straight_through.json").read_text())
        root_run_input = {
            **sample,
            "intake": {"status": "ok", "value": {"fein": "01-2345678", "contact_email": "a@b"}},
        }
        hidden = client._hide_run_inputs(root_run_input)
        assert "Pier Street" not in json.dumps(hidden) and "01-2345678" not in json.dumps(hidden)
        assert hidden["submission_id"] == "SUB-1001"
    finally:
        langsmith.configure(client=None)
        monkeypatch.undo()
        get_env_var.cache_clear()


def test_a_fallback_hop_between_implementations_is_traced(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    thread = "hop"
    run_sample(monkeypatch, database_url, "13_free_text_email.json", thread)
    events = baton(monkeypatch, database_url, "trace", thread, "--json")["events"]
    hop = next(e for e in events if e["kind"] == "fallback")
    assert (hop["agent"], hop["data"]["from"], hop["data"]["to"]) == (
        "intake",
        "label_parser",
        "prose_reader",
    )
    assert hop["data"]["error_kind"] == "unreadable_input"
    attempts = [
        (e["data"]["implementation"], e["data"]["verdict"])
        for e in events
        if e["kind"] == "attempt" and e["agent"] == "intake"
    ]
    assert attempts == [("label_parser", "rejected"), ("prose_reader", "ok")]
    text = baton(monkeypatch, database_url, "trace", thread)
    assert "label_parser rejected" in text and "→ prose_reader" in text


def test_a_refusal_is_traced_once_though_the_gate_stops_again(database_url: str) -> None:
    from checkpoints.trace_store import TraceStore
    from graphs.kit.errors import ReviewRefused
    from graphs.kit.runtime import open_workflow
    from schemas.trace import EventKind
    from tests.conftest import load_sample

    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="refused-once")
        with pytest.raises(ReviewRefused):  # approving over a sanctions hit needs a note
            flow.resume("refused-once", {"action": "approve", "reviewer": "Dana"})
        waiting = flow.resume(
            "refused-once", {"action": "approve", "reviewer": "Dana", "note": "false match"}
        )
        assert waiting.status == "awaiting_review"  # the second of four eyes
    refusals = TraceStore(database_url).events("refused-once", EventKind.REVIEW_REFUSED)
    assert len(refusals) == 1 and refusals[0].data["by"] == "Dana"
