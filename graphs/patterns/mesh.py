"""The mesh pattern: peers that debate on a shared blackboard, with no coordinator.

This module holds the mesh's governed parts: the blackboard (an append-only log of typed posts
in state, `append_posts` its reducer), the termination rules a workflow composes (consensus,
stagnation, a round limit, a token budget), and the loop detector (a peer repeating its own post,
two peers flipping each other back and forth). Whatever ends a debate says why (`Ending`), and a
debate always ends: a builder refuses a mesh without a rule that must fire (a round limit or a
budget). The builder that runs peers in rounds (issue 16) builds on these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.blackboard import POST


def append_posts(
    board: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The board's reducer: validate each new post against its kind's contract, give it its id
    (`r<round>.<author>.<n>`, n counting the author's posts in that round), and keep the board
    ordered by round, then author, then id, whatever order a round's concurrent writes arrive
    in. Nothing is ever removed or changed. ValueError on a malformed post (a peer's turn
    validates its posts first, so a bad one fails that turn, never the board)."""
    board = list(board or [])
    for raw in new or []:
        post = POST.validate_python(raw).model_dump(mode="json")
        if post["id"] is None:
            mine = [
                p for p in board if (p["round"], p["author"]) == (post["round"], post["author"])
            ]
            post["id"] = f"r{post['round']}.{post['author']}.{len(mine)}"
        elif any(p["id"] == post["id"] for p in board):
            continue  # the same post written again (a retried turn): kept once
        board.append(post)
    board.sort(key=lambda p: (p["round"], p["author"], int(p["id"].rsplit(".", 1)[1])))
    return board


@dataclass(frozen=True)
class Ending:
    """Why a debate ended: the rule, in words, and the hypothesis it settled on (if any)."""

    rule: str
    reason: str
    settled: str | None = None
    """The id of the hypothesis a consensus settled on."""


class Rule(Protocol):
    name: str

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        """The ending, when the board after `round_` rounds meets this rule; None otherwise."""
        ...


def open_challenges(board: Sequence[dict[str, Any]], target: str) -> list[dict[str, Any]]:
    """Challenges of `target` that stand: their author has not conceded them."""
    conceded = {(p["author"], p["target"]) for p in board if p["kind"] == "concession"}
    return [
        p
        for p in board
        if p["kind"] == "challenge"
        and p["target"] == target
        and (p["author"], p["id"]) not in conceded
    ]


def withdrawn(board: Sequence[dict[str, Any]], hypothesis: dict[str, Any]) -> bool:
    """Whether the hypothesis's author conceded it."""
    return any(
        p["kind"] == "concession"
        and p["target"] == hypothesis["id"]
        and p["author"] == hypothesis["author"]
        for p in board
    )


@dataclass(frozen=True)
class Consensus:
    """A quorum of peers support one hypothesis (its author counts), and no challenge of it
    stands."""

    quorum: int
    name: str = "consensus"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        for hypothesis in (p for p in board if p["kind"] == "hypothesis"):
            if withdrawn(board, hypothesis) or open_challenges(board, hypothesis["id"]):
                continue
            backers = {hypothesis["author"]} | {
                p["author"]
                for p in board
                if p["kind"] == "support" and p["target"] == hypothesis["id"]
            }
            if len(backers) >= self.quorum:
                return Ending(
                    self.name,
                    f"{len(backers)} peers ({', '.join(sorted(backers))}) support "
                    f"{hypothesis['id']} ({hypothesis['dimension']} = {hypothesis['value']}) and "
                    "no challenge of it stands",
                    settled=hypothesis["id"],
                )
        return None


@dataclass(frozen=True)
class Stagnation:
    """No new evidence for `rounds` rounds in a row."""

    rounds: int
    name: str = "stagnation"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        last = max((p["round"] for p in board if p["kind"] == "evidence"), default=-1)
        quiet = round_ - last
        if round_ + 1 >= self.rounds and quiet >= self.rounds:
            return Ending(self.name, f"no new evidence for {quiet} rounds (limit {self.rounds})")
        return None


