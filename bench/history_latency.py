"""Resume and rollback latency against the length of a thread's history (10, 100 and 1000
checkpoints): the history is grown by rollbacks, each of which re-runs quote and stops at the gate
again; then rollbacks and resumes are timed at that length."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bench.samples import APPROVE, DATABASE_PREFIX, POSTGRES_ADMIN_URL, REFERRED, sample
from checkpoints.provisioning import fresh_database, kinds
from checkpoints.retention import checkpoint_rows
from graphs.kit.runtime import WorkflowRun, open_workflow

LENGTHS = (10, 100, 1000)
TIMED = 5


@dataclass(frozen=True)
class HistoryLatency:
    database: str
    checkpoints: int
    status_ms: float
    rollback_ms: float
    resume_ms: float


def _grow(flow: WorkflowRun, thread: str, url: str, length: int) -> int:
    while (count := checkpoint_rows(url, [thread])["checkpoints"]) < length:
        flow.rollback(thread, "quote")
    return count


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _measure_on(kind: str) -> list[HistoryLatency]:
    rows = []
    with (
        fresh_database(kind, POSTGRES_ADMIN_URL, DATABASE_PREFIX) as url,
        open_workflow("underwriting", url) as flow,
    ):
        thread = f"bench-history-{uuid.uuid4().hex[:8]}"
        flow.start(sample(REFERRED), thread_id=thread)

        def status() -> object:
            return flow.report(thread)

        def resume() -> object:
            return flow.resume(thread, APPROVE)

        def rollback() -> object:
            return flow.rollback(thread, "quote")

        for length in LENGTHS:
            reached = _grow(flow, thread, url, length)
            statuses = [_ms(status) for _ in range(TIMED * 4)]
            rollbacks, resumes = [], []
            for _ in range(TIMED):  # each cycle: resume to a decision, then roll back again
                resumes.append(_ms(resume))
                rollbacks.append(_ms(rollback))
            rows.append(
                HistoryLatency(
                    kind,
                    reached,
                    statistics.median(statuses),
                    statistics.median(rollbacks),
                    statistics.median(resumes),
                )
            )
    return rows


def measure() -> list[HistoryLatency]:
    return [
        row for kind in kinds(POSTGRES_ADMIN_URL) if kind != "memory" for row in _measure_on(kind)
    ]


def section(rows: list[HistoryLatency]) -> str:
    lines = [
        "## Resume and rollback latency against history length (`bench/history_latency.py`)",
        "",
        "One thread at the review gate whose history has been grown by rollbacks (each re-runs "
        "quote and stops at the gate again) to about 10, 100 and 1000 checkpoints; then, "
        f"{TIMED} times: the reviewer's answer (resume to the recorded decision) and a rollback to "
        f"quote (back to the gate). Medians, in milliseconds; `status` is `baton status` "
        "(the latest checkpoint).",
        "",
        "| database | checkpoints | status (ms) | resume (ms) | rollback (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.database} | {row.checkpoints} | {row.status_ms:.1f} | {row.resume_ms:.1f} | "
            f"{row.rollback_ms:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section(measure()))
