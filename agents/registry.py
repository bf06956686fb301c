"""Every agent of every workflow, for `baton agents` and the handoff map."""

from __future__ import annotations

from agents.contract_review.specs import AGENTS as CONTRACT_REVIEW_AGENTS
from agents.spec import AgentSpec
from agents.support_triage.specs import AGENTS as SUPPORT_TRIAGE_AGENTS
from agents.underwriting import AGENTS as UNDERWRITING_AGENTS

WORKFLOW_AGENTS: dict[str, tuple[AgentSpec, ...]] = {
    "underwriting": UNDERWRITING_AGENTS,
    "contract_review": CONTRACT_REVIEW_AGENTS,
    "support_triage": SUPPORT_TRIAGE_AGENTS,
}


def all_agents() -> list[AgentSpec]:
    """All registered agents, workflow by workflow."""
    return [spec for specs in WORKFLOW_AGENTS.values() for spec in specs]
