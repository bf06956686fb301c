"""Crash recovery: a run is killed with SIGKILL as the quote agent starts; then the time from the
restart (a new `baton run --thread-id` process, Python start-up included) to the finished
decision, and the same resume inside an already running process (`continue_thread`)."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.samples import DATABASE_PREFIX, POSTGRES_ADMIN_URL, ROOT, SAMPLES, STRAIGHT_THROUGH
from checkpoints.provisioning import fresh_database, kinds
from graphs.kit.runtime import open_workflow

REPEATS = 5
BATON = str(Path(sys.executable).parent / "baton")
SAMPLE_FILE = str(SAMPLES / f"{STRAIGHT_THROUGH}.json")
KILLED_IN_QUOTE = """
import json, os, signal
from agents.underwriting import QUOTE
def die(payload, context):
    os.kill(os.getpid(), signal.SIGKILL)
object.__setattr__(QUOTE.implementations[0], "run", die)
from graphs.kit.runtime import open_workflow
with open_workflow("underwriting", {url!r}) as flow:
    flow.start(json.load(open({sample!r})), thread_id={thread!r})
"""


@dataclass(frozen=True)
class Recovery:
    database: str
    restart_s: float
    """A new process: start-up, reopening the database and finishing the run."""
    in_process_ms: float
    """Finishing the run from a process that is already up."""


def _crash(url: str, thread: str) -> None:
    script = textwrap.dedent(KILLED_IN_QUOTE).format(url=url, sample=SAMPLE_FILE, thread=thread)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120
    )
    if done.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the run was not killed: {done.stderr.decode()[-2000:]}")


def _restart(url: str, thread: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [BATON, "run", "underwriting", SAMPLE_FILE, "--thread-id", thread, "--json"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={**os.environ, "BATON_DATABASE_URL": url},
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or json.loads(done.stdout)["status"] != "completed":
        raise RuntimeError(f"the resume failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def measure() -> list[Recovery]:
    rows = []
    for kind in kinds(POSTGRES_ADMIN_URL):
        if kind == "memory":
            continue
        with fresh_database(kind, POSTGRES_ADMIN_URL, DATABASE_PREFIX) as url:
            restarts, in_process = [], []
            for _ in range(REPEATS):
                thread = f"bench-crash-{uuid.uuid4().hex[:8]}"
                _crash(url, thread)
                restarts.append(_restart(url, thread))
            with open_workflow("underwriting", url) as flow:
                for _ in range(REPEATS):
                    thread = f"bench-crash-{uuid.uuid4().hex[:8]}"
                    _crash(url, thread)
                    started = time.perf_counter()
                    report = flow.continue_thread(thread)
                    in_process.append((time.perf_counter() - started) * 1000)
                    assert report.status == "completed"
            rows.append(Recovery(kind, statistics.median(restarts), statistics.median(in_process)))
    return rows


def section(rows: list[Recovery]) -> str:
    lines = [
        "## Crash recovery (`bench/crash_recovery.py`)",
        "",
        "A straight-through run killed with SIGKILL as its quote agent starts (intake, policy "
        "lookup, risk and compliance already checkpointed). Restart: a new `baton run "
        "--thread-id` process from launch to the recorded decision (Python start-up and imports "
        "included). In process: the same resume from a process that is already running. "
        f"Medians of {REPEATS}.",
        "",
        "| database | restart to decision (s) | in-process resume (ms) |",
        "|---|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row.database} | {row.restart_s:.2f} | {row.in_process_ms:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section(measure()))
