"""Support triage contracts: the ticket, the intent votes and ruling, the route, the note and the
decision. The intents are the labels the classifiers were trained on (Banking77's 77 by default,
`data/support_triage/banking77/categories.json`); the contracts check an intent's form, and the
router refuses one the routing file does not route."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.ballot import Classification, Ruling
from schemas.sensitive import SENSITIVE

INTENTS: tuple[str, ...] = tuple(
    json.loads(
        (
            Path(__file__).resolve().parents[1]
            / "data"
            / "support_triage"
            / "banking77"
            / "categories.json"
        ).read_text(encoding="utf-8")
    )
)
"""Banking77's 77 intents, in the data set's order: the shipped intents (a team's own are the
labels of its training data, `agents.support_triage.intents`)."""

INTENT_NAME = re.compile(r"[^\W\d_][\w .,&/:'+?!()#-]{0,79}")
"""What an intent's name may be: a letter first, then up to 79 letters, digits, spaces or
`_ . , & / : ' + ? ! ( ) # -` (so it reads as a label, a YAML key and a queue's filter alike)."""


def intent_name(value: str) -> str:
    """`value` when it can be an intent's name (`INTENT_NAME`); ValueError otherwise. Which
    intents exist is the routing file's and the training data's to say, not the contract's."""
    if not INTENT_NAME.fullmatch(value):
        raise ValueError(
            f"{value[:100]!r} is not an intent name (a letter first, then up to 79 letters, "
            "digits, spaces or _ . , & / : ' + ? ! ( ) # -)"
        )
    return value


Channel = Literal["email", "chat", "phone", "app", "web", "social"]


class SupportTicket(BaseModel):
    """The workflow's input: a customer's message, and optionally who sent it and how."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    text: str = Field(min_length=1, max_length=4000)
    customer_id: str | None = Field(
        default=None, min_length=1, max_length=64, json_schema_extra=SENSITIVE
    )
    channel: Channel | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is blank")
        return value


class TicketText(BaseModel):
    """What a classifier reads: the message and nothing about the customer."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class IntentVote(Classification):
    """A classifier's vote: an intent, calibrated confidence, runners-up, evidence."""

    @model_validator(mode="after")
    def _intents_known(self) -> Self:
        for candidate in self.candidates:
            intent_name(candidate.label)
        return self


class IntentRuling(Ruling):
    """The arbiter's ruling on a split vote: an intent, how sure, and why."""

    @model_validator(mode="after")
    def _intents_known(self) -> Self:
        intent_name(self.label)
        for candidate in self.considered:
            intent_name(candidate.label)
        return self


class RouteRequest(BaseModel):
    """What the router reads: the intent decided (or suggested) and how it was decided."""

    model_config = ConfigDict(extra="forbid")

    intent: str | None
    confidence: float | None = Field(default=None, ge=0, le=1)
    decided_by: Literal["majority", "vote", "arbiter", "none", "reviewer"]
    settled: bool

    @field_validator("intent")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return intent_name(value) if value is not None else None


class Route(BaseModel):
    """Where the ticket goes: its intent, the team and queue that handle it, and on what basis."""

    model_config = ConfigDict(extra="forbid")

    intent: str
    team: str = Field(min_length=1)
    queue: str = Field(min_length=1)
    decided_by: Literal["majority", "vote", "arbiter", "none", "reviewer"]
    confidence: float | None = Field(default=None, ge=0, le=1)
    provisional: bool
    """True while a person must still confirm the intent (it is only the best suggestion)."""

    @field_validator("intent")
    @classmethod
    def _known(cls, value: str) -> str:
        return intent_name(value)


class CitedPoint(BaseModel):
    """One point of the handoff note and the words of the customer's message it rests on."""

    model_config = ConfigDict(extra="forbid")

    point: str = Field(min_length=1, max_length=500)
    quote: str = Field(min_length=1, max_length=500)
    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _span(self) -> Self:
        if self.end - self.start != len(self.quote):
            raise ValueError("the span's length must be the quote's length")
        return self


class NoteRequest(BaseModel):
    """What the note writer reads: the message, the route, and the voters' evidence."""

    model_config = ConfigDict(extra="forbid")

    text: str
    route: Route
    evidence: list[str] = Field(default_factory=list)


class HandoffNote(BaseModel):
    """The note the receiving team reads first. Every point quotes the customer's message (the
    quote is verified against it), so the note says nothing it cannot cite."""

    model_config = ConfigDict(extra="forbid")

    headline: str = Field(min_length=1, max_length=300)
    points: list[CitedPoint] = Field(min_length=1, max_length=8)


class TriageDecision(BaseModel):
    """Where the ticket was sent, recorded once per decision in the side-effect ledger."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    outcome: Literal["routed", "routed_by_reviewer", "rejected", "referred"]
    """`referred`: a reviewer sent the ticket to the referral desk, unrouted."""
    intent: str | None
    team: str | None
    queue: str | None
    decided_by: str
    """`majority`, `arbiter`, or the reviewer's identity."""
    reasons: list[str]
    decision_key: str
    supersedes: str | None = None
