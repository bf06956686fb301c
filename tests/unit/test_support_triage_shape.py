"""The support triage graph's shape and its handoff map are pinned: a change to either is
deliberate."""

from __future__ import annotations

from graphs.support_triage import WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body, snapshot

graph = WORKFLOW.graph

HANDOFFS = [
    ("input", "keyword_voter", "text", "SupportTicket.text"),
    ("input", "tfidf_voter", "text", "SupportTicket.text"),
    ("input", "embedding_voter", "text", "SupportTicket.text"),
    ("input", "encoder_linear_voter", "text", "SupportTicket.text"),
    ("input", "model_voter", "text", "SupportTicket.text"),
    ("embedding_voter", "tally", "embedding_voter", "AgentResult[IntentVote]"),
    ("encoder_linear_voter", "tally", "encoder_linear_voter", "AgentResult[IntentVote]"),
    ("keyword_voter", "tally", "keyword_voter", "AgentResult[IntentVote]"),
    ("model_voter", "tally", "model_voter", "AgentResult[IntentVote]"),
    ("tfidf_voter", "tally", "tfidf_voter", "AgentResult[IntentVote]"),
    ("input", "arbiter", "text", "SupportTicket.text"),
    ("tally", "arbiter", "ballot", "Ballot"),
    ("arbiter", "check_ruling", "arbitration", "AgentResult[IntentRuling]"),
    ("tally", "check_ruling", "ballot", "Ballot"),
    ("tally, check_ruling", "router", "choice", "Choice"),
    ("input", "review_gate", "text", "SupportTicket.text"),
    ("input", "review_gate", "ticket_id", "SupportTicket.ticket_id"),
    ("arbiter", "review_gate", "arbitration", "AgentResult[IntentRuling]"),
    ("router", "review_gate", "routing", "AgentResult[Route]"),
    ("tally", "review_gate", "ballot", "Ballot"),
    ("tally, check_ruling", "review_gate", "escalation", "escalation: stage, reason"),
    ("input", "note_writer", "text", "SupportTicket.text"),
    ("review_gate", "note_writer", "review", "ReviewOutcome"),
    ("router", "note_writer", "routing", "AgentResult[Route]"),
    ("tally", "note_writer", "ballot", "Ballot"),
    ("input", "finalize", "ticket_id", "SupportTicket.ticket_id"),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(graph) == snapshot("support_triage", mermaid_body(graph))


def test_handoff_map_is_pinned() -> None:
    assert handoff_edges("support_triage") == HANDOFFS


def test_studio_graph_has_no_checkpointer_and_takes_the_ticket_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert set(schema["required"]) == {"ticket_id", "text"}
    assert schema["title"] == "SupportTicket"


def test_no_voter_sees_who_the_customer_is() -> None:
    from agents.support_triage.specs import AGENTS

    for spec in AGENTS:
        assert "customer_id" not in spec.reads and "channel" not in spec.reads, spec.name
