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
    """A number and the test behind it: what was measured (`measure`), the estimate, its
    confidence interval, the p-value where the test gives one, and the sample size. It is about
    a post (a hypothesis, or a challenge it backs) or, without `about`, about the question."""

    kind: Literal["evidence"] = "evidence"
    about: PostId | None = None
    measure: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    test: Text
    estimate: float = Field(allow_inf_nan=False)
    ci_low: float = Field(allow_inf_nan=False)
    ci_high: float = Field(allow_inf_nan=False)
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
REFERRING = {
    "evidence": "about",
    "challenge": "target",
    "support": "target",
    "concession": "target",
}
"""The field by which a post of each kind names another post."""


class Turn(BaseModel):
    """What a peer answers in one round: the posts it adds to the board (none is a valid turn).
    A peer's output contract is this or extends it. Its k-th post of round r gets the id
    `r<r>.<peer>.<k>`, so a post may refer to one the same turn makes before it."""

    model_config = ConfigDict(extra="forbid")

    posts: list[Post] = Field(default_factory=list, max_length=50)


class Settlement(BaseModel):
    """What a mesh's arbiter answers (its output contract is this or extends it): whether the
    debate settled the question, how surely, why, and the posts it rests on."""

    settled: bool
    confidence: float = Field(ge=0, le=1)
    reason: Text
    cites: list[PostId] = Field(default_factory=list)
    """The board posts the settlement rests on (each must be on the board)."""
