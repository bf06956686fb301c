"""`baton gates` on real recorded review histories (SQLite and PostgreSQL): per workflow, gate and
rule, how reviewers decided the cases a rule stopped, their agreement with the agents' Wilson
lower bound checked against its known value, gates of the same name in two workflows kept apart,
and whether a rule qualifies against the owner's thresholds."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from checkpoints.ledger import SideEffectLedger
from graphs.kit.autonomy import agreement_bound, rule_statistics
from graphs.kit.policy import AutomationThresholds
from graphs.kit.runtime import open_workflow
from tests.integration.cli_helpers import baton
from tests.integration.test_contract_review import sample as contract
from tests.integration.test_review_gate import load_sample


def wilson_lower(agreed: int, n: int, z: float = 1.959963984540054) -> float:
    """The Wilson score interval's lower end, from its formula."""
    p = agreed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half


def test_the_bound_is_wilsons() -> None:
    assert agreement_bound(4, 5) == pytest.approx(wilson_lower(4, 5), abs=1e-9)
    assert agreement_bound(45, 50) == pytest.approx(0.7864, abs=1e-4)
    assert agreement_bound(50, 50) == pytest.approx(wilson_lower(50, 50), abs=1e-9)
    assert agreement_bound(0, 0) is None


def test_rules_are_judged_per_workflow_and_gate_on_recorded_decisions(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decisions = ["reject", "reject", "reject", "reject", "approve"]  # the agents say decline
    with open_workflow("underwriting", database_url) as flow:
        for n, action in enumerate(decisions):
            thread = f"gates-uw-{n}"
            flow.start(load_sample("02_high_risk_referral"), thread_id=thread)
            flow.resume(thread, {"action": action, "reviewer": "Dana", "note": "checked"})
    with open_workflow("contract_review", database_url) as flow:
        flow.start(contract("03_joint_filing_escalates"), thread_id="gates-cr")
        flow.resume("gates-cr", {"action": "approve", "reviewer": "Lee"})

    ledger = SideEffectLedger(database_url)
    loose = AutomationThresholds(min_cases=5, min_agreement_bound=0.3)
    found = rule_statistics(ledger, {"underwriting": loose})
    underwriting = [s for s in found if s.workflow == "underwriting"]
    assert underwriting, "the referral rule's cases are counted"
    for stats in underwriting:
        assert (stats.gate, stats.cases) == ("review_gate", 5)
        assert stats.decisions == {"approve": 1, "amend": 0, "reject": 4, "refer": 0}
        assert (stats.agreed, stats.compared) == (4, 5)
        assert stats.bound == pytest.approx(wilson_lower(4, 5), abs=1e-9)
        assert stats.qualifies and "the owner may move it to shadow" in stats.why
    contract_rules = [s for s in found if s.workflow == "contract_review"]
    assert contract_rules and all(s.cases == 1 for s in contract_rules), "never pooled"
    assert all(not s.qualifies and "fewer than the 30" in s.why for s in contract_rules)

    strict = rule_statistics(ledger, {"underwriting": AutomationThresholds(min_cases=5)})
    judged = [s for s in strict if s.workflow == "underwriting"]
    assert all(not s.qualifies and "below the owner's 95.0%" in s.why for s in judged)

    shown = baton(monkeypatch, database_url, "gates", "underwriting", "--json")
    assert {r["workflow"] for r in shown["rules"]} == {"underwriting"}
    assert (
        shown["rules"][0]["cases"] == 5 and shown["thresholds"]["underwriting"]["min_cases"] == 30
    )
    text = baton(monkeypatch, database_url, "gates")
    assert "contract_review" in text and "underwriting" in text and "not yet" in text


def test_a_rule_in_shadow_still_stops_and_its_would_be_decisions_are_compared(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import graphs.kit.policy as policy

    trial = tmp_path / "policies"
    shutil.copytree(policy.POLICY_DIR, trial)
    text = (trial / "underwriting.yaml").read_text(encoding="utf-8")
    marked = text.replace("  - name: high_risk\n", "  - name: high_risk\n    shadow: true\n", 1)
    assert marked != text
    (trial / "underwriting.yaml").write_text(marked, encoding="utf-8")
    monkeypatch.setattr(policy, "POLICY_DIR", trial)

    with open_workflow("underwriting", database_url) as flow:
        for n, action in enumerate(["reject", "reject", "approve"]):
            thread = f"shadow-{n}"
            report = flow.start(load_sample("02_high_risk_referral"), thread_id=thread)
            assert report.status == "awaiting_review", "a rule in shadow still stops the case"
            flow.resume(thread, {"action": action, "reviewer": "Dana", "note": "checked"})
        state = flow.graph.get_state(flow.config("shadow-0")).values
    assert state["review"]["shadow"] == [{"rule": "high_risk", "would_be": "decline"}]
    version = state["review"]["policy_version"]
    assert version.startswith("sha256:")

    (stats,) = [
        s
        for s in rule_statistics(SideEffectLedger(database_url), {})
        if s.workflow == "underwriting" and s.rule == "high_risk"
    ]
    assert (stats.shadow_cases, stats.shadow_agreed) == (3, 2)
    assert stats.shadow_agreement == pytest.approx(2 / 3)
    assert stats.policy_versions == [version]


def test_a_backtest_lists_exactly_the_cases_a_looser_or_stricter_policy_changes(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import graphs.kit.policy as policy
    from checkpoints.trace_store import TraceStore
    from graphs.kit.autonomy import backtest
    from graphs.kit.policy import load_policy
    from graphs.underwriting import WORKFLOW

    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("01_clean_straight_through"), thread_id="bt-clean")
        for thread, action in (("bt-r1", "reject"), ("bt-r2", "reject"), ("bt-ok", "approve")):
            flow.start(load_sample("02_high_risk_referral"), thread_id=thread)
            flow.resume(thread, {"action": action, "reviewer": "Dana", "note": "checked"})
    text = (policy.POLICY_DIR / "underwriting.yaml").read_text(encoding="utf-8")
    start = text.index("  - name: high_risk\n")
    end = text.index("  - name:", start + 1)
    looser, stricter = tmp_path / "looser.yaml", tmp_path / "stricter.yaml"
    looser.write_text(text[:start] + text[end:], encoding="utf-8")
    stricter.write_text(
        text.replace("when_no_rule_fires: approve", "when_no_rule_fires: review"), encoding="utf-8"
    )
    ledger = SideEffectLedger(database_url)
    before = len(ledger.of_kind("gate_outcome"))
    store = TraceStore(database_url)

    def workflow_of(thread: str) -> str | None:
        known = store.thread(thread)
        return known["workflow"] if known else None

    contracts = {spec.name: spec.output_contract for spec in WORKFLOW.agents}
    loose = backtest(ledger, workflow_of, "underwriting", load_policy(looser, contracts))
    assert (loose.cases, loose.stopped_before, loose.would_pass) == (4, 3, 4)
    assert sorted(c.thread_id for c in loose.changed) == ["bt-ok", "bt-r1", "bt-r2"]
    assert sorted(c.thread_id for c in loose.let_through) == ["bt-r1", "bt-r2"]
    strict = backtest(ledger, workflow_of, "underwriting", load_policy(stricter, contracts))
    assert [(c.thread_id, c.recorded, c.candidate) for c in strict.changed] == [
        ("bt-clean", "approve", "review")
    ]
    assert strict.let_through == [] and strict.would_stop == 4

    shown = baton(
        monkeypatch, database_url, "backtest", "underwriting", "--policy", str(looser), "--json"
    )
    assert sorted(c["thread_id"] for c in shown["let_through"]) == ["bt-r1", "bt-r2"]
    future = baton(
        monkeypatch,
        database_url,
        "backtest",
        "underwriting",
        "--policy",
        str(looser),
        "--since",
        "2999-01-01",
        "--json",
    )
    assert future["cases"] == 0
    (tmp_path / "broken.yaml").write_text(text.replace("field: risk.band", "field: risk.nope"))
    refused = baton(
        monkeypatch,
        database_url,
        "backtest",
        "underwriting",
        "--policy",
        str(tmp_path / "broken.yaml"),
        code=2,
    )
    assert "risk.nope" in refused
    assert len(ledger.of_kind("gate_outcome")) == before, "nothing is written"
