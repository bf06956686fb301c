"""The late-delivery investigation's agents: six peers, each owning a family of hypotheses
(supplier, carrier, mode, origin country, destination, data quality), and the arbiter."""

from __future__ import annotations

from typing import Any

from agents.late_delivery.arbiter import settle
from agents.late_delivery.llm import ROLE as LLM_ROLE
from agents.late_delivery.llm import settle_with_model
from agents.late_delivery.peers import FAMILIES, peer_turn
from agents.spec import AgentSpec, Implementation, Owner
from schemas.blackboard import Turn
from schemas.late_delivery import ArbiterView, Finding, InvestigationView

WORKFLOW = "late_delivery"
LOGISTICS_ANALYTICS = Owner(team="Logistics Analytics", contact="logistics-analytics@baton.example")
QUESTION_KEYS = ("investigation_id", "baseline", "period", "shipments")


def _peer(family: str) -> AgentSpec[InvestigationView, Turn]:
    return AgentSpec(
        name=family,
        workflow=WORKFLOW,
        owner=LOGISTICS_ANALYTICS,
        version="1.0.0",
        description=f"Tests whether one {family.replace('_', ' ')} value explains the rise "
        "(explained rise, controlled for the other families), and debates the others' hypotheses.",
        reads=(*QUESTION_KEYS, "board", "mesh_round"),
        input_contract=InvestigationView,
        output_contract=Turn,
        implementations=(
            Implementation(
                "statistics",
                "deterministic",
                peer_turn(family),
                description="delta-method z-tests of the rate and volume effects, stratified "
                "by the reviewer's dimension",
            ),
        ),
    )


PEERS = tuple(_peer(family) for family in FAMILIES)
ARBITER: AgentSpec[ArbiterView, Finding] = AgentSpec(
    name="arbiter",
    workflow=WORKFLOW,
    owner=LOGISTICS_ANALYTICS,
    version="1.0.0",
    description="Settles the debate from the board: the consensus's claim, or the best-backed "
    "claim no challenge stands against; cites the posts behind every figure.",
    reads=("investigation_id", "board", "debate"),
    input_contract=ArbiterView,
    output_contract=Finding,
    implementations=(
        Implementation(
            "llm_arbiter",
            "llm",
            settle_with_model,
            model_role=LLM_ROLE,
            description="a model reads the debate and settles it, bounded by the board",
        ),
        Implementation("board_rules", "deterministic", settle, runs_inline=True),
    ),
    writes="finding",
)
AGENTS: tuple[AgentSpec[Any, Any], ...] = (*PEERS, ARBITER)
