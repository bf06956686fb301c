"""What the reviewer inbox reads: the cases waiting for review across workflows, and one case
whole (its packets, the agents' results, its history), from the deployment's database.

The inbox reads the database every server process shares (the human queue, the checkpoints, the
trace), not a server's thread API: servers differ in who may read a thread (Aegra lets only its
owner), while a reviewer must see every waiting case. Everything shown goes through the trace's
redaction of sensitive fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from checkpoints.human_queue import HumanQueue
from checkpoints.trace_store import TraceStore
from graphs.cli.trace_view import event_summary
from graphs.kit.access import OWNER_KEY
from graphs.kit.errors import RequestError
from graphs.kit.redaction import redact, registered_sensitive_fields
from graphs.kit.runtime import RunReport, open_workflow
from graphs.kit.workflows import get_workflow, workflow_names
from schemas.review import QueuedCase


class CaseNotFound(RequestError):
    """No case on that thread that this reader may see."""


@dataclass(frozen=True)
class CaseRow:
    """One waiting gate of the queue, as the inbox lists it."""

    thread_id: str
    workflow: str
    gate: str
    department: str | None
    subject: str
    reasons: list[str]
    recommendation: str
    queued_at: str
    age_seconds: int
    started_by: str | None
    awaiting_second_review: str | None
    packet_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CaseDetail:
    """A case whole: where it stands, each waiting gate's packet and what the reviewer may amend,
    the agents' results, and the case's history."""

    thread_id: str
    workflow: str
    status: str
    started_by: str | None
    summary: dict[str, str]
    gates: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def waiting_cases(
    database_url: str, workflow: str | None = None, search: str | None = None
) -> list[CaseRow]:
    """The cases waiting for review (of one workflow, or all), oldest first; `search` keeps those
    whose thread, subject, workflow or reasons contain it (case-insensitive)."""
    if workflow is not None:
        get_workflow(workflow)  # UnknownWorkflow, naming the known ones
    queued = HumanQueue(database_url).waiting(workflow)
    now = datetime.now(UTC)
    rows = [_row(case, case.started_by, now) for case in queued]
    if search:
        needle = search.casefold()
        rows = [row for row in rows if needle in _haystack(row)]
    return rows


def _row(case: QueuedCase, started_by: str | None, now: datetime) -> CaseRow:
    queued = datetime.fromisoformat(case.queued_at)
    return CaseRow(
        thread_id=case.thread_id,
        workflow=case.workflow,
        gate=case.gate,
        department=case.department,
        subject=case.subject,
        reasons=list(case.reasons),
        recommendation=case.recommendation,
        queued_at=case.queued_at,
        age_seconds=max(0, int((now - queued).total_seconds())),
        started_by=started_by,
        awaiting_second_review=case.awaiting_second_review,
        packet_hash=case.packet_hash,
    )


def _haystack(row: CaseRow) -> str:
    return " ".join([row.thread_id, row.workflow, row.subject, *row.reasons]).casefold()


def case_detail(database_url: str, thread_id: str, *, waiting_only: bool) -> CaseDetail:
    """One case whole. With `waiting_only` (a reviewer), only a case waiting for review is
    found: CaseNotFound otherwise, as for a thread that does not exist."""
    queue = HumanQueue(database_url)
    if waiting_only and not queue.is_waiting(thread_id):
        raise CaseNotFound(f"no case waiting for review on thread {thread_id!r}")
    registered = TraceStore(database_url).thread(thread_id)
    if registered is None or registered["workflow"] not in workflow_names():
        raise CaseNotFound(f"no case on thread {thread_id!r}")
    workflow = str(registered["workflow"])
    hidden = registered_sensitive_fields()
    with open_workflow(workflow, database_url) as flow:
        report = flow.report(thread_id)
        values = flow.graph.get_state(flow.config(thread_id)).values
        agents = list(flow.agent_specs())
    started_by = values.get(OWNER_KEY) if isinstance(values, dict) else None
    detail = CaseDetail(
        thread_id=thread_id,
        workflow=workflow,
        status=report.status,
        started_by=started_by,
        summary=dict(report.summary),
        decision=redact(report.decision, hidden),
    )
    contracts = {spec.name: spec.output_contract for spec in agents}
    choices = get_workflow(workflow).amendment_choices
    for gate in report.waiting:
        packet = redact(gate.packet, hidden)
        fields = amendment_fields(packet, contracts)
        for spec in fields:
            if spec["name"] in choices and "enum" not in spec["schema"]:
                spec["schema"] = {**spec["schema"], "enum": list(choices[spec["name"]]())}
        detail.gates.append(
            {
                "interrupt_id": gate.interrupt_id,
                "gate": gate.gate,
                "department": gate.department,
                "packet": packet,
                "amendment": fields,
            }
        )
    detail.results = _results(report, values, agents, hidden)
    detail.history = _history(database_url, thread_id, hidden)
    return detail


def _results(
    report: RunReport, values: Any, agents: list[Any], hidden: frozenset[str]
) -> dict[str, Any]:
    """Each agent's result: as the waiting gate shows it, else as the state holds it."""
    shown: dict[str, Any] = {}
    for gate in report.waiting:
        evidence = gate.packet.get("evidence") or {}
        shown.update({k: v for k, v in evidence.items() if isinstance(v, dict) and "status" in v})
    if isinstance(values, dict):
        for spec in agents:
            result = values.get(spec.writes)
            if spec.name not in shown and isinstance(result, dict) and "status" in result:
                shown[spec.name] = result
    return {name: redact(result, hidden) for name, result in shown.items()}


def _history(database_url: str, thread_id: str, hidden: frozenset[str]) -> list[dict[str, Any]]:
    return [
        {
            "at": event.at.isoformat(),
            "kind": event.kind.value,
            "node": event.node,
            "what": event_summary(event.model_copy(update={"data": redact(event.data, hidden)})),
        }
        for event in TraceStore(database_url).events(thread_id)
    ]


def amendment_fields(
    packet: dict[str, Any], contracts: dict[str, type[Any]]
) -> list[dict[str, Any]]:
    """The fields a reviewer may amend at this gate, each with its JSON Schema and its current
    value. They are fields of the result the amendment changes: the agent in the packet's
    evidence whose output contract has every amendable field (quote's limit, deductible and
    premium, not the prior policy's limit); none when no agent's does."""
    names = list(packet.get("amendable_fields") or [])
    evidence = packet.get("evidence") or {}
    owner = next(
        (
            agent
            for agent in evidence
            if names
            and all(name in getattr(contracts.get(agent), "model_fields", {}) for name in names)
        ),
        None,
    )
    if owner is None:
        return []
    schema = contracts[owner].model_json_schema(mode="serialization")
    result = evidence.get(owner)
    value = (result.get("value") or {}) if isinstance(result, dict) else {}
    return [
        {
            "name": name,
            "agent": owner,
            "schema": _field_schema(schema, name),
            "current": value.get(name),
        }
        for name in names
    ]


def _field_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """A property's schema, its `$ref`s to the contract's definitions resolved one level."""
    found: dict[str, Any] = dict((schema.get("properties") or {}).get(name) or {})
    definitions = schema.get("$defs") or {}
    reference = found.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        found = {**definitions.get(reference.removeprefix("#/$defs/"), {}), **found}
        found.pop("$ref", None)
    return found
