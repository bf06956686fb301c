"""`langgraph dev` loads langgraph.json and serves the underwriting graph (driven by langgraph_sdk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client

from checkpoints.trace_store import TraceStore
from graphs.runtime import open_workflow
from schemas.trace import EventKind
from tests.conftest import ROOT, SAMPLES, free_port

LANGGRAPH = str(Path(sys.executable).parent / "langgraph")


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The server's URL and the Baton database it writes traces and decisions to."""
    workdir = tmp_path_factory.mktemp("langgraph-dev")
    database = f"sqlite:///{workdir / 'baton.db'}"
    port = free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "BATON_DATABASE_URL": database,
    }
    env.pop("LANGSMITH_API_KEY", None)
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [
            LANGGRAPH,
            "dev",
            "--config",
            str(ROOT / "langgraph.json"),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-browser",
            "--no-reload",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ok", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"langgraph dev did not start:\n{(workdir / 'server.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield url, database
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.slow
def test_dev_server_lists_the_underwriting_assistant(dev_server: tuple[str, str]) -> None:
    client = get_sync_client(url=dev_server[0])
    graphs = {assistant["graph_id"] for assistant in client.assistants.search()}
    assert "underwriting" in graphs


@pytest.mark.slow
def test_dev_server_runs_to_the_review_gate_and_resumes(dev_server: tuple[str, str]) -> None:
    client = get_sync_client(url=dev_server[0])
    thread = client.threads.create()
    submission = json.loads((SAMPLES / "02_high_risk_referral.json").read_text())
    client.runs.wait(thread["thread_id"], "underwriting", input=submission)
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["review_gate"]
    packet = state["interrupts"][0]["value"]
    assert "high_risk" in {reason["rule"] for reason in packet["reasons"]}

    final = client.runs.wait(
        thread["thread_id"],
        "underwriting",
        command={"resume": {"action": "reject", "reviewer": "Server Reviewer"}},
    )
    assert isinstance(final, dict)
    assert final["decision"]["outcome"] == "declined"
    assert final["decision"]["decided_by"] == "Server Reviewer"

    # Server runs land in the local trace store too (langgraph.json sets BATON_TRACE_ALL_RUNS).
    store = TraceStore(dev_server[1])
    registered = store.thread(thread["thread_id"])
    assert registered is not None and registered["workflow"] == "underwriting"
    assert registered["status"] == "completed"
    events = store.events(thread["thread_id"])
    agents = sorted(e.agent for e in events if e.kind is EventKind.STEP and e.agent)
    assert agents == ["compliance", "intake", "policy_lookup", "quote", "risk"]  # each once
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.GATE_FIRED) == 1 and EventKind.REVIEW_DECISION in kinds

    # The server checkpoints through Baton's saver (langgraph.json `checkpointer.path`), so the
    # thread is in Baton's database: `baton status` and `baton history` read it.
    with open_workflow("underwriting", dev_server[1]) as flow:
        report = flow.report(thread["thread_id"])
        assert report.status == "completed" and report.decision is not None
        assert report.decision["outcome"] == "declined"
