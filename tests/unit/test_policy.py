from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agents.underwriting import AGENTS
from graphs.kit.policy import POLICY_DIR, PolicyError, ReviewPolicy, Rule, assess, load_policy
from schemas.review import FiredRule

CONTRACTS = {spec.name: spec.output_contract for spec in AGENTS}
NAMES = list(CONTRACTS)


def ok(value: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "value": value}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "workflow: underwriting\nowner: Test\ngate: review_gate\n"


def approving(*rules: dict[str, Any]) -> ReviewPolicy:
    """A policy that approves when none of `rules` fires."""
    return ReviewPolicy(
        workflow="w",
        owner="o",
        gate="g",
        when_no_rule_fires="approve",
        rules=[Rule.model_validate(rule) for rule in rules],
    )


def test_shipped_policy_loads_and_is_conservative_about_failures() -> None:
    policy = load_policy(POLICY_DIR / "underwriting.yaml", CONTRACTS)
    assert policy.when_no_rule_fires == "approve"
    assert {r.name for r in policy.rules} >= {"sanctions_hit", "high_risk", "missing_documents"}


def test_default_without_the_setting_is_review() -> None:
    assert ReviewPolicy(workflow="w", owner="o", gate="g").when_no_rule_fires == "review"


@pytest.mark.parametrize(
    ("rule_text", "message"),
    [
        (
            "  - {name: x, description: d, field: risk.bnd, in: [high]}",
            "RiskAssessment has no field 'bnd'",
        ),
        ("  - {name: x, description: d, field: nobody.band, in: [high]}", "names no agent"),
        ("  - {name: x, description: d, field: risk.band}", "exactly one test"),
        (
            "  - {name: x, description: d, field: risk.band, in: [high], equals: low}",
            "exactly one test",
        ),
        ("  - {name: x, description: d, field: risk.band, in: [high], then: approve}", "rule 'x'"),
        ("  - {name: x, description: d, field: risk.band, matches: 'os.system(1)'}", "rule 'x'"),
    ],
)
def test_bad_policy_files_are_refused_naming_the_rule(
    tmp_path: Path, rule_text: str, message: str
) -> None:
    path = write(tmp_path, HEADER + "rules:\n" + rule_text + "\n")
    with pytest.raises(PolicyError, match=message.replace("(", "\\(").replace("[", "\\[")):
        load_policy(path, CONTRACTS)


def test_unreadable_policy_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(write(tmp_path, "rules: [unclosed"), CONTRACTS)


def test_rules_fire_on_contract_fields() -> None:
    policy = approving(
        {"name": "high_risk", "description": "d", "field": "risk.band", "in": ["high"]},
        {
            "name": "big",
            "description": "d",
            "field": "quote.limit",
            "greater_than": 10,
            "then": "refer",
        },
        {
            "name": "hits",
            "description": "d",
            "field": "compliance.sanctions_hits",
            "is": "not_empty",
        },
    )
    everyone_ok = {name: ok({}) for name in NAMES}
    assert assess(policy, everyone_ok, NAMES).action == "approve"
    refer = {**everyone_ok, "quote": ok({"limit": 11})}
    assert assess(policy, refer, NAMES).action == "refer"
    both = {**refer, "risk": ok({"band": "high"})}
    outcome = assess(policy, both, NAMES)
    assert outcome.action == "review" and [f.rule for f in outcome.fired] == ["high_risk", "big"]
    hit = {**everyone_ok, "compliance": ok({"sanctions_hits": [{"listed_name": "X"}]})}
    assert assess(policy, hit, NAMES).fired[0].rule == "hits"


@pytest.mark.parametrize("status", ["failed", "escalated"])
def test_a_failed_or_escalated_agent_always_forces_review(status: str) -> None:
    policy = approving()
    results = {name: ok({}) for name in NAMES}
    results["policy_lookup"] = {
        "status": status,
        "reason": "lookup failed: database timeout",
        "error_kind": "unavailable" if status == "failed" else None,
    }
    outcome = assess(policy, results, NAMES)
    assert outcome.action == "review"
    assert (
        outcome.fired[0].rule == f"agent_{status}" and "database timeout" in outcome.fired[0].detail
    )


def test_an_agent_that_did_not_run_forces_review() -> None:
    policy = approving()
    results = {name: ok({}) for name in NAMES if name != "quote"}
    assert assess(policy, results, NAMES).action == "review"


def test_empty_answer_does_not_fire_rules_over_its_fields() -> None:
    policy = approving(
        {
            "name": "cancelled",
            "description": "d",
            "field": "policy_lookup.status",
            "equals": "cancelled",
        }
    )
    results = {name: ok({}) for name in NAMES}
    results["policy_lookup"] = {"status": "empty", "reason": "no prior policy"}
    assert assess(policy, results, NAMES).action == "approve"


def test_always_rule_stops_every_case() -> None:
    policy = approving({"name": "pilot", "description": "everything for now", "always": True})
    assert assess(policy, {n: ok({}) for n in NAMES}, NAMES).action == "review"


