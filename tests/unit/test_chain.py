"""The chain with evaluator edges (graphs.patterns.chain): proceed, loop back with feedback, the
loop cap escalating with the verdicts' history, failed stages escalating, bad stage lists refused
before anything runs, and the graph's shape."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, StateGraph
from pydantic import BaseModel, ConfigDict

from agents.spec import AgentContext, AgentSpec, Implementation, Owner
from graphs.patterns.chain import ChainState, Evaluator, Stage, build_chain
from schemas.result import ErrorKind, Outcome
from schemas.verdict import Escalate, LoopBack, Proceed


class DraftInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    feedback: list[str] = []


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: int
    saw_feedback: list[str] = []


class PolishInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: int


class Polished(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool


class ToyState(ChainState, total=False):
    text: str
    draft: dict[str, Any] | None
    polish: dict[str, Any] | None
    outcome: str


def _draft(payload: DraftInput, context: AgentContext) -> Draft:
    # With feedback the stage "fixes" its work: it counts words twice as carefully.
    words = len(payload.text.split()) * (2 if payload.feedback else 1)
    return Draft(words=words, saw_feedback=payload.feedback)


def _failing_draft(payload: DraftInput, context: AgentContext) -> Outcome:
    return Outcome.failed("cannot read the text", ErrorKind.UNREADABLE_INPUT)


def _spec(name: str, run: Any, *, reads: tuple[str, ...], select: Any, contracts: Any) -> AgentSpec:
    return AgentSpec(
        name=name,
        workflow="toy",
        owner=Owner("Toys", "toys@baton.example"),
        version="1.0.0",
        description=name,
        reads=reads,
        input_contract=contracts[0],
        output_contract=contracts[1],
        implementations=(Implementation("rules", "deterministic", run, runs_inline=True),),
        select_input=select,
    )


def _draft_spec(run: Any = _draft) -> AgentSpec:
    return _spec(
        "draft",
        run,
        reads=("text", "feedback"),
        select=lambda s: {
            "text": s.get("text"),
            "feedback": (s.get("feedback") or {}).get("draft", []),
        },
        contracts=(DraftInput, Draft),
    )


POLISH = _spec(
    "polish",
    lambda payload, context: Polished(ok=payload.words >= 4),
    reads=("draft",),
    select=lambda s: {"words": ((s.get("draft") or {}).get("value") or {}).get("words")},
    contracts=(PolishInput, Polished),
)


def _needs_four_words(state: Mapping[str, Any]) -> Proceed | LoopBack | Escalate:
    words = state["draft"]["value"]["words"]
    if words >= 4:
        return Proceed(notes=[f"{words} words"])
    return LoopBack(to="draft", feedback=[f"words: {words} is fewer than 4"])


def _never_satisfied(state: Mapping[str, Any]) -> LoopBack:
    return LoopBack(to="draft", feedback=["try again"])


def _toy(
    draft_judge: Any = _needs_four_words, *, draft: AgentSpec | None = None, cap: int = 2
) -> Any:
    stages = [
        Stage(_draft_spec() if draft is None else draft, Evaluator("word_count", draft_judge)),
        Stage(POLISH),
    ]
    builder = build_chain(ToyState, stages, then="publish", escalate_to="human", max_loops=cap)
    builder.add_node("publish", lambda state: {"outcome": "published"})
    builder.add_node("human", lambda state: {"outcome": "escalated"})
    builder.add_edge("publish", END)
    builder.add_edge("human", END)
    return builder.compile(checkpointer=InMemorySaver())


def _run(graph: Any, text: str, thread: str = "t") -> dict[str, Any]:
    config = {"configurable": {"thread_id": thread}}
    return asyncio.run(graph.ainvoke({"text": text}, config))


def test_a_stage_that_passes_proceeds_to_the_next() -> None:
    state = _run(_toy(), "one two three four five")

    assert state["outcome"] == "published"
    assert state["polish"]["value"] == {"ok": True}
    assert [v["verdict"]["kind"] for v in state["verdicts"]] == ["proceed", "proceed"]
    assert state.get("loops") in (None, {})


def test_a_loop_back_reruns_the_stage_with_the_feedback_in_its_slice() -> None:
    state = _run(_toy(), "two words")

    assert state["outcome"] == "published"
    assert state["draft"]["value"] == {"words": 4, "saw_feedback": ["words: 2 is fewer than 4"]}
    assert [v["verdict"]["kind"] for v in state["verdicts"]] == ["loop_back", "proceed", "proceed"]
    assert state["loops"] == {"draft": 1}
    assert state["feedback"] == {"draft": []}, "feedback is cleared once the stage passes"


def test_reaching_the_loop_cap_escalates_with_the_history_of_verdicts() -> None:
    state = _run(_toy(_never_satisfied, cap=2), "one two three four")

    assert state["outcome"] == "escalated"
    assert state.get("polish") is None
    assert state["loops"] == {"draft": 2}
    escalation = state["escalation"]
    assert escalation["stage"] == "draft" and escalation["loops"] == 2
    assert "after 2 loop(s)" in escalation["reason"]
    assert escalation["reason"].count("loop back to draft: try again") == 3


def test_a_stage_that_fails_escalates_without_its_evaluator() -> None:
    state = _run(_toy(draft=_draft_spec(_failing_draft)), "one two three four")

    assert state["outcome"] == "escalated"
    assert state["escalation"]["reason"].startswith("draft is failed: cannot read the text")


def test_an_evaluator_that_raises_or_answers_nonsense_escalates() -> None:
    def broken(state: Mapping[str, Any]) -> Proceed:
        raise KeyError("words")

    state = _run(_toy(broken), "one two three four")
    assert state["outcome"] == "escalated"
    assert "word_count raised KeyError" in state["escalation"]["reason"]

    state = _run(_toy(lambda s: {"kind": "loop_back", "to": "draft"}), "one two three four", "u")
    assert "no valid verdict" in state["escalation"]["reason"]


def test_a_loop_to_a_stage_not_allowed_escalates() -> None:
    state = _run(_toy(lambda s: LoopBack(to="polish", feedback=["no"])), "one two three four")

    assert state["outcome"] == "escalated"
    assert "may not" in state["escalation"]["reason"]


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([], "at least one stage"),
        ([Stage(_draft_spec()), Stage(_draft_spec())], "duplicate stage names"),
        ([Stage(_draft_spec(), loops_to=("rewrite",))], "unknown stage 'rewrite'"),
        ([Stage(_draft_spec(), loops_to=("polish",)), Stage(POLISH)], "comes after it"),
        (
            [Stage(_draft_spec()), Stage(POLISH, Evaluator("x", _needs_four_words))],
            "does not read 'feedback'",
        ),
        ([Stage(_draft_spec(), max_loops=-1)], "cannot be negative"),
        (
            [Stage(_draft_spec(), Evaluator("x", _needs_four_words, reads=("nope",)))],
            "reads ['nope']",
        ),
    ],
)
def test_bad_stage_lists_are_refused_before_anything_runs(
    stages: list[Stage], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_chain(ToyState, stages, then="publish", escalate_to="human")


def test_names_colliding_with_the_chains_own_nodes_are_refused() -> None:
    with pytest.raises(ValueError, match="collide"):
        build_chain(ToyState, [Stage(_draft_spec())], then="draft", escalate_to="human")
    with pytest.raises(ValueError, match="collide"):
        build_chain(ToyState, [Stage(_draft_spec())], then="publish", escalate_to="receive")


def test_a_state_without_the_chain_keys_is_refused() -> None:
    class Plain(TypedDict, total=False):
        text: str
        draft: dict[str, Any] | None

    with pytest.raises(ValueError, match="lacks the chain's keys"):
        build_chain(Plain, [Stage(_draft_spec())], then="publish", escalate_to="human")


def test_the_chain_graph_shape_is_pinned() -> None:
    drawing = _toy().get_graph().draw_mermaid()
    edges = sorted(line.strip() for line in drawing.splitlines() if "-->" in line or "-.->" in line)
    assert edges == sorted(
        [
            "__start__ --> receive;",
            "draft --> evaluate_draft;",
            "evaluate_draft -.-> draft;",
            "evaluate_draft -.-> human;",
            "evaluate_draft -.-> polish;",
            "evaluate_polish -.-> human;",
            "evaluate_polish -.-> publish;",
            "human --> __end__;",
            "polish --> evaluate_polish;",
            "publish --> __end__;",
            "receive --> draft;",
        ]
    )
    assert isinstance(
        build_chain(ToyState, [Stage(_draft_spec())], then="p", escalate_to="h"), StateGraph
    )
