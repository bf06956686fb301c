"""The support triage agents as specs: the voters, the arbiter, the router and the note writer.

Four offline voters (keyword rules, TF-IDF + logistic regression, embedding neighbours, a logistic
regression over the encoder's layers) always vote; a fifth, a chat model, votes when a model is
configured for `support_triage` (otherwise it sits out, and the ballot says so). Their calibrated
probabilities are weighed by the soft vote (`voters.weigh_votes`, weights learned on held-out
folds). The arbiter tries the model first when there is one, then the calibrated-probability
rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.arbitration import weigh_ballot
from agents.spec import AgentContext, AgentSpec, Implementation, Owner
from agents.support_triage.llm import ROLE, draft_note_with_model, rule_with_model, vote_with_model
from agents.support_triage.note import write_note
from agents.support_triage.routing import route_ticket
from agents.support_triage.training import (
    EMBEDDING_VOTER as EMBEDDING_VOTER_NAME,
)
from agents.support_triage.training import (
    ENCODER_LINEAR_VOTER as ENCODER_LINEAR_VOTER_NAME,
)
from agents.support_triage.training import KEYWORD_VOTER as KEYWORD_VOTER_NAME
from agents.support_triage.training import TFIDF_VOTER as TFIDF_VOTER_NAME
from agents.support_triage.voters import (
    vote_by_encoder_layers,
    vote_by_keywords,
    vote_by_neighbours,
    vote_by_tfidf,
)
from schemas.ballot import ArbitrationCase
from schemas.result import Outcome
from schemas.support_triage import (
    HandoffNote,
    IntentRuling,
    IntentVote,
    NoteRequest,
    Route,
    RouteRequest,
    TicketText,
)

WORKFLOW = "support_triage"
SUPPORT_ML = Owner(team="Support Machine Learning", contact="support-ml@baton.example")
SUPPORT_OPS = Owner(team="Support Operations", contact="support-lead@baton.example")


def _text(state: Mapping[str, Any]) -> dict[str, Any]:
    return {"text": state.get("text")}


def _voter(name: str, description: str, implementation: Implementation) -> AgentSpec:
    return AgentSpec(
        name=name,
        workflow=WORKFLOW,
        owner=SUPPORT_ML,
        version="1.0.0",
        description=description,
        reads=("text",),
        input_contract=TicketText,
        output_contract=IntentVote,
        implementations=(implementation,),
        select_input=_text,
    )


KEYWORD_VOTER = _voter(
    KEYWORD_VOTER_NAME,
    "Hand-written keyword rules per intent; the matched phrases are its evidence.",
    Implementation("keyword_rules", "deterministic", vote_by_keywords),
)
TFIDF_VOTER = _voter(
    TFIDF_VOTER_NAME,
    "TF-IDF word and character n-grams and a logistic regression (scikit-learn).",
    Implementation("tfidf_logistic_regression", "deterministic", vote_by_tfidf),
)
EMBEDDING_VOTER = _voter(
    EMBEDDING_VOTER_NAME,
    "Nearest training messages by sentence embedding (all-MiniLM-L6-v2, with all-mpnet-base-v2 "
    "where BATON_SUPPORT_TRIAGE_ENCODERS has it).",
    Implementation("encoder_neighbours", "deterministic", vote_by_neighbours),
)
ENCODER_LINEAR_VOTER = _voter(
    ENCODER_LINEAR_VOTER_NAME,
    "A logistic regression over the encoders' hidden layers (mean- and max-pooled).",
    Implementation("encoder_layers_logistic_regression", "deterministic", vote_by_encoder_layers),
)
MODEL_VOTER = _voter(
    "model_voter",
    "A chat model classifies the message (votes only when a model is configured).",
    Implementation("llm_classifier", "llm", vote_with_model, model_role=ROLE),
)
VOTERS = (KEYWORD_VOTER, TFIDF_VOTER, EMBEDDING_VOTER, ENCODER_LINEAR_VOTER, MODEL_VOTER)
OFFLINE_VOTERS = VOTERS[:4]


def _case(state: Mapping[str, Any]) -> dict[str, Any]:
    return {"ballot": state.get("ballot"), "subject": state.get("text") or ""}


def rule_on_ballot(case: ArbitrationCase, context: AgentContext) -> IntentRuling | Outcome:
    try:
        ruling = weigh_ballot(case)
    except ValueError as error:
        return Outcome.empty(str(error))
    return IntentRuling.model_validate(ruling.model_dump())


ARBITER = AgentSpec(
    name="arbiter",
    workflow=WORKFLOW,
    owner=SUPPORT_ML,
    version="1.0.0",
    description="Settles a split vote between the voters' candidates, and says why.",
    reads=("ballot", "text"),
    input_contract=ArbitrationCase,
    output_contract=IntentRuling,
    implementations=(
        Implementation("llm_arbiter", "llm", rule_with_model, model_role=ROLE),
        Implementation(
            "calibrated_average",
            "deterministic",
            rule_on_ballot,
            description="the label with the highest average calibrated probability",
            runs_inline=True,
        ),
    ),
    select_input=_case,
    writes="arbitration",
)


def _route_request(state: Mapping[str, Any]) -> dict[str, Any]:
    choice = state.get("choice") or {}
    return {
        "intent": choice.get("label"),
        "confidence": choice.get("confidence"),
        "decided_by": choice.get("decided_by"),
        "settled": choice.get("settled"),
    }


ROUTER = AgentSpec(
    name="router",
    workflow=WORKFLOW,
    owner=SUPPORT_OPS,
    version="1.0.0",
    description="Sends the ticket to the team of its intent (policies/support_routing.yaml).",
    reads=("choice",),
    input_contract=RouteRequest,
    output_contract=Route,
    implementations=(
        Implementation("routing_table", "deterministic", route_ticket, runs_inline=True),
    ),
    select_input=_route_request,
    writes="routing",
)


def final_route(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The route in force: the reviewer's amended one, else the router's, confirmed by the
    reviewer when they approved it (None when neither is ok)."""
    review = state.get("review") or {}
    amended = (review.get("amended") or {}).get("routing")
    action = ((review.get("record") or {}).get("decision") or {}).get("action")
    for result in (amended, state.get("routing")):
        if isinstance(result, dict) and result.get("status") == "ok":
            value: dict[str, Any] = dict(result["value"])
            if action == "approve":
                value.update(decided_by="reviewer", provisional=False)
            return value
    return None


def _note_request(state: Mapping[str, Any]) -> dict[str, Any]:
    votes = (state.get("ballot") or {}).get("votes") or []
    return {
        "text": state.get("text"),
        "route": final_route(state),
        "evidence": [item for vote in votes for item in vote.get("evidence") or []],
    }


NOTE_WRITER = AgentSpec(
    name="note_writer",
    workflow=WORKFLOW,
    owner=SUPPORT_OPS,
    version="1.0.0",
    description="Drafts the handoff note for the team; every point quotes the message.",
    reads=("text", "routing", "review", "ballot"),
    input_contract=NoteRequest,
    output_contract=HandoffNote,
    implementations=(
        Implementation("llm_note", "llm", draft_note_with_model, model_role=ROLE),
        Implementation("cited_points", "deterministic", write_note, runs_inline=True),
    ),
    select_input=_note_request,
    writes="note",
)

AGENTS = (*VOTERS, ARBITER, ROUTER, NOTE_WRITER)
