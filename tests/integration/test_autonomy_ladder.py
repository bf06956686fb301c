"""The ladder's last rung: a rule in `auto` decides its cases as the agents recommend, with no
person, recorded as the policy's decision (never counted as a reviewer's); a case it cannot
decide so still stops for a person, saying why; and a backtest of a candidate with a rule in
auto lists the recorded cases a person decided otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checkpoints.human_queue import HumanQueue
from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.kit.audit import audit_records
from graphs.kit.autonomy import backtest
from graphs.kit.policy import load_policy
from graphs.kit.review_gate import AUTOMATED_REVIEWER, REVIEW_DECISION_KIND, agreement_rates
from graphs.kit.runtime import open_workflow
from graphs.kit.workflows import get_workflow
from schemas.trace import EventKind
from tests.conftest import load_sample


def _policy(folder: Path, monkeypatch: pytest.MonkeyPatch, *edits: tuple[str, str]) -> Path:
    """The shipped policies with `edits` made to underwriting's, put in force."""
    import graphs.kit.policy as policy

    changed = folder / "policies"
    if not changed.exists():
        shutil.copytree(policy.POLICY_DIR, changed)
    path = changed / "underwriting.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(policy, "POLICY_DIR", changed)
    return path


HIGH_RISK_AUTO = ("    in: [high, severe]\n", "    in: [high, severe]\n    then: auto\n")
FREE_TEXT_AUTO = ("    equals: free_text\n", "    equals: free_text\n    then: auto\n")


def test_a_rule_in_auto_decides_as_the_agents_recommend_with_no_person(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _policy(tmp_path, monkeypatch, HIGH_RISK_AUTO, FREE_TEXT_AUTO)
    with open_workflow("underwriting", database_url) as flow:
        declined = flow.start(load_sample("02_high_risk_referral"), thread_id="auto-decline")
        approved = flow.start(load_sample("13_free_text_email"), thread_id="auto-approve")
    assert declined.status == "completed" and declined.decision is not None
    assert declined.decision["outcome"] == "declined"
    assert declined.decision["decided_by"] == AUTOMATED_REVIEWER
    assert any(
        r.startswith("decided by the policy: high_risk in auto")
        for r in declined.decision["reasons"]
    )
    assert not any(r.startswith("reviewer note") for r in declined.decision["reasons"])
    assert approved.status == "completed" and approved.decision is not None
    assert approved.decision["outcome"] == "approved"
    assert approved.decision["decided_by"] == AUTOMATED_REVIEWER
    assert HumanQueue(database_url).waiting() == []

    records = SideEffectLedger(database_url).of_kind(REVIEW_DECISION_KIND)
    assert {r["payload"]["decision"]["action"] for r in records} == {"reject", "approve"}
    assert all(r["payload"]["automated"] for r in records)
    assert "high_risk in auto" in records[0]["payload"]["decision"]["note"]
    assert agreement_rates(SideEffectLedger(database_url)) == {}  # no reviewer decided
    passed = TraceStore(database_url).events("auto-decline", EventKind.GATE_PASSED)
    assert [e.data["action"] for e in passed] == ["auto"]
    [audited] = [
        r for r in audit_records(database_url) if r["kind"] == "review_decision"
        and r["thread_id"] == "auto-decline"
    ]  # fmt: skip
    assert audited["human_action"] is None and audited["who"] == AUTOMATED_REVIEWER


def test_a_case_a_rule_in_auto_cannot_decide_still_stops_for_a_person(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _policy(
        tmp_path,
        monkeypatch,
        FREE_TEXT_AUTO,
        ("  rules: [sanctions_hit]\n", "  rules: [sanctions_hit, free_text_application]\n"),
    )
    with open_workflow("underwriting", database_url) as flow:
        report = flow.start(load_sample("13_free_text_email"), thread_id="four-eyes")
    assert report.status == "awaiting_review"
    [gate] = report.waiting
    reasons = {r["rule"]: r["detail"] for r in gate.packet["reasons"]}
    assert set(reasons) == {"free_text_application", "not_automated"}
    assert reasons["not_automated"].startswith("the policy asks two reviewers for it")
    assert SideEffectLedger(database_url).of_kind(REVIEW_DECISION_KIND) == []


def test_a_backtest_of_a_rule_in_auto_lists_the_cases_people_decided_otherwise(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        for n, action in enumerate(["reject", "reject", "approve"]):
            flow.start(load_sample("02_high_risk_referral"), thread_id=f"ladder-{n}")
            flow.resume(f"ladder-{n}", {"action": action, "reviewer": "Dana", "note": "seen"})
    candidate = _policy(tmp_path, monkeypatch, HIGH_RISK_AUTO)
    declared = get_workflow("underwriting")
    contracts = {spec.name: spec.output_contract for spec in declared.agents}
    traces = TraceStore(database_url)

    def workflow_of(thread_id: str) -> str | None:
        thread = traces.thread(thread_id)
        return thread["workflow"] if thread else None

    report = backtest(
        SideEffectLedger(database_url),
        workflow_of,
        "underwriting",
        load_policy(candidate, contracts),
    )
    assert (report.cases, report.would_automate, report.would_stop) == (3, 3, 0)
    assert [case.thread_id for case in report.let_through] == ["ladder-2"]
    assert report.let_through[0].person == "approve"

    # Cases the policy itself decided in auto are nobody's to compare with.
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="ladder-auto")
    again = backtest(
        SideEffectLedger(database_url),
        workflow_of,
        "underwriting",
        load_policy(candidate, contracts),
    )
    assert again.cases == 4 and [c.thread_id for c in again.let_through] == ["ladder-2"]
