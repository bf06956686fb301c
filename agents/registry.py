"""Every agent of every workflow, for `baton agents` and the handoff map."""

from __future__ import annotations

from agents.spec import AgentSpec
from agents.underwriting import AGENTS as UNDERWRITING_AGENTS

WORKFLOW_AGENTS: dict[str, tuple[AgentSpec, ...]] = {
    "underwriting": UNDERWRITING_AGENTS,
}


def all_agents() -> list[AgentSpec]:
    """All registered agents, workflow by workflow."""
    return [spec for specs in WORKFLOW_AGENTS.values() for spec in specs]


def get_agent(workflow: str, name: str) -> AgentSpec:
    """One agent by workflow and name; KeyError naming what exists when it is unknown."""
    for spec in WORKFLOW_AGENTS.get(workflow, ()):
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in WORKFLOW_AGENTS.get(workflow, ())) or "none"
    raise KeyError(f"no agent {name!r} in workflow {workflow!r} (agents: {known})")
