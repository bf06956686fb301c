"""The review gate: a node around `interrupt()` that stops the cases the policy says a person decides.

The payload is a `ReviewPacket` (what is decided, the evidence, the rules that fired, the allowed
actions). The resume value must be a valid `ReviewDecision`; an invalid one is refused with the
reason and the gate stays open (it asks again, with the refusal in the packet). The decision is
recorded once per gate task in the side-effect ledger, after the `interrupt()`, so a resumed or
re-run gate never records it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ValidationError

from agents.spec import AgentSpec
from checkpoints.ledger import SideEffectLedger
from graphs.context import BatonContext, resolved_database_url
from graphs.contracts import describe_errors
from graphs.events import emit
from graphs.policy import ReviewPolicy, assess
from graphs.redaction import redact, redacting_trace_policy
from schemas.review import ReviewAction, ReviewDecision, ReviewPacket, ReviewRecord
from schemas.sensitive import sensitive_fields
from schemas.trace import EventKind

REVIEW_KEY = "review"
REVIEW_DECISION_KIND = "review_decision"


class ReviewOutcome(BaseModel):
    """What the gate writes to state: whether a person was needed, and what they decided."""

    required: bool
    action: Literal["approve", "review", "refer"]
    """What the policy said: approve automatically, stop for review, or refer."""
    fired: list[dict[str, Any]]
    packet: ReviewPacket | None = None
    record: ReviewRecord | None = None


@dataclass(frozen=True)
class GateSpec:
    """A workflow's review gate: its policy and how to present and check a case."""

    name: str
    workflow: str
    policy: ReviewPolicy
    agents: Sequence[AgentSpec]
    subject: Callable[[Mapping[str, Any]], str]
    recommend: Callable[[Mapping[str, Any]], Literal["approve", "decline"]]
    check_amendment: Callable[[Mapping[str, Any], dict[str, Any]], None]
    """Raises ValueError (or ValidationError) when corrections cannot be applied to the case."""
    amendable_fields: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    """State keys besides the agents' results that `subject` needs."""


def add_review_gate(builder: StateGraph, gate: GateSpec) -> None:
    """Add the gate as a node reading the agents' results (and `reads`), writing `review`."""
    hints = get_type_hints(builder.state_schema)
    keys = [*gate.reads, *(spec.writes for spec in gate.agents)]
    fields = {key: hints[key] for key in keys}
    slice_type = TypedDict(f"{gate.name.title().replace('_', '')}Slice", fields, total=False)  # type: ignore[misc]
    builder.add_node(
        gate.name,
        _gate_node(gate),
        input_schema=slice_type,
        trace_policy=redacting_trace_policy(spec.output_contract for spec in gate.agents),
    )


def _gate_node(gate: GateSpec) -> Callable[..., dict[str, Any]]:
    names = [spec.name for spec in gate.agents]
    hidden = sensitive_fields(*(spec.output_contract for spec in gate.agents))

    def review_gate(
        state: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
    ) -> dict[str, Any]:
        results = {spec.name: state.get(spec.writes) for spec in gate.agents}
        assessment = assess(gate.policy, results, names)
        fired = [rule.model_dump() for rule in assessment.fired]
        if assessment.action != "review":
            emit(
                EventKind.GATE_PASSED,
                {"gate": gate.name, "action": assessment.action, "fired": fired},
                config,
            )
            return {
                REVIEW_KEY: ReviewOutcome(
                    required=False, action=assessment.action, fired=fired
                ).model_dump(mode="json")
            }
        recommendation = gate.recommend(state)
        packet = ReviewPacket(
            workflow=gate.workflow,
            gate=gate.name,
            subject=gate.subject(state),
            recommendation=recommendation,
            reasons=assessment.fired,
            evidence=redact(results, hidden),
            allowed_actions=list(ReviewAction),
            amendable_fields=list(gate.amendable_fields),
        )
        refused: list[str] = []
        while True:
            asked = {**packet.model_dump(mode="json"), "refused": refused}
            emit(EventKind.GATE_FIRED, {"gate": gate.name, "packet": asked}, config)
            answer = interrupt(asked)
            problem = _check_answer(gate, state, answer)
            if problem is None:
                decision = ReviewDecision.model_validate(answer)
                break
            refused.append(problem)

        agreed = (decision.action is ReviewAction.APPROVE and recommendation == "approve") or (
            decision.action is ReviewAction.REJECT and recommendation == "decline"
        )
        record = ReviewRecord(decision=decision, recommendation=recommendation, agreed=agreed)
        thread_id = str(config.get("configurable", {}).get("thread_id", "unthreaded"))
        task = str(config.get("configurable", {}).get("checkpoint_ns", gate.name))
        kept = SideEffectLedger(resolved_database_url(runtime)).record_once(
            f"{REVIEW_DECISION_KIND}:{thread_id}:{task}",
            thread_id=thread_id,
            kind=REVIEW_DECISION_KIND,
            payload={
                "workflow": gate.workflow,
                "gate": gate.name,
                **record.model_dump(mode="json"),
            },
        )
        record = ReviewRecord.model_validate(
            {k: v for k, v in kept.payload.items() if k in ReviewRecord.model_fields}
        )
        emit(
            EventKind.REVIEW_DECISION,
            {"gate": gate.name, "created": kept.created, **record.model_dump(mode="json")},
            config,
        )
        return {
            REVIEW_KEY: ReviewOutcome(
                required=True, action="review", fired=fired, packet=packet, record=record
            ).model_dump(mode="json")
        }

    return review_gate


def _check_answer(gate: GateSpec, state: Mapping[str, Any], answer: Any) -> str | None:
    """Why a resume value is refused, or None when it is a valid decision for this case."""
    try:
        decision = ReviewDecision.model_validate(answer)
        if decision.action is ReviewAction.AMEND:
            assert decision.corrections is not None
            unknown = sorted(set(decision.corrections) - set(gate.amendable_fields))
            if unknown:
                return (
                    f"corrections: {unknown} cannot be amended "
                    f"(amendable: {', '.join(gate.amendable_fields) or 'none'})"
                )
            gate.check_amendment(state, decision.corrections)
    except ValidationError as error:
        return "invalid review decision: " + "; ".join(describe_errors(error))
    except ValueError as error:
        return f"invalid review decision: {error}"
    return None


def agreement_rates(ledger: SideEffectLedger) -> dict[str, dict[str, Any]]:
    """Per gate: decisions recorded and how often reviewers agreed with the agents' recommendation."""
    stats: dict[str, dict[str, Any]] = {}
    for row in ledger.of_kind(REVIEW_DECISION_KIND):
        payload = row["payload"]
        entry = stats.setdefault(payload["gate"], {"decisions": 0, "agreed": 0})
        entry["decisions"] += 1
        entry["agreed"] += 1 if payload.get("agreed") else 0
    for entry in stats.values():
        entry["agreement"] = entry["agreed"] / entry["decisions"] if entry["decisions"] else None
    return stats
