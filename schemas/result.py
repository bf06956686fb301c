"""The result envelope every agent returns: no silent nulls.

`AgentResult[T]` is the only thing an agent writes into workflow state. Its `status` says what kind of
answer it is, so a router can never read "the lookup failed" as "there is no policy":

- `ok`: the agent did its job; `value` holds the output contract.
- `empty`: a real negative answer ("no prior policy on file"); `reason` says what was looked for.
- `failed`: the agent could not do its job; `reason` and `error_kind` say why.
- `escalated`: handed to a person; `reason` says why.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")


class Status(StrEnum):
    """What kind of answer an agent gave."""

    OK = "ok"
    EMPTY = "empty"
    FAILED = "failed"
    ESCALATED = "escalated"


class ErrorKind(StrEnum):
    """Why an agent failed; routers and the review packet show it."""

    CONTRACT_VIOLATION = "contract_violation"
    """Its input or output broke the declared contract."""
    UNAVAILABLE = "unavailable"
    """A dependency (database, model) could not be reached."""
    UNREADABLE_INPUT = "unreadable_input"
    """The input was well-formed but could not be understood (an unreadable document)."""
    IMPLEMENTATION_ERROR = "implementation_error"
    """The implementation raised an unexpected exception."""
    LOW_CONFIDENCE = "low_confidence"
    """The implementation answered but not confidently enough to be used."""
    ALL_IMPLEMENTATIONS_FAILED = "all_implementations_failed"
    """Every implementation in the chain failed."""


class AgentResult(BaseModel, Generic[T]):
    """What one agent returned, with the provenance needed to trust it."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    value: T | None = None
    """The output contract; present exactly when `status` is `ok`."""
    reason: str | None = None
    """Why the answer is empty, failed or escalated (required for those statuses)."""
    error_kind: ErrorKind | None = None
    """Why the agent failed (required when `status` is `failed`)."""
    agent: str
    version: str
    implementation: str | None = None
    """Which implementation of the chain produced this result (None when none could)."""
    attempts: int = Field(default=1, ge=0)
    """How many implementations were tried."""
    fallbacks: list[str] = Field(default_factory=list)
    """Implementations that were tried and rejected before this result, with the reason."""

    @model_validator(mode="after")
    def _no_silent_nulls(self) -> Self:
        if self.status is Status.OK:
            if self.value is None:
                raise ValueError("an ok result needs a value")
        else:
            if self.value is not None:
                raise ValueError(f"a {self.status.value} result cannot carry a value")
            if not (self.reason and self.reason.strip()):
                raise ValueError(f"a {self.status.value} result needs a reason")
        if self.status is Status.FAILED and self.error_kind is None:
            raise ValueError("a failed result needs an error_kind")
        if self.status is not Status.FAILED and self.error_kind is not None:
            raise ValueError("only a failed result carries an error_kind")
        return self


class Outcome(BaseModel):
    """What an implementation hands back to the governed node when it has no value to give.

    An implementation returns either its output contract (meaning `ok`) or one of these.
    """

    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str
    error_kind: ErrorKind | None = None

    @classmethod
    def empty(cls, reason: str) -> Outcome:
        return cls(status=Status.EMPTY, reason=reason)

    @classmethod
    def failed(cls, reason: str, kind: ErrorKind) -> Outcome:
        return cls(status=Status.FAILED, reason=reason, error_kind=kind)

    @classmethod
    def escalated(cls, reason: str) -> Outcome:
        return cls(status=Status.ESCALATED, reason=reason)

    @model_validator(mode="after")
    def _not_ok(self) -> Self:
        if self.status is Status.OK:
            raise ValueError("an ok answer is the output contract itself, not an Outcome")
        if self.status is Status.FAILED and self.error_kind is None:
            raise ValueError("a failed outcome needs an error_kind")
        return self


def result_status(raw: dict[str, Any] | None) -> Status | None:
    """The status of a result as stored in state (JSON), or None when the agent has not run."""
    if raw is None:
        return None
    return Status(raw["status"])
