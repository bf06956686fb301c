"""Support triage, on the vote and arbiter patterns.

receive -> keyword_voter, tfidf_voter, embedding_voter, encoder_linear_voter, model_voter (in
parallel) -> tally -> [arbiter -> check_ruling] -> router -> review_gate -> note_writer -> finalize.

The voters classify the message into one of the intents they were trained on (Banking77's 77 by
default, or a team's own: `baton train support_triage --data CSV`). By default a soft vote
decides: the voters' calibrated probabilities weighed with weights learned on held-out folds, the
best intent settling the case when its combined confidence reaches the vote's threshold (a
`decision: majority` vote file counts labels instead). An unsure vote goes to the arbiter, and a
case nobody settled (a weak ruling, a failed arbiter, no votes)
is routed provisionally and waits in the human queue at the review gate, where a person approves
the suggested intent, amends it (`{"intent": …}`) or rejects the ticket. The vote's thresholds are
the support lead's (`policies/support_triage_vote.yaml`), as are the routes
(`policies/support_routing.yaml`) and the gate's rules (`policies/support_triage.yaml`). The
classifiers are trained by `baton train support_triage` (cached; see
`agents.support_triage.training`). `WORKFLOW.graph` is compiled without a checkpointer (for the LangGraph
server); `graphs.kit.runtime.open_workflow("support_triage")` compiles it with the configured one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from langgraph.graph import StateGraph
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.spec import ok_value
from agents.structured import validation_errors
from agents.support_triage.routing import route_for, routing_table
from agents.support_triage.specs import AGENTS, ARBITER, NOTE_WRITER, ROUTER, VOTERS, final_route
from agents.support_triage.status import status_lines
from agents.support_triage.training import train
from agents.support_triage.voters import weigh_votes
from graphs.kit.context import BatonContext
from graphs.kit.decisions import FINALIZE, GovernedState, Settled, add_gate_then_decide
from graphs.kit.declaration import Workflow
from graphs.kit.governed import add_governed_agent
from graphs.kit.policy import POLICY_DIR, PolicyError, workflow_policy
from graphs.kit.review_gate import GateSpec
from graphs.patterns.vote import Arbiter, SoftVote, VoteState, build_vote
from schemas.result import AgentResult, Status
from schemas.review import Recommendation, ReviewAction, ReviewDecision
from schemas.support_triage import Route, RouteRequest, SupportTicket, TriageDecision

WORKFLOW_NAME = "support_triage"
GATE = "review_gate"
DECISION_KIND = "triage_decision"
VOTE_FILE = POLICY_DIR / "support_triage_vote.yaml"


class VoteRules(BaseModel):
    """The support lead's vote settings (`policies/support_triage_vote.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1)
    decision: Literal["soft", "majority"] = "soft"
    """`soft`: weigh the votes' calibrated probabilities (learned weights); `majority`: count
    labels."""
    quorum: int = Field(ge=1, le=5)
    """Counted votes the ballot needs before it can decide."""
    soft_vote_min_confidence: float = Field(default=0.5, ge=0, le=1)
    """A soft vote less confident than this goes to the arbiter."""
    min_vote_confidence: float = Field(ge=0, le=1)
    """A vote less confident than this is an abstention."""
    arbiter_min_confidence: float = Field(ge=0, le=1)
    """A ruling less confident than this sends the case to a person."""


def load_vote_rules(path: Path | None = None) -> VoteRules:
    """Read and check the vote settings (default: `VOTE_FILE`); PolicyError naming the file and
    the field."""
    path = path if path is not None else VOTE_FILE
    try:
        return VoteRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the vote settings: {error}") from error
    except ValidationError as error:
        raise PolicyError(f"{path}: {validation_errors(error)}") from error


class SupportTriageState(VoteState, GovernedState, total=False):
    """The workflow's state: the ticket, one `AgentResult` (JSON) per agent, the vote's keys
    (`VoteState`: ballot, choice, escalation); the review, decision, corrections and owner
    (`GovernedState`)."""

    ticket_id: str
    """From the input."""
    text: str
    """The customer's message (input)."""
    customer_id: str | None
    """From the input (no agent reads it)."""
    channel: str | None
    """From the input (no agent reads it)."""
    keyword_voter: dict[str, Any] | None
    """AgentResult[IntentVote]."""
    tfidf_voter: dict[str, Any] | None
    """AgentResult[IntentVote]."""
    embedding_voter: dict[str, Any] | None
    """AgentResult[IntentVote]."""
    encoder_linear_voter: dict[str, Any] | None
    """AgentResult[IntentVote]."""
    model_voter: dict[str, Any] | None
    """AgentResult[IntentVote] (failed with nothing attempted when no model is configured)."""
    arbitration: dict[str, Any] | None
    """AgentResult[IntentRuling], when the vote was split."""
    routing: dict[str, Any] | None
    """AgentResult[Route]."""
    note: dict[str, Any] | None
    """AgentResult[HandoffNote]."""


def _subject(state: Mapping[str, Any]) -> str:
    text = " ".join(str(state.get("text") or "").split())
    shown = text if len(text) <= 80 else text[:77] + "…"
    question = f"Which team takes ticket {state.get('ticket_id')}: “{shown}”?"
    route = ok_value(state, ROUTER)
    if route:
        question += f" Suggested: {route.intent} → {route.queue}."
    return question


def _recommendation(results: Mapping[str, Any]) -> Recommendation:
    """`approve` (the suggested route) when the router answered ok, else `none`."""
    routing = results.get("routing")
    return "approve" if isinstance(routing, dict) and routing.get("status") == "ok" else "none"


