"""The contract review graph's shape and its handoff map are pinned: a change to either is
deliberate."""

from __future__ import annotations

from graphs.contract_review import WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body

graph = WORKFLOW.graph

MERMAID = """\
graph TD;
\t__start__(<p>__start__</p>)
\treceive(receive)
\t__error_handler__extraction(__error_handler__extraction)
\textraction(extraction)
\tevaluate_extraction(evaluate_extraction)
\t__error_handler__clause_analysis(__error_handler__clause_analysis)
\tclause_analysis(clause_analysis)
\tevaluate_clause_analysis(evaluate_clause_analysis)
\trisk(risk)
\tevaluate_risk(evaluate_risk)
\t__error_handler__summary(__error_handler__summary)
\tsummary(summary)
\tevaluate_summary(evaluate_summary)
\treview_gate(review_gate)
\tfinalize(finalize)
\t__end__(<p>__end__</p>)
\t__start__ --> receive;
\tclause_analysis --> evaluate_clause_analysis;
\tevaluate_clause_analysis -.-> clause_analysis;
\tevaluate_clause_analysis -.-> review_gate;
\tevaluate_clause_analysis -.-> risk;
\tevaluate_extraction -.-> clause_analysis;
\tevaluate_extraction -.-> extraction;
\tevaluate_extraction -.-> review_gate;
\tevaluate_risk -.-> review_gate;
\tevaluate_risk -.-> summary;
\tevaluate_summary -.-> review_gate;
\tevaluate_summary -.-> summary;
\textraction --> evaluate_extraction;
\treceive --> extraction;
\treview_gate --> finalize;
\trisk --> evaluate_risk;
\tsummary --> evaluate_summary;
\tfinalize --> __end__;
"""

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
    assert mermaid_body(graph) == MERMAID


def test_handoff_map_is_pinned() -> None:
    assert handoff_edges("contract_review") == HANDOFFS


def test_studio_graph_has_no_checkpointer_and_takes_the_contract_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert set(schema["required"]) == {"contract_id", "content"}
    assert schema["title"] == "ContractDocument"
