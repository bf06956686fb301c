"""Review gates: the packet a person sees and the decision they send back."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Recommendation = Literal["approve", "decline", "none"]
"""What the agents' results point to; `none` when an agent could not answer."""


PACKET_REF = r"^[0-9a-f]{12,64}$"
"""A packet hash as a decision names it: the whole SHA-256 (64 hex digits) or its first 12+."""


def names_packet(reference: str, packet_hash: str) -> bool:
    """Whether a decision's `packet` reference names the packet with this hash."""
    return len(reference) >= 12 and packet_hash.startswith(reference)


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    AMEND = "amend"
    REFER = "refer"
    """Send the case to the referral desk (outcome `referred`): for a case this desk should not
    decide, or one whose results are missing and cannot be supplied."""


class ReviewDecision(BaseModel):
    """The resume value of a review gate. Anything else is refused and the gate stays open."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    reviewer: str = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    corrections: dict[str, Any] | None = None
    """With `amend`: the fields of the proposed terms to change (validated by the workflow)."""
    packet: str | None = Field(default=None, pattern=PACKET_REF)
    """The `packet_hash` of the review packet this decision answers (its first 12 characters
    are enough). A case that changed since (a rollback re-ran an agent, an input was corrected)
    shows another packet, and the decision is refused. The gate records the full hash of the
    packet it applied the decision to, named or not."""
    identified_by: str | None = Field(default=None, max_length=100)
    """How the reviewer's identity was established: `api key` (a server, from the caller's key,
    whatever the body said), `development mode` (a server with BATON_AUTH=off: the body's name),
    or on the command line `command-line option`, `BATON_REVIEWER` or `operating-system user`."""

    @model_validator(mode="after")
    def _amend_needs_corrections(self) -> Self:
        if not self.reviewer.strip():
            raise ValueError("reviewer must name a person")
        if self.action is ReviewAction.AMEND and not self.corrections:
            raise ValueError("amend needs corrections")
        if self.action is not ReviewAction.AMEND and self.corrections:
            raise ValueError("corrections are only taken with amend")
        return self


class FiredRule(BaseModel):
    """A policy rule that matched this case."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    description: str
    action: Literal["review", "refer", "auto"]
    detail: str
    """What in the case made it fire (the field and the value)."""


class ShadowCall(BaseModel):
    """What a rule in shadow would have decided had it been automated: the agents' recommendation
    (`approve`, `decline`), or `stop` when another rule would stop the case anyway or the agents
    made no recommendation."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    would_be: Literal["approve", "decline", "stop"]


class GeneratedSummary(BaseModel):
    """A model's summary of the evidence for the reviewer. Generated, so never used to decide."""

    model_config = ConfigDict(extra="forbid")

    generated: Literal[True] = True
    model: str
    text: str | None
    """None when the model could not be reached (see `error`); the gate works without it."""
    error: str | None = None
    notice: str = "Written by a model from the evidence below; it is not used to decide anything."


class SecondReview(BaseModel):
    """A first reviewer's decision that waits for a second reviewer, and why it must."""

    model_config = ConfigDict(extra="forbid")

    first: ReviewDecision
    why: str


class ReviewPacket(BaseModel):
    """What a review gate shows the reviewer: the question, the evidence, and what they may do."""

    model_config = ConfigDict(extra="forbid")

    workflow: str
    gate: str
    subject: str
    """What is being decided, in one line."""
    recommendation: Recommendation
    """What the agents' results point to; the reviewer's agreement with it is measured."""
    reasons: list[FiredRule]
    evidence: dict[str, Any]
    """The agent results the decision rests on (JSON, redacted where sensitive)."""
    allowed_actions: list[ReviewAction]
    amendable_fields: list[str] = Field(default_factory=list)
    summary: GeneratedSummary | None = None
    """When a `review_summary` model is configured: a generated summary of the evidence."""
    awaiting_second_review: SecondReview | None = None
    """Set when a first reviewer's decision needs a second, different reviewer (the policy file's
    `second_reviewer`): they confirm it (the same action and corrections), or reject or refer."""
    packet_hash: str | None = None
    """SHA-256 of what the packet shows (`content_hash`): the reference a decision names."""

    def content_hash(self, hidden: str = "") -> str:
        """SHA-256 of the packet as shown, in canonical JSON: everything but the generated
        summary (which decides nothing, and a model may word it otherwise when asked again) and
        the hash itself; and `hidden`, a digest of what the packet shows redacted (so a change to a
        sensitive field changes the packet too, without its value entering the hash in clear)."""
        shown = self.model_dump(mode="json", exclude={"summary", "packet_hash"})
        canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256((canonical + hidden).encode()).hexdigest()


class ReviewRecord(BaseModel):
    """A decision as recorded by the gate, with who made it and whether they agreed with the agents."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    recommendation: Recommendation
    agreed: bool | None
    """None when the agents made no recommendation (an agent failed or did not run). A referral
    is not agreement: the reviewer did not take the agents' recommendation."""
    confirmed_by: ReviewDecision | None = None
    """The second reviewer's confirmation, when the policy asked for one."""
    overruled: ReviewDecision | None = None
    """The first reviewer's decision, when the second reviewer rejected or referred instead."""
    automated: bool = False
    """Decided by the policy, not a person: a rule in `auto` applied the agents' recommendation."""


class QueuedCase(BaseModel):
    """A case waiting for a person at a review gate: one entry of the human queue."""

    model_config = ConfigDict(extra="forbid")

    workflow: str
    thread_id: str
    gate: str
    department: str | None = None
    """The department of a hierarchy whose gate this is (its node's name); None for a gate of
    the workflow's own graph. A thread waits at as many gates as its departments stop at."""
    subject: str
    reasons: list[str] = Field(min_length=1)
    """Why it is waiting: the rules that fired, with what in the case made them fire."""
    recommendation: Recommendation
    queued_at: str
    """When it joined the queue (ISO 8601, UTC); the queue is served oldest first."""
    awaiting_second_review: str | None = None
    """Whose decision waits for a second, different reviewer to confirm it, and why (four eyes)."""
    packet_hash: str | None = None
    """The hash of the packet the gate shows now: a decision naming another is stale."""
    started_by: str | None = None
    """Who started the case through a server (the identity of their key); None in process."""
