"""The mesh's governed parts (issue 16, first increment): the blackboard's reducer (typed posts,
ids, one order whatever order concurrent posts arrive in, nothing lost or changed), every
termination rule, the loop detector, and the refusals of a mesh that could not be governed."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import ValidationError

from agents.board import append_posts
from graphs.patterns.mesh import (
    Consensus,
    RoundLimit,
    Stagnation,
    TokenBudget,
    check_mesh,
    detect_loop,
    why_it_ended,
)


def hypothesis(author: str, round_: int, value: str = "C1") -> dict[str, Any]:
    return {
        "kind": "hypothesis",
        "author": author,
        "round": round_,
        "dimension": "carrier",
        "value": value,
        "claim": f"carrier {value} turned late",
    }


def post(kind: str, author: str, round_: int, target: str, reason: str = "r") -> dict[str, Any]:
    return {"kind": kind, "author": author, "round": round_, "target": target, "reason": reason}


def evidence(author: str, round_: int, about: str, estimate: float = 0.12) -> dict[str, Any]:
    return {
        "kind": "evidence",
        "author": author,
        "round": round_,
        "about": about,
        "measure": "late_rate_change",
        "test": "two-proportion z-test",
        "estimate": estimate,
        "ci_low": 0.08,
        "ci_high": 0.16,
        "p_value": 0.001,
        "n": 840,
        "summary": "late rate up 12 points",
    }


def board_of(*rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    board: list[dict[str, Any]] = []
    for posts in rounds:
        for one in posts:  # each peer's write arrives on its own, as concurrent writes do
            board = append_posts(board, [one])
    return board


def test_concurrent_posts_make_one_board_whatever_order_they_arrive_in() -> None:
    request = {"kind": "request", "author": "supplier", "round": 0, "to": "mode", "ask": "the mix"}
    writes = [  # one write per peer in round 0, as its turn returns them
        [hypothesis("carrier", 0)],
        [hypothesis("supplier", 0, "S1"), request],
        [evidence("mode", 0, "r0.carrier.0")],
    ]
    boards = []
    for order in itertools.permutations(writes):
        board: list[dict[str, Any]] = []
        for write in order:
            board = append_posts(board, write)
        boards.append(board)
    assert all(b == boards[0] for b in boards)
    assert [p["id"] for p in boards[0]] == [
        "r0.carrier.0",
        "r0.mode.0",
        "r0.supplier.0",
        "r0.supplier.1",
    ]


def test_the_board_only_grows_and_a_retried_post_is_kept_once() -> None:
    board = append_posts(None, [hypothesis("carrier", 0)])
    again = append_posts(board, [board[0]])  # the same post, with its id, written again
    assert again == board
    later = append_posts(board, [post("support", "mode", 1, "r0.carrier.0")])
    assert later[: len(board)] == board and len(later) == 2


def test_a_malformed_post_is_refused_and_the_board_is_unchanged() -> None:
    board = append_posts(None, [hypothesis("carrier", 0)])
    for bad in (
        {"kind": "rumour", "author": "mode", "round": 1},
        post("challenge", "mode", 1, "not-an-id"),
        {**evidence("mode", 1, "r0.carrier.0"), "p_value": 3},
        {**hypothesis("mode", 1), "surprise": True},
    ):
        with pytest.raises(ValidationError):
            append_posts(board, [bad])
    assert len(board) == 1


def test_consensus_needs_a_quorum_and_no_standing_challenge() -> None:
    rule = Consensus(quorum=3)
    board = board_of(
        [hypothesis("carrier", 0)],
        [post("support", "mode", 1, "r0.carrier.0"), post("support", "country", 1, "r0.carrier.0")],
    )
    ending = rule.ended(board, 1)
    assert (
        ending is not None
        and ending.settled == "r0.carrier.0"
        and "3 peers (carrier, country, mode) back r0.carrier.0" in ending.reason
    )
    challenged = append_posts(board, [post("challenge", "supplier", 2, "r0.carrier.0")])
    assert rule.ended(challenged, 2) is None  # a challenge stands
    conceded = append_posts(challenged, [post("concession", "supplier", 3, "r2.supplier.0")])
    assert rule.ended(conceded, 3) is not None  # its author gave it up
    withdrawn = append_posts(board, [post("concession", "carrier", 2, "r0.carrier.0")])
    assert rule.ended(withdrawn, 2) is None  # a hypothesis its author withdrew settles nothing
    assert Consensus(quorum=4).ended(board, 1) is None


def test_stagnation_round_limit_and_budget_end_with_their_reason() -> None:
    board = board_of([hypothesis("carrier", 0)], [evidence("mode", 1, "r0.carrier.0")])
    assert Stagnation(rounds=2).ended(board, 2) is None
    stale = Stagnation(rounds=2).ended(board, 3)
    assert stale is not None and stale.rule == "stagnation" and "2 rounds" in stale.reason
    assert RoundLimit(rounds=3).ended(board, 1) is None
    limit = RoundLimit(rounds=3).ended(board, 2)
    assert limit is not None and limit.reason == "3 rounds, the limit"
    costly = append_posts(board, [{**hypothesis("supplier", 2, "S1"), "tokens": 900}])
    assert TokenBudget(tokens=1000).ended(board, 2) is None
    spent = TokenBudget(tokens=900).ended(costly, 2)
    assert spent is not None and "900 tokens spent" in spent.reason


def test_two_peers_flipping_each_other_forever_end_with_the_loop_named() -> None:
    board = board_of([hypothesis("carrier", 0), hypothesis("supplier", 0, "S1")])
    for round_ in range(1, 4):
        mine = [p["id"] for p in board if p["author"] == "carrier"][-1]
        theirs = [p["id"] for p in board if p["author"] == "supplier"][-1]
        board = append_posts(board, [post("challenge", "carrier", round_, theirs, f"no {round_}")])
        board = append_posts(board, [post("challenge", "supplier", round_, mine, f"no {round_}")])
        found = detect_loop(board)
        if round_ < 3:
            assert found is None
    assert found is not None and found.rule == "loop"
    assert "carrier and supplier challenged each other in each of the last 3 rounds" in found.reason
    ending = why_it_ended([RoundLimit(rounds=50)], board, 3)
    assert ending == found  # a loop ends the debate before any other rule


def test_a_peer_repeating_its_own_post_is_a_loop() -> None:
    board = board_of([hypothesis("carrier", 0)], [post("support", "mode", 1, "r0.carrier.0")])
    assert detect_loop(board) is None
    again = append_posts(board, [post("support", "mode", 2, "r0.carrier.0")])
    found = detect_loop(again)
    assert found is not None and "mode repeats its own support (r1.mode.0 again as r2.mode.0)" in (
        found.reason
    )


def test_a_mesh_that_could_not_be_governed_is_refused() -> None:
    bounded = [RoundLimit(rounds=5)]
    with pytest.raises(ValueError, match="at least two peers"):
        check_mesh(["carrier"], bounded)
    with pytest.raises(ValueError, match=r"duplicate peer names: \['mode'\]"):
        check_mesh(["mode", "carrier", "mode"], bounded)
    with pytest.raises(ValueError, match="needs termination rules"):
        check_mesh(["mode", "carrier"], [])
    with pytest.raises(ValueError, match="needs a RoundLimit"):
        check_mesh(["mode", "carrier"], [Consensus(quorum=2), Stagnation(rounds=2)])
    with pytest.raises(ValueError, match="never ends a debate whose peers spend no tokens"):
        check_mesh(["mode", "carrier"], [TokenBudget(tokens=1000)])
    with pytest.raises(ValueError, match="quorum of 3 cannot be met by 2 peers"):
        check_mesh(["mode", "carrier"], [Consensus(quorum=3), *bounded])
    check_mesh(["mode", "carrier"], [Consensus(quorum=2), *bounded])