def _escalations(state: Mapping[str, Any]) -> list[str]:
    escalation = state.get("escalation")
    return [f"{escalation['stage']}: {escalation['reason']}"] if escalation else []


def _ballot_and_ruling(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the reviewer sees besides the route: every vote, and the arbiter's ruling if any."""
    return {"ballot": state.get("ballot"), "arbitration": state.get("arbitration")}


def _refuse(state: Mapping[str, Any], decision: ReviewDecision) -> str | None:
    routing = state.get("routing") or {}
    if decision.action is ReviewAction.APPROVE and routing.get("status") != Status.OK:
        return (
            'there is no suggested intent to approve: amend with {"intent": …} (one of the '
            "routing file's intents) or reject the ticket"
        )
    return None


def soft_vote(rules: VoteRules) -> SoftVote | None:
    """The vote file's soft vote (None when it counts a majority)."""
    if rules.decision != "soft":
        return None
    return SoftVote(
        weigh=weigh_votes,
        min_confidence=rules.soft_vote_min_confidence,
        describe="the soft vote (weights learned on held-out folds)",
    )


def _apply_amendment(state: Mapping[str, Any], corrections: dict[str, Any]) -> dict[str, Any]:
    """The route of the reviewer's intent (ValueError on one the routing file does not route)."""
    intent = str(corrections.get("intent"))
    request = RouteRequest(intent=intent, decided_by="reviewer", settled=True)
    result = AgentResult[Route](
        status=Status.OK,
        value=route_for(intent, request),
        agent=ROUTER.name,
        version=ROUTER.version,
        implementation="reviewer_amendment",
        attempts=0,
    )
    return {ROUTER.writes: result.model_dump(mode="json")}


def _after_review(state: Mapping[str, Any]) -> str:
    """A rejected or referred ticket, or one with no route, gets no note."""
    record = (state.get("review") or {}).get("record") or {}
    action = (record.get("decision") or {}).get("action")
    unrouted = action in (ReviewAction.REJECT, ReviewAction.REFER)
    return FINALIZE if unrouted or final_route(state) is None else NOTE_WRITER.name


def _decision(state: Mapping[str, Any], settled: Settled) -> TriageDecision:
    """Where the ticket went, from what the review gate settled."""

    amended = (settled.review.amended or {}).get(ROUTER.writes)
    routing = amended or settled.assessed.get("router") or {}
    route = routing.get("value") if routing.get("status") == Status.OK else None
    outcome: Literal["routed", "routed_by_reviewer", "rejected", "referred"]
    if settled.rejected:
        outcome, route = "rejected", None
    elif settled.outcome == "referred":
        outcome, route = "referred", None
    elif settled.review.record is not None and not settled.review.record.automated:
        outcome = "routed_by_reviewer"
    else:
        outcome = "routed"
    decided_by = settled.decided_by
    if decided_by == "policy" and route is not None:
        decided_by = route["decided_by"]
    return TriageDecision(
        ticket_id=str(state.get("ticket_id")),
        outcome=outcome,
        intent=route["intent"] if route else None,
        team=route["team"] if route else None,
        queue=route["queue"] if route else None,
        decided_by=decided_by,
        reasons=settled.reasons,
        decision_key=settled.key,
        supersedes=settled.supersedes,
    )


def build_support_triage() -> StateGraph[Any, Any, Any, Any]:
    """The support triage workflow, uncompiled."""
    rules = load_vote_rules()
    builder = build_vote(
        SupportTriageState,
        VOTERS,
        then=ROUTER.name,
        escalate_to=ROUTER.name,
        arbiter=Arbiter(ARBITER, min_confidence=rules.arbiter_min_confidence),
        quorum=rules.quorum,
        min_vote_confidence=rules.min_vote_confidence,
        soft=soft_vote(rules),
        input_contract=SupportTicket,
        context_schema=BatonContext,
        input_schema=SupportTicket,
    )
    add_governed_agent(builder, ROUTER, then=GATE)
    add_gate_then_decide(
        builder,
        GateSpec(
            workflow=WORKFLOW_NAME,
            policy=workflow_policy(WORKFLOW_NAME, AGENTS),  # its rules may name any agent
            agents=(ROUTER,),
            subject=_subject,
            recommend=_recommendation,
            apply_amendment=_apply_amendment,
            amendable_fields=("intent",),
            reads=("ticket_id", "text", "escalation", "ballot", "arbitration"),
            escalations=_escalations,
            evidence=_ballot_and_ruling,
            refuse=_refuse,
        ),
        _decision,
        kind=DECISION_KIND,
        reads=("ticket_id",),
        after_review=(_after_review, [NOTE_WRITER]),
    )
    return builder


WORKFLOW = Workflow(
    name=WORKFLOW_NAME,
    description="Support tickets: classifiers vote on the intent (a soft vote, weights learned on "
    "held-out folds), an arbiter settles an unsure one, and the ticket is routed with a note; a person decides what the policy stops.",
    input_contract=SupportTicket,
    agents=AGENTS,
    build=build_support_triage,
    subject_field="ticket_id",
    rollback="replay",
    trainer=train,
    summary=status_lines,
    amendment_choices={"intent": lambda: sorted(routing_table().routes)},
    state_writers={
        "ballot": ("tally", "Ballot"),
        "choice": ("tally, check_ruling", "Choice"),
        "escalation": ("tally, check_ruling", "escalation: stage, reason"),
        "review": (GATE, "ReviewOutcome"),
        "decision": (FINALIZE, "TriageDecision"),
    },
)
