"""Crash-safety across worker processes on one database (SQLite, PostgreSQL): a run is killed with SIGKILL
as each node of the underwriting graph starts, and again just as it finishes (before its step is
checkpointed: LangGraph then runs that node again, langgraph issue 8039), and another process
resumes the thread; and again just after its writes are saved, before the step's checkpoint
(LangGraph then leaves it out of the state's `next`: a finished-looking thread with no decision).
Every run completes, no agent whose result was checkpointed runs again, and
every side effect (the decision, the reviewer's decision) is recorded exactly once. The trace, whose
events the saver writes with each step's writes, has every step once: none lost, none twice.

Four workers at a time run the killed runs (a process each), then four processes resume them, each
its share of the threads in turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.kit.runtime import open_workflow
from graphs.underwriting import DECISION_KIND
from schemas.trace import EventKind
from tests.conftest import ROOT, SAMPLES

STRAIGHT_THROUGH = SAMPLES / "01_clean_straight_through.json"
REFERRED = SAMPLES / "02_high_risk_referral.json"
NODES = (
    "supervisor",
    "intake",
    "policy_lookup",
    "risk",
    "compliance",
    "quote",
    "review_gate",
    "finalize",
)
AGENTS = ("intake", "policy_lookup", "risk", "compliance", "quote")
WORKERS = 4
WORKER_ENV = {**os.environ, "BATON_DATABASE_POOL_SIZE": "2"}
DECISION = {"action": "approve", "reviewer": "Kim", "note": "ok"}

KILLER = """
import json, os, signal, sys
from langchain_core.callbacks import BaseCallbackHandler
from graphs.kit.runtime import WorkflowRun, open_workflow

NODE, MOMENT = {node!r}, {moment!r}

class KillAt(BaseCallbackHandler):
    run_inline = True  # in order with the graph, not on a worker thread
    def __init__(self):
        self.runs = set()
    def on_chain_start(self, serialized, inputs, *, run_id, metadata=None, name=None, **kwargs):
        if MOMENT != "saved" and name == NODE and (metadata or {{}}).get("langgraph_node") == NODE:
            if MOMENT == "start":
                os.kill(os.getpid(), signal.SIGKILL)
            self.runs.add(run_id)
    def on_chain_end(self, outputs, *, run_id, **kwargs):
        if run_id in self.runs:
            os.kill(os.getpid(), signal.SIGKILL)

if MOMENT == "saved":  # right after the node's writes are saved, before the step's checkpoint
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    def killing_after(plain_put_writes):
        async def aput_writes(self, config, writes, task_id, task_path=""):
            await plain_put_writes(self, config, writes, task_id, task_path)
            if task_path.split(", ")[-1].strip("~()'") == NODE and writes:
                os.kill(os.getpid(), signal.SIGKILL)
        return aput_writes
    for saver in (AsyncPostgresSaver, AsyncSqliteSaver):
        saver.aput_writes = killing_after(saver.aput_writes)

if {durability!r} != "sync":  # as the servers run (LangGraph's default durability)
    import functools
    from graphs.kit.context import BatonContext
    def invoke(self, payload, config):
        run = functools.partial(
            self.graph.ainvoke, payload, config,
            context=BatonContext(database_url=self.database_url), durability={durability!r},
        )
        self.portal.call(run)
    WorkflowRun._invoke = invoke

plain_config = WorkflowRun.config
def config(self, thread_id):
    value = plain_config(self, thread_id)
    value["callbacks"].append(KillAt())
    return value
WorkflowRun.config = config

with open_workflow("underwriting", {url!r}) as flow:
    {action}
sys.exit("the run was meant to be killed")
"""


@dataclass(frozen=True)
class Crash:
    node: str
    moment: str  # "start", "end" (before its writes are saved) or "saved" (just after)
    phase: str  # "run" (straight-through sample) or "review" (resuming a referred case)
    tag: str = ""
    durability: str = "sync"

    @property
    def thread(self) -> str:
        return f"kill-{self.tag}-{self.phase}-{self.node}-{self.moment}-{self.durability}"


MOMENTS = ("start", "end", "saved")
CRASHES = [
    *(Crash(node, moment, "run") for node in NODES for moment in MOMENTS),
    *(Crash(node, moment, "review") for node in ("review_gate", "finalize") for moment in MOMENTS),
    # the durability the servers run with: a step's checkpoint is written while the next runs
    *(Crash(node, "saved", "run", durability="async") for node in NODES),
    *(Crash(node, "saved", "review", durability="async") for node in ("review_gate", "finalize")),
]


SQLITE_CRASHES = [c for c in CRASHES if c.moment != "start" and c.durability == "sync"]


def _in_workers(
    start: Callable[[str, Crash], list[str]], url: str, crashes: list[Crash]
) -> dict[Crash, subprocess.CompletedProcess[str]]:
    """Run each crash's command, WORKERS processes at a time."""

    def one(crash: Crash) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            start(url, crash),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            env={**WORKER_ENV, "BATON_DATABASE_URL": url},
        )

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip(crashes, pool.map(one, crashes), strict=True))


def _killer(url: str, crash: Crash) -> list[str]:
    if crash.phase == "run":
        action = (
            f"flow.start(json.load(open({str(STRAIGHT_THROUGH)!r})), thread_id={crash.thread!r})"
        )
    else:
        action = f"flow.resume({crash.thread!r}, {DECISION!r})"
    script = textwrap.dedent(KILLER).format(
        node=crash.node, moment=crash.moment, url=url, action=action, durability=crash.durability
    )
    return [sys.executable, "-c", script]


