"""An evaluator's verdict on a chain stage: the type of the verdict picks the next step."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Proceed(BaseModel):
    """The stage's output is good enough: the chain goes on."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["proceed"] = "proceed"
    notes: list[str] = Field(default_factory=list)
    """What the evaluator checked or noticed (for the trace)."""


class LoopBack(BaseModel):
    """Run an earlier stage (or this one) again, telling it what was wrong."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["loop_back"] = "loop_back"
    to: str = Field(min_length=1)
    """The stage to run again."""
    feedback: list[str] = Field(min_length=1)
    """The problems found; they reach that stage's next attempt through its state slice."""


class Escalate(BaseModel):
    """A person must look: the chain stops at its review gate."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["escalate"] = "escalate"
    reason: str = Field(min_length=1)


Verdict = Annotated[Proceed | LoopBack | Escalate, Field(discriminator="kind")]
VERDICT = TypeAdapter(Verdict)
"""Validates an evaluator's answer (a model or its JSON) as one of the three verdicts."""
