"""Aggregates over the trace store for the owner's view: each agent's activity over a window, and
the failed and escalated steps with the checkpoint each ran from. SQLAlchemy Core on SQLite and
PostgreSQL; only the few JSON fields needed are read from each event (its input and output, which
can be large, never leave the database), and only the window's events."""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    cast,
    column,
    func,
    inspect,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import JSONB

from checkpoints.database import create_tables, engine_for
from checkpoints.trace_store import metadata, threads, trace_events
from schemas.operations import (
    AgentActivity,
    FallbackHop,
    IncidentCase,
    IncidentStatus,
    TokenUsage,
)
from schemas.trace import EventKind

WRITES_TABLES = {"sqlite": "writes", "postgresql": "checkpoint_writes"}
"""The official savers' table of task writes: each row names the task and the checkpoint it ran
from, which is how a traced step (its task id) finds its checkpoint."""
INCIDENT_STATUSES = ("failed", "escalated")
_EXCEPTION = re.compile(r"\s*([A-Za-z_][\w.]*)")


def agent_activity(database_url: str, since: datetime | None = None) -> list[AgentActivity]:
    """Per workflow and agent, what the trace store recorded since `since` (everything when
    None): runs by status, failures by error kind, attempts that raised, fallback hops, latency
    (mean, p95) and tokens. Only agents with an event in the window are listed, and nodes
    that raised (by node name: an agent's node is named after it; the others, a supervisor's
    or a gate's, have no run or fallback of their own)."""
    engine = _engine(database_url)
    fields = ("status", "error_kind", "latency_ms", "tokens", "version", "from", "to", "error")
    kinds = (EventKind.STEP, EventKind.STEP_ERROR, EventKind.FALLBACK)
    query = _events(engine, kinds, fields, since)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    steps: dict[tuple[str | None, str], list[Any]] = defaultdict(list)
    errors: dict[tuple[str | None, str], Counter[str]] = defaultdict(Counter)
    hops: dict[tuple[str | None, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    for row in rows:
        kind = row["kind"]
        if kind == EventKind.STEP and row["agent"]:
            steps[(row["workflow"], row["agent"])].append(row)
        elif kind == EventKind.STEP_ERROR and row["node"]:
            errors[(row["workflow"], row["node"])][_exception(row["f_error"])] += 1
        elif kind == EventKind.FALLBACK and row["agent"]:
            hop = (str(row["f_from"]), str(row["f_to"]))
            hops[(row["workflow"], row["agent"])][hop] += 1
    return [
        _activity(key, steps.get(key, []), errors.get(key, Counter()), hops.get(key, Counter()))
        for key in sorted(steps.keys() | hops.keys() | errors.keys(), key=_by_name)
    ]


def incidents(
    database_url: str, workflow: str | None = None, since: datetime | None = None
) -> list[IncidentCase]:
    """The failed and escalated steps since `since` (everything when None), of one workflow or
    all, newest first: agents' results that failed or escalated, escalations by a pattern (the
    stage's case sent to a person), and nodes that raised where the run stopped (an attempt that
    a retry or the node's error handler got past is not an incident). Each with the checkpoint
    its step ran from, while the saver keeps it."""
    engine = _engine(database_url)
    fields = ("status", "error_kind", "reason", "task", "step", "stage", "error")
    kinds = (EventKind.STEP, EventKind.ESCALATION, EventKind.STEP_ERROR)
    query = _events(engine, kinds, fields, since, workflow)
    status = _field(engine, "status")
    query = query.where(
        or_(trace_events.c.kind != EventKind.STEP.value, status.in_(INCIDENT_STATUSES))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        recovered = _recovered(conn, engine, [row for row in rows if _is_error(row)])
    cases = [
        _case(row)
        for row in rows
        if not (_is_error(row) and (row["thread_id"], row["seq"]) in recovered)
    ]
    found = _checkpoints(engine, {(case.thread_id, task) for case, task in cases if task})
    return sorted(
        (
            case.model_copy(
                update={"checkpoint_id": found.get((case.thread_id, task)) if task else None}
            )
            for case, task in cases
        ),
        key=lambda case: case.at,
        reverse=True,
    )


def _by_name(key: tuple[str | None, str]) -> tuple[str, str]:
    return key[0] or "", key[1]


def _engine(database_url: str) -> Engine:
    engine = engine_for(database_url)
    create_tables(metadata, engine)  # a database nothing has run on yet has no events
    return engine


def _field(engine: Engine, name: str) -> ColumnElement[Any]:
    """One top-level field of an event's JSON `data`, as SQL (its text, or its JSON for an
    object): only the fields asked for leave the database."""
    if engine.dialect.name == "postgresql":
        return cast(trace_events.c.data, JSONB)[name].astext
    return func.json_extract(trace_events.c.data, f'$."{name}"')


def _events(
    engine: Engine,
    kinds: Sequence[EventKind],
    fields: Iterable[str],
    since: datetime | None,
    workflow: str | None = None,
) -> Select[Any]:
    """The events of `kinds` in the window, oldest first, with their thread's workflow and the
    `fields` of their data (labelled `f_<name>`)."""
    query = (
        select(
            trace_events.c.seq,
            trace_events.c.thread_id,
            trace_events.c.kind,
            trace_events.c.node,
            trace_events.c.agent,
            trace_events.c.at,
            threads.c.workflow,
            *(_field(engine, name).label(f"f_{name}") for name in fields),
        )
        .select_from(
            trace_events.outerjoin(threads, threads.c.thread_id == trace_events.c.thread_id)
        )
        .where(trace_events.c.kind.in_([kind.value for kind in kinds]))
        .order_by(trace_events.c.seq)
    )
    if since is not None:
        # Stored in UTC (naive on SQLite), so the bound is compared in UTC too.
        bound = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        query = query.where(trace_events.c.at >= bound)
    if workflow is not None:
        query = query.where(threads.c.workflow == workflow)
    return query


def _activity(
    key: tuple[str | None, str],
    steps: list[Any],
    errors: Counter[str],
    hops: Counter[tuple[str, str]],
) -> AgentActivity:
    latencies = sorted(
        float(row["f_latency_ms"]) for row in steps if row["f_latency_ms"] is not None
    )
    usage = [_json(row["f_tokens"]) for row in steps]
    spent = [tokens for tokens in usage if isinstance(tokens, dict)]
    return AgentActivity(
        workflow=key[0],
        agent=key[1],
        runs=len(steps),
        statuses=dict(Counter(str(row["f_status"]) for row in steps if row["f_status"])),
        failures=dict(
            Counter(
                str(row["f_error_kind"] or "unknown")
                for row in steps
                if row["f_status"] == "failed"
            )
        ),
        errors=dict(errors),
        fallbacks=[
            FallbackHop(implementation=source, to=target, count=count)
            for (source, target), count in sorted(hops.items())
        ],
        mean_latency_ms=round(sum(latencies) / len(latencies), 3) if latencies else None,
        p95_latency_ms=latencies[math.ceil(0.95 * len(latencies)) - 1] if latencies else None,
        model_runs=len(spent),
        tokens=TokenUsage(
            input=sum(int(tokens.get("prompt") or 0) for tokens in spent),
            output=sum(int(tokens.get("completion") or 0) for tokens in spent),
        )
        if spent
        else None,
        versions=dict(Counter(str(row["f_version"]) for row in steps if row["f_version"])),
    )


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _exception(error: Any) -> str:
    """The exception's name from a step error's first line (`NodeTimeoutError: …`, or
    `TransientModelFailure('…')`)."""
    found = _EXCEPTION.match(str(error or ""))
    return found[1] if found else "error"


def _is_error(row: Any) -> bool:
    return bool(row["kind"] == EventKind.STEP_ERROR)


def _recovered(conn: Any, engine: Engine, errors: list[Any]) -> set[tuple[str, int]]:
    """The step errors (thread, seq) after which the same node finished in the same superstep:
    a retry, or the node's error handler, got past them."""
    if not errors:
        return set()
    thread_ids = sorted({row["thread_id"] for row in errors})
    step = _field(engine, "step")
    query = select(
        trace_events.c.thread_id, trace_events.c.seq, trace_events.c.node, step.label("step")
    ).where(
        trace_events.c.kind == EventKind.STEP.value,
        trace_events.c.thread_id.in_(thread_ids),
    )
    finished: dict[tuple[str, str | None, str], list[int]] = defaultdict(list)
    for row in conn.execute(query).mappings():
        finished[(row["thread_id"], row["node"], str(row["step"]))].append(row["seq"])
    return {
        (row["thread_id"], row["seq"])
        for row in errors
        if any(
            seq > row["seq"]
            for seq in finished.get((row["thread_id"], row["node"], str(row["f_step"])), [])
        )
    }


def _case(row: Any) -> tuple[IncidentCase, str | None]:
    """The incident an event records, and the top-level task it ran in (its task id finds the
    checkpoint)."""
    kind = row["kind"]
    status: IncidentStatus
    if kind == EventKind.STEP:
        status = "failed" if row["f_status"] == "failed" else "escalated"
        what, agent, reason = row["f_error_kind"], row["agent"], row["f_reason"]
    elif kind == EventKind.ESCALATION:
        status, what, agent, reason = "escalated", row["node"], row["f_stage"], row["f_reason"]
    else:
        status, what, agent = "error", _exception(row["f_error"]), None
        reason = row["f_error"]
    case = IncidentCase(
        workflow=row["workflow"],
        thread_id=row["thread_id"],
        at=row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC),
        status=status,
        kind=what,
        agent=agent,
        node=row["node"],
        reason=reason,
    )
    return case, _top_level_task(row["f_task"])


def _top_level_task(task: Any) -> str | None:
    """The task id of the top-level graph's task from a run's checkpoint namespace: `node:id`, or
    `department:id|specialist:id` inside a subgraph (the department's task then)."""
    if not isinstance(task, str) or ":" not in task:
        return None
    return task.split("|", 1)[0].rpartition(":")[2] or None


def _checkpoints(engine: Engine, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The checkpoint each (thread, top-level task) ran from, where the saver still keeps the
    task's writes (pruning drops them; `memory://` keeps none in this database)."""
    name = WRITES_TABLES.get(engine.dialect.name)
    if not wanted or name is None or not inspect(engine).has_table(name):
        return {}
    writes = table(
        name,
        column("thread_id"),
        column("checkpoint_ns"),
        column("checkpoint_id"),
        column("task_id"),
    )
    found: dict[tuple[str, str], str] = {}
    pairs = sorted(wanted)
    with engine.connect() as conn:
        for start in range(0, len(pairs), 500):
            batch = pairs[start : start + 500]
            query = (
                select(writes.c.thread_id, writes.c.task_id, writes.c.checkpoint_id)
                .where(
                    writes.c.checkpoint_ns == "",
                    writes.c.thread_id.in_(sorted({thread_id for thread_id, _ in batch})),
                    writes.c.task_id.in_(sorted({task_id for _, task_id in batch})),
                )
                .distinct()
            )
            for thread_id, task_id, checkpoint_id in conn.execute(query):
                if (thread_id, task_id) in wanted:
                    found[(thread_id, task_id)] = checkpoint_id
    return found
