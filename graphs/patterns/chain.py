"""The chain with evaluator edges: stages run in order; after each, an evaluator decides.

Every stage is a governed agent node. After it comes its evaluator node, `evaluate_<stage>`, which
reads the stage's result and returns a `Verdict` (`schemas.verdict`): **proceed** to the next
stage, **loop back** to a named stage (itself or an earlier one) with feedback, which reaches that
stage's next attempt through its state slice (`feedback[stage]`), or **escalate** to the review
gate. A stage whose result is not `ok` escalates without asking its evaluator (the later stages
need its output). Loops are capped per stage (`Stage.max_loops`, else the chain's default); a loop
asked for past the cap escalates, carrying the history of that stage's verdicts. Verdicts, loops
and escalations are trace events, and the verdicts are kept in the state (`verdicts`).

The builder returns an uncompiled `StateGraph`; the caller adds the `escalate_to` node (a review
gate) and the `then` node that follows the last stage (they may be one node), and what follows.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict, cast, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.types import Command, TracePolicy
from pydantic import BaseModel, ValidationError

from agents.spec import AgentSpec
from graphs.kit.context import BatonContext
from graphs.kit.contracts import describe_errors
from graphs.kit.events import emit
from graphs.kit.governed import add_governed_agent
from graphs.patterns.entry import RECEIVE, add_receive
from schemas.result import Status, result_status
from schemas.trace import EventKind
from schemas.verdict import VERDICT, Escalate, LoopBack, Proceed

EVALUATOR_PREFIX = "evaluate_"
DEFAULT_MAX_LOOPS = 2


def merge_dicts(current: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any]:
    """State reducer: keys of the update replace those of the current value."""
    return {**(current or {}), **(update or {})}


class ChainState(TypedDict, total=False):
    """The keys a chain keeps besides its stages' results; a workflow's state extends it."""

    feedback: Annotated[dict[str, list[str]], merge_dicts]
    """The evaluator's feedback for each stage's next attempt (cleared once the stage passes)."""
    loops: Annotated[dict[str, int], merge_dicts]
    """How many times each stage's evaluator has sent the chain back."""
    verdicts: Annotated[list[dict[str, Any]], operator.add]
    """Every verdict, in order: stage, verdict, and the loop it came in."""
    escalation: dict[str, Any] | None
    """Why the chain stopped at its review gate, when an evaluator escalated (None otherwise)."""


Judge = Callable[[Mapping[str, Any]], Proceed | LoopBack | Escalate]
"""An evaluator: reads its slice of the state, returns a verdict."""


@dataclass(frozen=True)
class Evaluator:
    """Judges a stage's output. `reads` are the state keys it sees besides the stage's result."""

    name: str
    judge: Judge
    reads: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Stage:
    """A stage of the chain: a governed agent, and the evaluator that judges its output.

    `loops_to` names the stages the evaluator may send the chain back to (itself by default, when
    it has an evaluator); each must read `feedback`, so the feedback reaches it. `max_loops` caps how many times this stage's
    evaluator may send the chain back (the chain's default when None)."""

    spec: AgentSpec
    evaluator: Evaluator | None = None
    loops_to: tuple[str, ...] | None = None
    max_loops: int | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def targets(self) -> tuple[str, ...]:
        """The stages this stage's evaluator may send the chain back to (none without one)."""
        if self.loops_to is not None:
            return self.loops_to
        return (self.name,) if self.evaluator is not None else ()


def evaluator_node_name(stage: str) -> str:
    return f"{EVALUATOR_PREFIX}{stage}"


