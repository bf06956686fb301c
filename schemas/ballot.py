"""Contracts of the vote and the arbiter: what a voter answers, the ballot, and the ruling.

Every voter writes an `AgentResult[Classification]` (or of a subclass that narrows the labels). The
tally turns the voters' results into a `Ballot`; when the ballot has no majority an arbiter reads
it (`ArbitrationCase`) and answers a `Ruling`; what was decided, and by whom, is a `Choice`.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Candidate(BaseModel):
    """A label and the probability the voter gives it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    probability: float = Field(ge=0, le=1)


class Classification(BaseModel):
    """A voter's answer: its label, how likely it is to be right, the runners-up, and why."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)
    """Calibrated: of the cases this voter answers with this confidence, the share it gets right."""
    candidates: list[Candidate] = Field(min_length=1, max_length=10)
    """The most likely labels, best first; the first is `label` with `confidence`."""
    evidence: list[str] = Field(default_factory=list, max_length=10)
    """What the answer rests on (matched phrases, similar past cases), for the arbiter and people."""

    @model_validator(mode="after")
    def _candidates_lead_with_label(self) -> Self:
        first = self.candidates[0]
        if first.label != self.label or abs(first.probability - self.confidence) > 1e-6:
            raise ValueError("the first candidate must be the label, with the confidence")
        labels = [c.label for c in self.candidates]
        if len(set(labels)) != len(labels):
            raise ValueError(f"candidates repeat a label: {labels}")
        if sum(c.probability for c in self.candidates) > 1 + 1e-6:
            raise ValueError("candidate probabilities add up to more than 1")
        return self


VoteStatus = Literal["counted", "abstained", "failed", "sat_out"]
"""`counted`: an ok answer at or above the vote's confidence floor; `abstained`: an `empty`
answer, or one below the floor; `failed`: the voter could not do its job (never a vote);
`sat_out`: the voter could not run at all here (no model configured for it)."""


class Vote(BaseModel):
    """One voter's line on the ballot."""

    model_config = ConfigDict(extra="forbid")

    voter: str
    status: VoteStatus
    label: str | None = None
    confidence: float | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    implementation: str | None = None
    reason: str | None = None
    """Why the voter abstained, failed or sat out."""


BallotOutcome = Literal[
    "majority", "weighted", "not_confident", "no_majority", "no_quorum", "no_votes"
]


class Ballot(BaseModel):
    """The full ballot: every voter's line, the count, and what it decided."""

    model_config = ConfigDict(extra="forbid")

    votes: list[Vote]
    counts: dict[str, int]
    """Counted votes per label."""
    cast: int = Field(ge=0)
    """How many votes were counted."""
    quorum: int = Field(ge=1)
    """How many counted votes the ballot needed to decide."""
    outcome: BallotOutcome
    """Counted (`method` majority): `majority`: a label has more than half the counted votes, and
    the quorum was met; `no_majority`: a split or a tie. Weighed (`method` soft): `weighted`: the
    combined probability of the best label reaches the vote's threshold; `not_confident`: it does
    not. Either way, `no_quorum`: too few votes were counted; `no_votes`: none."""
    winner: str | None = None
    reason: str
    method: Literal["majority", "soft"] = "majority"
    """How the counted votes decide: by counting labels, or by weighing their probabilities."""
    combined: list[Candidate] = Field(default_factory=list)
    """A soft vote's combined distribution, best first (the top's probability is calibrated: the
    share of such answers that were right on messages the voters had not seen)."""


class ArbitrationCase(BaseModel):
    """What an arbiter reads: the ballot, and the case it was about (for a model arbiter)."""

    model_config = ConfigDict(extra="forbid")

    ballot: Ballot
    subject: str = ""


class Ruling(BaseModel):
    """The arbiter's decision between the candidates, how sure it is, and why."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(min_length=1)
    considered: list[Candidate] = Field(default_factory=list)
    """The candidates it weighed, best first, with the probability it gave each."""


class Choice(BaseModel):
    """What was decided and by whom: the majority or the soft vote, the arbiter, or (after
    review) a person."""

    model_config = ConfigDict(extra="forbid")

    label: str | None
    """None when nothing could be decided (every voter failed)."""
    confidence: float | None = Field(default=None, ge=0, le=1)
    decided_by: Literal["majority", "vote", "arbiter", "none"]
    """`majority`: most counted votes; `vote`: the soft vote's weighed probabilities."""
    settled: bool
    """False when a person must decide (the arbiter was not confident enough, or nobody could
    vote); `label` is then only a suggestion."""
    reason: str
