"""The hierarchy pattern: an orchestrator over departments, each a graph of its own (a supervisor
over its specialists, or any pattern) with its own state and rules.

A department's only handoff upward is its output contract. The orchestrator runs a department as
one governed agent whose implementation runs the department's graph, so the orchestrator sees the
department's validated `AgentResult` and nothing of its inner state. A department that raises,
returns a result that breaks its contract, or says it could not finish is a `failed` or
`escalated` result at the top, with the department's reason: never a crash and never a silent
empty answer. The orchestrator is the supervisor: it routes by the departments' results, builds
only on `ok` ones, and runs independent departments in parallel.

A department's graph is compiled without a checkpointer: it runs on the orchestrator's, under a
checkpoint namespace of its own, so a review gate inside it stops the whole case with the
department's interrupt, and a resume by interrupt id continues that department only (two
departments can wait at once, each answered on its own). A department is re-entered from its
start when a case resumes, and its finished agents are not run again (their results are in its
own checkpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.pregel import Pregel
from pydantic import BaseModel, create_model

from agents.spec import AgentContext, AgentSpec, Implementation, In, Out, Owner
from checkpoints.rollback import RollbackError, back_along_branch
from graphs.kit.access import OWNER_KEY
from graphs.kit.context import BatonContext
from graphs.kit.decisions import governed_state
from graphs.kit.governed import RERUNS_KEY
from graphs.patterns.supervisor import Worker, build_supervisor
from schemas.result import Outcome


@dataclass(frozen=True)
class Department(Generic[In, Out]):
    """A department under the orchestrator.

    Args:
        name: the department's name (snake_case): its node, and the state key of its result.
        graph: the department's compiled graph, without a checkpointer of its own, or a function
            that compiles it (called once, when the department first runs or is checked: a
            workflow module can then declare its departments without building graphs on import).
        input_contract: what the department's graph takes; built from the orchestrator's state
            keys `reads` (by `select_input`, or those keys as they are).
        output_contract: the department's only handoff upward.
        output: the department's result from its graph's final state: the output contract, or an
            `Outcome` (`escalated` with the reason when the department could not finish).
        owner: the team accountable for the department.
        after: departments whose `ok` results this one needs.

    Example:
        Department("procurement", PROCUREMENT.graph, PlanInput, PurchasePlan,
                   output=purchase_plan, owner=BUYING, reads=("plan_id", "forecast"),
                   after=("forecasting",))
    """

    name: str
    graph: (
        CompiledStateGraph[Any, Any, Any, Any]
        | Callable[[], CompiledStateGraph[Any, Any, Any, Any]]
    )
    input_contract: type[In]
    output_contract: type[Out]
    output: Callable[[Mapping[str, Any]], Out | Outcome]
    owner: Owner
    reads: tuple[str, ...] = ()
    select_input: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    after: tuple[str, ...] = ()
    agents: tuple[AgentSpec[Any, Any], ...] = ()
    """The department's specialists, in the order they run: a rollback to one of them re-runs
    it and those listed after it, and keeps the results of those before it."""
    description: str = ""
    version: str = "1.0.0"

    def compiled(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The department's compiled graph."""
        return _compiled(self)


