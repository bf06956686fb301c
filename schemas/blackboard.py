"""Contracts of a mesh's blackboard: the typed posts peers write, one discriminated union.

A post names its author and round; the board gives it its id (`r<round>.<author>.<n>`). Posts
that refer to another post (`evidence` about a hypothesis, `challenge`, `support`, `concession`)
name it by id; a `request` names the peer asked.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

PeerName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
PostId = Annotated[str, Field(pattern=r"^r\d+\.[a-z][a-z0-9_]{0,63}\.\d+$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class PostBase(BaseModel):
    """What every post has: who wrote it, in which round, its id on the board (set by the
    board), and the tokens the peer spent on it (for a budget)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    author: PeerName
    round: int = Field(ge=0, le=10_000)
    id: PostId | None = None
    tokens: int = Field(default=0, ge=0)


class Hypothesis(PostBase):
    """A claim the debate is about: the cause is `value` of `dimension`."""

    kind: Literal["hypothesis"] = "hypothesis"
    dimension: Text
    value: Text
    claim: Text


class Evidence(PostBase):
    """A number and the test behind it, about a hypothesis: the estimate, its confidence
    interval, the p-value where the test gives one, and the sample size."""

    kind: Literal["evidence"] = "evidence"
    about: PostId
    test: Text
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None = Field(default=None, ge=0, le=1)
    n: int = Field(ge=0)
    summary: Text


class Challenge(PostBase):
    """A dispute of another post, and why."""

    kind: Literal["challenge"] = "challenge"
    target: PostId
    reason: Text


class Support(PostBase):
    """Agreement with another post (a hypothesis, or evidence), and why."""

    kind: Literal["support"] = "support"
    target: PostId
    reason: Text


class Concession(PostBase):
    """Giving a post up: the author's own challenge or hypothesis, or a point another made."""

    kind: Literal["concession"] = "concession"
    target: PostId
    reason: Text


class Request(PostBase):
    """Asking another peer to check something."""

    kind: Literal["request"] = "request"
    to: PeerName
    ask: Text


Post = Annotated[
    Hypothesis | Evidence | Challenge | Support | Concession | Request,
    Field(discriminator="kind"),
]
POST = TypeAdapter(Post)
"""Validates one post (JSON or a model) against its kind's contract."""
POST_KINDS = ("hypothesis", "evidence", "challenge", "support", "concession", "request")
