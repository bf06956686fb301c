"""Small contracts, specs and a recording tracer for unit tests of the platform core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from agents.spec import AgentContext, AgentSpec, Implementation, Owner
from checkpoints.trace_store import TraceStore
from schemas.result import Outcome
from schemas.sensitive import SENSITIVE
from schemas.trace import EventKind, TraceEvent

OWNER = Owner(team="Test Team", contact="test@example.com")


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=0)
    secret: str | None = Field(default=None, json_schema_extra=SENSITIVE)


class DoubledOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doubled: int = Field(ge=0)


class ToyState(TypedDict, total=False):
    number: Any
    secret: str | None
    other: str
    doubler: dict[str, Any] | None
    overrides: dict[str, dict[str, Any]]


def impl(name: str, fn: Any) -> Implementation:
    return Implementation(name=name, kind="deterministic", run=fn)


def double(payload: NumberIn, _ctx: AgentContext) -> DoubledOut:
    return DoubledOut(doubled=payload.number * 2)


def broken_output(payload: NumberIn, _ctx: AgentContext) -> Any:
    return {"doubled": "not a number"}


def raises(payload: NumberIn, _ctx: AgentContext) -> DoubledOut:
    raise ConnectionError("model endpoint refused the connection")


def says_failed(payload: NumberIn, _ctx: AgentContext) -> Outcome:
    from schemas.result import ErrorKind

    return Outcome.failed("lookup failed: database timeout", ErrorKind.UNAVAILABLE)


def spec_with(
    *implementations: Implementation, reads: tuple[str, ...] = ("number", "secret")
) -> AgentSpec:
    return AgentSpec(
        name="doubler",
        workflow="toy",
        owner=OWNER,
        version="2.0.0",
        description="doubles",
        reads=reads,
        input_contract=NumberIn,
        output_contract=DoubledOut,
        implementations=tuple(implementations),
    )


class MemoryTraceStore(TraceStore):
    """A TraceStore that keeps events in a list (no database)."""

    def __init__(self) -> None:
        self.recorded: list[TraceEvent] = []

    def append(self, event: TraceEvent) -> None:
        self.recorded.append(event)

    def append_many(self, events: Sequence[TraceEvent]) -> None:
        self.recorded.extend(events)

    def kinds(self) -> list[EventKind]:
        return [event.kind for event in self.recorded]
