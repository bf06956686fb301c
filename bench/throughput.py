"""Throughput: underwriting runs per second to the review gate (a referred case) and through it
(the reviewer's answer to the finished decision), with 1, 4 and 16 concurrent threads, on SQLite
and PostgreSQL, in one process (`open_workflow`: one event loop, the database's connection pool)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.samples import APPROVE, DATABASE_PREFIX, POSTGRES_ADMIN_URL, REFERRED, sample
from checkpoints.provisioning import fresh_database, kinds
from graphs.kit.runtime import WorkflowRun, open_workflow

CONCURRENCY = (1, 4, 16)
REPEATS = 3


@dataclass(frozen=True)
class Throughput:
    database: str
    concurrency: int
    to_gate: float
    """Runs per second from submission to the review interrupt."""
    through_gate: float
    """Resumes per second from the reviewer's answer to the recorded decision."""


def _rate(work: list[Callable[[], object]], concurrency: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(job) for job in work]:
            future.result()
    return len(work) / (time.perf_counter() - started)


def _batch(flow: WorkflowRun, concurrency: int) -> tuple[float, float]:
    runs = max(8, 2 * concurrency)
    threads = [f"bench-{uuid.uuid4().hex}" for _ in range(runs)]
    submission = sample(REFERRED)

    def start(thread: str) -> Callable[[], object]:
        return lambda: flow.start(submission, thread_id=thread)

    def resume(thread: str) -> Callable[[], object]:
        return lambda: flow.resume(thread, APPROVE)

    to_gate = _rate([start(t) for t in threads], concurrency)
    through = _rate([resume(t) for t in threads], concurrency)
    return to_gate, through


def measure() -> list[Throughput]:
    rows = []
    for kind in kinds(POSTGRES_ADMIN_URL):
        if kind == "memory":
            continue
        with (
            fresh_database(kind, POSTGRES_ADMIN_URL, DATABASE_PREFIX) as url,
            open_workflow("underwriting", url) as flow,
        ):
            _batch(flow, 1)  # warm-up: tables, caches, connections
            for concurrency in CONCURRENCY:
                batches = [_batch(flow, concurrency) for _ in range(REPEATS)]
                rows.append(
                    Throughput(
                        kind,
                        concurrency,
                        statistics.median(b[0] for b in batches),
                        statistics.median(b[1] for b in batches),
                    )
                )
    return rows


IN_PROCESS = (
    "## Throughput (`bench/throughput.py`)\n\n"
    "Underwriting runs per second, in one process (`open_workflow`: one event loop and the "
    "database's connection pool), the deterministic agents: submission to the review "
    "interrupt (sample 02, a referred case), and the reviewer's answer through to the recorded "
    f"decision. Median of {REPEATS} batches of max(8, 2 x threads) runs each. Every step is "
    'checkpointed (`durability="sync"`) and traced.'
)


def section(rows: list[Throughput], heading: str = IN_PROCESS) -> str:
    lines = [
        heading,
        "",
        "| database | concurrent threads | to the gate (runs/s) | through the gate (runs/s) |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.database} | {row.concurrency} | {row.to_gate:.1f} | {row.through_gate:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section(measure()))
