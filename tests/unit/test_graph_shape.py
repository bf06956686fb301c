"""The underwriting graph's shape and its handoff map are pinned: a change to either is deliberate."""

from __future__ import annotations

from graphs.underwriting import WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body, snapshot

graph = WORKFLOW.graph

HANDOFFS = [
    ("input", "intake", "documents", "UnderwritingSubmission.documents"),
    ("input", "intake", "submission_id", "UnderwritingSubmission.submission_id"),
    ("input", "policy_lookup", "policy_number", "UnderwritingSubmission.policy_number"),
    ("intake", "policy_lookup", "intake", "AgentResult[ApplicationFacts]"),
    ("intake", "risk", "intake", "AgentResult[ApplicationFacts]"),
    ("input", "compliance", "broker", "UnderwritingSubmission.broker"),
    ("intake", "compliance", "intake", "AgentResult[ApplicationFacts]"),
    ("intake", "quote", "intake", "AgentResult[ApplicationFacts]"),
    ("risk", "quote", "risk", "AgentResult[RiskAssessment]"),
    ("input", "review_gate", "submission_id", "UnderwritingSubmission.submission_id"),
    ("compliance", "review_gate", "compliance", "AgentResult[ComplianceReport]"),
    ("intake", "review_gate", "intake", "AgentResult[ApplicationFacts]"),
    ("policy_lookup", "review_gate", "policy_lookup", "AgentResult[PriorPolicy]"),
    ("quote", "review_gate", "quote", "AgentResult[Quote]"),
    ("risk", "review_gate", "risk", "AgentResult[RiskAssessment]"),
    ("input", "finalize", "submission_id", "UnderwritingSubmission.submission_id"),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(graph) == snapshot("underwriting", mermaid_body(graph))


def test_handoff_map_is_pinned() -> None:
    assert handoff_edges("underwriting") == HANDOFFS


def test_studio_graph_has_no_checkpointer_and_takes_the_submission_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert set(schema["required"]) == {"submission_id", "documents"}
    assert schema["title"] == "UnderwritingSubmission"
