"""The late-delivery graph's shape (`tests/snapshots/late_delivery.mmd`) and its handoff map are
pinned: a change to either is deliberate. Each peer sees the question, the board and the round,
never another peer's result; only close_round reads the turns."""

from __future__ import annotations

from graphs.late_delivery import WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body, snapshot

PEERS = ("supplier", "carrier", "mode", "origin_country", "destination", "data_quality")
QUESTION = ("baseline", "investigation_id", "period", "shipments")


def _peer_edges(peer: str) -> list[tuple[str, str, str, str]]:
    return [
        *(("input", peer, key, f"LateDeliveryQuestion.{key}") for key in QUESTION),
        ("close_round", peer, "board", "list[Post]"),
        ("close_round", peer, "mesh_round", "int"),
    ]


DEBATE = "debate: peers, rounds, posts, tokens, failed turns, ending"
AFTER_THE_DEBATE = [
    ("input", "arbiter", "investigation_id", "LateDeliveryQuestion.investigation_id"),
    ("close_round", "arbiter", "board", "list[Post]"),
    ("close_round", "arbiter", "debate", DEBATE),
    ("arbiter", "check_settlement", "finding", "AgentResult[Finding]"),
    ("close_round", "check_settlement", "board", "list[Post]"),
    ("close_round", "check_settlement", "debate", DEBATE),
    ("input", "review_gate", "baseline", "LateDeliveryQuestion.baseline"),
    ("input", "review_gate", "investigation_id", "LateDeliveryQuestion.investigation_id"),
    ("input", "review_gate", "period", "LateDeliveryQuestion.period"),
    ("input", "review_gate", "shipments", "LateDeliveryQuestion.shipments"),
    ("arbiter", "review_gate", "finding", "AgentResult[Finding]"),
    ("check_settlement", "review_gate", "escalation", "escalation: stage, reason"),
    ("close_round", "review_gate", "board", "list[Post]"),
    ("close_round", "review_gate", "debate", DEBATE),
    ("input", "finalize", "investigation_id", "LateDeliveryQuestion.investigation_id"),
    ("close_round", "finalize", "debate", DEBATE),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(WORKFLOW.graph) == snapshot("late_delivery", mermaid_body(WORKFLOW.graph))


def test_handoff_map_is_pinned_and_peers_see_only_the_question_and_the_board() -> None:
    turns = [(p, "close_round", p, "AgentResult[Turn]") for p in sorted(PEERS)]
    expected = [edge for peer in PEERS for edge in _peer_edges(peer)] + turns + AFTER_THE_DEBATE
    assert handoff_edges("late_delivery") == expected
