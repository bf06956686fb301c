"""The contract review workflow through `langgraph_sdk` against both servers: a contract that loops
back and is cleared, and one that escalates to the review gate and is decided by a reviewer, whose
identity comes from the API key."""

from __future__ import annotations

import pytest

from agents.contract_review.documents import contract_input
from tests.conftest import ROOT
from tests.server.conftest import Server

CONTRACTS = ROOT / "data" / "samples" / "contract_review"

pytestmark = pytest.mark.slow


def test_a_contract_loops_back_then_is_cleared(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    final = client.runs.wait(
        thread,
        "contract_review",
        input=contract_input(CONTRACTS / "02_content_license_loops_back.txt"),
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "cleared"
    kinds = [(v["stage"], v["verdict"]["kind"]) for v in final["verdicts"]]
    assert kinds[:2] == [("extraction", "loop_back"), ("extraction", "proceed")]


def test_an_escalated_contract_waits_for_a_reviewer(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    client.runs.wait(
        thread,
        "contract_review",
        input=contract_input(CONTRACTS / "03_joint_filing_escalates.txt"),
    )
    waiting = client.threads.get_state(thread)
    assert waiting["next"] == ["review_gate"]
    packet = waiting["interrupts"][0]["value"]
    assert "escalated" in {reason["rule"] for reason in packet["reasons"]}

    final = server.client("rita").runs.wait(
        thread,
        "contract_review",
        command={"resume": {"action": "reject", "reviewer": "Not Rita", "note": "no parties"}},
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "rejected"
    assert final["decision"]["decided_by"] == "rita"
