"""The contract review graph's shape and its handoff map are pinned: a change to either is
deliberate."""

from __future__ import annotations

from graphs.contract_review import WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body, snapshot

graph = WORKFLOW.graph

HANDOFFS = [
    ("input", "extraction", "content", "ContractDocument.content"),
    ("input", "extraction", "contract_id", "ContractDocument.contract_id"),
    ("evaluators", "extraction", "feedback", "feedback: list[str] by stage"),
    ("input", "evaluate_extraction", "content", "ContractDocument.content"),
    ("extraction", "evaluate_extraction", "extraction", "AgentResult[ContractFacts]"),
    ("input", "clause_analysis", "content", "ContractDocument.content"),
    ("input", "clause_analysis", "contract_id", "ContractDocument.contract_id"),
    ("evaluators", "clause_analysis", "feedback", "feedback: list[str] by stage"),
    ("input", "evaluate_clause_analysis", "content", "ContractDocument.content"),
    ("clause_analysis", "evaluate_clause_analysis", "clause_analysis", "AgentResult[ClauseReport]"),
    ("clause_analysis", "risk", "clause_analysis", "AgentResult[ClauseReport]"),
    ("extraction", "risk", "extraction", "AgentResult[ContractFacts]"),
    ("risk", "evaluate_risk", "risk", "AgentResult[ContractRisk]"),
    ("input", "summary", "content", "ContractDocument.content"),
    ("input", "summary", "contract_id", "ContractDocument.contract_id"),
    ("input", "summary", "title", "ContractDocument.title"),
    ("clause_analysis", "summary", "clause_analysis", "AgentResult[ClauseReport]"),
    ("evaluators", "summary", "feedback", "feedback: list[str] by stage"),
    ("extraction", "summary", "extraction", "AgentResult[ContractFacts]"),
    ("risk", "summary", "risk", "AgentResult[ContractRisk]"),
    ("input", "evaluate_summary", "content", "ContractDocument.content"),
    ("risk", "evaluate_summary", "risk", "AgentResult[ContractRisk]"),
    ("summary", "evaluate_summary", "summary", "AgentResult[ContractSummary]"),
    ("input", "review_gate", "contract_id", "ContractDocument.contract_id"),
    ("input", "review_gate", "title", "ContractDocument.title"),
    ("clause_analysis", "review_gate", "clause_analysis", "AgentResult[ClauseReport]"),
    ("evaluators", "review_gate", "escalation", "escalation: stage, reason, loops"),
    ("extraction", "review_gate", "extraction", "AgentResult[ContractFacts]"),
    ("risk", "review_gate", "risk", "AgentResult[ContractRisk]"),
    ("summary", "review_gate", "summary", "AgentResult[ContractSummary]"),
    ("input", "finalize", "contract_id", "ContractDocument.contract_id"),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(graph) == snapshot("contract_review", mermaid_body(graph))


def test_handoff_map_is_pinned() -> None:
    assert handoff_edges("contract_review") == HANDOFFS


def test_studio_graph_has_no_checkpointer_and_takes_the_contract_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert set(schema["required"]) == {"contract_id", "content"}
    assert schema["title"] == "ContractDocument"
