"""Late-delivery investigation, on the mesh pattern: why did late deliveries rise in a period
against a baseline?

receive -> supplier, carrier, mode, origin_country, destination, data_quality (in parallel, round
after round) -> close_round -> ... -> arbiter -> check_settlement -> review_gate -> finalize.

Six peers, each owning a family of hypotheses, debate on a blackboard with real statistics (the
rise each value explains, controlled for the others' dimensions: `agents.late_delivery.stats`),
until a quorum backs one claim with no challenge standing, the debate stagnates, or the round
limit or token budget is reached (`policies/late_delivery.yaml`, `settings:`). The arbiter
settles what the debate leaves open, citing posts; a finding it cannot settle, or one below the
policy's confidence, stops for an analyst at the review gate with the board as evidence. The
analyst approves the finding, amends it (`{"dimension": …, "value": …}`) or rejects it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph
from pydantic import ValidationError

from agents.late_delivery import AGENTS, ARBITER, PEERS
from agents.late_delivery import WORKFLOW as NAME
from agents.late_delivery.settings import InvestigationSettings, investigation_settings
from agents.late_delivery.shipments_file import read_shipments
from agents.late_delivery.status import status_lines
from agents.spec import ok_value
from graphs.kit.context import BatonContext
from graphs.kit.contracts import describe_errors
from graphs.kit.decisions import FINALIZE, GovernedState, Settled, add_gate_then_decide
from graphs.kit.declaration import Workflow
from graphs.kit.policy import POLICY_DIR, PolicyError, raw_settings
from graphs.kit.review_gate import GateSpec
from graphs.patterns.mesh import (
    Consensus,
    MeshState,
    RoundLimit,
    Rule,
    Stagnation,
    TokenBudget,
    build_mesh,
)
from schemas.late_delivery import (
    DATA_QUALITY_ISSUES,
    DIMENSIONS,
    Finding,
    InvestigationReport,
    LateDeliveryQuestion,
)
from schemas.result import AgentResult, Status
from schemas.review import Recommendation, ReviewAction, ReviewDecision

POLICY_FILE = POLICY_DIR / f"{NAME}.yaml"
GATE = "review_gate"
DECISION_KIND = "investigation_report"


class InvestigationState(MeshState, GovernedState, total=False):
    """The workflow's state: the question, the board and the debate (`MeshState`), one
    `AgentResult` (JSON) per peer and the arbiter's finding; the review, decision, corrections and
    owner (`GovernedState`)."""

    investigation_id: str
    baseline: dict[str, Any]
    period: dict[str, Any]
    shipments: list[dict[str, Any]]
    supplier: dict[str, Any] | None
    """AgentResult[Turn]: the supplier peer's last turn."""
    carrier: dict[str, Any] | None
    mode: dict[str, Any] | None
    origin_country: dict[str, Any] | None
    destination: dict[str, Any] | None
    data_quality: dict[str, Any] | None
    finding: dict[str, Any] | None
    """AgentResult[Finding]: the arbiter's."""


def settings() -> InvestigationSettings:
    """The investigation's settings from the policy file (PolicyError naming the setting)."""
    try:
        return investigation_settings(raw_settings(POLICY_FILE))
    except ValidationError as error:
        problems = "; ".join(f"settings.{p}" for p in describe_errors(error))
        raise PolicyError(f"{POLICY_FILE}: {problems}") from None


def termination_rules(chosen: InvestigationSettings) -> list[Rule]:
    """The debate's termination rules, from the settings."""
    return [
        Consensus(quorum=chosen.quorum),
        Stagnation(rounds=chosen.stagnation_rounds),
        RoundLimit(rounds=chosen.max_rounds),
        TokenBudget(tokens=chosen.token_budget),
    ]


def _subject(state: Mapping[str, Any]) -> str:
    finding = ok_value(state, ARBITER)
    question = (
        f"Why did late deliveries rise in {_window(state.get('period'))} against "
        f"{_window(state.get('baseline'))} (investigation {state.get('investigation_id')})?"
    )
    if finding is None:
        return question
    named = (
        "no single cause"
        if finding.dimension == "none"
        else (f"{finding.dimension} = {finding.value}")
    )
    return f"{question} Found: {named} (confidence {finding.confidence:.2f})."


def _window(window: Any) -> str:
    window = window or {}
    return f"{window.get('start')} to {window.get('end')}"


def _recommend(state: Mapping[str, Any]) -> Recommendation:
    """`approve` a settled finding more than half of the peers back beyond any rival; `none`
    otherwise (the analyst weighs the board)."""
    finding = ok_value(state, ARBITER)
    sure = finding is not None and finding.settled and finding.confidence > 0.5
    return "approve" if sure else "none"


def _escalations(state: Mapping[str, Any]) -> list[str]:
    escalation = state.get("escalation")
    return [f"{escalation['stage']}: {escalation['reason']}"] if escalation else []


def _board(state: Mapping[str, Any]) -> dict[str, Any]:
    """The reviewer's evidence besides the finding: the whole board and how the debate went."""
    return {"board": state.get("board") or [], "debate": state.get("debate")}


def _refuse(state: Mapping[str, Any], decision: ReviewDecision) -> str | None:
    finding = ok_value(state, ARBITER)
    if decision.action is ReviewAction.APPROVE and (finding is None or not finding.settled):
        return (
            "there is no settled finding to approve: amend it with "
            '{"dimension": …, "value": …} or reject it'
        )
    return None


