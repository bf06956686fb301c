"""Interrupt -> `baton review` -> completed, the same thread test on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graphs.underwriting as underwriting
from checkpoints.ledger import SideEffectLedger
from graphs.kit.errors import ReviewConflict
from graphs.kit.runtime import open_workflow
from graphs.underwriting import DECISION_KIND
from tests.conftest import SAMPLES, load_sample
from tests.integration.cli_helpers import baton, run_sample


def test_interrupt_review_completes_and_records_once(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = f"review-{tmp_path.name}"
    sample = str(SAMPLES / "02_high_risk_referral.json")
    stopped = baton(
        monkeypatch, database_url, "run", "underwriting", sample, "--thread-id", thread, "--json"
    )
    assert stopped["status"] == "awaiting_review"
    assert "high_risk" in {r["rule"] for r in stopped["reasons"]}
    assert stopped["review"]["allowed_actions"] == ["approve", "reject", "amend", "refer"]

    status = baton(monkeypatch, database_url, "status", thread, "--json")
    assert status["status"] == "awaiting_review"

    done = baton(
        monkeypatch,
        database_url,
        "review",
        thread,
        "--reject",
        "--reviewer",
        "Dana Lee",
        "--note",
        "wiring too old",
        "--json",
    )
    assert done["status"] == "completed"
    assert done["outcome"] == "declined"
    assert done["decision"]["decided_by"] == "Dana Lee"

    # Asking again changes nothing: the gate is closed and the decision stays recorded once.
    baton(monkeypatch, database_url, "review", thread, "--approve", code=2)
    again = baton(
        monkeypatch, database_url, "run", "underwriting", sample, "--thread-id", thread, "--json"
    )
    assert again["status"] == "completed" and again["outcome"] == "declined"
    decisions = SideEffectLedger(database_url).for_thread(thread, DECISION_KIND)
    assert len(decisions) == 1

    gates = baton(monkeypatch, database_url, "status", "--json")["review_gates"]
    assert gates["underwriting/review_gate"]["decisions"] >= 1


def test_amend_applies_validated_corrections(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = f"amend-{tmp_path.name}"
    run_sample(monkeypatch, database_url, "12_cancelled_prior_policy.json", thread)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"annual_premium": -5}))
    refused = baton(monkeypatch, database_url, "review", thread, "--amend", str(bad), code=2)
    assert "annual_premium" in refused
    assert (
        baton(monkeypatch, database_url, "status", thread, "--json")["status"] == "awaiting_review"
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"annual_premium": 2500, "deductible": 5000}))
    done = baton(
        monkeypatch,
        database_url,
        "review",
        thread,
        "--amend",
        str(good),
        "--reviewer",
        "Sam",
        "--json",
    )
    assert done["outcome"] == "approved"
    assert done["decision"]["quote"]["annual_premium"] == 2500
    assert done["decision"]["quote"]["deductible"] == 5000


def test_a_decision_sent_again_after_a_crash_carries_the_run_on_and_another_is_refused(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    plain_decision = underwriting._decision

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the worker died in finalize")

    decision = {"action": "reject", "reviewer": "Kim", "note": "too risky"}
    monkeypatch.setattr(underwriting, "_decision", crash)
    with open_workflow("underwriting", sqlite_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="crashed-review")
        with pytest.raises(RuntimeError, match="died in finalize"):
            flow.resume("crashed-review", decision)
        assert flow.report("crashed-review").status == "incomplete"
    monkeypatch.setattr(underwriting, "_decision", plain_decision)
    with open_workflow("underwriting", sqlite_url) as flow:
        with pytest.raises(ReviewConflict, match="already answered by Kim"):
            flow.resume("crashed-review", {"action": "approve", "reviewer": "Lee", "note": "ok"})
        done = flow.resume("crashed-review", decision)
    assert done.status == "completed" and done.decision is not None
    assert done.decision["outcome"] == "declined"
    assert len(SideEffectLedger(sqlite_url).for_thread("crashed-review", DECISION_KIND)) == 1


def test_a_decision_written_behind_the_workflows_back_is_reported_inconsistent(
    database_url: str,
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="forged")
        assert flow.report("forged").status == "awaiting_review"
        forged = {"submission_id": "SUB-1002", "outcome": "approved", "decided_by": "nobody"}
        flow.graph.update_state(flow.config("forged"), {"decision": forged}, as_node="finalize")
        report = flow.report("forged")
    assert report.status == "inconsistent"
    assert report.problem is not None and "never recorded in the ledger" in report.problem


def test_a_recorded_decision_changed_in_the_state_is_reported_inconsistent(
    database_url: str,
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        done = flow.start(load_sample("01_clean_straight_through"), thread_id="altered")
        assert done.status == "completed" and done.decision is not None
        altered = {**done.decision, "outcome": "declined"}
        flow.graph.update_state(flow.config("altered"), {"decision": altered}, as_node="finalize")
        report = flow.report("altered")
    assert report.status == "inconsistent"
    assert report.problem is not None and "['outcome']" in report.problem
