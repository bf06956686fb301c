"""Recording a workflow's decision once, from what its review gate recorded.

A workflow's last node calls `record_decision`: it reads the outcome the review gate kept in the
side-effect ledger (never what the state says), works out who decided and how, and records the
workflow's decision record once under a key tied to the reviewer's decision (or to this task), so
a resumed or re-run node finds it already there. An earlier decision of the same thread (a
rollback re-ran the workflow) is named as superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict, cast, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, create_model

from agents.spec import AgentSpec
from checkpoints.ledger import SideEffectLedger
from graphs.kit.access import first_owner
from graphs.kit.context import BatonContext, resolved_database_url
from graphs.kit.events import emit
from graphs.kit.governed import add_governed_agent
from graphs.kit.review_gate import (
    REVIEW_KEY,
    GateSpec,
    ReviewOutcome,
    add_review_gate,
    recorded_outcome,
)
from schemas.decision import DecisionRecord
from schemas.review import ReviewAction
from schemas.trace import EventKind


@dataclass(frozen=True)
class Settled:
    """What the gate settled, for a workflow to build its decision record from."""

    review: ReviewOutcome
    assessed: dict[str, Any]
    """The agent results the gate assessed (as it recorded them)."""
    outcome: str
    """`cleared` or `referred` by policy; `cleared_by_reviewer`, `referred` (by the reviewer, or
    by a refer rule that still holds on the amended results) or `rejected` after a person decided."""
    decided_by: str
    """`policy`, or the reviewer's identity."""
    reasons: list[str]
    key: str
    supersedes: str | None
    thread_id: str = ""
    """The case's thread."""
    database_url: str = ""
    """The run's database: for a side effect of the decision that must happen once per thing
    decided, not per thread (an invoice paid once, whichever thread approves it)."""

    @property
    def rejected(self) -> bool:
        return self.outcome == "rejected"

    def record(self) -> dict[str, Any]:
        """The fields every decision record has (`schemas.decision.DecisionRecord`)."""
        return {
            "outcome": self.outcome,
            "decided_by": self.decided_by,
            "reasons": self.reasons,
            "decision_key": self.key,
            "supersedes": self.supersedes,
        }


def record_decision(
    state: Mapping[str, Any],
    config: RunnableConfig,
    runtime: Runtime[BatonContext],
    kind: str,
    build: Callable[[Settled], BaseModel],
) -> dict[str, Any]:
    """Record the decision `build` makes (once, in the ledger under `kind`); returns the state
    update `{"decision": …}` with the record as kept."""
    thread_id = str(config.get("configurable", {}).get("thread_id", "unthreaded"))
    database_url = resolved_database_url(runtime)
    ledger = SideEffectLedger(database_url)
    review, assessed = recorded_outcome(ledger, thread_id, state.get(REVIEW_KEY))
    reasons = [f"{rule.rule}: {rule.detail}" for rule in review.fired]
    decided_by = "policy"
    if review.record is not None and review.record.automated:
        # A rule in auto decided as the agents recommended: the policy's decision, no person's.
        decision = review.record.decision
        decided_by = decision.reviewer
        outcome = "rejected" if decision.action is ReviewAction.REJECT else "cleared"
        reasons.append(f"decided by the policy: {decision.note}")
    elif review.record is not None:
        decision = review.record.decision
        decided_by = decision.reviewer
        outcome = {ReviewAction.REJECT: "rejected", ReviewAction.REFER: "referred"}.get(
            decision.action, "cleared_by_reviewer"
        )
        if decision.action is ReviewAction.AMEND:
            changes = ", ".join(f"{k} → {v!r}" for k, v in (decision.corrections or {}).items())
            reasons.append(f"amended by {decision.reviewer}: {changes}")
        if decision.action is ReviewAction.REFER:
            reasons.append(f"referred by {decision.reviewer}")
        if decision.note:
            reasons.append(f"reviewer note: {decision.note}")
        if review.record.confirmed_by is not None:
            second = review.record.confirmed_by
            reasons.append(f"confirmed by a second reviewer, {second.reviewer}")
            if second.note:
                reasons.append(f"second reviewer's note: {second.note}")
        if review.record.overruled is not None:
            first = review.record.overruled
            reasons.append(
                f"{first.reviewer}'s {first.action.value} was not confirmed: "
                f"{decision.reviewer} chose {decision.action.value} as second reviewer"
            )
        if outcome == "cleared_by_reviewer" and review.referrals:
            outcome = "referred"
            reasons += [f"still referred: {r.rule}: {r.detail}" for r in review.referrals]
    else:
        outcome = "referred" if review.action == "refer" else "cleared"
        reasons = reasons or ["no review rule fired"]
    task = str(config.get("configurable", {}).get("checkpoint_ns", "finalize"))
    key = f"{kind}:{review.record_key}" if review.record_key else f"{kind}:{thread_id}:{task}"
    earlier = [row["key"] for row in ledger.for_thread(thread_id, kind) if row["key"] != key]
    record = build(
        Settled(
            review=review,
            assessed=assessed,
            outcome=outcome,
            decided_by=decided_by,
            reasons=reasons,
            key=key,
            supersedes=earlier[-1] if earlier else None,
            thread_id=thread_id,
            database_url=database_url,
        )
    )
    kept = ledger.record_once(
        key, thread_id=thread_id, kind=kind, payload=record.model_dump(mode="json")
    )
    emit(
        EventKind.SIDE_EFFECT,
        {
            "kind": kind,
            "key": key,
            "created": kept.created,
            "outcome": kept.payload["outcome"],
            "supersedes": kept.payload.get("supersedes"),
        },
        config,
    )
    return {"decision": kept.payload}


