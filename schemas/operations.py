"""The owner's view of operations: what each agent did over a window, and the incidents to look at
(`baton owners`, `baton incidents`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

IncidentStatus = Literal["failed", "escalated", "error"]
"""`failed` and `escalated`: an agent's result; `escalated` also a pattern sending a stage's case
to a person (a chain's evaluator, a vote, a mesh's arbiter); `error`: a node raised and the run
stopped there."""


class FallbackHop(BaseModel):
    """How often one implementation of an agent was rejected for the next one (or a person)."""

    model_config = ConfigDict(extra="forbid")

    implementation: str
    to: str
    count: int


class TokenUsage(BaseModel):
    """Model tokens an agent's steps spent (only steps where a model ran record any)."""

    model_config = ConfigDict(extra="forbid")

    input: int = 0
    output: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return self.input + self.output


class AgentActivity(BaseModel):
    """What the trace store recorded of one agent of one workflow over a window."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None
    """None for events of a thread the store has no workflow for."""
    agent: str
    runs: int = 0
    """Agent steps that finished (each wrote a result)."""
    statuses: dict[str, int] = Field(default_factory=dict)
    """Runs by result status: ok, empty, failed, escalated."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Failed runs by error kind (contract_violation, unavailable, …)."""
    errors: dict[str, int] = Field(default_factory=dict)
    """Node attempts that raised (retried by LangGraph, or the run stopped), by exception."""
    fallbacks: list[FallbackHop] = Field(default_factory=list)
    mean_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    """Nearest-rank 95th percentile of the runs' latencies."""
    model_runs: int = 0
    """Runs in which a model was called (and tokens were counted)."""
    tokens: TokenUsage | None = None
    """None when no model ran."""
    versions: dict[str, int] = Field(default_factory=dict)
    """Runs by the agent version they recorded."""


class AgentOwnership(AgentActivity):
    """An agent as its owner sees it: who owns it, and its activity."""

    department: str | None = None
    """The department of a hierarchy the agent works in (None at the top level)."""
    owner: str | None = None
    contact: str | None = None
    version: str | None = None
    """The version declared now (None for an agent that is no longer declared)."""
    declared: bool = True
    """False for an agent the trace names that no workflow declares any more."""


class IncidentCase(BaseModel):
    """One failed or escalated step, as the trace store recorded it."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None
    thread_id: str
    at: datetime
    status: IncidentStatus
    kind: str | None
    """The error kind of a failed result, the exception of an error, the node that escalated a
    stage's case (None when the agent escalated it itself)."""
    agent: str | None
    """The agent the step concerns (for an escalation by a pattern, the stage), None when the
    node is not an agent's."""
    node: str | None
    reason: str | None
    checkpoint_id: str | None = None
    """The checkpoint the step ran from (the top-level graph's: `baton history` lists it as the
    checkpoint before); None when it is no longer kept (pruned, or `memory://`)."""


class ReproducibleCase(BaseModel):
    """An incident's case with what to type to look at it again."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str
    at: datetime
    node: str | None
    reason: str | None
    checkpoint_id: str | None
    trace: str
    rollback: str | None
    """None when the step is not an agent's (nothing to roll back to)."""


class IncidentGroup(BaseModel):
    """Incidents of one agent (or node) of one workflow with one status and kind, newest first."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None
    agent: str
    """The agent, or the node when it is not an agent's."""
    is_agent: bool
    status: IncidentStatus
    kind: str | None
    count: int
    cases: list[ReproducibleCase]