def build_chain(
    state_schema: type,
    stages: Sequence[Stage],
    *,
    then: str,
    escalate_to: str,
    input_contract: type[BaseModel] | None = None,
    max_loops: int = DEFAULT_MAX_LOOPS,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """The chain `stages`, uncompiled: START → receive → stage → evaluate_stage → … → `then`.

    `input_contract`, when given, is validated when a run starts (a run whose input breaks it is
    refused, every broken field named). Raises ValueError before anything runs on: no stages,
    duplicate or colliding names, a loop target that is unknown or later in the chain, a loop target
    that does not read `feedback`, a negative cap, or a state schema without `ChainState`'s keys.

    Args:
        state_schema: the workflow's state; it extends `ChainState` (feedback, loops, escalation).
        stages: the agents in order, each with its evaluator (`Stage(spec, evaluator)`).
        then: where the chain carries on after the last stage passes (e.g. the review gate).
        escalate_to: where a case goes to a person (an evaluator escalated, or the loop cap).
        input_contract: the workflow's input, checked when a run starts.
        max_loops: how many times the evaluators together may send the chain back.

    Example:
        builder = build_chain(ContractState, STAGES, then="review_gate",
                              escalate_to="review_gate", input_contract=ContractDocument)
    """
    _check(state_schema, stages, then, escalate_to, max_loops)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema,
        context_schema=context_schema or BatonContext,
        input_schema=input_schema or input_contract,
    )
    add_receive(builder, input_contract)
    builder.add_edge(RECEIVE, stages[0].name)
    for position, stage in enumerate(stages):
        following = stages[position + 1].name if position + 1 < len(stages) else then
        evaluator = evaluator_node_name(stage.name)
        add_governed_agent(builder, stage.spec, then=evaluator)
        hints = get_type_hints(state_schema)
        reads = (stage.spec.writes, *(stage.evaluator.reads if stage.evaluator else ()))
        keys = dict.fromkeys((*reads, "loops", "verdicts"))
        slice_type = TypedDict(  # type: ignore[misc]
            f"{stage.name.title().replace('_', '')}EvaluatorSlice",
            {key: hints[key] for key in keys},
            total=False,
        )
        builder.add_node(
            evaluator,
            cast(Any, _evaluate(stage, following, escalate_to, stage.max_loops or max_loops)),
            input_schema=slice_type,
            destinations=tuple(dict.fromkeys((following, *stage.targets(), escalate_to))),
            trace_policy=TracePolicy(process_inputs=_status_of(stage.spec.writes)),
        )
    return builder


def _status_of(key: str) -> Callable[[Any], dict[str, Any]]:
    """What an evaluator's trace records of its input: the judged stage's status only (its output
    is traced with the stage itself)."""

    def status(state: Any) -> dict[str, Any]:
        raw = state.get(key) if isinstance(state, Mapping) else None
        return {"status": raw.get("status") if isinstance(raw, Mapping) else None}

    return status


def _check(
    state_schema: type, stages: Sequence[Stage], then: str, escalate_to: str, max_loops: int
) -> None:
    if not stages:
        raise ValueError("a chain needs at least one stage")
    names = [stage.name for stage in stages]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise ValueError(f"duplicate stage names: {doubled}")
    own = {RECEIVE, *(evaluator_node_name(n) for n in names)}
    clashes = sorted((set(names) & (own | {then, escalate_to})) | ({then, escalate_to} & own))
    if clashes:
        raise ValueError(
            f"names {clashes} collide with the chain's own nodes "
            f"({RECEIVE!r}, evaluate_<stage>, then={then!r}, escalate_to={escalate_to!r})"
        )
    if max_loops < 0 or any(s.max_loops is not None and s.max_loops < 0 for s in stages):
        raise ValueError("loop caps cannot be negative")
    hints = get_type_hints(state_schema, include_extras=True)
    missing = [key for key in ChainState.__annotations__ if key not in hints]
    if missing:
        raise ValueError(
            f"{state_schema.__name__} lacks the chain's keys {missing}: extend graphs.patterns."
            "chain.ChainState"
        )
    for position, stage in enumerate(stages):
        earlier = names[: position + 1]
        for target in stage.targets():
            if target not in names:
                raise ValueError(f"stage {stage.name!r} loops back to unknown stage {target!r}")
            if target not in earlier:
                raise ValueError(
                    f"stage {stage.name!r} loops back to {target!r}, which comes after it"
                )
            spec = stages[names.index(target)].spec
            if "feedback" not in spec.reads:
                raise ValueError(
                    f"stage {stage.name!r} loops back to {target!r}, which does not read "
                    "'feedback' (the feedback could not reach it)"
                )
        reads = stage.evaluator.reads if stage.evaluator else ()
        unknown = [key for key in reads if key not in hints]
        if unknown:
            raise ValueError(
                f"evaluator of {stage.name!r} reads {unknown}, which are not keys of "
                f"{state_schema.__name__}"
            )


