"""Reading and writing a mesh's blackboard: `append_posts` (the board's reducer), and which
claims and challenges still stand. Plain functions on posts (JSON), shared by the mesh pattern
(`graphs.patterns.mesh`) and the peers that read the board."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def claim_of(post: dict[str, Any]) -> tuple[str, str]:
    """What a hypothesis claims: (dimension, value). Peers who post the same claim back it
    together."""
    return str(post["dimension"]), str(post["value"])


def standing_claims(board: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every claim still proposed (some hypothesis of it not withdrawn by its author), with its
    hypotheses' ids (the first is the claim's id), its backers (the hypotheses' authors and the
    peers who support one of them) and the challenges of it that stand."""
    claims: dict[tuple[str, str], dict[str, Any]] = {}
    for hypothesis in (p for p in board if p["kind"] == "hypothesis"):
        if withdrawn(board, hypothesis):
            continue
        claim = claims.setdefault(
            claim_of(hypothesis), {"ids": [], "backers": set(), "challenges": []}
        )
        claim["ids"].append(hypothesis["id"])
        claim["backers"].add(hypothesis["author"])
    for claim in claims.values():
        ids = set(claim["ids"])
        claim["backers"] |= {
            p["author"] for p in board if p["kind"] == "support" and p["target"] in ids
        }
        claim["challenges"] = [c for i in claim["ids"] for c in open_challenges(board, i)]
    return claims
