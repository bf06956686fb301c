"""The review gate refuses invalid resume values with a clear message and stays open."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.types import Command

from checkpoints.ledger import SideEffectLedger
from graphs.context import BatonContext
from graphs.review_gate import REVIEW_DECISION_KIND
from graphs.runtime import ReviewRefused, open_workflow
from tests.conftest import load_sample


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("approve", "invalid review decision"),
        ({"action": "approve"}, "reviewer: Field required"),
        (
            {"action": "bless", "reviewer": "x"},
            "action: Input should be 'approve', 'reject' or 'amend'",
        ),
        ({"action": "amend", "reviewer": "x"}, "amend needs corrections"),
        (
            {"action": "amend", "reviewer": "x", "corrections": {"currency": "EUR"}},
            "cannot be amended",
        ),
        (
            {"action": "amend", "reviewer": "x", "corrections": {"limit": 0}},
            "limit: Input should be greater than 0",
        ),
        (
            {"action": "approve", "reviewer": "x", "approved_by_ai": True},
            "Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_decision_sent_straight_to_the_graph_is_refused_and_the_gate_stays_open(
    sqlite_url: str, answer: Any, message: str
) -> None:
    with open_workflow("underwriting", sqlite_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="gate")
        config = flow.config("gate")
        flow.graph.invoke(
            Command(resume=answer), config, context=BatonContext(database_url=sqlite_url)
        )
        report = flow.report("gate")
        assert report.status == "awaiting_review"
        assert report.packet is not None and message in report.packet["refused"][-1]
        assert SideEffectLedger(sqlite_url).for_thread("gate", REVIEW_DECISION_KIND) == []

        final = flow.resume("gate", {"action": "approve", "reviewer": "Dana"})
        assert final.status == "completed" and final.decision is not None
        assert final.decision["outcome"] == "approved" and final.decision["decided_by"] == "Dana"


def test_refused_amendment_through_the_python_api_names_the_field(sqlite_url: str) -> None:
    with open_workflow("underwriting", sqlite_url) as flow:
        flow.start(load_sample("12_cancelled_prior_policy"), thread_id="amend")
        with pytest.raises(ReviewRefused, match="annual_premium"):
            flow.resume(
                "amend", {"action": "amend", "reviewer": "x", "corrections": {"annual_premium": 0}}
            )
        assert flow.report("amend").status == "awaiting_review"


def test_sanctions_hit_is_never_approved_without_a_person(sqlite_url: str) -> None:
    with open_workflow("underwriting", sqlite_url) as flow:
        report = flow.start(load_sample("03_sanctions_hit"), thread_id="sanctions")
        assert report.status == "awaiting_review"
        assert flow.continue_thread("sanctions").status == "awaiting_review"
        assert flow.graph.get_state(flow.config("sanctions")).values.get("decision") is None
