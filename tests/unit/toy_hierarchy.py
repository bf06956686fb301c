"""A toy hierarchy for tests: departments (each a supervisor over one writer, with its own review
gate that always stops) under an orchestrator, declared as a `Workflow` of the tests' own, so a
`WorkflowRun` drives it on a real database as `open_workflow` does a shipped workflow.

(The same toy as tests/unit/test_hierarchy.py builds; that module keeps its own copy.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from langgraph.graph import END, StateGraph
from pydantic import BaseModel

from agents.spec import AgentContext, AgentSpec, Owner, rules_agent
from graphs.kit import GateSpec, build_supervisor, governed_state
from graphs.kit.declaration import Workflow
from graphs.kit.policy import ReviewPolicy, Rule
from graphs.kit.review_gate import add_review_gate
from graphs.kit.runtime import WorkflowRun, open_workflow
from graphs.patterns.hierarchy import (
    Department,
    build_hierarchy,
    department_agent,
    hierarchy_state,
)
from schemas.result import Outcome

NAME = "toy"
OWNER = Owner("Toy Team", "toy@example.com")


class Brief(BaseModel):
    topic: str


class Draft(BaseModel):
    text: str


class Summary(BaseModel):
    text: str


def writer(department: str) -> AgentSpec[Any, Any]:
    def write(brief: Brief, _: AgentContext) -> Draft:
        """Writes the department's draft."""
        return Draft(text=f"{department} on {brief.topic}")

    return rules_agent(write, "writer", department, OWNER)


def department_graph(name: str) -> Any:
    """A department: its writer, then its own review gate (the policy always stops)."""
    agent = writer(name)
    state = governed_state(f"{name.title()}State", Brief, [agent])
    builder = build_supervisor(state, [agent], then="review_gate")
    policy = ReviewPolicy(
        workflow=NAME,
        owner="Toy Team",
        rules=[Rule(name="always", description="A person signs off.", always=True)],
    )
    add_review_gate(
        builder,
        GateSpec(
            workflow=NAME,
            agents=[agent],
            subject=lambda _: f"Sign off the {name} draft?",
            recommend=lambda _: "approve",
            policy=policy,
        ),
    )
    builder.add_edge("review_gate", END)
    return builder.compile(name=name)


def summary(final: Mapping[str, Any]) -> Summary | Outcome:
    """A department's result: its draft, unless its reviewer rejected it."""
    record = (final.get("review") or {}).get("record") or {}
    if (record.get("decision") or {}).get("action") == "reject":
        return Outcome.escalated("the department's reviewer rejected its draft")
    return Summary(text=final["writer"]["value"]["text"])


def department(name: str) -> Department[Any, Any]:
    return Department(
        name=name,
        graph=department_graph(name),
        input_contract=Brief,
        output_contract=Summary,
        output=summary,
        owner=OWNER,
    )


def toy_workflow(names: Sequence[str] = ("sales", "legal")) -> Workflow:
    """The toy declared as a workflow: its departments run in parallel, then `reconcile` ends
    the case (the orchestrator has no gate of its own)."""
    agents = [department_agent(department(name), NAME) for name in names]

    def build() -> StateGraph[Any, Any, Any, Any]:
        departments = [department(name) for name in names]
        state = hierarchy_state(
            "ToyPlanState", Brief, [department_agent(d, NAME) for d in departments]
        )
        builder: StateGraph[Any, Any, Any, Any] = build_hierarchy(
            state, departments, workflow=NAME, then="reconcile", input_contract=Brief
        )
        builder.add_node("reconcile", lambda _: {})
        builder.add_edge("reconcile", END)
        return builder

    return Workflow(name=NAME, input_contract=Brief, agents=agents, build=build)


@contextmanager
def open_toy(database_url: str, names: Sequence[str] = ("sales", "legal")) -> Iterator[WorkflowRun]:
    """The toy workflow compiled on `database_url`'s saver, as `open_workflow` opens one."""
    with open_workflow(toy_workflow(names), database_url) as flow:
        yield flow