@dataclass(frozen=True)
class RoundLimit:
    """At most `rounds` rounds."""

    rounds: int
    name: str = "round_limit"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        if round_ + 1 >= self.rounds:
            return Ending(self.name, f"{round_ + 1} rounds, the limit")
        return None


@dataclass(frozen=True)
class TokenBudget:
    """At most `tokens` model tokens spent on the posts."""

    tokens: int
    name: str = "token_budget"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        spent = sum(int(p.get("tokens") or 0) for p in board)
        if spent >= self.tokens:
            return Ending(self.name, f"{spent} tokens spent (budget {self.tokens})")
        return None


BOUNDING = (RoundLimit, TokenBudget)
"""Rules that must fire eventually: a mesh needs one, so that its debate always ends."""


def _content(post: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in post.items() if k not in ("id", "round", "tokens")))


def detect_loop(board: Sequence[dict[str, Any]], *, flips: int = 3) -> Ending | None:
    """A loop on the board: a peer posting again what it posted before (the same kind and
    content in a later round), or two peers challenging each other's posts in each of the last
    `flips` rounds (correcting each other back and forth)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for post in board:
        key = _content(post)
        earlier = seen.get(key)
        if earlier is not None and earlier["round"] < post["round"]:
            return Ending(
                "loop",
                f"{post['author']} repeats its own {post['kind']} ({earlier['id']} again as "
                f"{post['id']})",
            )
        seen.setdefault(key, post)
    authors = {p["id"]: p["author"] for p in board}
    rounds = sorted({p["round"] for p in board})
    mutual: dict[int, set[frozenset[str]]] = defaultdict(set)
    for round_ in rounds:
        pairs = Counter(
            (p["author"], authors.get(p["target"], ""))
            for p in board
            if p["round"] == round_ and p["kind"] == "challenge"
        )
        for a, b in pairs:
            if a != b and (b, a) in pairs:
                mutual[round_].add(frozenset((a, b)))
    recent = rounds[-flips:]
    if len(recent) == flips and recent == list(range(recent[0], recent[0] + flips)):
        common = set.intersection(*(mutual[r] for r in recent)) if recent else set()
        if common:
            a, b = sorted(next(iter(sorted(common, key=sorted))))
            return Ending(
                "loop",
                f"{a} and {b} challenged each other in each of the last {flips} rounds "
                f"({recent[0]} to {recent[-1]}): they flip back and forth",
            )
    return None


def why_it_ended(
    rules: Sequence[Rule], board: Sequence[dict[str, Any]], round_: int
) -> Ending | None:
    """What ends the debate after `round_` (counted from 0): a loop, else the first rule met."""
    loop = detect_loop(board)
    if loop is not None:
        return loop
    return next((e for e in (r.ended(board, round_) for r in rules) if e is not None), None)


def check_mesh(peers: Sequence[str], rules: Sequence[Rule]) -> None:
    """Refuse a mesh that cannot be governed, before anything runs: fewer than two peers,
    duplicate names, no termination rule, none that must fire, a quorum larger than the peers."""
    if len(peers) < 2:
        raise ValueError(f"a mesh needs at least two peers to debate (got {list(peers)})")
    duplicates = sorted({p for p in peers if list(peers).count(p) > 1})
    if duplicates:
        raise ValueError(f"duplicate peer names: {duplicates}")
    if not rules:
        raise ValueError("a mesh needs termination rules (e.g. Consensus, RoundLimit)")
    if not any(isinstance(rule, BOUNDING) for rule in rules):
        raise ValueError(
            "a mesh needs a RoundLimit or a TokenBudget, so that its debate always ends"
        )
    for rule in rules:
        if isinstance(rule, Consensus) and not 1 <= rule.quorum <= len(peers):
            raise ValueError(
                f"a consensus quorum of {rule.quorum} cannot be met by {len(peers)} peers"
            )