DECISION_KEY = "decision"
FINALIZE = "finalize"


class GovernedState(TypedDict, total=False):
    """The keys every governed workflow's state has besides its input and its agents' results:
    a workflow's state extends it (`class MyState(GovernedState, total=False): ...`)."""

    review: dict[str, Any] | None
    """ReviewOutcome: what the policy said and what the reviewer decided (the review gate)."""
    decision: dict[str, Any] | None
    """The workflow's decision record, as recorded once in the ledger (`finalize`)."""
    overrides: dict[str, dict[str, Any]]
    """Operator-corrected agent inputs (set by rollback), by agent name."""
    owner: Annotated[str | None, first_owner]
    """Who started the case through a server (set once by the entry node; None in-process)."""


def governed_state(
    name: str, input_contract: type[BaseModel], agents: Sequence[AgentSpec]
) -> type[GovernedState]:
    """A workflow state made from its input contract and its agents: every input field, one
    `AgentResult` (JSON) per agent under the key it writes, and `GovernedState`'s keys. A workflow
    whose pattern keeps keys of its own declares its state by hand instead (e.g. `ChainState`)."""
    fields: dict[str, Any] = {
        key: field.annotation for key, field in input_contract.model_fields.items()
    }
    fields |= {spec.writes: dict[str, Any] | None for spec in agents}
    governed = get_type_hints(GovernedState, include_extras=True)
    keys = [*input_contract.model_fields, *(spec.writes for spec in agents)]
    clash = sorted({key for key in keys if keys.count(key) > 1} | (set(fields) & set(governed)))
    if clash:
        raise ValueError(
            f"{name}: input fields, agents' keys and the governed keys must be distinct "
            f"(given more than once: {', '.join(clash)})"
        )
    state: Any = TypedDict(name, {**fields, **governed}, total=False)  # type: ignore[misc]
    return cast(type[GovernedState], state)


Decide = Callable[[Mapping[str, Any], Settled], BaseModel]
"""Builds a workflow's decision record from its state (the keys named in `reads`) and what the
review gate settled."""


def add_gate_then_decide(
    builder: StateGraph[Any, Any, Any, Any],
    gate: GateSpec,
    decide: Decide | None = None,
    *,
    kind: str | None = None,
    reads: tuple[str, ...] = (),
    after_review: tuple[Callable[[Mapping[str, Any]], str], Sequence[AgentSpec]] | None = None,
) -> None:
    """Add the review gate, then `finalize`, which records the decision `decide` builds once in the
    ledger (under `kind`) and ends the run. Without `decide`, the record is a `DecisionRecord`
    with the `reads` keys (e.g. the case's id) besides.

    Args:
        builder: the workflow's graph; its state extends `GovernedState`.
        gate: the review gate (its policy, subject, recommendation, amendments, refusals).
        decide: builds the decision record from the state's `reads` keys and the settled outcome.
        kind: the ledger kind of the decision record (default `<workflow>_decision`).
        reads: state keys `decide` needs besides the review outcome (e.g. the case's id).
        after_review: agents that run between the gate and `finalize` when a router (reading the
            whole state) sends the case to them, e.g. a note writer for an accepted ticket only;
            the router returns an agent's name or `FINALIZE`. Without it the gate leads straight
            to `finalize`.

    Example:
        add_gate_then_decide(builder, GateSpec(...), build_decision, kind="invoice_decision",
                             reads=("invoice_id",))
    """
    add_review_gate(builder, gate)
    if after_review is not None:
        route, agents = after_review
        builder.add_conditional_edges(gate.name, route, [*(a.name for a in agents), FINALIZE])
        for agent in agents:
            add_governed_agent(builder, agent, then=FINALIZE)
    else:
        builder.add_edge(gate.name, FINALIZE)
    hints = get_type_hints(builder.state_schema, include_extras=True)
    fields = {key: hints[key] for key in (*reads, REVIEW_KEY)}
    slice_type = TypedDict("FinalizeSlice", fields, total=False)  # type: ignore[misc]
    build = decide or _default_decision(gate.workflow, {key: hints[key] for key in reads})
    ledger_kind = kind or f"{gate.workflow}_decision"

    def finalize(
        state: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
    ) -> dict[str, Any]:
        """Record the decision once, from what the review gate recorded."""
        return record_decision(state, config, runtime, ledger_kind, lambda s: build(state, s))

    builder.add_node(FINALIZE, cast(Any, finalize), input_schema=slice_type)
    builder.add_edge(FINALIZE, END)


def _default_decision(workflow: str, fields: Mapping[str, Any]) -> Decide:
    """A decision builder for a `DecisionRecord` carrying `fields` (state keys) besides."""
    name = "".join(part.title() for part in workflow.split("_")) + "Decision"
    clash = sorted(set(fields) & set(DecisionRecord.model_fields))
    if clash:
        raise ValueError(f"{workflow}: reads {clash} clash with the decision record's own fields")
    model = create_model(  # type: ignore[call-overload]
        name, __base__=DecisionRecord, **{key: (hint | None, None) for key, hint in fields.items()}
    )

    def decide(state: Mapping[str, Any], settled: Settled) -> BaseModel:
        record: BaseModel = model(**{key: state.get(key) for key in fields}, **settled.record())
        return record

    return decide
