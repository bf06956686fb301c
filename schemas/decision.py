"""The decision record every governed workflow keeps once in the side-effect ledger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DecisionRecord(BaseModel):
    """What was decided on a case, by whom, and why; a workflow's record extends it with what
    the decision is about (`graphs.kit.decisions.Settled.record()` fills these fields)."""

    model_config = ConfigDict(extra="forbid")

    outcome: str
    """`cleared` or `referred` by policy; `cleared_by_reviewer`, `referred` or `rejected` after
    a person decided (a workflow may narrow these to its own words)."""
    decided_by: str
    """`policy`, or the reviewer's identity."""
    reasons: list[str]
    decision_key: str
    """The ledger key the record is kept under."""
    supersedes: str | None = None
    """The key of the decision this one replaces (after a rollback)."""
