"""Recording a workflow's decision once, from what its review gate recorded.

A workflow's last node calls `record_decision`: it reads the outcome the review gate kept in the
side-effect ledger (never what the state says), works out who decided and how, and records the
workflow's decision record once under a key tied to the reviewer's decision (or to this task), so
a resumed or re-run node finds it already there. An earlier decision of the same thread (a
rollback re-ran the workflow) is named as superseded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from pydantic import BaseModel

from checkpoints.ledger import SideEffectLedger
from graphs.kit.context import BatonContext, resolved_database_url
from graphs.kit.events import emit
from graphs.kit.review_gate import REVIEW_KEY, ReviewOutcome, recorded_outcome
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

    @property
    def rejected(self) -> bool:
        return self.outcome == "rejected"


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
    ledger = SideEffectLedger(resolved_database_url(runtime))
    review, assessed = recorded_outcome(ledger, thread_id, state.get(REVIEW_KEY))
    reasons = [f"{rule.rule}: {rule.detail}" for rule in review.fired]
    decided_by = "policy"
    if review.record is not None:
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