@cache
def _compiled(department: Department[Any, Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    graph = department.graph
    return graph if isinstance(graph, CompiledStateGraph) else graph()


def department_agent(department: Department[Any, Any], workflow: str) -> AgentSpec[Any, Any]:
    """The department as the orchestrator's agent: its implementation runs the department's graph
    (on the orchestrator's checkpointer and run context) and reads its result with `output`.

    Its input is the department's input contract plus `rerun`: after a rollback into the
    department, the results of its specialists that are kept, which the department's graph
    starts from (so only the rolled-back specialist and those after it run again)."""
    output = department.output
    call = create_model(
        f"{department.input_contract.__name__}Call",
        __base__=department.input_contract,
        rerun=(dict[str, Any] | None, None),
        owner=(str | None, None),
    )
    select = department.select_input or _fields_as_given

    async def run_department(payload: BaseModel, context: AgentContext) -> Any:
        given = payload.model_dump(mode="json")
        rerun = given.pop("rerun", None) or {}
        # The case's owner goes down with it: the department's entry and supervisor check who
        # runs the case as the orchestrator's do.
        given[OWNER_KEY] = given.pop("owner", None)
        # The run's config (thread, checkpoint namespace, checkpointer, context) is inherited.
        # Named apart from the node, so the trace counts the department's node once.
        final = await department.compiled().ainvoke(
            {**given, **(rerun.get("seed") or {})},
            {"run_name": f"{department.name} department"},
        )
        return output(final)

    def select_input(state: Mapping[str, Any]) -> dict[str, Any]:
        rerun = (state.get(RERUNS_KEY) or {}).get(department.name)
        return {**select(state), "rerun": rerun, "owner": state.get(OWNER_KEY)}

    run_department.__name__ = f"run_{department.name}"
    reads = department.reads or tuple(department.input_contract.model_fields)
    return AgentSpec(
        name=department.name,
        workflow=workflow,
        owner=department.owner,
        version=department.version,
        description=department.description or f"The {department.name} department.",
        reads=(*reads, RERUNS_KEY, OWNER_KEY),
        input_contract=call,
        output_contract=department.output_contract,
        implementations=(
            Implementation(
                "department",
                "deterministic",
                run_department,
                f"the {department.name} department's graph",
            ),
        ),
        select_input=select_input,
    )


def hierarchy_state(
    name: str,
    case: type[BaseModel],
    department_agents: Sequence[AgentSpec[Any, Any]],
) -> type:
    """The orchestrator's state: the case's fields (its input contract, or a model extending it
    with the orchestrator's own keys), one `AgentResult` per department, the governed keys, and
    the keys rollback into a department uses."""
    fields: dict[str, Any] = {RERUNS_KEY: (dict[str, Any] | None, None)}
    with_reruns = create_model(f"{case.__name__}WithReruns", __base__=case, **fields)
    return governed_state(name, with_reruns, department_agents)


def department_with(
    departments: Sequence[Department[Any, Any]], agent: str
) -> tuple[Department[Any, Any], str] | None:
    """The department `agent` is a specialist of, and the specialist's name (None when it is no
    department's). `agent` may name its department (`procurement/sourcing`); it must where two
    departments have a specialist of that name (ValueError saying so)."""
    wanted, _, name = agent.rpartition("/")
    found = [
        d
        for d in departments
        if (not wanted or d.name == wanted) and any(s.name == name for s in d.agents)
    ]
    if len(found) > 1:
        raise ValueError(
            f"{name!r} is a specialist of several departments ({', '.join(d.name for d in found)}):"
            f" name one, e.g. {found[0].name}/{name}"
        )
    return (found[0], name) if found else None


def rewind_into_department(
    graph: Pregel,
    config: RunnableConfig,
    *,
    departments: Sequence[Department[Any, Any]],
    agent: str,
    values: Callable[[dict[str, Any]], dict[str, Any]],
) -> RunnableConfig:
    """Fork the thread so that `agent` runs again with what follows it, and nothing else:
    `agent` is a department (it runs again from its start) or a specialist of one (it and those
    after it in its department run again), then the departments that need that department's
    result, then the orchestrator's later steps.

    LangGraph's own time travel into a subgraph re-runs the whole subgraph and its parallel
    siblings (langgraph#8458), and a fork from an older checkpoint would bring back the
    orchestrator's state of that time (a re-plan undone, its cap re-armed); so the fork is taken
    from the thread's latest checkpoint, as the department's own write: it clears the
    department's result, the results of the departments that need it and the case's decision,
    and gives the department, in `RERUNS_KEY`, the results its specialists before `agent` had in
    its last run (read from the department's own checkpoint), which its graph starts from. A gate
    that was waiting is dropped; the gates that still apply ask again. `values` is given the
    latest state and returns more of the update (corrections).
    Returns the config of the new checkpoint; invoke the graph with `None` and that config.
    """
    whole = next((d for d in departments if d.name == agent), None)
    if whole is not None:
        department, kept = whole, set[str]()
    else:
        try:
            found = department_with(departments, agent)
        except ValueError as error:
            raise RollbackError(str(error)) from None
        if found is None:
            raise RollbackError(f"{agent!r} is no department and no department's specialist")
        department, agent = found
        names = [spec.name for spec in department.agents]
        kept = {spec.writes for spec in department.agents[: names.index(agent)]}
    head = graph.get_state(config)
    seed = _kept_results(graph, config, department, kept)  # refused unless it ran
    rerun = {department.name: {"resume_at": agent, "seed": seed}} if whole is None else {}
    update = {
        **values(dict(head.values)),
        **{name: None for name in _needing(departments, department.name)},
        department.name: None,
        "decision": None,
        RERUNS_KEY: rerun,
    }
    return graph.update_state(head.config, update, as_node=department.name)


def _kept_results(
    graph: Pregel, config: RunnableConfig, department: Department[Any, Any], kept: set[str]
) -> dict[str, Any]:
    """The results under `kept` in the department's last run on the thread's current branch;
    RollbackError when it never finished there."""
    thread_id = config["configurable"]["thread_id"]
    for snapshot in back_along_branch(graph, config):
        task = next(
            (t for t in snapshot.tasks if t.name == department.name and t.result is not None),
            None,
        )
        if task is not None:
            inner = _department_checkpoint(graph, thread_id, f"{department.name}:{task.id}")
            return {key: inner[key] for key in kept if inner.get(key) is not None}
    raise RollbackError(
        f"department {department.name!r} has not finished on this thread, so there is nothing "
        "to rewind in it"
    )


def _needing(departments: Sequence[Department[Any, Any]], name: str) -> set[str]:
    """The departments that need `name`'s result, directly or through others."""
    needing: set[str] = set()
    grew = True
    while grew:
        found = {d.name for d in departments if {name, *needing} & set(d.after)} - needing
        needing |= found
        grew = bool(found)
    return needing


def _department_checkpoint(graph: Pregel, thread_id: str, namespace: str) -> dict[str, Any]:
    """The channel values of a department run's last checkpoint (its own namespace)."""
    saver = graph.checkpointer
    if not isinstance(saver, BaseCheckpointSaver):
        raise RollbackError("rolling back into a department needs the graph's checkpointer")
    found = saver.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace}})
    if found is None:
        raise RollbackError(f"the department's checkpoints ({namespace}) are gone")
    return dict(found.checkpoint["channel_values"])


