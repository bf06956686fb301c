"""A run killed with SIGKILL resumes with `baton run --thread-id` without re-running completed
agents and without recording the decision twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from pathlib import Path

import pytest

from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.underwriting import DECISION_KIND
from schemas.trace import EventKind
from tests.conftest import ROOT, SAMPLES

BATON = str(Path(sys.executable).parent / "baton")
SAMPLE = str(SAMPLES / "01_clean_straight_through.json")

KILL_IN_QUOTE = """
    from agents.underwriting import QUOTE
    def die(payload, context):
        os.kill(os.getpid(), signal.SIGKILL)
    object.__setattr__(QUOTE.implementations[0], "run", die)
"""

KILL_AFTER_DECISION_RECORDED = """
    from checkpoints.ledger import SideEffectLedger
    original = SideEffectLedger.record_once
    def record_then_die(self, key, **kwargs):
        kept = original(self, key, **kwargs)
        if kwargs["kind"] == "underwriting_decision":
            os.kill(os.getpid(), signal.SIGKILL)
        return kept
    SideEffectLedger.record_once = record_then_die
"""


def run_and_get_killed(database_url: str, thread: str, sabotage: str) -> None:
    script = textwrap.dedent(
        """
        import json, os, signal
        {sabotage}
        from graphs.kit.runtime import open_workflow
        with open_workflow("underwriting", {url!r}) as flow:
            flow.start(json.load(open({sample!r})), thread_id={thread!r})
        raise SystemExit("the run was meant to be killed")
        """
    ).format(sabotage=textwrap.dedent(sabotage), url=database_url, sample=SAMPLE, thread=thread)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -9, f"expected SIGKILL, got {done.returncode}: {done.stderr[-2000:]}"


def resume(database_url: str, thread: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BATON_DATABASE_URL": database_url}
    return subprocess.run(
        [BATON, "run", "underwriting", SAMPLE, "--thread-id", thread, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def executions(database_url: str, thread: str) -> Counter[str]:
    return Counter(e.node or "" for e in TraceStore(database_url).events(thread, EventKind.STEP))


@pytest.mark.slow
def test_killed_in_the_middle_resumes_without_rerunning_completed_agents(database_url: str) -> None:
    thread = f"crash-in-quote-{uuid.uuid4().hex[:8]}"
    run_and_get_killed(database_url, thread, KILL_IN_QUOTE)
    before = executions(database_url, thread)
    assert before["risk"] == before["compliance"] == before["intake"] == 1 and before["quote"] == 0

    done = resume(database_url, thread)
    assert done.returncode == 0, done.stderr
    assert '"outcome": "approved"' in done.stdout
    after = executions(database_url, thread)
    for agent in ("intake", "policy_lookup", "risk", "compliance"):
        assert after[agent] == 1, f"{agent} ran again after the crash"
    assert after["quote"] == 1 and after["finalize"] == 1
    assert len(SideEffectLedger(database_url).for_thread(thread, DECISION_KIND)) == 1


@pytest.mark.slow
def test_killed_after_recording_the_decision_never_records_it_twice(database_url: str) -> None:
    thread = f"crash-in-finalize-{uuid.uuid4().hex[:8]}"
    run_and_get_killed(database_url, thread, KILL_AFTER_DECISION_RECORDED)
    assert len(SideEffectLedger(database_url).for_thread(thread, DECISION_KIND)) == 1

    done = resume(database_url, thread)
    assert done.returncode == 0, done.stderr
    assert '"outcome": "approved"' in done.stdout
    decisions = SideEffectLedger(database_url).for_thread(thread, DECISION_KIND)
    assert len(decisions) == 1
    effects = TraceStore(database_url).events(thread, EventKind.SIDE_EFFECT)
    assert [e.data["created"] for e in effects] == [False], (
        "the re-run finalize must find the record"
    )
    assert executions(database_url, thread)["quote"] == 1
