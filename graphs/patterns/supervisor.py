"""The supervisor/worker pattern: a rule router that fans independent workers out in parallel.

Each worker declares which other workers it needs (`after`); the supervisor sends every worker whose
needs are met to run (in parallel when several are ready), and hands over to `then` when nothing
more can run. A worker runs only on `ok` results of the workers it needs: a `failed` or `empty`
result is never taken as an answer it can build on, and the `then` node sees why it was skipped.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_type_hints

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.errors import NodeError, NodeTimeoutError
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, TimeoutPolicy, TracePolicy
from pydantic import BaseModel, Field, create_model

from agents.models import load_chat_model, model_settings
from agents.spec import AgentSpec
from graphs.kit.access import OWNER_KEY, principal_of, require_starter
from graphs.kit.context import BatonContext, resolved_models
from graphs.kit.contracts import validate_contract
from graphs.kit.events import aemit
from graphs.kit.governed import add_governed_agent
from graphs.patterns.entry import RECEIVE, add_receive
from schemas.result import Status, result_status
from schemas.trace import EventKind

SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Worker:
    """An agent the supervisor may dispatch, and the workers whose `ok` results it needs."""

    spec: AgentSpec
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutePlan:
    """What the supervisor decides from the results so far."""

    ready: list[str]
    """Workers to run now (in parallel)."""
    blocked: dict[str, str]
    """Workers that cannot run, with the reason (a worker they need did not answer ok)."""
    done: list[str]


def plan_route(workers: Sequence[Worker], state: Mapping[str, Any]) -> RoutePlan:
    """Decide, from the results in `state`, which workers run next."""
    ready: list[str] = []
    blocked: dict[str, str] = {}
    done: list[str] = []
    by_name = {w.spec.name: w for w in workers}
    for worker in workers:
        if result_status(state.get(worker.spec.writes)) is not None:
            done.append(worker.spec.name)
            continue
        needs = {name: result_status(state.get(by_name[name].spec.writes)) for name in worker.after}
        not_ok = {name: status for name, status in needs.items() if status not in (None, Status.OK)}
        if not_ok:
            blocked[worker.spec.name] = ", ".join(
                f"{name} is {status.value if status else 'missing'}"
                for name, status in not_ok.items()
            )
        elif all(status is Status.OK for status in needs.values()):
            ready.append(worker.spec.name)
    return RoutePlan(ready=ready, blocked=blocked, done=done)


def build_supervisor(
    state_schema: type,
    agents: Sequence[Worker | AgentSpec],
    *,
    then: str = "review_gate",
    input_contract: type[BaseModel] | None = None,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """A supervisor over `workers`, uncompiled. The caller adds the `then` node (by default the
    review gate, e.g. with `add_gate_then_decide`) and what follows it.

    Args:
        state_schema: the workflow's state (e.g. `governed_state(...)`).
        agents: the workers, each a `Worker(spec, after=(...))` to wait for others' `ok`
            results, or an `AgentSpec` that needs none (they run in parallel).
        then: the node the supervisor hands the case to when every worker is done or blocked.
        input_contract: the workflow's input, checked when a run starts.

    Example:
        builder = build_supervisor(MyState, [INTAKE, Worker(RISK, after=("intake",))],
                                   input_contract=Application)

    `input_contract`, when given, is validated when the run starts; a run whose input breaks it is
    refused with every broken field named. Raises ValueError before anything runs on duplicate
    worker names, an `after` naming an unknown worker, a dependency cycle, or a `then` that
    collides with a worker.
    """
    workers = [a if isinstance(a, Worker) else Worker(a) for a in agents]
    names = [w.spec.name for w in workers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate worker names: {duplicates}")
    if not workers:
        raise ValueError("a supervisor needs at least one worker")
    for worker in workers:
        unknown = [n for n in worker.after if n not in names]
        if unknown:
            raise ValueError(f"worker {worker.spec.name!r} needs unknown workers {unknown}")
    if RECEIVE in names:
        raise ValueError(f"worker name {RECEIVE!r} collides with the supervisor's entry node")
    if then in names or then == SUPERVISOR:
        raise ValueError(f"`then` node {then!r} collides with a worker or the supervisor")
    _reject_cycles(workers)

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema,
        context_schema=context_schema or BatonContext,
        input_schema=input_schema or input_contract,
    )
    for worker in workers:
        add_governed_agent(builder, worker.spec, then=SUPERVISOR)
    builder.add_node(
        SUPERVISOR,
        cast(Any, _supervisor_node(workers, then, input_contract, state_schema)),
        destinations=(*names, then),
        trace_policy=TracePolicy(process_inputs=lambda state: _statuses(workers, state)),
        # Only the optional model choice can be slow: when it shows no progress for
        # BATON_MODEL_TIMEOUT seconds, LangGraph cancels it and the rules route instead.
        timeout=TimeoutPolicy(idle_timeout=model_settings().model_timeout),
        error_handler=_rules_after_timeout(workers, then),
    )
    add_receive(builder, input_contract)  # a new input (only) passes through it
    builder.add_edge(RECEIVE, SUPERVISOR)
    return builder


def _supervisor_node(
    workers: Sequence[Worker],
    then: str,
    input_contract: type[BaseModel] | None,
    state_schema: type,
) -> Callable[..., Awaitable[Command[str]]]:
    async def supervisor(
        state: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
    ) -> Command[str]:
        principal = principal_of(config)
        require_starter(principal, state.get(OWNER_KEY))
        plan = plan_route(workers, state)
        if input_contract is not None and not plan.done:
            fields = {k: state[k] for k in input_contract.model_fields if k in state}
            validate_contract(input_contract, fields, where="workflow input")
        route, chooser = plan.ready or [then], "rules"
        decided: dict[str, Any] = {}
        model = resolved_models(runtime).get("supervisor")
        if model is not None and len(plan.ready) > 1:  # with one ready worker there is no choice
            choice, problem = await _model_choice(model, workers, state, plan)
            if choice is not None:
                route, chooser = choice, f"model {model}"
            else:
                decided = {"model_choice_rejected": problem}
        command = await _route(plan, route, chooser, decided, config)
        if tracks_owner and principal is not None and state.get(OWNER_KEY) is None:
            return Command(goto=route, update={OWNER_KEY: principal.identity})
        return command

    tracks_owner = OWNER_KEY in get_type_hints(state_schema)
    return supervisor


def _rules_after_timeout(workers: Sequence[Worker], then: str) -> Callable[..., Any]:
    """The supervisor's error handler: a timed-out model choice is replaced by the rules' route
    (visibly); any other error is not handled here."""

    async def route_by_rules(
        state: Mapping[str, Any], error: NodeError, config: RunnableConfig
    ) -> Command[str]:
        if not isinstance(error.error, NodeTimeoutError):
            raise error.error
        plan = plan_route(workers, state)
        rejected = {"model_choice_rejected": f"NodeTimeoutError: {error.error}"}
        return await _route(plan, plan.ready or [then], "rules", rejected, config)

    return route_by_rules


async def _route(
    plan: RoutePlan,
    route: list[str],
    chooser: str,
    decided: dict[str, Any],
    config: RunnableConfig,
) -> Command[str]:
    await aemit(
        EventKind.ROUTE,
        {
            "route": route,
            "chooser": chooser,
            "blocked": plan.blocked,
            "done": plan.done,
            "ready": plan.ready,
            **decided,
        },
        config,
    )
    return Command(goto=route)


ROUTER_INSTRUCTIONS = (
    "You coordinate specialist agents. Given each agent's status and which agents are ready, "
    "choose which of the ready agents run now (one or more). Choose only among the ready agents."
)


async def _model_choice(
    model: str, workers: Sequence[Worker], state: Mapping[str, Any], plan: RoutePlan
) -> tuple[list[str] | None, str]:
    """The model's choice among the ready workers, or None and why it was not taken (the rule
    router then sends every ready worker). The model sees statuses, never the results."""
    names = tuple(w.spec.name for w in workers)
    choice_model = create_model(
        "NextWorkers",
        next=(list[Literal[names]], Field(min_length=1, description="the agents to run now")),  # type: ignore[valid-type]
    )
    situation = {
        "statuses": _statuses(workers, state),
        "ready": plan.ready,
        "blocked": plan.blocked,
    }
    try:
        answer = await (
            load_chat_model(model)
            .with_structured_output(choice_model, method="function_calling")
            .ainvoke([SystemMessage(ROUTER_INSTRUCTIONS), HumanMessage(json.dumps(situation))])
        )
    except Exception as error:  # any failure of the model: the rules route
        return None, f"{type(error).__name__}: {error}"
    chosen = list(getattr(answer, "next", None) or [])
    unknown = [name for name in chosen if name not in plan.ready]
    if not chosen or unknown:
        return None, f"the model chose {chosen or 'nothing'}, not among the ready {plan.ready}"
    return list(dict.fromkeys(chosen)), ""


def _statuses(workers: Sequence[Worker], state: Any) -> dict[str, Any]:
    """What the supervisor's trace records of its input: each worker's status, nothing else."""
    if not isinstance(state, Mapping):
        return {}
    return {w.spec.name: (state.get(w.spec.writes) or {}).get("status") for w in workers}


def _reject_cycles(workers: Sequence[Worker]) -> None:
    needs = {w.spec.name: set(w.after) for w in workers}
    resolved: set[str] = set()
    while needs:
        free = [name for name, deps in needs.items() if deps <= resolved]
        if not free:
            raise ValueError(f"workers depend on each other in a cycle: {sorted(needs)}")
        for name in free:
            resolved.add(name)
            del needs[name]
