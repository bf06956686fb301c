"""A server killed at a step (as a run starts a node, finishes it, or just after its writes are
saved, under the durability the server runs with) leaves a thread that `baton status` reads as
incomplete, never completed without a decision, and that the documented resume
(`baton run … --thread-id`) finishes, running no agent twice and deciding once."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client

from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.kit.runtime import open_workflow
from graphs.server.dev import dev_server
from graphs.underwriting import DECISION_KIND
from schemas.trace import EventKind
from tests.conftest import ROOT, SAMPLES, fresh_postgres_database

pytestmark = pytest.mark.slow

BATON = str(Path(sys.executable).parent / "baton")
STRAIGHT = SAMPLES / "01_clean_straight_through.json"
AGENTS = ("intake", "policy_lookup", "risk", "compliance", "quote")
KILLING = str(ROOT / "tests" / "server" / "killing_graph.py") + ":underwriting"


def _died(api: str) -> bool:
    """Whether the server stops answering within a few seconds."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{api}/ok", timeout=1)
        except httpx.TransportError:
            return True
        time.sleep(0.2)
    return False


def _baton(url: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [BATON, *args, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "BATON_DATABASE_URL": url},
        cwd=ROOT,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize(
    ("node", "moment"),
    [("finalize", "saved"), ("quote", "saved"), ("risk", "end")],
)
def test_a_server_killed_mid_run_is_resumed_by_the_documented_command(
    node: str, moment: str
) -> None:
    with fresh_postgres_database("baton_crash") as url:
        environment = {"BATON_TEST_KILL_NODE": node, "BATON_TEST_KILL_MOMENT": moment}
        with dev_server(url, graphs={"underwriting": KILLING}, environment=environment) as api:
            client = get_sync_client(url=api)
            thread = str(client.threads.create()["thread_id"])
            # The server dies mid-request, or just after answering (a race it may win); not
            # the SDK, which would try to reconnect for a minute.
            with contextlib.suppress(httpx.TransportError):
                httpx.post(
                    f"{api}/threads/{thread}/runs/wait",
                    json={
                        "assistant_id": "underwriting",
                        "input": json.loads(STRAIGHT.read_text()),
                    },
                    timeout=120,
                )
            assert _died(api), "the server was not killed"
        before = Counter(e.node for e in TraceStore(url).events(thread, EventKind.STEP))
        with open_workflow("underwriting", url) as flow:
            values = flow.graph.get_state(flow.config(thread)).values
        checkpointed = {agent for agent in AGENTS if values.get(agent)}
        status = _baton(url, "status", thread)
        if status["status"] == "completed":  # the last checkpoint was saved before the kill
            assert status.get("decision") or status.get("outcome"), status
        else:
            assert status["status"] in ("incomplete", "not_started"), status
        done = _baton(url, "run", "underwriting", str(STRAIGHT), "--thread-id", thread)
        assert done["status"] == "completed" and done["outcome"] == "approved", done
        after = Counter(e.node for e in TraceStore(url).events(thread, EventKind.STEP))
        for agent in AGENTS:
            assert after[agent] >= 1, f"{agent} never ran"
            if agent in checkpointed:
                assert after[agent] == before[agent], f"{agent} ran again"
        assert len(SideEffectLedger(url).for_thread(thread, DECISION_KIND)) == 1
