"""Contract review, on the chain-with-evaluators pattern.

receive -> extraction -> evaluate_extraction -> clause_analysis -> evaluate_clause_analysis ->
risk -> evaluate_risk -> summary -> evaluate_summary -> review gate -> finalize.
An evaluator may send the chain back to a stage with feedback (capped by
`BATON_CONTRACT_REVIEW_MAX_LOOPS`, default 2) or escalate to the review gate; the gate stops high-risk
contracts, failed stages and escalations for a lawyer (`policies/contract_review.yaml`). The input
is a `ContractDocument`; `WORKFLOW.graph` is compiled without a checkpointer (for the LangGraph server);
`graphs.kit.runtime.open_workflow("contract_review")` compiles it with the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import StateGraph
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.contract_review.clause_model import train_when_used
from agents.contract_review.documents import contract_input
from agents.contract_review.evaluators import judge_clauses, judge_extraction, judge_summary
from agents.contract_review.specs import AGENTS, CLAUSE_ANALYSIS, EXTRACTION, RISK, SUMMARY
from agents.contract_review.status import status_lines
from agents.spec import ok_value, result_of
from graphs.kit.context import BatonContext
from graphs.kit.contracts import validate_contract
from graphs.kit.decisions import FINALIZE, GovernedState, Settled, add_gate_then_decide
from graphs.kit.declaration import Workflow
from graphs.kit.review_gate import REVIEW_KEY, GateSpec
from graphs.patterns.chain import ChainState, Evaluator, Stage, build_chain
from schemas.contract_review import ContractDecision, ContractDocument, ContractRisk
from schemas.review import Recommendation

WORKFLOW_NAME = "contract_review"
GATE = "review_gate"
DECISION_KIND = "contract_decision"


class ContractReviewSettings(BaseSettings):
    """`BATON_CONTRACT_REVIEW_MAX_LOOPS`: how many times an evaluator may send the chain back."""

    model_config = SettingsConfigDict(env_prefix="BATON_CONTRACT_REVIEW_", extra="ignore")

    max_loops: int = Field(default=2, ge=0, le=10)


class ContractReviewState(ChainState, GovernedState, total=False):
    """The workflow's state: the contract, one `AgentResult` (JSON) per stage, the chain's
    bookkeeping (`ChainState`); the review, decision, corrections and owner (`GovernedState`)."""

    contract_id: str
    """From the input."""
    title: str | None
    """From the input."""
    source_name: str | None
    """From the input."""
    content: str
    """The contract's text (input)."""
    metadata: dict[str, str]
    """From the input."""
    extraction: dict[str, Any] | None
    """AgentResult[ContractFacts]."""
    clause_analysis: dict[str, Any] | None
    """AgentResult[ClauseReport]."""
    risk: dict[str, Any] | None
    """AgentResult[ContractRisk]."""
    summary: dict[str, Any] | None
    """AgentResult[ContractSummary]."""


STAGES = (
    Stage(
        EXTRACTION,
        Evaluator(
            "term_checks",
            judge_extraction,
            reads=("content", "overrides"),
            description="two parties and a start date found, dates consistent, spans verified",
        ),
    ),
    Stage(
        CLAUSE_ANALYSIS,
        Evaluator(
            "clause_checks",
            judge_clauses,
            reads=("content", "overrides"),
            description="every clause span is the contract's text; something was found",
        ),
    ),
    Stage(RISK),
    Stage(
        SUMMARY,
        Evaluator(
            "citation_checks",
            judge_summary,
            reads=("content", "risk", "overrides"),
            description="every citation is the contract's text; every risk rule is mentioned",
        ),
    ),
)


def _subject(state: Mapping[str, Any]) -> str:
    title = state.get("title") or state.get("contract_id")
    return f"Clear contract {state.get('contract_id')} ({title}) for signature?"


def _recommendation(results: Mapping[str, Any]) -> Recommendation:
    """`none` when a stage did not answer ok; `decline` on a high band; else `approve`."""
    for spec in AGENTS:
        result = results.get(spec.writes)
        if not isinstance(result, dict) or result.get("status") != "ok":
            return "none"
    band = (results.get("risk") or {}).get("value", {}).get("band")
    return "decline" if band == "high" else "approve"


def _escalations(state: Mapping[str, Any]) -> list[str]:
    escalation = state.get("escalation")
    if not escalation:
        return []
    return [f"{escalation['stage']}: {escalation['reason']}"]


def _apply_amendment(state: Mapping[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    """The risk result with the reviewer's band, validated strictly against `ContractRisk`."""
    result, risk = result_of(state, RISK), ok_value(state, RISK)
    if result is None or risk is None:
        raise ValueError("there is no risk score to amend (the risk stage did not answer ok)")
    amended = validate_contract(
        ContractRisk, {**risk.model_dump(mode="json"), **corrections}, where="amended risk"
    )
    return {"risk": result.model_copy(update={"value": amended}).model_dump(mode="json")}


def _decision(state: Mapping[str, Any], settled: Settled) -> ContractDecision:
    """The contract decision: the outcome and the risk band (as amended)."""
    risk = ok_value({**settled.assessed, **(settled.review.amended or {})}, RISK)
    return ContractDecision(
        contract_id=str(state.get("contract_id")),
        outcome=settled.outcome,
        decided_by=settled.decided_by,
        band=risk.band if risk else None,
        reasons=settled.reasons,
        decision_key=settled.key,
        supersedes=settled.supersedes,
    )


def build_contract_review() -> StateGraph[Any, Any, Any, Any]:
    """The contract review workflow, uncompiled."""
    builder = build_chain(
        ContractReviewState,
        STAGES,
        then=GATE,
        escalate_to=GATE,
        input_contract=ContractDocument,
        max_loops=ContractReviewSettings().max_loops,
        context_schema=BatonContext,
        input_schema=ContractDocument,
    )
    add_gate_then_decide(
        builder,
        GateSpec(
            workflow=WORKFLOW_NAME,
            agents=AGENTS,
            subject=_subject,
            recommend=_recommendation,
            apply_amendment=_apply_amendment,
            amendable_fields=("band",),
            reads=("contract_id", "title", "escalation"),
            escalations=_escalations,
        ),
        _decision,
        kind=DECISION_KIND,
        reads=("contract_id",),
    )
    return builder


WORKFLOW = Workflow(
    name=WORKFLOW_NAME,
    description="Contracts: extract parties, law and clauses, score the risk, each stage checked "
    "by an evaluator; a person decides what the policy stops.",
    input_contract=ContractDocument,
    agents=AGENTS,
    build=build_contract_review,
    subject_field="contract_id",
    rollback="replay",
    document_reader=contract_input,
    trainer=train_when_used,
    summary=status_lines,
    state_writers={
        "feedback": ("evaluators", "feedback: list[str] by stage"),
        "escalation": ("evaluators", "escalation: stage, reason, loops"),
        REVIEW_KEY: (GATE, "ReviewOutcome"),
        "decision": (FINALIZE, "ContractDecision"),
    },
)