RESUMER = """
import json, sys
from graphs.kit.runtime import open_workflow

with open_workflow("underwriting", {url!r}) as flow:
    for phase, thread in {work!r}:
        if phase == "run":
            report = flow.start(json.load(open({case!r})), thread_id=thread)
        else:
            report = flow.resume(thread, {decision!r})
        print(json.dumps({{"thread": thread, **report.as_json()}}), flush=True)
"""


def _resumed_in_workers(url: str, crashes: list[Crash]) -> dict[str, dict[str, object]]:
    """Each crash's thread resumed in another process, WORKERS processes at a time, each taking
    its share of the threads one after the other; the report of each, by thread."""
    shares = [crashes[i::WORKERS] for i in range(WORKERS)]

    def one(share: list[Crash]) -> subprocess.CompletedProcess[str]:
        work = [(c.phase, c.thread) for c in share]
        script = textwrap.dedent(RESUMER).format(
            url=url, work=work, case=str(STRAIGHT_THROUGH), decision=DECISION
        )
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**WORKER_ENV, "BATON_DATABASE_URL": url},
        )

    reports: dict[str, dict[str, object]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for done in pool.map(one, shares):
            assert done.returncode == 0, f"a resumer failed: {done.stderr[-2000:]}"
            for line in done.stdout.splitlines():
                report = json.loads(line)
                reports[report["thread"]] = report
    return reports


def _executions(traces: TraceStore, thread: str) -> Counter[str]:
    return Counter(e.node or "" for e in traces.events(thread, EventKind.STEP))


def _assert_traced_once(traces: TraceStore, crash: Crash) -> None:
    """Every step of the finished thread is traced, and none twice: one `step` event per task
    (a node run), one per agent, one attempt per agent, the gate's stop once for a referred case.

    With LangGraph's async durability a step's writes can be saved before the checkpoint they
    attach to; killed then, the step runs again from an earlier checkpoint (under a new task id)
    and both runs are in the trace (`checkpoints.trace_carrier`): there, every agent is traced at
    least once and no task twice."""
    events = traces.events(crash.thread)
    steps = [e for e in events if e.kind is EventKind.STEP]
    tasks = Counter(str(e.data.get("task")) for e in steps)
    twice = {task: n for task, n in tasks.items() if n > 1}
    assert not twice, f"{crash}: steps traced twice: {twice}"
    by_node = Counter(e.node for e in steps)
    attempts = Counter(e.node for e in events if e.kind is EventKind.ATTEMPT)
    exactly = crash.durability == "sync"
    for agent in (*AGENTS, "finalize"):
        assert by_node[agent] == 1 or (not exactly and by_node[agent] > 1), (
            f"{crash}: {agent} traced {by_node[agent]} times"
        )
    for agent in AGENTS:
        assert attempts[agent] == by_node[agent], f"{crash}: {agent}: {attempts[agent]} attempts"
    stops = [e for e in events if e.kind is EventKind.GATE_FIRED]
    assert len(stops) == (1 if crash.phase == "review" else 0), f"{crash}: {len(stops)} stops"


@pytest.mark.slow
def test_killed_at_every_step_resumes_in_another_process_with_effects_exactly_once(
    database_url: str,
) -> None:
    url = database_url
    tag = uuid.uuid4().hex[:6]
    # On SQLite, the moments that decide what the trace holds (a step's writes and its events
    # saved together, or neither), with the durability `baton` runs; on PostgreSQL, every crash.
    chosen = CRASHES if not url.startswith("sqlite") else SQLITE_CRASHES
    crashes = [Crash(c.node, c.moment, c.phase, tag, c.durability) for c in chosen]
    reviews = [c for c in crashes if c.phase == "review"]
    with open_workflow("underwriting", url) as flow:  # the referred cases wait for a reviewer
        for crash in reviews:
            referred = json.loads(REFERRED.read_text(encoding="utf-8"))
            assert flow.start(referred, thread_id=crash.thread).status == "awaiting_review"

    for crash, killed in _in_workers(_killer, url, crashes).items():
        assert killed.returncode == -9, (
            f"{crash}: not killed ({killed.returncode}): {killed.stderr[-2000:]}"
        )

    traces = TraceStore(url)
    done_before: dict[Crash, set[str]] = {}
    ran_before: dict[Crash, Counter[str]] = {}
    with open_workflow("underwriting", url) as flow:
        for crash in crashes:
            values = flow.graph.get_state(flow.config(crash.thread)).values
            done_before[crash] = {agent for agent in AGENTS if values.get(agent)}
            ran_before[crash] = _executions(traces, crash.thread)

    ledger = SideEffectLedger(url)
    resumed = _resumed_in_workers(url, crashes)
    for crash in crashes:
        report = resumed[crash.thread]
        assert report["status"] == "completed", crash
        assert report["outcome"] == "approved", crash
        ran_after = _executions(traces, crash.thread)
        for agent in done_before[crash]:
            assert ran_after[agent] == ran_before[crash][agent], f"{crash}: {agent} ran again"
        for agent in AGENTS:
            assert ran_after[agent] >= 1, f"{crash}: {agent} never ran"
        assert len(ledger.for_thread(crash.thread, DECISION_KIND)) == 1, crash
        reviewed = ledger.for_thread(crash.thread, REVIEW_DECISION_KIND)
        assert len(reviewed) == (1 if crash in reviews else 0), crash
        if reviewed:
            assert reviewed[0]["payload"]["decision"]["reviewer"] == "Kim"
        _assert_traced_once(traces, crash)
