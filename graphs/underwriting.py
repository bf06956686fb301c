"""Underwriting intake, on the supervisor/worker pattern (the flagship workflow).

intake -> (policy_lookup | risk | compliance, in parallel) -> quote -> review gate -> finalize.
The graph's input is an `UnderwritingSubmission`; `WORKFLOW.graph` is compiled without a
checkpointer (for LangGraph Studio and the server); `graphs.kit.runtime.open_workflow("underwriting")`
compiles it with the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import StateGraph

from agents.spec import ok_value, result_of
from agents.underwriting import (
    AGENTS,
    COMPLIANCE,
    INTAKE,
    POLICY_LOOKUP,
    QUOTE,
    RISK,
    recommendation,
)
from agents.underwriting.status import status_lines
from graphs.kit.context import BatonContext
from graphs.kit.contracts import validate_contract
from graphs.kit.decisions import FINALIZE, GovernedState, Settled, add_gate_then_decide
from graphs.kit.declaration import Workflow
from graphs.kit.review_gate import REVIEW_KEY, GateSpec
from graphs.patterns.supervisor import Worker, build_supervisor
from schemas.result import AgentResult, Status
from schemas.review import ReviewAction, ReviewDecision
from schemas.underwriting import (
    AMENDABLE_QUOTE_FIELDS,
    Quote,
    UnderwritingDecision,
    UnderwritingSubmission,
)

WORKFLOW_NAME = "underwriting"
GATE = "review_gate"
DECISION_KIND = "underwriting_decision"


class UnderwritingState(GovernedState, total=False):
    """The workflow's state: the submission and one `AgentResult` (JSON) per agent (the review,
    the decision, corrections and owner are `GovernedState`'s)."""

    submission_id: str
    """From the submission (input)."""
    policy_number: str | None
    """The prior policy number as the broker wrote it (input)."""
    broker: str | None
    """The submitting broker (input)."""
    documents: list[dict[str, Any]]
    """The submission's documents (input)."""
    intake: dict[str, Any] | None
    """AgentResult[ApplicationFacts]."""
    policy_lookup: dict[str, Any] | None
    """AgentResult[PriorPolicy]."""
    risk: dict[str, Any] | None
    """AgentResult[RiskAssessment]."""
    compliance: dict[str, Any] | None
    """AgentResult[ComplianceReport]."""
    quote: dict[str, Any] | None
    """AgentResult[Quote]."""


WORKERS = (
    Worker(INTAKE),
    Worker(POLICY_LOOKUP, after=("intake",)),
    Worker(RISK, after=("intake",)),
    Worker(COMPLIANCE, after=("intake",)),
    Worker(QUOTE, after=("risk",)),
)


def _subject(state: Mapping[str, Any]) -> str:
    facts = ok_value(state, INTAKE)
    name = (facts.applicant_name if facts else None) or "unknown applicant"
    return f"Bind commercial property submission {state.get('submission_id')} for {name}?"


