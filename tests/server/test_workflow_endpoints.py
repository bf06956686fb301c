"""Every workflow through `langgraph_sdk` against real servers: thread, run, the review interrupt in
the thread state, resume with `Command(resume=…)`, final state, history, a fork from an earlier
checkpoint, streamed updates, and bad input that gets a clear error and leaves the thread as it was.

Where Aegra itself cannot do something, the test says so with the upstream reason."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import SyncLangGraphClient
from langgraph_sdk.errors import APIStatusError

from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.kit.runtime import open_workflow
from graphs.kit.workflows import workflow_names
from schemas.trace import EventKind
from tests.conftest import SAMPLES
from tests.server.conftest import KEYS, Server

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))
STRAIGHT = json.loads((SAMPLES / "01_clean_straight_through.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.slow


def _to_gate(server: Server, user: str = "alice") -> str:
    client = server.client(user)
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "underwriting", input=REFERRED)
    return str(thread)


def _as(server: Server, user: str, owner: str = "alice") -> SyncLangGraphClient:
    """`user`'s client, except on Aegra, which lets only a thread's owner read it (its state and
    history endpoints call no auth handler and check `thread.user_id` only: an upstream limit)."""
    return server.client(owner if server.name == "aegra" else user)


def _run_error(server: Server, thread: str) -> str:
    """The error of the thread's latest run (Aegra answers a failed `runs.wait` with 200 and `{}`,
    so the failure is read from the run itself)."""
    runs = _as(server, "otto").runs.list(thread)
    return str(runs[0].get("error_message") or runs[0].get("error") or runs[0])


def test_every_workflow_is_served(server: Server) -> None:
    graphs = {a["graph_id"] for a in server.client("alice").assistants.search()}
    assert set(workflow_names()) <= graphs


def test_run_stops_at_the_review_interrupt_and_a_resume_completes_it(server: Server) -> None:
    thread = _to_gate(server)
    waiting = server.client("alice").threads.get_state(thread)
    assert waiting["next"] == ["review_gate"]
    packet = waiting["interrupts"][0]["value"]
    assert "high_risk" in {reason["rule"] for reason in packet["reasons"]}

    final = server.client("rita").runs.wait(
        thread,
        "underwriting",
        command={"resume": {"action": "reject", "reviewer": "Someone Else", "note": "too risky"}},
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "declined"
    # The reviewer is who the API key says, not what the request body says.
    assert final["decision"]["decided_by"] == "rita"
    state = server.client("alice").threads.get_state(thread)
    assert state["next"] == [] and state["values"]["decision"]["outcome"] == "declined"
    # The server checkpoints into Baton's database: `baton status` reads the thread.
    with open_workflow("underwriting", server.database_url) as flow:
        report = flow.report(thread)
    assert report.status == "completed" and report.decision is not None
    assert report.decision["decided_by"] == "rita"
    # Server runs land in Baton's trace store (BATON_TRACE_ALL_RUNS), each agent once.
    traces = TraceStore(server.database_url)
    registered = traces.thread(thread)
    assert registered is not None and registered["workflow"] == "underwriting"
    events = traces.events(thread)
    agents = sorted(e.agent for e in events if e.kind is EventKind.STEP and e.agent)
    assert agents == ["compliance", "intake", "policy_lookup", "quote", "risk"]
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.GATE_FIRED) == 1 and EventKind.REVIEW_DECISION in kinds


def test_history_lists_the_checkpoints_newest_first(server: Server) -> None:
    thread = _to_gate(server)
    history = _as(server, "otto").threads.get_history(thread, limit=100)
    assert len(history) >= 8
    assert history[0]["next"] == ["review_gate"]
    steps = [h["metadata"].get("step") for h in history]
    assert steps == sorted(steps, reverse=True)


def test_fork_from_an_earlier_checkpoint_runs_again_from_there(server: Server) -> None:
    thread = _to_gate(server)
    if server.name == "aegra":
        # Aegra lets only a thread's owner reach it, and the owner may not change its state: the
        # request boundary refuses it (an operator forks with `baton rollback` on the database).
        owner = server.client("alice")
        before = owner.threads.get_history(thread, limit=100)
        with pytest.raises(APIStatusError) as raised:
            owner.threads.update_state(thread, {"broker": "Forked Brokers"}, as_node="risk")
        assert raised.value.status_code == 403
        assert "threads.update_state" in str(raised.value)
        assert len(owner.threads.get_history(thread, limit=100)) == len(before)
        return
    operator = server.client("otto")
    history = operator.threads.get_history(thread, limit=100)
    before_quote = next(h for h in history if h["next"] == ["quote"])
    forked = operator.threads.update_state(  # as if risk had written it: the supervisor routes next
        thread,
        {"broker": "Forked Brokers"},
        as_node="risk",
        checkpoint_id=before_quote["checkpoint"]["checkpoint_id"],
    )
    fork_id = forked["checkpoint"]["checkpoint_id"]
    operator.runs.wait(thread, "underwriting", input=None, checkpoint_id=fork_id)
    state = operator.threads.get_state(thread)
    assert state["next"] == ["review_gate"] and state["values"]["broker"] == "Forked Brokers"
    assert state["parent_checkpoint"] is not None
    branch = operator.threads.get_history(thread, limit=200)
    assert any(h["checkpoint"]["checkpoint_id"] == fork_id for h in branch)
    # Both changes to the history are in the trace, with who made them (from the key).
    changes = TraceStore(server.database_url).events(thread, EventKind.STATE_CHANGE)
    assert [(c.data["via"], c.data["by"], c.data["identified_by"]) for c in changes] == [
        ("a state update", "otto", "api key"),
        ("a run from an earlier checkpoint", "otto", "api key"),
    ]
    assert changes[0].data["as_node"] == "risk"
    assert changes[0].data["values"] == {"broker": "Forked Brokers"}
    assert changes[1].data["checkpoint_id"] == fork_id


def test_an_operators_change_to_a_history_keeps_the_reason_and_hides_what_is_sensitive(
    server: Server,
) -> None:
    if server.name == "aegra":
        pytest.skip("Aegra lets an operator reach only its own threads (see the fork test)")
    thread = _to_gate(server)
    response = httpx.post(
        f"{server.url}/threads/{thread}/state",
        json={
            "values": {"broker": "Fixed Brokers", "documents": [{"content": "FEIN 12-3456789"}]},
            "as_node": "risk",
        },
        headers={"x-api-key": KEYS["otto"][0], "x-baton-reason": "broker typo, ticket 42"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    [change] = TraceStore(server.database_url).events(thread, EventKind.STATE_CHANGE)
    assert change.data["reason"] == "broker typo, ticket 42"
    assert change.data["values"]["broker"] == "Fixed Brokers"
    assert "12-3456789" not in json.dumps(change.data)


def test_updates_are_streamed_agent_by_agent(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    nodes: list[str] = []
    for part in client.runs.stream(thread, "underwriting", input=STRAIGHT, stream_mode="updates"):
        if part.event == "updates" and isinstance(part.data, dict):
            nodes += list(part.data)
        assert part.event != "error", part.data
    for agent in ("intake", "policy_lookup", "risk", "compliance", "quote", "finalize"):
        assert agent in nodes
    assert client.threads.get_state(thread)["values"]["decision"]["outcome"] == "approved"


def test_a_submission_that_breaks_the_contract_is_refused_and_changes_nothing(
    server: Server,
) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    broken: dict[str, Any] = {**STRAIGHT, "submission_id": 12345}
    with pytest.raises(httpx.HTTPStatusError) as raised:  # 422 from the boundary, on both
        client.runs.wait(thread, "underwriting", input=broken)
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["field"] == "input.submission_id"
    state = client.threads.get_state(thread)
    assert not state["values"].get("intake") and not state["values"].get("decision")


def test_an_invalid_review_decision_is_refused_and_the_gate_stays_open(server: Server) -> None:
    thread = _to_gate(server)
    with pytest.raises(httpx.HTTPStatusError) as raised:  # 422 from the boundary, field named
        server.client("rita").runs.wait(
            thread, "underwriting", command={"resume": {"action": "maybe"}}
        )
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["field"] == "command.resume.action"
    # A well-formed answer the workflow refuses: a 422 saying why, and the gate stays open.
    with pytest.raises(httpx.HTTPStatusError) as refused_run:
        server.client("rita").runs.wait(
            thread,
            "underwriting",
            command={"resume": {"action": "amend", "reviewer": "x", "corrections": {"colour": 1}}},
        )
    assert refused_run.value.response.status_code == 422
    assert "colour" in refused_run.value.response.json()["detail"]
    state = _as(server, "rita").threads.get_state(thread)
    assert state["next"] == ["review_gate"]
    refused = state["interrupts"][0]["value"]["refused"]
    assert refused and "colour" in refused[-1]
    assert not state["values"].get("decision")


def test_unknown_thread_is_not_found(server: Server) -> None:
    with pytest.raises(APIStatusError) as raised:
        server.client("otto").threads.get_state("00000000-0000-0000-0000-000000000000")
    assert raised.value.status_code in (404, 422)


def test_two_concurrent_resumes_record_exactly_one_decision(server: Server) -> None:
    thread = _to_gate(server)
    answers = {
        "rita": {"action": "approve", "reviewer": "rita", "note": "ok"},
        "otto": {"action": "reject", "reviewer": "otto", "note": "declined"},
    }

    def resume(user: str) -> str:
        try:
            server.client(user).runs.wait(thread, "underwriting", command={"resume": answers[user]})
        except Exception as error:  # the loser may be refused outright (a busy thread)
            return f"refused: {error}"
        return "ran"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(answers, pool.map(resume, answers), strict=True))
    recorded = SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert len(recorded) == 1, outcomes
    winner = recorded[0]["payload"]["decision"]["reviewer"]
    final = _as(server, "otto").threads.get_state(thread)["values"]["decision"]
    assert final["decided_by"] == winner
    assert final["outcome"] == ("approved" if winner == "rita" else "declined")
