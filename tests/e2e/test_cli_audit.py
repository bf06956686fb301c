"""What the command line records about who did what: rollbacks in the trace, reviewers with how
they were identified; and what it says when nothing can be continued."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLES
from tests.integration.cli_helpers import baton, run_sample


def test_a_rollback_is_a_trace_event_saying_who_when_to_what_and_why(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "rb")
    baton(
        monkeypatch, database_url, "rollback", "rb", "--to", "quote",
        "--by", "Ops Olga", "--reason", "rating table fixed", "--json",
    )  # fmt: skip
    events = baton(monkeypatch, database_url, "trace", "rb", "--json")["events"]
    rollbacks = [e for e in events if e["kind"] == "rollback"]
    assert len(rollbacks) == 1
    data = rollbacks[0]["data"]
    assert data["by"] == "Ops Olga" and data["identified_by"] == "command-line option"
    assert data["to"] == "quote" and data["reason"] == "rating table fixed"
    assert rollbacks[0]["at"]
    shown = baton(monkeypatch, database_url, "trace", "rb")
    assert "rolled back to before quote by Ops Olga" in shown


def test_a_reviewer_is_identified_and_how_is_recorded(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "who")
    monkeypatch.setenv("BATON_REVIEWER", "Dana Lee")
    out = baton(monkeypatch, database_url, "review", "who", "--reject")
    assert "reviewing as Dana Lee (BATON_REVIEWER)" in out
    events = baton(monkeypatch, database_url, "trace", "who", "--json")["events"]
    decision = next(e for e in events if e["kind"] == "review_decision")["data"]["decision"]
    assert decision["reviewer"] == "Dana Lee" and decision["identified_by"] == "BATON_REVIEWER"


def test_memory_databases_do_not_promise_a_continuation(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = str(SAMPLES / "02_high_risk_referral.json")
    out = baton(monkeypatch, "memory://", "run", "underwriting", sample)
    assert "Continue with" not in out and "nothing to continue" in out
    report = baton(monkeypatch, "memory://", "run", "underwriting", sample, "--json")
    assert json.dumps(report)


@pytest.mark.parametrize(
    ("workflow", "sample", "shown"),
    [
        ("underwriting", "underwriting/01_clean_straight_through.json", ["risk", "quote", "compliance"]),
        ("contract_review", "contract_review/01_services_agreement_low_risk.txt", ["parties", "governing law", "clauses", "risk"]),
    ],
)  # fmt: skip
def test_status_of_a_completed_case_shows_the_workflows_result(
    monkeypatch: pytest.MonkeyPatch, database_url: str, workflow: str, sample: str, shown: list[str]
) -> None:
    path = str(SAMPLES.parent / sample)
    baton(monkeypatch, database_url, "run", workflow, path, "--thread-id", "shown", "--json")
    status = baton(monkeypatch, database_url, "status", "shown", "--json")
    assert status["status"] == "completed"
    assert all(status["summary"].get(label) for label in shown), status["summary"]
    text = baton(monkeypatch, database_url, "status", "shown")
    assert all(label in text for label in shown)
