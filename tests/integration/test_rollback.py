"""Rollback is per agent: re-run risk scoring and what follows, never intake or policy lookup."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from checkpoints.trace_store import TraceStore
from schemas.trace import EventKind
from tests.conftest import SAMPLES
from tests.integration.cli_helpers import baton, run_sample

AGENT_NODES = ("intake", "policy_lookup", "risk", "compliance", "quote", "review_gate", "finalize")


def executions(url: str, thread: str) -> Counter[str]:
    steps = TraceStore(url).events(thread, EventKind.STEP)
    return Counter(e.node for e in steps if e.node in AGENT_NODES)


CLEAN_RISK_INPUT = {
    "business_class": "bakery",
    "state": "ME",
    "construction_type": "masonry",
    "year_built": 1998,
    "sprinklered": True,
    "years_in_business": 12,
    "effective_date": "2027-01-01",
    "loss_history": {"provided": True, "claims": []},
}
"""Risk scoring's input for the clean sample; tests change fields of it."""


def rollback_with(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    thread: str,
    agent: str,
    corrected: dict[str, object],
    folder: Path,
) -> Any:
    """`baton rollback THREAD --to AGENT --input FILE --json` with `corrected` as the file."""
    path = folder / f"{agent}-input.json"
    path.write_text(json.dumps(corrected))
    return baton(
        monkeypatch, url, "rollback", thread, "--to", agent, "--input", str(path), "--json"
    )


def test_rollback_to_risk_reruns_risk_and_what_follows_only(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    thread = "rollback-risk"
    first = run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    assert first["outcome"] == "approved"
    assert executions(database_url, thread) == Counter({n: 1 for n in AGENT_NODES})

    history = baton(monkeypatch, database_url, "history", thread, "--json")["steps"]
    assert [s["node"] for s in history if s["node"] in AGENT_NODES] == [
        "intake",
        "policy_lookup",
        "risk",
        "compliance",
        "quote",
        "review_gate",
        "finalize",
    ]
    assert all(s["status"] for s in history)

    again = baton(monkeypatch, database_url, "rollback", thread, "--to", "risk", "--json")
    assert again["status"] == "completed" and again["outcome"] == "approved"
    counts = executions(database_url, thread)
    assert counts["intake"] == 1 and counts["policy_lookup"] == 1 and counts["compliance"] == 1
    assert counts["risk"] == 2 and counts["quote"] == 2 and counts["finalize"] == 2


def test_rollback_with_corrected_input_changes_the_outcome(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "rollback-corrected"
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    corrected = {
        **CLEAN_RISK_INPUT,
        "construction_type": "frame",
        "year_built": 1950,
        "sprinklered": False,
        "years_in_business": 1,
    }
    stopped = rollback_with(monkeypatch, database_url, thread, "risk", corrected, tmp_path)
    assert stopped["status"] == "awaiting_review"
    assert "high_risk" in {r["rule"] for r in stopped["reasons"]}
    overrides = TraceStore(database_url).events(thread, EventKind.INPUT_OVERRIDE)
    assert overrides and overrides[0].agent == "risk"
    assert executions(database_url, thread)["intake"] == 1


def test_rollback_refuses_bad_requests_and_keeps_the_thread(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "rollback-bad"
    run_sample(monkeypatch, database_url, "06_no_prior_policy.json", thread)
    out = baton(monkeypatch, database_url, "rollback", thread, "--to", "nobody", code=2)
    assert "no agent 'nobody'" in out
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"business_class": "bakery"}))
    out = baton(
        monkeypatch, database_url, "rollback", thread, "--to", "risk", "--input", str(path), code=2
    )
    assert "state" in out and "Field required" in out
    assert baton(monkeypatch, database_url, "status", thread, "--json")["outcome"] == "approved"
    assert executions(database_url, thread)["risk"] == 1


def test_rollback_follows_the_current_branch_and_corrections_need_a_person(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "rollback-branches"
    first = run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    first_key = first["decision"]["decision_key"]
    # Even a correction that changes nothing material makes a person look at the case.
    stopped = rollback_with(monkeypatch, database_url, thread, "risk", CLEAN_RISK_INPUT, tmp_path)
    assert stopped["status"] == "awaiting_review"
    assert [r["rule"] for r in stopped["reasons"]] == ["operator_correction"]
    decided = baton(
        monkeypatch, database_url, "review", thread, "--approve", "--reviewer", "Ana", "--json"
    )
    assert decided["decision"]["decided_by"] == "Ana"
    assert decided["decision"]["supersedes"] == first_key

    # A second rollback starts from the branch the thread is on now, keeps the corrected risk
    # input (risk is not re-run) and so still needs a person.
    again = baton(monkeypatch, database_url, "rollback", thread, "--to", "quote", "--json")
    assert again["status"] == "awaiting_review"
    history = baton(monkeypatch, database_url, "history", thread, "--json")["steps"]
    nodes = [s["node"] for s in history if s["node"] in AGENT_NODES]
    # Only the current branch: the runs each rollback replaced are not listed.
    assert nodes == [
        "intake",
        "policy_lookup",
        "risk",
        "compliance",
        "risk",
        "quote",
        "quote",
        "review_gate",
    ]

    # Rolling back the corrected agent without --input drops the correction.
    plain = baton(monkeypatch, database_url, "rollback", thread, "--to", "risk", "--json")
    assert plain["status"] == "completed" and plain["outcome"] == "approved"
    assert plain["decision"]["decided_by"] == "policy"
    assert plain["decision"]["supersedes"] == decided["decision"]["decision_key"]
    overrides = TraceStore(database_url).events(thread, EventKind.INPUT_OVERRIDE)
    assert len(overrides) == 1  # only the run that used the correction


def test_rollback_to_intake_reruns_everything_and_upstream_rollback_drops_later_corrections(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "rollback-intake"
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", thread)
    plain = baton(monkeypatch, database_url, "rollback", thread, "--to", "intake", "--json")
    assert plain["status"] == "completed" and plain["outcome"] == "approved"
    assert executions(database_url, thread)["intake"] == 2

    risk_fix = {
        **CLEAN_RISK_INPUT,
        "construction_type": "frame",
        "year_built": 1900,
        "sprinklered": False,
        "years_in_business": 1,
    }
    rollback_with(monkeypatch, database_url, thread, "risk", risk_fix, tmp_path)
    sample = json.loads((SAMPLES / "01_clean_straight_through.json").read_text())
    intake_fix = {"submission_id": "SUB-1001", "documents": sample["documents"]}
    again = rollback_with(monkeypatch, database_url, thread, "intake", intake_fix, tmp_path)
    # Risk runs again on intake's facts: the risk correction made after intake does not hold.
    assert [r["detail"] for r in again["reasons"]] == ["corrected input of intake"]
    risk_steps = [
        e for e in TraceStore(database_url).events(thread, EventKind.STEP) if e.node == "risk"
    ]
    assert risk_steps[-1].data["output"]["risk"]["value"]["band"] == "low"
