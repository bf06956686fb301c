"""The workflow registry: every module at the top level of the `graphs` package is a workflow,
and its `WORKFLOW` is its declaration (`graphs.kit.declaration.Workflow`).

Listing the workflows reads the package's directory and imports nothing, so the command line
starts without loading any workflow's agents, data tables or models; a workflow is imported when
it is first asked for.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from graphs.kit.errors import UnknownWorkflow

if TYPE_CHECKING:  # the declaration loads LangGraph: imported with the first workflow
    from agents.spec import AgentSpec
    from graphs.kit.declaration import Workflow

GRAPHS_PACKAGE = Path(__file__).resolve().parents[1]
RESERVED = frozenset({"app", "auth", "graphs"})
"""Names the server entry point (`graphs/server/served.py`) uses for itself: never a workflow."""
PLATFORM_ROLES = frozenset({"supervisor", "review_summary"})
"""Model roles the platform itself uses: a supervisor that routes with a model, and the review
gate's generated summary. Agents declare the others."""


def workflow_names() -> list[str]:
    """The workflows' names, sorted: the top-level modules of `graphs/` (no import)."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(GRAPHS_PACKAGE)])
        if not module.ispkg and not module.name.startswith("_") and module.name not in RESERVED
    )


@cache
def get_workflow(name: str) -> Workflow:
    """A workflow's declaration by name; UnknownWorkflow listing the known ones when there is no
    such workflow, TypeError when its module declares none."""
    from graphs.kit.declaration import Workflow

    names = workflow_names()
    if name not in names:
        raise UnknownWorkflow(f"unknown workflow {name!r} (workflows: {', '.join(names)})")
    module = importlib.import_module(f"graphs.{name}")
    declared = getattr(module, "WORKFLOW", None)
    if not isinstance(declared, Workflow) or declared.name != name:
        raise TypeError(
            f"graphs/{name}.py must declare WORKFLOW = Workflow(name={name!r}, ...): every "
            "module at the top level of graphs/ is a workflow (platform code goes in graphs/kit)"
        )
    return declared


def all_workflows() -> list[Workflow]:
    """Every workflow's declaration (this imports them all)."""
    return [get_workflow(name) for name in workflow_names()]


def all_agents() -> list[AgentSpec]:
    """Every workflow's agents, workflow by workflow."""
    return [spec for workflow in all_workflows() for spec in workflow.agents]


@cache
def declared_model_roles() -> frozenset[str]:
    """Every model role: the platform's and those the workflows' agents declare."""
    return PLATFORM_ROLES.union(*(workflow.model_roles() for workflow in all_workflows()))
