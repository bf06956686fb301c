"""`baton prune`: which threads are finished and old enough, and pruning their checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from checkpoints.database import parse_database_url
from checkpoints.retention import PruneCounts, prune_threads
from checkpoints.trace_store import TraceStore
from graphs.kit.errors import RequestError
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind, TraceEvent


@dataclass(frozen=True)
class PruneResult:
    """The threads pruned (or that would be, on a dry run) and their checkpoint rows."""

    threads: list[str]
    counts: PruneCounts | None


def prune_finished(
    database_url: str,
    older_than: timedelta,
    *,
    dry_run: bool = False,
    by: str | None = None,
    identified_by: str = "not given",
    reason: str | None = None,
) -> PruneResult:
    """Keep only the final checkpoint of every thread that completed more than `older_than` ago.

    A thread is taken only when its latest checkpoint says it completed (the thread registry is
    only the shortlist), so a thread resumed or rolled back since is left alone. Each pruned
    thread's trace gets a `prune` event: who (`by`, and how that was established), when and why."""
    if older_than < timedelta(0):
        raise RequestError(f"the age must not be negative (got {older_than})")
    if parse_database_url(database_url).kind == "memory":
        raise RequestError(
            "memory:// keeps no checkpoints after the process ends: nothing to prune"
        )
    cutoff = datetime.now(UTC) - older_than
    shortlist = TraceStore(database_url).threads_settled_before("completed", cutoff)
    finished: list[str] = []
    by_workflow = groupby(
        sorted(shortlist, key=lambda t: t["workflow"]), key=lambda t: t["workflow"]
    )
    for workflow, rows in by_workflow:
        with open_workflow(workflow, database_url) as flow:
            finished += [
                row["thread_id"]
                for row in rows
                if flow.report(row["thread_id"]).status == "completed"
            ]
    if dry_run:
        return PruneResult(finished, None)
    counts = prune_threads(database_url, finished)
    traces = TraceStore(database_url)
    now = datetime.now(UTC)
    for thread_id in finished:
        traces.append(
            TraceEvent(
                thread_id=thread_id,
                kind=EventKind.PRUNE,
                at=now,
                data={
                    "by": by,
                    "identified_by": identified_by,
                    "reason": reason,
                    "older_than_days": older_than.total_seconds() / 86400,
                },
            )
        )
    return PruneResult(finished, counts)