def _fields_as_given(state_slice: Mapping[str, Any]) -> dict[str, Any]:
    return dict(state_slice)


def build_hierarchy(
    state_schema: type,
    departments: Sequence[Department[Any, Any]],
    *,
    workflow: str,
    then: str = "review_gate",
    input_contract: type[BaseModel] | None = None,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """An orchestrator over `departments`, uncompiled; the caller adds `then` (by default the
    review gate) and what follows it.

    Args:
        state_schema: the orchestrator's state: its input and one `AgentResult` per department
            (e.g. `governed_state(name, input_contract, [department_agent(d, workflow) ...])`).
        departments: the departments; `after` orders them, the rest run in parallel.
        workflow: the workflow's name (the departments' agents belong to it).
        then: the node the orchestrator hands the case to when every department is done or
            blocked.
        input_contract: the workflow's input, checked when a run starts.

    Example:
        builder = build_hierarchy(PlanState, [FORECASTING, PROCUREMENT, LOGISTICS],
                                  workflow="supply_chain", input_contract=ReplenishmentRequest)

    Raises ValueError before anything runs on duplicate department names, an output contract that
    is not a pydantic model, a department graph with a checkpointer of its own, an `after` naming
    an unknown department, departments that need each other in a cycle, or a state not made by
    `hierarchy_state` (it lacks the key rollback into a department uses).
    """
    for department in departments:
        contract = department.output_contract
        if not (isinstance(contract, type) and issubclass(contract, BaseModel)):
            raise ValueError(
                f"department {department.name!r} needs an output contract (a pydantic model), "
                f"not {contract!r}: it is its only handoff upward"
            )
        if department.compiled().checkpointer not in (None, False):
            raise ValueError(
                f"department {department.name!r}: compile its graph without a checkpointer; it "
                "runs on the orchestrator's"
            )
    names = [d.name for d in departments]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate department names: {duplicates}")
    if RERUNS_KEY not in get_type_hints(state_schema):
        raise ValueError(
            f"the orchestrator's state {state_schema.__name__} has no {RERUNS_KEY!r} key: build "
            "it with hierarchy_state(...)"
        )
    workers = [Worker(department_agent(d, workflow), after=d.after) for d in departments]
    return build_supervisor(
        state_schema,
        workers,
        then=then,
        input_contract=input_contract,
        context_schema=context_schema or BatonContext,
        input_schema=input_schema,
    )
