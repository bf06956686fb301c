"""The owner's view of operations: every declared agent with its owner and what the trace store
recorded of it, and the incidents grouped with what to type to reproduce each case. The numbers
come from `checkpoints.operations`; the owners, versions and agent names from the workflows'
declarations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from agents.spec import AgentSpec
from checkpoints.operations import agent_activity, incidents
from graphs.kit.declaration import Workflow
from graphs.kit.workflows import all_workflows
from schemas.operations import (
    AgentActivity,
    AgentOwnership,
    IncidentCase,
    IncidentGroup,
    IncidentStatus,
    ReproducibleCase,
)


def owner_report(database_url: str, since: datetime | None) -> list[AgentOwnership]:
    """Every agent of every workflow (a hierarchy's specialists too), with its owner, contact and
    version, and its activity since `since`; an agent with no run in the window is listed with
    none. Agents the trace names that no workflow declares any more follow, marked so."""
    activity = {
        (found.workflow, found.agent): found for found in agent_activity(database_url, since)
    }
    report: list[AgentOwnership] = []
    for workflow in all_workflows():
        for department, spec in _agents_of(workflow):
            found = activity.pop((workflow.name, spec.name), None)
            report.append(
                AgentOwnership(
                    **dict(found or AgentActivity(workflow=workflow.name, agent=spec.name)),
                    department=department,
                    owner=spec.owner.team,
                    contact=spec.owner.contact,
                    version=spec.version,
                )
            )
    report.extend(
        AgentOwnership(**dict(found), declared=False)
        for found in activity.values()
        if found.runs or found.fallbacks  # not a node that only raised: a supervisor's, a gate's
    )
    return report


def incident_report(
    database_url: str, workflow: str | None = None, since: datetime | None = None
) -> list[IncidentGroup]:
    """The failed and escalated steps since `since` (all when None), of `workflow` or all,
    grouped by workflow, agent (or node), status and kind, the largest group first; each case
    newest first with its thread, the checkpoint its step ran from, and the commands that show
    it again (`baton trace`) and re-run the agent (`baton rollback … --to AGENT`)."""
    declared = {(w.name, spec.name) for w in all_workflows() for _, spec in _agents_of(w)}
    groups: dict[tuple[str | None, str, IncidentStatus, str | None], list[IncidentCase]] = (
        defaultdict(list)
    )
    for case in incidents(database_url, workflow, since):
        subject = case.agent or case.node or "?"
        groups[(case.workflow, subject, case.status, case.kind)].append(case)
    report = [
        IncidentGroup(
            workflow=key[0],
            agent=key[1],
            is_agent=(key[0], key[1]) in declared,
            status=key[2],
            kind=key[3],
            count=len(cases),
            cases=[_reproducible(case, key[1], (key[0], key[1]) in declared) for case in cases],
        )
        for key, cases in groups.items()
    ]
    return sorted(report, key=lambda g: (-g.count, g.workflow or "", g.agent, g.status))


def _agents_of(workflow: Workflow) -> Iterator[tuple[str | None, AgentSpec]]:
    """A workflow's agents, with the department each works in (None at the top level)."""
    for spec in workflow.agents:
        yield None, spec
    for department in workflow.departments:
        for spec in department.agents:
            yield department.name, spec


def _reproducible(case: IncidentCase, agent: str, is_agent: bool) -> ReproducibleCase:
    return ReproducibleCase(
        thread_id=case.thread_id,
        at=case.at,
        node=case.node,
        reason=case.reason,
        checkpoint_id=case.checkpoint_id,
        trace=f"baton trace {case.thread_id}",
        rollback=f"baton rollback {case.thread_id} --to {agent}" if is_agent else None,
    )
