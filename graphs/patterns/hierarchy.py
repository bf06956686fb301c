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
from typing import Any, Generic

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel

from agents.spec import AgentContext, AgentSpec, Implementation, In, Out, Owner
from graphs.kit.context import BatonContext
from graphs.patterns.supervisor import Worker, build_supervisor
from schemas.result import Outcome


@dataclass(frozen=True)
class Department(Generic[In, Out]):
    """A department under the orchestrator.

    Args:
        name: the department's name (snake_case): its node, and the state key of its result.
        graph: the department's compiled graph, without a checkpointer of its own.
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
    graph: CompiledStateGraph[Any, Any, Any, Any]
    input_contract: type[In]
    output_contract: type[Out]
    output: Callable[[Mapping[str, Any]], Out | Outcome]
    owner: Owner
    reads: tuple[str, ...] = ()
    select_input: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    after: tuple[str, ...] = ()
    description: str = ""
    version: str = "1.0.0"


def department_agent(department: Department[Any, Any], workflow: str) -> AgentSpec[Any, Any]:
    """The department as the orchestrator's agent: its implementation runs the department's graph
    (on the orchestrator's checkpointer and run context) and reads its result with `output`."""
    graph, output = department.graph, department.output

    async def run_department(payload: BaseModel, context: AgentContext) -> Any:
        # The run's config (thread, checkpoint namespace, checkpointer, context) is inherited.
        final = await graph.ainvoke(payload.model_dump(mode="json"))
        return output(final)

    run_department.__name__ = f"run_{department.name}"
    return AgentSpec(
        name=department.name,
        workflow=workflow,
        owner=department.owner,
        version=department.version,
        description=department.description or f"The {department.name} department.",
        reads=department.reads or tuple(department.input_contract.model_fields),
        input_contract=department.input_contract,
        output_contract=department.output_contract,
        implementations=(
            Implementation(
                "department",
                "deterministic",
                run_department,
                f"the {department.name} department's graph ({graph.name})",
            ),
        ),
        select_input=department.select_input or _fields_as_given,
    )


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
    an unknown department, or departments that need each other in a cycle.
    """
    for department in departments:
        contract = department.output_contract
        if not (isinstance(contract, type) and issubclass(contract, BaseModel)):
            raise ValueError(
                f"department {department.name!r} needs an output contract (a pydantic model), "
                f"not {contract!r}: it is its only handoff upward"
            )
        if department.graph.checkpointer not in (None, False):
            raise ValueError(
                f"department {department.name!r}: compile its graph without a checkpointer; it "
                "runs on the orchestrator's"
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