def _apply_amendment(state: Mapping[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    """The analyst's finding: a dimension and a value the shipments have (ValueError naming what
    is wrong). Its numbers are the board's evidence for that claim, when a peer posted any."""
    dimension = corrections.get("dimension")
    value = corrections.get("value")
    value = value.strip() if isinstance(value, str) else value
    allowed = (*DIMENSIONS, "data_quality", "none")
    if dimension not in allowed:
        raise ValueError(f"dimension must be one of {', '.join(allowed)}, not {dimension!r}")
    if dimension == "none":
        if value not in (None, ""):
            raise ValueError("a finding of no single cause (dimension none) takes no value")
        value = None
    else:
        known = (
            set(DATA_QUALITY_ISSUES)
            if dimension == "data_quality"
            else {str(row.get(dimension)).strip() for row in state.get("shipments") or []}
        )
        if value not in known:
            shown = ", ".join(sorted(known)[:20])
            raise ValueError(f"{dimension} {value!r} is not in the shipments (they have: {shown})")
    board = state.get("board") or []
    ids = {
        p["id"]
        for p in board
        if p["kind"] == "hypothesis"
        and (p["dimension"], p["value"])
        == (
            dimension,
            value if value is not None else p["value"],
        )
    }
    evidence = [p for p in board if p["kind"] == "evidence" and p.get("about") in ids]
    effect = next(
        (p for p in evidence if p["measure"] in ("explained_rise", "overall_change")), None
    )
    change = next((p for p in evidence if p["measure"] == "late_rate_change"), None)
    finding = Finding(
        settled=True,
        confidence=1.0,
        reason="set by the analyst at the review gate",
        cites=sorted(ids) + [p["id"] for p in evidence],
        dimension=dimension,
        value=value,
        effect=_effect(effect),
        value_change=_effect(change),
        supporting_posts=sorted(ids) + [p["id"] for p in evidence],
    )
    result = AgentResult[Finding](
        status=Status.OK,
        value=finding,
        agent=ARBITER.name,
        version=ARBITER.version,
        implementation="analyst_amendment",
        attempts=0,
    )
    return {ARBITER.writes: result.model_dump(mode="json")}


def _effect(post: dict[str, Any] | None) -> Any:
    if post is None:
        return None
    return {k: post[k] for k in ("measure", "estimate", "ci_low", "ci_high", "p_value")}


def _decide(state: Mapping[str, Any], settled: Settled) -> InvestigationReport:
    """The investigation's report, from the finding the gate settled (or the analyst's)."""
    amended = (settled.review.amended or {}).get(ARBITER.writes)
    result = amended or settled.assessed.get(ARBITER.name) or {}
    finding = result.get("value") if result.get("status") == Status.OK else None
    debate = state.get("debate") or {}
    ending = debate.get("ending") or {}
    accepted = finding is not None and not settled.rejected and settled.outcome != "referred"
    if accepted and not (finding or {}).get("settled"):
        accepted = False
    return InvestigationReport(
        **settled.record(),
        investigation_id=str(state.get("investigation_id")),
        dimension=finding["dimension"] if accepted and finding else None,
        value=finding.get("value") if accepted and finding else None,
        effect=finding.get("effect") if accepted and finding else None,
        finding=finding,
        rounds=int(debate.get("rounds") or 0),
        posts=int(debate.get("posts") or 0),
        ended_by=ending.get("rule"),
        ending=ending.get("reason"),
    )


def build() -> StateGraph[Any, Any, Any, Any]:
    """The late-delivery investigation, uncompiled."""
    chosen = settings()  # the owner's settings are checked here, not mid-run
    builder = build_mesh(
        InvestigationState,
        PEERS,
        rules=termination_rules(chosen),
        arbiter=ARBITER,
        then=GATE,
        escalate_to=GATE,
        input_contract=LateDeliveryQuestion,
        context_schema=BatonContext,
    )
    add_gate_then_decide(
        builder,
        GateSpec(
            workflow=NAME,
            agents=(ARBITER,),
            subject=_subject,
            recommend=_recommend,
            apply_amendment=_apply_amendment,
            amendable_fields=("dimension", "value"),
            reads=(
                "investigation_id",
                "baseline",
                "period",
                "escalation",
                "board",
                "debate",
                "shipments",
            ),
            escalations=_escalations,
            evidence=_board,
            refuse=_refuse,
        ),
        _decide,
        kind=DECISION_KIND,
        reads=("investigation_id", "debate"),
    )
    return builder


def read_shipments_field(path: Path) -> list[dict[str, Any]]:
    """`shipments` given as a CSV path: its rows."""
    return read_shipments(path)


WORKFLOW = Workflow(
    name=NAME,
    description="Late-delivery investigation: six peers debate on a blackboard why late "
    "deliveries rose; an arbiter settles it citing posts, an analyst decides what it cannot.",
    input_contract=LateDeliveryQuestion,
    agents=AGENTS,
    build=build,
    subject_field="investigation_id",
    rollback="replay",
    summary=status_lines,
    file_fields={"shipments": read_shipments_field},
    state_writers={
        "board": ("close_round", "list[Post]"),
        "mesh_round": ("close_round", "int"),
        "debate": ("close_round", "debate: peers, rounds, posts, tokens, failed turns, ending"),
        "escalation": ("check_settlement", "escalation: stage, reason"),
        "review": (GATE, "ReviewOutcome"),
        "decision": (FINALIZE, "InvestigationReport"),
    },
)