def _evaluate(
    stage: Stage, following: str, escalate_to: str, cap: int
) -> Callable[..., Command[str]]:
    evaluator_name = stage.evaluator.name if stage.evaluator else "status check"

    def evaluate(state: Mapping[str, Any], config: RunnableConfig) -> Command[str]:
        loops = dict(state.get("loops") or {})
        done = loops.get(stage.name, 0)
        verdict = _verdict(stage, state)
        record = {"stage": stage.name, "verdict": verdict.model_dump(), "loop": done}
        emit(
            EventKind.VERDICT,
            {"stage": stage.name, "evaluator": evaluator_name, **record},
            config,
        )
        update: dict[str, Any] = {"verdicts": [record]}
        if isinstance(verdict, LoopBack):
            if verdict.to not in stage.targets():
                verdict = Escalate(
                    reason=f"{evaluator_name} asked to loop back to {verdict.to!r}, which "
                    f"{stage.name!r} may not (allowed: {list(stage.targets())})"
                )
            elif done >= cap:
                history = [
                    f"loop {item['loop']}: {_describe(item['verdict'])}"
                    for item in [*(state.get("verdicts") or []), record]
                    if item["stage"] == stage.name
                ]
                verdict = Escalate(
                    reason=f"{stage.name} still fails its evaluator after {cap} loop(s): "
                    + " | ".join(history)
                )
            else:
                emit(
                    EventKind.LOOP_BACK,
                    {
                        "stage": stage.name,
                        "to": verdict.to,
                        "loop": done + 1,
                        "cap": cap,
                        "feedback": verdict.feedback,
                    },
                    config,
                )
                update["loops"] = {stage.name: done + 1}
                update["feedback"] = {verdict.to: verdict.feedback}
                return Command(goto=verdict.to, update=update)
        if isinstance(verdict, Escalate):
            escalation = {"stage": stage.name, "reason": verdict.reason, "loops": done}
            emit(EventKind.ESCALATION, {**escalation, "to": escalate_to}, config)
            update["escalation"] = escalation
            return Command(goto=escalate_to, update=update)
        if "feedback" in stage.spec.reads:  # its feedback is spent once it passes
            update["feedback"] = {stage.name: []}
        return Command(goto=following, update=update)

    evaluate.__name__ = evaluator_node_name(stage.name)
    return evaluate


def _verdict(stage: Stage, state: Mapping[str, Any]) -> Proceed | LoopBack | Escalate:
    """The evaluator's verdict, validated; a stage that did not answer `ok`, and an evaluator that
    raises or answers something that is not a verdict, escalate."""
    result = state.get(stage.spec.writes)
    status = result_status(result)
    if status is not Status.OK:
        why = (result or {}).get("reason") if isinstance(result, Mapping) else None
        return Escalate(
            reason=f"{stage.name} is {status.value if status else 'missing'}"
            + (f": {why}" if why else "")
        )
    if stage.evaluator is None:
        return Proceed()
    try:
        answer = stage.evaluator.judge(state)
        return VERDICT.validate_python(
            answer.model_dump() if isinstance(answer, BaseModel) else answer
        )
    except ValidationError as error:
        problems = "; ".join(describe_errors(error))
        return Escalate(reason=f"{stage.evaluator.name} gave no valid verdict: {problems}")
    except Exception as error:  # an evaluator's bug must not pass a stage
        return Escalate(reason=f"{stage.evaluator.name} raised {type(error).__name__}: {error}")


def _describe(verdict: Mapping[str, Any]) -> str:
    if verdict.get("kind") == "loop_back":
        return f"loop back to {verdict.get('to')}: {'; '.join(verdict.get('feedback') or [])}"
    if verdict.get("kind") == "escalate":
        return f"escalate: {verdict.get('reason')}"
    return "proceed"
