"""What the reviewer inbox reads and checks, on SQLite and PostgreSQL: the waiting cases across
workflows (filtered and searched), a case whole with its amendable fields typed from the contract,
a reviewer kept to waiting cases, and a decision checked field by field before it is sent."""

from __future__ import annotations

import pytest

from agents.contract_review.documents import contract_input
from graphs.inbox.cases import CaseNotFound, case_detail, waiting_cases
from graphs.inbox.decisions import DecisionProblem, checked_decision
from graphs.kit.errors import UnknownWorkflow
from graphs.kit.runtime import open_workflow
from graphs.kit.workflows import get_workflow
from tests.conftest import ROOT, load_sample

CONTRACTS = {spec.name: spec.output_contract for spec in get_workflow("underwriting").agents}


def _waiting(url: str) -> None:
    with open_workflow("underwriting", url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="inbox-uw")
        flow.start(load_sample("01_clean_straight_through"), thread_id="inbox-done")
    escalates = ROOT / "data" / "samples" / "contract_review" / "03_joint_filing_escalates.txt"
    with open_workflow("contract_review", url) as flow:
        flow.start(contract_input(escalates), thread_id="inbox-cr")


def test_the_queue_lists_every_workflows_waiting_cases_filtered_and_searched(
    database_url: str,
) -> None:
    _waiting(database_url)
    rows = waiting_cases(database_url)
    assert {(row.thread_id, row.workflow) for row in rows} == {
        ("inbox-uw", "underwriting"), ("inbox-cr", "contract_review"),
    }  # fmt: skip
    assert [row.queued_at for row in rows] == sorted(row.queued_at for row in rows)
    assert all(row.started_by is None and row.packet_hash for row in rows)  # in-process runs
    assert [r.thread_id for r in waiting_cases(database_url, "contract_review")] == ["inbox-cr"]
    assert [r.thread_id for r in waiting_cases(database_url, search="PELICAN")] == ["inbox-uw"]
    assert [r.thread_id for r in waiting_cases(database_url, search="high_risk")] == ["inbox-uw"]
    with pytest.raises(UnknownWorkflow):
        waiting_cases(database_url, "nope")


def test_a_case_is_shown_whole_and_a_reviewer_only_sees_waiting_ones(database_url: str) -> None:
    _waiting(database_url)
    detail = case_detail(database_url, "inbox-uw", waiting_only=True)
    [gate] = detail.gates
    amendable = {field["name"]: field for field in gate["amendment"]}
    assert set(amendable) == {"limit", "deductible", "annual_premium"}
    assert amendable["limit"]["agent"] == "quote" and amendable["limit"]["current"] > 0
    assert amendable["limit"]["schema"]["type"] in ("number", "integer")
    assert {"intake", "risk", "compliance", "quote"} <= set(detail.results)
    assert any(event["kind"] == "gate_fired" for event in detail.history)
    with pytest.raises(CaseNotFound):
        case_detail(database_url, "inbox-done", waiting_only=True)
    assert case_detail(database_url, "inbox-done", waiting_only=False).status == "completed"
    with pytest.raises(CaseNotFound):
        case_detail(database_url, "never-was", waiting_only=False)


def test_a_decision_is_checked_field_by_field(database_url: str) -> None:
    _waiting(database_url)
    [gate] = case_detail(database_url, "inbox-uw", waiting_only=True).gates
    packet = gate["packet"]["packet_hash"]
    amended = checked_decision(
        {"action": "amend", "packet": packet, "note": " ok ", "corrections": {"limit": "500000"}},
        gate, CONTRACTS, "rita",
    )  # fmt: skip
    assert amended == {
        "action": "amend", "reviewer": "rita", "packet": packet, "note": "ok",
        "corrections": {"limit": 500000.0},
    }  # fmt: skip
    with pytest.raises(DecisionProblem) as refused:
        checked_decision(
            {"action": "amend", "packet": "XYZ", "corrections": {"limit": "lots", "x": 1}},
            gate, CONTRACTS, "rita",
        )  # fmt: skip
    assert refused.value.status == 422
    assert set(refused.value.fields) == {"packet", "corrections.limit", "corrections.x"}
    with pytest.raises(DecisionProblem) as nothing:
        checked_decision({"action": "amend", "packet": packet}, gate, CONTRACTS, "rita")
    assert set(nothing.value.fields) == {"corrections"}
    with pytest.raises(DecisionProblem) as wrong:
        checked_decision({"action": "bless", "packet": packet}, gate, CONTRACTS, "rita")
    assert set(wrong.value.fields) == {"action"}


def test_a_field_with_a_known_list_of_values_is_offered_and_held_to_it(database_url: str) -> None:
    import json

    from agents.support_triage.routing import routing_table
    from agents.support_triage.training import train

    train()
    ticket = json.loads(
        (ROOT / "data" / "samples" / "support_triage" / "03_unclear_goes_to_queue.json").read_text()
    )
    with open_workflow("support_triage", database_url) as flow:
        assert flow.start(ticket, thread_id="inbox-st").status == "awaiting_review"
    [gate] = case_detail(database_url, "inbox-st", waiting_only=True).gates
    [intent] = gate["amendment"]
    assert intent["name"] == "intent" and intent["agent"] == "router"
    assert intent["schema"]["enum"] == sorted(routing_table().routes)
    contracts = {s.name: s.output_contract for s in get_workflow("support_triage").agents}
    packet = gate["packet"]["packet_hash"]
    known = sorted(routing_table().routes)[0]
    ok = checked_decision(
        {"action": "amend", "packet": packet, "corrections": {"intent": known}},
        gate,
        contracts,
        "r",
    )
    assert ok["corrections"] == {"intent": known}
    with pytest.raises(DecisionProblem) as refused:
        checked_decision(
            {"action": "amend", "packet": packet, "corrections": {"intent": "made_up"}},
            gate, contracts, "r",
        )  # fmt: skip
    assert "not one of the" in refused.value.fields["corrections.intent"]
