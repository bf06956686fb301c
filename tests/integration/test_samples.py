"""Every shipped sample runs to its expected status and outcome on the embedded SQLite default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graphs.kit.runtime import WorkflowRun, open_workflow
from tests.conftest import SAMPLES, load_sample

# sample -> (status, outcome when completed, rules that must be among the review reasons)
EXPECTED: dict[str, tuple[str, str | None, set[str]]] = {
    "01_clean_straight_through": ("completed", "approved", set()),
    "02_high_risk_referral": ("awaiting_review", None, {"high_risk"}),
    "03_sanctions_hit": ("awaiting_review", None, {"sanctions_hit"}),
    "04_unusual_policy_spelling": ("completed", "approved", set()),
    "05_invalid_policy_number": ("awaiting_review", None, {"agent_failed"}),
    "06_no_prior_policy": ("completed", "approved", set()),
    "07_missing_loss_run": ("awaiting_review", None, {"missing_documents", "loss_history_unknown"}),
    "08_unreadable_application": ("awaiting_review", None, {"agent_failed"}),
    "09_injection_approve": ("awaiting_review", None, {"high_risk"}),
    "10_large_limit_referral": ("completed", "referred", set()),
    "11_ineligible_state": ("awaiting_review", None, {"state_ineligible"}),
    "12_cancelled_prior_policy": ("awaiting_review", None, {"prior_policy_cancelled"}),
    "13_free_text_email": ("awaiting_review", None, {"free_text_application"}),
}


def test_every_shipped_sample_has_an_expectation() -> None:
    assert {p.stem for p in SAMPLES.glob("*.json")} == set(EXPECTED)
    assert len(EXPECTED) >= 10


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowRun]:
    url = f"sqlite:///{tmp_path_factory.mktemp('samples') / 'baton.db'}"
    with open_workflow("underwriting", url) as flow:
        yield flow


def _state(workflow: WorkflowRun, thread: str) -> dict[str, Any]:
    values: dict[str, Any] = workflow.graph.get_state(workflow.config(thread)).values
    return values


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_runs_to_expected_status_and_outcome(workflow: WorkflowRun, sample: str) -> None:
    status, outcome, rules = EXPECTED[sample]
    report = workflow.start(load_sample(sample), thread_id=sample)
    assert report.status == status
    if status == "completed":
        assert report.decision is not None and report.decision["outcome"] == outcome
    else:
        assert report.packet is not None
        fired = {reason["rule"] for reason in report.packet["reasons"]}
        assert rules <= fired, f"{sample}: expected {rules} among {fired}"


def test_unusual_spelling_is_normalised_and_found(workflow: WorkflowRun) -> None:
    workflow.start(load_sample("04_unusual_policy_spelling"), thread_id="spelling")
    lookup = _state(workflow, "spelling")["policy_lookup"]
    assert lookup["status"] == "ok"
    assert lookup["value"]["policy_number"] == "BTN-2022-007781"
    assert lookup["value"]["insured_matches_applicant"] is True


def test_invalid_policy_number_is_a_contract_violation_with_the_reason(
    workflow: WorkflowRun,
) -> None:
    workflow.start(load_sample("05_invalid_policy_number"), thread_id="invalid-number")
    lookup = _state(workflow, "invalid-number")["policy_lookup"]
    assert (lookup["status"], lookup["error_kind"]) == ("failed", "contract_violation")
    assert "policy_number" in lookup["reason"] and "POL#88-XYZ" in lookup["reason"]


def test_no_prior_policy_is_empty_not_failed(workflow: WorkflowRun) -> None:
    workflow.start(load_sample("06_no_prior_policy"), thread_id="no-prior")
    lookup = _state(workflow, "no-prior")["policy_lookup"]
    assert lookup["status"] == "empty" and "no prior policy" in lookup["reason"]


def test_sanctions_hit_recommends_decline_and_names_the_listed_party(workflow: WorkflowRun) -> None:
    report = workflow.start(load_sample("03_sanctions_hit"), thread_id="sanctions")
    assert report.packet is not None and report.packet["recommendation"] == "decline"
    hits = _state(workflow, "sanctions")["compliance"]["value"]["sanctions_hits"]
    assert hits[0]["listed_name"] == "Volkov Maritime Holdings" and hits[0]["score"] >= 88


def test_clean_case_quote_follows_the_rating_table(workflow: WorkflowRun) -> None:
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id="clean-quote")
    risk = _state(workflow, "clean-quote")["risk"]["value"]
    assert (risk["score"], risk["band"]) == (20, "low")
    assert report.decision is not None
    quote = report.decision["quote"]
    # 2,000,000 / 1,000 x 0.85 (bakery) x 0.90 (low band)
    assert quote["annual_premium"] == pytest.approx(1530.0)
    assert report.decision["decided_by"] == "policy"


def test_instructions_inside_documents_change_nothing(workflow: WorkflowRun) -> None:
    injected = load_sample("09_injection_approve")
    cleaned = load_sample("09_injection_approve")
    for document in cleaned["documents"]:
        document["content"] = "\n".join(
            line
            for line in document["content"].splitlines()
            if not any(
                word in line for word in ("SYSTEM", "INSTRUCTION", "Underwriter Note", "Decision:")
            )
        )
    cleaned["submission_id"] = "SUB-1009-clean"
    with_injection = workflow.start(injected, thread_id="injected")
    without = workflow.start(cleaned, thread_id="cleaned")
    assert with_injection.status == without.status == "awaiting_review"
    assert with_injection.packet is not None and without.packet is not None
    injected_rules = [r["rule"] for r in with_injection.packet["reasons"]]
    assert [r for r in injected_rules if r != "suspicious_text"] == [
        r["rule"] for r in without.packet["reasons"]
    ]
    assert "suspicious_text" in injected_rules  # the reviewer is shown the instruction-like lines
    suspicious = _state(workflow, "injected")["intake"]["value"]["suspicious_text"]
    assert any("skip review" in line for line in suspicious)
    for agent in ("risk", "compliance", "quote", "policy_lookup"):
        assert (
            _state(workflow, "injected")[agent]["value"]
            == _state(workflow, "cleaned")[agent]["value"]
        )


def test_free_text_application_is_read_by_the_fallback_implementation(
    workflow: WorkflowRun,
) -> None:
    report = workflow.start(load_sample("13_free_text_email"), thread_id="free-text")
    assert report.packet is not None
    assert [r["rule"] for r in report.packet["reasons"]] == ["free_text_application"]
    intake = _state(workflow, "free-text")["intake"]
    assert (intake["implementation"], intake["attempts"]) == ("prose_reader", 2)
    assert intake["fallbacks"][0].startswith("label_parser: application")
    assert intake["value"]["requested_limit"] == 1_500_000
    assert intake["value"]["missing_fields"] == []


def test_every_business_in_a_free_text_application_is_screened(workflow: WorkflowRun) -> None:
    email = (
        "Harbor Point Insurance Group is pleased to submit Volkov Maritime Holding LLC,\n"
        "1 Ocean Terminal Way, Newark, NJ 07114, a warehouse, 6 years in business.\n"
        "Noncombustible building built in 2008, fully sprinklered; a limit of $3 million,\n"
        "effective February 1, 2027.\n"
    )
    submission = {
        "submission_id": "SUB-FT-2",
        "documents": [
            {"kind": "application", "name": "email.txt", "content": email},
            {"kind": "loss_run", "name": "lr.txt", "content": "No losses reported."},
        ],
    }
    report = workflow.start(submission, thread_id="free-text-sanctions")
    assert report.packet is not None and report.packet["recommendation"] == "decline"
    assert "sanctions_hit" in {r["rule"] for r in report.packet["reasons"]}
    screened = _state(workflow, "free-text-sanctions")["compliance"]["value"]["screened_names"]
    assert screened == ["Volkov Maritime Holding LLC", "Harbor Point Insurance Group"]
