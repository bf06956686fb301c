"""The mesh builder (graphs.patterns.mesh.build_mesh) run on scripted toy peers: rounds in
parallel, concurrent posts, every termination rule ending a real debate with its reason, the loop
detector on a pair that flips forever, malformed and lying turns refused without touching the
board, the arbiter's settlement checked (citations on the board), escalation when nothing is
settled, every post a trace event, and the builder's refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END
from pydantic import BaseModel, ConfigDict

from agents.spec import AgentContext, AgentSpec, Implementation, Owner
from graphs.kit.context import BatonContext
from graphs.kit.policy import ReviewPolicy
from graphs.kit.review_gate import GateSpec, add_review_gate
from graphs.patterns.mesh import (
    Consensus,
    MeshState,
    RoundLimit,
    Rule,
    Stagnation,
    TokenBudget,
    build_mesh,
)
from schemas.blackboard import Settlement, Turn
from schemas.result import ErrorKind, Outcome

OWNER = Owner("Toys", "toys@baton.example")


class ToyState(MeshState, total=False):
    script: dict[str, Any]
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    c: dict[str, Any] | None
    arbiter: dict[str, Any] | None
    outcome: str


class PeerView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    script: dict[str, Any]
    board: list[dict[str, Any]] = []
    mesh_round: int = 0
    peer: str = ""


def _say(view: PeerView, context: AgentContext) -> Turn | Outcome:
    """A scripted peer: its posts for this round (a list, or a rule that makes them from the
    board), "fail", or nothing once the script runs out."""
    mine = view.script.get(view.peer, [])
    if mine == "flip":  # challenge the other's latest post, every round, forever
        other = [p["id"] for p in view.board if p["author"] != view.peer]
        target = other[-1] if other else None
        if target is None:
            return Turn.model_validate({"posts": [_hypothesis(view.peer, view.mesh_round)]})
        return Turn.model_validate(
            {"posts": [_post("challenge", view.peer, view.mesh_round, target, "no")]}
        )
    turn = mine[view.mesh_round] if view.mesh_round < len(mine) else []
    if turn == "fail":
        return Outcome.failed("the peer's data source is down", ErrorKind.UNAVAILABLE)
    return Turn.model_validate({"posts": turn})


def _peer(name: str) -> AgentSpec:
    return AgentSpec(
        name=name,
        workflow="toy",
        owner=OWNER,
        version="1.0.0",
        description=f"peer {name}",
        reads=("script", "board", "mesh_round"),
        input_contract=PeerView,
        output_contract=Turn,
        implementations=(Implementation("scripted", "deterministic", _say, runs_inline=True),),
        select_input=lambda state, name=name: {**state, "peer": name},
    )


class ArbiterView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    script: dict[str, Any]
    board: list[dict[str, Any]] = []
    debate: dict[str, Any] | None = None


def _settle(view: ArbiterView, context: AgentContext) -> Settlement | Outcome:
    """Settles on what the consensus settled; the script may make it cite a post that does not
    exist, or fail."""
    how = view.script.get("arbiter")
    if how == "fail":
        return Outcome.failed("the arbiter's model is down", ErrorKind.UNAVAILABLE)
    settled = ((view.debate or {}).get("ending") or {}).get("settled")
    cites = ["r9.nobody.0"] if how == "cite_unknown" else ([settled] if settled else [])
    return Settlement(
        settled=settled is not None,
        confidence=0.9 if settled else 0.2,
        reason=f"the consensus settled {settled}" if settled else "no claim survived",
        cites=cites,
    )


ARBITER = AgentSpec(
    name="arbiter",
    workflow="toy",
    owner=OWNER,
    version="1.0.0",
    description="toy arbiter",
    reads=("script", "board", "debate"),
    input_contract=ArbiterView,
    output_contract=Settlement,
    implementations=(Implementation("scripted", "deterministic", _settle, runs_inline=True),),
)
PEERS = (_peer("a"), _peer("b"), _peer("c"))


def _hypothesis(author: str, round_: int, value: str = "X") -> dict[str, Any]:
    return {
        "kind": "hypothesis",
        "author": author,
        "round": round_,
        "dimension": "carrier",
        "value": value,
        "claim": f"carrier {value} turned late",
    }


def _post(kind: str, author: str, round_: int, target: str, reason: str = "yes") -> dict[str, Any]:
    return {"kind": kind, "author": author, "round": round_, "target": target, "reason": reason}


def _evidence(author: str, round_: int, about: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "evidence",
        "author": author,
        "round": round_,
        "about": about,
        "measure": "late_rate_change",
        "test": "two-proportion z-test",
        "estimate": 0.1,
        "ci_low": 0.05,
        "ci_high": 0.15,
        "p_value": 0.001,
        "n": 900,
        "summary": "up ten points",
        **extra,
    }


def _graph(rules: list[Rule], peers: Any = PEERS) -> Any:
    builder = build_mesh(
        ToyState, peers, rules=rules, arbiter=ARBITER, then="accept", escalate_to="human"
    )
    builder.add_node("accept", lambda state: {"outcome": "accepted"})
    builder.add_node("human", lambda state: {"outcome": "queued"})
    builder.add_edge("accept", END)
    builder.add_edge("human", END)
    return builder.compile(checkpointer=InMemorySaver())


class Events(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    async def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.events.append((name, data))


def _run(rules: list[Rule], script: dict[str, Any], peers: Any = PEERS) -> tuple[Any, Any]:
    handler = Events()
    config = {"configurable": {"thread_id": "t"}, "callbacks": [handler], "recursion_limit": 500}
    state = asyncio.run(_graph(rules, peers).ainvoke({"script": script}, config))
    return state, handler.events


def _of(events: list[tuple[str, Any]], kind: str) -> list[Any]:
    return [data for name, data in events if name == f"baton.{kind}"]


BOUND = RoundLimit(rounds=8)


def test_a_consensus_ends_the_debate_and_the_arbiter_settles_citing_the_post() -> None:
    script = {
        "a": [[_hypothesis("a", 0), _evidence("a", 0, "r0.a.0")]],
        "b": [[], [_post("support", "b", 1, "r0.a.0")]],
        "c": [[], [_post("support", "c", 1, "r0.a.0")]],
    }
    state, events = _run([Consensus(quorum=3), BOUND], script)

    assert state["outcome"] == "accepted" and state["escalation"] is None
    ending = state["debate"]["ending"]
    assert ending["rule"] == "consensus" and ending["settled"] == "r0.a.0"
    assert "3 peers (a, b, c) back r0.a.0 (carrier = X)" in ending["reason"]
    assert state["debate"]["rounds"] == 2 and state["debate"]["posts"] == 4
    assert [p["id"] for p in state["board"]] == ["r0.a.0", "r0.a.1", "r1.b.0", "r1.c.0"]
    assert state["board"][1]["about"] == "r0.a.0", "a post may cite one made before it in a turn"
    assert [p["id"] for p in _of(events, "post")] == [p["id"] for p in state["board"]]
    assert _of(events, "debate_ended") == [{**ending, "rounds": 2}]
    ruling = _of(events, "ruling")[0]
    assert ruling["verdict"] == "settled" and ruling["cites"] == ["r0.a.0"]


def test_peers_of_a_round_run_in_parallel_and_their_posts_make_one_ordered_board() -> None:
    script = {
        name: [[_hypothesis(name, 0, value), _evidence(name, 0, f"r0.{name}.0")]]
        for name, value in (("c", "Z"), ("a", "X"), ("b", "Y"))
    }
    state, _ = _run([RoundLimit(rounds=1)], script)
    assert [p["id"] for p in state["board"]] == [
        "r0.a.0",
        "r0.a.1",
        "r0.b.0",
        "r0.b.1",
        "r0.c.0",
        "r0.c.1",
    ]
    assert state["debate"]["ending"] == {
        "rule": "round_limit",
        "reason": "1 rounds, the limit",
        "settled": None,
    }
    assert state["outcome"] == "queued", "nothing settled goes to a person"
    assert state["escalation"]["stage"] == "arbiter"
    assert "did not settle the question: no claim survived" in state["escalation"]["reason"]


def test_a_pair_of_peers_that_flip_forever_ends_with_the_loop_named() -> None:
    state, events = _run([RoundLimit(rounds=100)], {"a": "flip", "b": "flip"})

    ending = state["debate"]["ending"]
    assert ending["rule"] == "loop"
    assert "a and b challenged each other in each of the last 3 rounds" in ending["reason"]
    assert state["debate"]["rounds"] < 10, "the loop ended it, not the round limit"
    assert state["outcome"] == "queued"
    assert _of(events, "debate_ended")[0]["rule"] == "loop"


def test_stagnation_ends_a_debate_that_brings_no_new_evidence() -> None:
    script = {"a": [[_hypothesis("a", 0), _evidence("a", 0, "r0.a.0")]]}
    state, _ = _run([Stagnation(rounds=2), BOUND], script)
    ending = state["debate"]["ending"]
    assert ending["rule"] == "stagnation" and state["debate"]["rounds"] == 3
    assert ending["reason"] == "no new evidence for 2 rounds (limit 2)"


def test_a_token_budget_ends_the_debate_when_it_is_spent() -> None:
    costly = [[{**_hypothesis("a", r, f"V{r}"), "tokens": 400}] for r in range(6)]
    state, _ = _run([TokenBudget(tokens=1000), RoundLimit(rounds=50)], {"a": costly})
    ending = state["debate"]["ending"]
    assert ending["rule"] == "token_budget" and ending["reason"] == (
        "1200 tokens spent (budget 1000)"
    )
    assert state["debate"]["tokens"] == 1200 and state["debate"]["rounds"] == 3


def test_the_round_limit_always_ends_an_endless_debate() -> None:
    chatty = [[_evidence("a", r, None, estimate=r / 10)] for r in range(20)]
    state, _ = _run([RoundLimit(rounds=4)], {"a": chatty})
    assert state["debate"]["rounds"] == 4 and state["debate"]["ending"]["rule"] == "round_limit"


def test_a_malformed_or_lying_turn_is_refused_and_the_board_is_untouched() -> None:
    script = {
        "a": [[_hypothesis("a", 0)]],
        "b": [[{**_evidence("b", 0, "r0.a.0"), "p_value": 3}]],  # breaks the Evidence contract
        "c": [[_post("challenge", "c", 0, "r0.zz.0")], [_hypothesis("a", 1, "W")], "fail"],
    }
    state, events = _run([RoundLimit(rounds=3)], script)

    assert [p["id"] for p in state["board"]] == ["r0.a.0"]
    refused = {(t["peer"], t["round"]): t["reason"] for t in state["debate"]["failed_turns"]}
    assert "p_value" in refused[("b", 0)], "the broken field is named"
    assert refused[("c", 0)] == "post 0 (challenge) refers to 'r0.zz.0', which is not on the board"
    assert refused[("c", 1)] == "post 0 (hypothesis) claims the author 'a', not 'c'"
    assert refused[("c", 2)] == "failed: the peer's data source is down"
    assert _of(events, "turn_failed") == state["debate"]["failed_turns"]


def test_an_arbiter_citing_a_post_not_on_the_board_or_failing_sends_the_case_to_a_person() -> None:
    consensus = {
        "a": [[_hypothesis("a", 0)]],
        "b": [[_post("support", "b", 0, "r0.a.0")]],
    }
    made_up, _ = _run([Consensus(quorum=2), BOUND], {**consensus, "arbiter": "cite_unknown"})
    assert made_up["outcome"] == "queued"
    assert made_up["escalation"]["reason"] == (
        "the arbiter cites posts that are not on the board: ['r9.nobody.0']"
    )
    failed, _ = _run([Consensus(quorum=2), BOUND], {**consensus, "arbiter": "fail"})
    assert failed["outcome"] == "queued"
    assert (
        "could not settle the debate: failed: the arbiter's model is down"
        in (failed["escalation"]["reason"])
    )


def test_the_builder_refuses_a_mesh_that_could_not_be_governed() -> None:
    def build(peers: Any = PEERS, arbiter: AgentSpec = ARBITER, **kw: Any) -> Any:
        args = {"rules": [BOUND], "then": "accept", "escalate_to": "human", **kw}
        return build_mesh(kw.pop("state", ToyState), peers, arbiter=arbiter, **args)

    with pytest.raises(ValueError, match="at least two peers"):
        build(peers=PEERS[:1])
    with pytest.raises(ValueError, match="duplicate peer names"):
        build(peers=(PEERS[0], PEERS[0]))
    with pytest.raises(ValueError, match="needs termination rules"):
        build(rules=[])
    with pytest.raises(ValueError, match="quorum of 4 cannot be met by 3 peers"):
        build(rules=[Consensus(quorum=4), BOUND])
    with pytest.raises(ValueError, match="needs a RoundLimit"):
        build(rules=[Consensus(quorum=2)])
    with pytest.raises(ValueError, match="collide"):
        build(then="close_round")
    blind = AgentSpec(**{**PEERS[0].__dict__, "reads": ("script",)})
    with pytest.raises(ValueError, match="must read 'board'"):
        build(peers=(blind, *PEERS[1:]))
    with pytest.raises(ValueError, match=r"not a schemas\.blackboard\.Settlement"):
        build(arbiter=AgentSpec(**{**ARBITER.__dict__, "output_contract": Turn}))


def test_a_state_without_the_mesh_keys_is_refused() -> None:
    class Bare(ToyState, total=False):
        pass

    with pytest.raises(ValueError, match="lacks the mesh's keys"):
        build_mesh(dict, PEERS, rules=[BOUND], arbiter=ARBITER, then="accept", escalate_to="human")
    build_mesh(Bare, PEERS, rules=[BOUND], arbiter=ARBITER, then="accept", escalate_to="human")


class GatedState(ToyState, total=False):
    review: dict[str, Any] | None


def test_an_unsettled_debate_waits_at_a_review_gate_with_the_board_as_evidence(
    tmp_path: Path,
) -> None:
    builder = build_mesh(
        GatedState,
        PEERS,
        rules=[Stagnation(rounds=2), BOUND],
        arbiter=ARBITER,
        then="review_gate",
        escalate_to="review_gate",
    )
    policy = ReviewPolicy(workflow="toy", owner="Toy Team", when_no_rule_fires="approve")
    add_review_gate(
        builder,
        GateSpec(
            workflow="toy",
            agents=[ARBITER],
            subject=lambda _: "Which claim stands?",
            recommend=lambda _: "none",
            reads=("escalation", "board", "debate"),
            escalations=lambda s: [s["escalation"]["reason"]] if s.get("escalation") else [],
            evidence=lambda s: {"board": s.get("board"), "debate": s.get("debate")},
            policy=policy,
        ),
    )
    builder.add_edge("review_gate", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    script = {
        "a": [[_hypothesis("a", 0), _evidence("a", 0, "r0.a.0")]],
        "b": [[_hypothesis("b", 0, "Y")]],
    }
    config = {"configurable": {"thread_id": "gated"}}
    context = BatonContext(database_url=f"sqlite:///{tmp_path / 'toy.db'}")
    asyncio.run(graph.ainvoke({"script": script}, config, context=context))
    waiting = graph.get_state(config)
    assert waiting.next == ("review_gate",)
    packet = waiting.interrupts[0].value
    assert [r["rule"] for r in packet["reasons"]] == ["escalated"]
    assert [p["id"] for p in packet["evidence"]["board"]] == ["r0.a.0", "r0.a.1", "r0.b.0"]
    assert packet["evidence"]["debate"]["ending"]["rule"] == "stagnation"
    assert packet["evidence"]["arbiter"]["value"]["settled"] is False
