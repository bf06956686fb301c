"""The vote and arbiter builders (graphs.patterns.vote): majority, quorum, ties, failed voters
never counted, the arbiter on a split, low confidence to the human queue, bad input refused up
front, and the graphs' shapes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END
from pydantic import BaseModel, ConfigDict

from agents.spec import AgentContext, AgentSpec, Implementation, Owner
from graphs.patterns.vote import Arbiter, VoteState, build_arbiter, build_vote, count_ballot
from schemas.ballot import ArbitrationCase, Candidate, Classification, Ruling
from schemas.result import ErrorKind, Outcome

OWNER = Owner("Toys", "toys@baton.example")


class Script(BaseModel):
    """What each toy voter answers: [label, confidence], "fail", "empty" or "raise"."""

    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any]
    voter: str = ""


class ToyState(VoteState, total=False):
    answers: dict[str, Any]
    ruling_confidence: float
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    c: dict[str, Any] | None
    d: dict[str, Any] | None
    arbitration: dict[str, Any] | None
    outcome: str


def _vote(payload: Script, context: AgentContext) -> Classification | Outcome:
    answer = payload.answers.get(payload.voter, "empty")
    if answer == "fail":
        return Outcome.failed("the classifier's model file is missing", ErrorKind.UNAVAILABLE)
    if answer == "raise":
        raise RuntimeError("boom")
    if answer == "empty":
        return Outcome.empty("nothing matched")
    label, confidence = answer
    other = "zzz" if label != "zzz" else "yyy"
    return Classification(
        label=label,
        confidence=confidence,
        candidates=[
            Candidate(label=label, probability=confidence),
            Candidate(label=other, probability=round(1 - confidence, 6)),
        ],
        evidence=[f"{payload.voter} saw {label}"],
    )


def _voter(name: str, kind: str = "deterministic") -> AgentSpec:
    return AgentSpec(
        name=name,
        workflow="toy",
        owner=OWNER,
        version="1.0.0",
        description=f"voter {name}",
        reads=("answers",),
        input_contract=Script,
        output_contract=Classification,
        implementations=(
            Implementation(
                f"{name}_rules",
                kind,  # type: ignore[arg-type]
                _vote,
                runs_inline=True,
                model_role="supervisor" if kind == "llm" else None,
            ),
        ),
        select_input=lambda state, name=name: {"answers": state.get("answers"), "voter": name},
    )


class CaseInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ballot: dict[str, Any]
    confidence: float = 0.9


class ToyRuling(Ruling):
    pass


def _rule(payload: CaseInput, context: AgentContext) -> Ruling | Outcome:
    case = ArbitrationCase.model_validate({"ballot": payload.ballot})
    counted = [v for v in case.ballot.votes if v.status == "counted"]
    if not counted:
        return Outcome.failed("no votes to weigh", ErrorKind.IMPLEMENTATION_ERROR)
    best = max(counted, key=lambda v: v.confidence or 0)
    return Ruling(
        label=str(best.label),
        confidence=payload.confidence,
        reason=f"{best.voter} was the most confident",
    )


ARBITER = AgentSpec(
    name="arbiter",
    workflow="toy",
    owner=OWNER,
    version="1.0.0",
    description="toy arbiter",
    reads=("ballot", "ruling_confidence"),
    input_contract=CaseInput,
    output_contract=Ruling,
    implementations=(Implementation("most_confident", "deterministic", _rule, runs_inline=True),),
    select_input=lambda s: {"ballot": s.get("ballot"), "confidence": s.get("ruling_confidence")},
    writes="arbitration",
)

VOTERS = (_voter("a"), _voter("b"), _voter("c"))


def _toy(voters: Any = VOTERS, *, quorum: int | None = None, threshold: float = 0.6) -> Any:
    builder = build_vote(
        ToyState,
        voters,
        then="route",
        escalate_to="human",
        arbiter=Arbiter(ARBITER, min_confidence=threshold),
        quorum=quorum,
    )
    builder.add_node("route", lambda state: {"outcome": f"routed {state['choice']['label']}"})
    builder.add_node("human", lambda state: {"outcome": "queued"})
    builder.add_edge("route", END)
    builder.add_edge("human", END)
    return builder.compile(checkpointer=InMemorySaver())


class Events(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    async def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.events.append((name, data))


def _run(
    graph: Any, answers: dict[str, Any], ruling_confidence: float = 0.9, thread: str = "t"
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    handler = Events()
    config = {"configurable": {"thread_id": thread}, "callbacks": [handler]}
    payload = {"answers": answers, "ruling_confidence": ruling_confidence}
    return asyncio.run(graph.ainvoke(payload, config)), handler.events


def _lines(state: dict[str, Any]) -> dict[str, str]:
    return {vote["voter"]: vote["status"] for vote in state["ballot"]["votes"]}


def test_a_majority_decides_and_the_whole_ballot_is_kept_and_traced() -> None:
    state, events = _run(_toy(), {"a": ["x", 0.8], "b": ["x", 0.7], "c": ["y", 0.9]})

    assert state["outcome"] == "routed x"
    assert state["choice"] == {
        "label": "x",
        "confidence": 0.8,
        "decided_by": "majority",
        "settled": True,
        "reason": "x has 2 of 3 counted votes",
    }
    ballot = state["ballot"]
    assert ballot["outcome"] == "majority" and ballot["counts"] == {"x": 2, "y": 1}
    assert [(v["voter"], v["label"], v["confidence"]) for v in ballot["votes"]] == [
        ("a", "x", 0.8),
        ("b", "x", 0.7),
        ("c", "y", 0.9),
    ]
    assert state.get("arbitration") is None, "a majority needs no arbiter"
    traced = [data for name, data in events if name == "baton.ballot"]
    assert traced == [ballot]


def test_a_failed_voter_is_never_counted_and_is_reported_as_failed() -> None:
    state, _ = _run(_toy(), {"a": "fail", "b": ["x", 0.7], "c": ["x", 0.6]})

    assert state["outcome"] == "routed x"
    assert state["ballot"]["cast"] == 2 and state["ballot"]["counts"] == {"x": 2}
    failed = state["ballot"]["votes"][0]
    assert failed["status"] == "failed" and failed["label"] is None
    assert "model file is missing" in failed["reason"]

    state, _ = _run(_toy(), {"a": "raise", "b": ["x", 0.7], "c": ["y", 0.6]}, thread="u")
    assert _lines(state)["a"] == "failed", "a voter that raises is a failed voter"
    assert state["ballot"]["outcome"] == "no_majority"


def test_a_failed_voter_cannot_make_a_majority_of_the_rest() -> None:
    # Two voters fail: one vote is left, below the quorum of two.
    state, _ = _run(_toy(), {"a": "fail", "b": "fail", "c": ["x", 0.95]})

    assert state["ballot"]["outcome"] == "no_quorum"
    assert state["arbitration"]["status"] == "ok", "no quorum goes to the arbiter"
    assert state["choice"]["decided_by"] == "arbiter"


def test_an_abstention_is_not_a_vote() -> None:
    state, _ = _run(_toy(), {"a": "empty", "b": ["x", 0.7], "c": ["x", 0.6]})

    assert _lines(state) == {"a": "abstained", "b": "counted", "c": "counted"}
    assert state["ballot"]["cast"] == 2 and state["choice"]["label"] == "x"


def test_a_vote_below_the_confidence_floor_abstains() -> None:
    specs = [_voter("a"), _voter("b"), _voter("c")]
    ballot = count_ballot(
        specs,
        {
            "a": _result("a", "x", 0.2),
            "b": _result("b", "x", 0.9),
            "c": _result("c", "y", 0.8),
        },
        quorum=2,
        min_vote_confidence=0.5,
    )

    assert [v.status for v in ballot.votes] == ["abstained", "counted", "counted"]
    assert "below the vote's floor of 0.50" in str(ballot.votes[0].reason)
    assert ballot.outcome == "no_majority"


def _result(voter: str, label: str, confidence: float) -> dict[str, Any]:
    value = _vote(Script(answers={voter: [label, confidence]}, voter=voter), None)  # type: ignore[arg-type]
    assert isinstance(value, Classification)
    return {"status": "ok", "value": value.model_dump(), "agent": voter, "version": "1"}


def test_a_split_goes_to_the_arbiter_whose_confident_ruling_settles_it() -> None:
    state, events = _run(_toy(), {"a": ["x", 0.5], "b": ["y", 0.9], "c": ["z", 0.4]})

    assert state["ballot"]["outcome"] == "no_majority"
    assert state["outcome"] == "routed y"
    assert state["choice"]["decided_by"] == "arbiter" and state["choice"]["settled"] is True
    assert state["choice"]["reason"] == "b was the most confident"
    ruling = next(data for name, data in events if name == "baton.ruling")
    assert ruling["verdict"] == "settled" and ruling["threshold"] == 0.6


def test_a_ruling_below_the_threshold_sends_the_case_to_the_human_queue() -> None:
    state, events = _run(
        _toy(threshold=0.6), {"a": ["x", 0.5], "b": ["y", 0.9], "c": ["z", 0.4]}, 0.4
    )

    assert state["outcome"] == "queued"
    assert state["choice"] == {
        "label": "y",
        "confidence": 0.4,
        "decided_by": "none",
        "settled": False,
        "reason": state["escalation"]["reason"],
    }
    assert state["escalation"]["stage"] == "arbiter"
    assert "confidence 0.40, below the threshold of 0.60" in state["escalation"]["reason"]
    assert any(name == "baton.escalation" for name, _ in events)


def test_a_tie_has_no_majority() -> None:
    voters = (*VOTERS, _voter("d"))
    state, _ = _run(
        _toy(voters), {"a": ["x", 0.5], "b": ["x", 0.6], "c": ["y", 0.7], "d": ["y", 0.8]}
    )

    assert state["ballot"]["outcome"] == "no_majority"
    assert state["ballot"]["reason"] == "tie between x, y (2 vote(s) each of 4)"
    assert state["arbitration"] is not None


def test_when_every_voter_fails_the_case_goes_straight_to_a_person() -> None:
    state, _ = _run(_toy(), {"a": "fail", "b": "fail", "c": "raise"})

    assert state["outcome"] == "queued"
    assert state["ballot"]["outcome"] == "no_votes"
    assert state.get("arbitration") is None, "there is nothing for the arbiter to weigh"
    assert state["choice"]["label"] is None and state["choice"]["settled"] is False
    assert state["escalation"]["stage"] == "vote"
    assert "a failed: the classifier's model file is missing" in state["escalation"]["reason"]


def test_a_failed_arbiter_sends_the_case_to_a_person_with_the_best_suggestion() -> None:
    broken = AgentSpec(
        **{
            **{f: getattr(ARBITER, f) for f in ARBITER.__dataclass_fields__},
            "implementations": (
                Implementation(
                    "broken",
                    "deterministic",
                    lambda p, c: Outcome.failed("no", ErrorKind.IMPLEMENTATION_ERROR),
                    runs_inline=True,
                ),
            ),
        }
    )
    builder = build_vote(
        ToyState, VOTERS, then="route", escalate_to="route", arbiter=Arbiter(broken, 0.5)
    )
    builder.add_node("route", lambda state: {"outcome": "reached"})
    builder.add_edge("route", END)
    graph = builder.compile(checkpointer=InMemorySaver())

    state, _ = _run(graph, {"a": ["x", 0.5], "b": ["y", 0.9], "c": ["z", 0.4]})

    assert state["escalation"]["stage"] == "arbiter"
    assert state["escalation"]["reason"].startswith("the arbiter could not rule: failed")
    assert state["choice"]["label"] == "y", "the best-supported, most confident vote"


def test_a_voter_with_no_model_configured_sits_out() -> None:
    voters = (*VOTERS, _voter("d", kind="llm"))
    state, _ = _run(_toy(voters), {"a": ["x", 0.8], "b": ["x", 0.7], "c": ["y", 0.9]})

    assert _lines(state)["d"] == "sat_out"
    assert state["ballot"]["cast"] == 3 and state["choice"]["label"] == "x"


def test_the_arbiter_alone_rules_on_a_given_ballot() -> None:
    builder = build_arbiter(ToyState, Arbiter(ARBITER, 0.5), then="route", escalate_to="human")
    builder.add_node("route", lambda state: {"outcome": f"routed {state['choice']['label']}"})
    builder.add_node("human", lambda state: {"outcome": "queued"})
    builder.add_edge("route", END)
    builder.add_edge("human", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    ballot = count_ballot(
        VOTERS,
        {"a": _result("a", "x", 0.3), "b": _result("b", "y", 0.8), "c": _result("c", "z", 0.5)},
        quorum=2,
    )

    state = asyncio.run(
        graph.ainvoke(
            {"ballot": ballot.model_dump(), "ruling_confidence": 0.7},
            {"configurable": {"thread_id": "t"}},
        )
    )

    assert state["outcome"] == "routed y"


class NoKeys(ToyState, total=False):
    pass


class Plain(BaseModel):
    label: str


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"voters": VOTERS[:1]}, "at least two voters"),
        ({"voters": (VOTERS[0], VOTERS[0])}, "duplicate voter names"),
        ({"voters": (*VOTERS, _voter("tally"))}, "collide"),
        ({"then": "a"}, "collide"),
        ({"quorum": 4}, "quorum must be between 1 and the 3 voters"),
        ({"quorum": 0}, "quorum must be between"),
        ({"min_vote_confidence": 1.5}, "within [0, 1]"),
        ({"arbiter": Arbiter(ARBITER, min_confidence=2)}, "within [0, 1]"),
        ({"arbiter": Arbiter(VOTERS[0])}, "not a schemas.ballot.Ruling"),
    ],
)
def test_bad_vote_definitions_are_refused_before_anything_runs(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "voters": VOTERS,
        "then": "route",
        "escalate_to": "human",
        "arbiter": Arbiter(ARBITER),
        **kwargs,
    }
    voters = arguments.pop("voters")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_vote(ToyState, voters, **arguments)


def test_a_voter_that_does_not_classify_or_an_arbiter_blind_to_the_ballot_is_refused() -> None:
    plain = AgentSpec(
        **{
            **{f: getattr(VOTERS[0], f) for f in VOTERS[0].__dataclass_fields__},
            "name": "p",
            "writes": "p",
        },
    )
    object.__setattr__(plain, "output_contract", Plain)
    with pytest.raises(ValueError, match=r"not a schemas\.ballot\.Classification"):
        build_vote(ToyState, (plain, *VOTERS), then="route", escalate_to="human")
    blind = AgentSpec(
        **{**{f: getattr(ARBITER, f) for f in ARBITER.__dataclass_fields__}, "reads": ("a",)}
    )
    with pytest.raises(ValueError, match="must read 'ballot'"):
        build_vote(ToyState, VOTERS, then="route", escalate_to="human", arbiter=Arbiter(blind))


def test_a_state_without_the_vote_keys_is_refused() -> None:
    from typing import TypedDict

    class Bare(TypedDict, total=False):
        answers: dict[str, Any]
        a: dict[str, Any] | None
        b: dict[str, Any] | None

    with pytest.raises(ValueError, match="lacks the vote's keys"):
        build_vote(Bare, VOTERS[:2], then="route", escalate_to="human")


VOTE_SHAPE = """\
---
config:
  flowchart:
    curve: linear
---
graph TD;
\t__start__([<p>__start__</p>]):::first
\treceive(receive)
\ta(a)
\tb(b)
\tc(c)
\ttally(tally)
\tarbiter(arbiter)
\tcheck_ruling(check_ruling)
\troute(route)
\thuman(human)
\t__end__([<p>__end__</p>]):::last
\t__start__ --> receive;
\ta --> tally;
\tarbiter --> check_ruling;
\tb --> tally;
\tc --> tally;
\tcheck_ruling -.-> human;
\tcheck_ruling -.-> route;
\treceive --> a;
\treceive --> b;
\treceive --> c;
\ttally -.-> arbiter;
\ttally -.-> human;
\ttally -.-> route;
\thuman --> __end__;
\troute --> __end__;
\tclassDef default fill:#f2f0ff,line-height:1.2
\tclassDef first fill-opacity:0
\tclassDef last fill:#bfb6fc
"""


def test_the_vote_graph_shape_is_pinned() -> None:
    assert _toy().get_graph().draw_mermaid() == VOTE_SHAPE