def test_status_rule_tests_how_an_agent_answered(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "when_no_rule_fires: approve\nrules:\n"
        "  - {name: new_business, description: no prior policy, field: policy_lookup, status: [empty]}\n",
    )
    policy = load_policy(path, CONTRACTS)
    results = {name: ok({}) for name in NAMES}
    assert assess(policy, results, NAMES).action == "approve"
    results["policy_lookup"] = {"status": "empty", "reason": "no prior policy"}
    outcome = assess(policy, results, NAMES)
    assert outcome.action == "review" and outcome.fired[0].rule == "new_business"
    bad = write(
        tmp_path,
        HEADER
        + "rules:\n  - {name: x, description: d, field: policy_lookup.status, status: [empty]}\n",
    )
    with pytest.raises(PolicyError, match="agent name"):
        load_policy(bad, CONTRACTS)


def test_a_wrong_value_in_a_policy_file_is_named_with_its_line(tmp_path: Path) -> None:
    text = (
        HEADER
        + "rules:\n  - name: x\n    description: d\n    field: risk.band\n    in: [high]\n    then: approve\n"
    )
    path = write(tmp_path, text)
    line = text.splitlines().index("    then: approve") + 1
    with pytest.raises(PolicyError, match=rf"rule 'x': rules\.0\.then: .*\(line {line}\)"):
        load_policy(path, CONTRACTS)


def test_second_reviewer_names_rules_the_file_or_the_gate_has() -> None:
    with pytest.raises(ValidationError, match=r"second_reviewer names no rule \['hitz'\]"):
        ReviewPolicy.model_validate(
            {
                "workflow": "w",
                "owner": "o",
                "gate": "g",
                "rules": [{"name": "hits", "description": "d", "always": True}],
                "second_reviewer": {"rules": ["hitz"]},
            }
        )
    policy = ReviewPolicy.model_validate(
        {
            "workflow": "w",
            "owner": "o",
            "gate": "g",
            "second_reviewer": {"rules": ["agent_failed"], "overriding_decline": True},
        }
    )
    assert policy.second_reviewer is not None
    fired = [FiredRule(rule="agent_failed", description="d", action="review", detail="x")]
    assert policy.second_reviewer.needed(fired, "none") == (
        "it approves a case on which agent_failed fired"
    )
    assert policy.second_reviewer.needed([], "decline") == (
        "it overrides the agents' decline recommendation"
    )
    assert policy.second_reviewer.needed([], "approve") is None


def test_the_owners_automation_thresholds_are_read_and_checked(tmp_path: Path) -> None:
    from graphs.kit.policy import AutomationThresholds, automation_thresholds

    path = tmp_path / "toy.yaml"
    assert automation_thresholds("toy", path) == AutomationThresholds()  # no file: defaults
    path.write_text("workflow: toy\nowner: o\nautomation:\n  min_cases: 50\n", encoding="utf-8")
    assert automation_thresholds("toy", path) == AutomationThresholds(min_cases=50)
    path.write_text("workflow: toy\nowner: o\nautomation:\n  min_cases: 0\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"automation\.min_cases"):
        automation_thresholds("toy", path)


def test_only_a_review_rule_can_be_in_shadow() -> None:
    with pytest.raises(ValidationError, match="only a review rule can be in shadow"):
        Rule.model_validate(
            {
                "name": "big",
                "description": "d",
                "field": "quote.limit",
                "greater_than": 1,
                "then": "refer",
                "shadow": True,
            }
        )
    assert Rule.model_validate(
        {
            "name": "big",
            "description": "d",
            "field": "quote.limit",
            "greater_than": 1,
            "shadow": True,
        }
    ).shadow


def test_a_rule_in_auto_decides_only_when_no_person_or_desk_is_asked_for() -> None:
    auto = {"name": "big", "description": "d", "field": "quote.limit", "greater_than": 1}
    policy = approving(
        {**auto, "then": "auto"},
        {"name": "sanctions", "description": "d", "field": "compliance.hits", "is": "not_empty"},
        {"name": "huge", "description": "d", "field": "quote.limit", "greater_than": 100, "then": "refer"},
    )  # fmt: skip
    clean = {"compliance": ok({"hits": []})}
    assert assess(policy, {**clean, "quote": ok({"limit": 5})}, []).action == "auto"
    assert assess(policy, {**clean, "quote": ok({"limit": 500})}, []).action == "refer"
    hit = {"compliance": ok({"hits": ["x"]}), "quote": ok({"limit": 5})}
    assert assess(policy, hit, []).action == "review"
    assert assess(policy, {**clean, "quote": ok({"limit": 0})}, []).action == "approve"
    with pytest.raises(ValidationError, match="only a review rule can be in shadow"):
        Rule.model_validate({**auto, "then": "auto", "shadow": True})


def test_a_rule_on_a_sensitive_field_names_no_value_in_its_detail() -> None:
    policy = approving(
        {"name": "mail", "description": "d", "field": "intake.contact_email", "is": "not_empty"}
    )
    results = {"intake": ok({"contact_email": "owner@bakery.example"})}
    [fired] = assess(policy, results, [], hidden=frozenset({"contact_email"})).fired
    assert "owner@bakery.example" not in fired.detail and "[redacted]" in fired.detail
    [plain] = assess(policy, results, []).fired
    assert "owner@bakery.example" in plain.detail