def _apply_amendment(state: Mapping[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    """The quote result with the reviewer's corrections, validated strictly against `Quote`. With
    no quote (the quote agent did not answer ok), the reviewer may price one: all of `limit`,
    `deductible` and `annual_premium`."""
    result, quote = result_of(state, QUOTE), ok_value(state, QUOTE)
    if result is None or quote is None:
        return {"quote": _reviewer_priced_quote(state.get("quote") or {}, corrections)}
    if "limit" in corrections and "annual_premium" not in corrections:
        raise ValueError(
            f"the quote was priced for a limit of {quote.limit:,.0f}: amend annual_premium "
            "together with limit"
        )
    changes = "; ".join(
        f"{field} {getattr(quote, field)!r} -> {value!r}" for field, value in corrections.items()
    )
    amended = validate_contract(
        Quote,
        {
            **quote.model_dump(mode="json"),
            **corrections,
            "breakdown": [*quote.breakdown, f"amended by the reviewer: {changes}"],
        },
        where="amended quote",
    )
    return {"quote": result.model_copy(update={"value": amended}).model_dump(mode="json")}


def _reviewer_priced_quote(
    result: Mapping[str, Any], corrections: dict[str, Any]
) -> dict[str, Any]:
    """A quote the reviewer priced where the quote agent gave none, as an `ok` result."""
    missing = [field for field in AMENDABLE_QUOTE_FIELDS if field not in corrections]
    if missing:
        raise ValueError(
            "there is no quote to amend (the quote agent did not answer ok): to price it "
            f"yourself give all of {', '.join(AMENDABLE_QUOTE_FIELDS)} (missing: "
            f"{', '.join(missing)})"
        )
    limit, premium = corrections["limit"], corrections["annual_premium"]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (limit, premium))
    quote = validate_contract(
        Quote,
        {
            **corrections,
            "rate_per_thousand": premium / limit * 1000 if numeric and limit > 0 else 0,
            "band_multiplier": 1.0,
            "breakdown": [
                "priced by the reviewer: no quote was calculated "
                f"({result.get('status', 'did not run')}: {result.get('reason') or 'no result'}); "
                "the rate is the premium per 1,000 of limit, no band multiplier applied"
            ],
        },
        where="reviewer-priced quote",
    )
    return AgentResult[Quote](
        status=Status.OK,
        value=quote,
        agent=QUOTE.name,
        version=QUOTE.version,
        implementation="reviewer_amendment",
        attempts=0,
    ).model_dump(mode="json")


def _decision(state: Mapping[str, Any], settled: Settled) -> UnderwritingDecision:
    """The underwriting decision: the outcome, and the quote (as amended) unless declined."""
    quote = ok_value({**settled.assessed, **(settled.review.amended or {})}, QUOTE)
    outcome = {"rejected": "declined", "referred": "referred"}.get(settled.outcome, "approved")
    return UnderwritingDecision(
        submission_id=str(state.get("submission_id")),
        outcome=outcome,
        decided_by=settled.decided_by,
        reasons=settled.reasons,
        quote=quote if outcome != "declined" else None,
        decision_key=settled.key,
        supersedes=settled.supersedes,
    )


NEEDED_TO_APPROVE = ("intake", "risk", "compliance", "quote")
"""The results an approval rests on: the facts, the risk, the screening and the price."""


def _refuse_decision(state: Mapping[str, Any], decision: ReviewDecision) -> str | None:
    """Why this decision cannot be taken on this case (None when it can): an approval needs the
    results a decision rests on, an ineligible class and state are never approved, and approving
    over a sanctions hit needs a note saying why the hit is a false match."""
    if decision.action in (ReviewAction.REJECT, ReviewAction.REFER):
        return None
    missing = [name for name in NEEDED_TO_APPROVE if (state.get(name) or {}).get("status") != "ok"]
    if missing:
        listed = "; ".join(
            f"{name} ({(state.get(name) or {}).get('status', 'did not run')}: "
            f"{(state.get(name) or {}).get('reason') or 'no result'})"
            for name in missing
        )
        remedy = (
            "; or price it yourself: --amend with all of " + ", ".join(AMENDABLE_QUOTE_FIELDS)
            if missing == ["quote"]
            else "; or have an operator correct the input and roll the agent back"
        )
        return (
            f"an approval needs the results it rests on, and these are missing: {listed}. "
            f"Reject or refer the case{remedy}"
        )
    facts, compliance = ok_value(state, INTAKE), ok_value(state, COMPLIANCE)
    if facts is None or compliance is None or not facts.applicant_name:
        return (
            "the applicant was never read from the documents, so never screened: an approval "
            "needs it. Reject or refer the case, or have an operator roll intake back with the "
            "applicant named"
        )
    if not compliance.state_eligible:
        return f"{compliance.eligibility_note}: it cannot be approved; reject or refer it"
    hits = compliance.sanctions_hits
    noted = bool((decision.note or "").strip())
    if not noted and not hits and recommendation(state) == "decline":
        return (
            "overriding the agents' decline recommendation needs a note saying why (--note); "
            "or reject or refer the case"
        )
    if hits and not noted:
        listed = ", ".join(f"{hit.screened_name} ~ {hit.listed_name}" for hit in hits)
        return (
            f"approving over a sanctions hit ({listed}) needs a note saying why it is a false "
            "match (--note)"
        )
    return None


def build_underwriting() -> StateGraph[Any, Any, Any, Any]:
    """The underwriting workflow, uncompiled."""
    builder = build_supervisor(
        UnderwritingState,
        WORKERS,
        then=GATE,
        input_contract=UnderwritingSubmission,
        context_schema=BatonContext,
        input_schema=UnderwritingSubmission,
    )
    add_gate_then_decide(
        builder,
        GateSpec(
            workflow=WORKFLOW_NAME,
            agents=AGENTS,
            subject=_subject,
            recommend=recommendation,
            apply_amendment=_apply_amendment,
            amendable_fields=AMENDABLE_QUOTE_FIELDS,
            reads=("submission_id",),
            refuse=_refuse_decision,
        ),
        _decision,
        kind=DECISION_KIND,
        reads=("submission_id",),
    )
    return builder


WORKFLOW = Workflow(
    name=WORKFLOW_NAME,
    description="Commercial property submissions: read, screen, rate and quote; a person decides "
    "what the policy stops.",
    input_contract=UnderwritingSubmission,
    agents=AGENTS,
    build=build_underwriting,
    summary=status_lines,
    state_writers={
        REVIEW_KEY: (GATE, "ReviewOutcome"),
        "decision": (FINALIZE, "UnderwritingDecision"),
    },
)
