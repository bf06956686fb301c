"""Trace events: what the local trace store records for every step of a run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventKind(StrEnum):
    STEP = "step"
    """A graph node finished (agent steps carry the agent's status and provenance)."""
    STEP_ERROR = "step_error"
    """A graph node raised (the run stopped there)."""
    ROUTE = "route"
    """The supervisor chose the next workers (and which are blocked, and why)."""
    ATTEMPT = "attempt"
    """One implementation of an agent's chain ran."""
    FALLBACK = "fallback"
    """An implementation was rejected and the next one in the chain runs."""
    CONTRACT_VIOLATION = "contract_violation"
    """An input or output broke its contract."""
    GATE_FIRED = "gate_fired"
    """A review gate stopped the run for a person."""
    GATE_PASSED = "gate_passed"
    """A review gate let the case through (no rule fired, or a referral)."""
    REVIEW_DECISION = "review_decision"
    """A person decided at a review gate."""
    REVIEW_REFUSED = "review_refused"
    """A resume value at a gate was refused as invalid."""
    SIDE_EFFECT = "side_effect"
    """A side effect was recorded (or found already recorded)."""
    INPUT_OVERRIDE = "input_override"
    """An operator corrected an agent's input on rollback."""
    VERDICT = "verdict"
    """A chain's evaluator judged a stage: proceed, loop back or escalate."""
    LOOP_BACK = "loop_back"
    """A chain stage runs again, with the evaluator's feedback."""
    ESCALATION = "escalation"
    """A case was sent to a person: a chain's evaluator escalated or a loop cap was reached, or a
    vote could not settle it."""
    BALLOT = "ballot"
    """A vote was tallied: every voter's line (label, confidence, or why it did not count)."""
    RULING = "ruling"
    """An arbiter's ruling was checked against its confidence threshold."""
    POST = "post"
    """A peer's post joined a mesh's blackboard (its round, id, kind and content)."""
    TURN_FAILED = "turn_failed"
    """A peer's turn in a mesh was refused (it failed, or a post broke the board's rules): none
    of its posts joined the board."""
    DEBATE_ENDED = "debate_ended"
    """A mesh's debate ended: the rule (or the loop) that ended it, why, and what it settled."""
    QUEUED = "queued"
    """A case joined the human queue (it waits at a review gate)."""
    ROLLBACK = "rollback"
    """Someone rewound the thread to just before an agent: who (and how that was established),
    when, to which agent, why, and the corrected input if any (sensitive fields redacted)."""
    PRUNE = "prune"
    """An operator pruned the thread's intermediate checkpoints (`baton prune`): who (and how
    that was established), when, why, and how old a thread had to be."""
    POLICY_IN_FORCE = "policy_in_force"
    """A gate decided its first case under a policy version other than the one it last used
    (the owner changed the policy file): the new version, the one before, and the rules."""
    STATE_CHANGE = "state_change"
    """An operator changed a thread's history through a server (a state update, a run from an
    earlier checkpoint, a command that jumps or writes): who (from the key), when, how, why (the
    `x-baton-reason` header) and the values written (sensitive fields redacted)."""


class TraceEvent(BaseModel):
    """One row of the trace store."""

    model_config = ConfigDict(extra="forbid")

    seq: int | None = None
    thread_id: str
    kind: EventKind
    node: str | None = None
    agent: str | None = None
    run_id: str | None = None
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)
