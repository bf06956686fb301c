"""The platform every workflow is built on: the governed agent node, contracts at each handoff,
review policies and the review gate, decisions recorded once, redaction, tracing, the workflow
registry and the runtime that runs a thread (`graphs.kit.runtime`).

This module is also what a workflow author imports: `from graphs.kit import Workflow, GateSpec,
...` (the names in `__all__`: the declaration, the governed state and the gate-then-decide step,
the patterns, the agent spec and its typed accessors, results and review decisions). The names
load on first use, so importing a part of the kit (the registry, say) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.spec import (
        AgentContext,
        AgentSpec,
        Implementation,
        Owner,
        ok_value,
        result_of,
        rules_agent,
    )
    from graphs.kit.context import BatonContext
    from graphs.kit.contracts import validate_contract
    from graphs.kit.decisions import (
        FINALIZE,
        GovernedState,
        Settled,
        add_gate_then_decide,
        governed_state,
    )
    from graphs.kit.declaration import Workflow
    from graphs.kit.policy import PolicyError, policy_settings
    from graphs.kit.review_gate import GateSpec
    from graphs.kit.runtime import open_workflow
    from graphs.patterns.chain import Evaluator, Stage, build_chain
    from graphs.patterns.hierarchy import Department, build_hierarchy, department_agent
    from graphs.patterns.mesh import (
        Consensus,
        MeshState,
        RoundLimit,
        Stagnation,
        TokenBudget,
        build_mesh,
    )
    from graphs.patterns.supervisor import Worker, build_supervisor
    from graphs.patterns.vote import Arbiter, build_vote
    from schemas.decision import DecisionRecord
    from schemas.result import AgentResult, ErrorKind, Outcome, Status
    from schemas.review import Recommendation, ReviewAction, ReviewDecision

_HOMES = {
    "agents.spec": (
        "AgentContext", "AgentSpec", "Implementation", "Owner", "ok_value", "result_of",
        "rules_agent",
    ),
    "graphs.kit.context": ("BatonContext",),
    "graphs.kit.contracts": ("validate_contract",),
    "graphs.kit.decisions": (
        "FINALIZE", "GovernedState", "Settled", "add_gate_then_decide", "governed_state",
    ),
    "graphs.kit.declaration": ("Workflow",),
    "graphs.kit.policy": ("PolicyError", "policy_settings"),
    "graphs.kit.review_gate": ("GateSpec",),
    "graphs.kit.runtime": ("open_workflow",),
    "graphs.patterns.chain": ("Evaluator", "Stage", "build_chain"),
    "graphs.patterns.hierarchy": ("Department", "build_hierarchy", "department_agent"),
    "graphs.patterns.mesh": (
        "Consensus", "MeshState", "RoundLimit", "Stagnation", "TokenBudget", "build_mesh",
    ),
    "graphs.patterns.supervisor": ("Worker", "build_supervisor"),
    "graphs.patterns.vote": ("Arbiter", "build_vote"),
    "schemas.decision": ("DecisionRecord",),
    "schemas.result": ("AgentResult", "ErrorKind", "Outcome", "Status"),
    "schemas.review": ("Recommendation", "ReviewAction", "ReviewDecision"),
}  # fmt: skip
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "FINALIZE",
    "AgentContext",
    "AgentResult",
    "AgentSpec",
    "Arbiter",
    "BatonContext",
    "Consensus",
    "DecisionRecord",
    "Department",
    "ErrorKind",
    "Evaluator",
    "GateSpec",
    "GovernedState",
    "Implementation",
    "MeshState",
    "Outcome",
    "Owner",
    "PolicyError",
    "Recommendation",
    "ReviewAction",
    "ReviewDecision",
    "RoundLimit",
    "Settled",
    "Stage",
    "Stagnation",
    "Status",
    "TokenBudget",
    "Worker",
    "Workflow",
    "add_gate_then_decide",
    "build_chain",
    "build_hierarchy",
    "build_mesh",
    "build_supervisor",
    "build_vote",
    "department_agent",
    "governed_state",
    "ok_value",
    "open_workflow",
    "policy_settings",
    "result_of",
    "rules_agent",
    "validate_contract",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its home on first use."""
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
