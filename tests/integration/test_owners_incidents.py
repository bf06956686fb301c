"""`baton owners` and `baton incidents` over runs recorded through the command line, on SQLite and
PostgreSQL: every declared agent with its owner (agents of one name in two workflows kept apart),
runs, failures by error kind, fallback hops, latency and the window; failed and escalated steps
grouped by agent and reason, each with its thread and the checkpoint `baton history` shows before
the step, and a rollback command that `baton rollback` accepts."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import graphs.cli.owner_commands  # noqa: F401  (registers the commands)
from checkpoints.database import engine_for
from checkpoints.trace_store import TraceStore, trace_events
from schemas.trace import EventKind, TraceEvent
from tests.conftest import ROOT, load_sample
from tests.integration.cli_helpers import baton, run_sample

RUNS = {
    "uw-clean": "01_clean_straight_through.json",
    "uw-bad-number": "05_invalid_policy_number.json",  # policy_lookup: failed, contract_violation
    "uw-unreadable": "08_unreadable_application.json",  # intake: both readers fail, two hops
    "uw-email": "13_free_text_email.json",  # intake: label_parser -> prose_reader, then ok
}
NOT_ON_FILE = "uw-not-on-file"  # policy_lookup: escalated (a prior policy not on file)


def record_runs(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path) -> None:
    for thread, sample in RUNS.items():
        run_sample(monkeypatch, url, sample, thread)
    unknown = json.dumps(load_sample("01_clean_straight_through"))
    path = tmp_path / "not_on_file.json"
    path.write_text(unknown.replace("BTN-2021-004512", "BTN-2099-000001"), encoding="utf-8")
    report = baton(
        monkeypatch, url, "run", "underwriting", str(path), "--thread-id", NOT_ON_FILE, "--json"
    )
    assert report["status"] == "awaiting_review"


def by_agent(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["workflow"], row["agent"]): row for row in report["agents"]}


def step_latencies(monkeypatch: pytest.MonkeyPatch, url: str, agent: str) -> list[float]:
    latencies = []
    for thread in [*RUNS, NOT_ON_FILE]:
        events = baton(monkeypatch, url, "trace", thread, "--json")["events"]
        latencies += [
            e["data"]["latency_ms"] for e in events if e["kind"] == "step" and e["agent"] == agent
        ]
    return latencies


def backdate(url: str, thread_id: str, days: int) -> None:
    """Move a thread's events `days` into the past."""
    engine = engine_for(url)
    with engine.begin() as conn:
        rows = conn.execute(
            select(trace_events.c.seq, trace_events.c.at).where(
                trace_events.c.thread_id == thread_id
            )
        ).all()
        for seq, at in rows:
            conn.execute(
                update(trace_events)
                .where(trace_events.c.seq == seq)
                .values(at=at - timedelta(days=days))
            )


def test_owners_lists_every_agent_with_its_activity_over_the_window(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record_runs(monkeypatch, database_url, tmp_path)
    report = baton(monkeypatch, database_url, "owners", "--json")
    rows = by_agent(report)

    declared = baton(monkeypatch, database_url, "agents", "--json")["agents"]
    for spec in declared:  # every agent, with its owner from the spec, runs or not
        row = rows[(spec["workflow"], spec["agent"])]
        assert (row["owner"], row["contact"], row["version"]) == (
            spec["owner"],
            spec["contact"],
            spec["version"],
        )
        assert row["declared"] is True
    specialist = rows[("supply_chain", "sourcing")]  # a hierarchy's specialists too
    assert specialist["department"] == "procurement" and specialist["runs"] == 0

    intake = rows[("underwriting", "intake")]
    assert intake["runs"] == 5  # one per run
    assert intake["statuses"] == {"ok": 4, "failed": 1}
    assert intake["failures"] == {"all_implementations_failed": 1}
    assert intake["errors"] == {}
    assert intake["fallbacks"] == [
        {"implementation": "label_parser", "to": "prose_reader", "count": 2},
        {"implementation": "prose_reader", "to": "human review", "count": 1},
    ]
    assert intake["versions"] == {"1.0.0": 5}
    assert intake["tokens"] is None and intake["model_runs"] == 0  # no model ran
    # Another workflow's agent of the same name is counted apart.
    assert rows[("invoice_review", "intake")]["runs"] == 0
    assert rows[("invoice_review", "intake")]["mean_latency_ms"] is None

    lookup = rows[("underwriting", "policy_lookup")]
    assert lookup["failures"] == {"contract_violation": 1}
    assert lookup["statuses"]["escalated"] == 1 and lookup["statuses"]["failed"] == 1
    assert lookup["runs"] == sum(lookup["statuses"].values())

    latencies = sorted(step_latencies(monkeypatch, database_url, "intake"))
    assert len(latencies) == 5
    assert intake["mean_latency_ms"] == pytest.approx(sum(latencies) / 5, abs=1e-3)
    assert intake["p95_latency_ms"] == latencies[math.ceil(0.95 * 5) - 1] == latencies[-1]
    assert intake["p95_latency_ms"] >= intake["mean_latency_ms"] > 0

    text = baton(monkeypatch, database_url, "owners")
    assert "Submission Intake" in text and "intake-oncall@baton.example" in text
    assert "label_parser → prose_reader 2" in text


def test_the_window_leaves_older_runs_out(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record_runs(monkeypatch, database_url, tmp_path)
    backdate(database_url, "uw-bad-number", days=40)

    def intake_runs(*window: str) -> int:
        report = baton(monkeypatch, database_url, "owners", *window, "--json")
        return int(by_agent(report)[("underwriting", "intake")]["runs"])

    assert intake_runs() == 4  # the default window is 30 days
    assert intake_runs("--days", "60") == 5
    assert intake_runs("--since", "7d") == 4
    fifty_days_ago = (datetime.now(UTC) - timedelta(days=50)).date().isoformat()
    assert intake_runs("--since", fifty_days_ago) == 5
    report = baton(monkeypatch, database_url, "owners", "--days", "10", "--json")
    since, until = (datetime.fromisoformat(report[end]) for end in ("since", "until"))
    assert until - since == timedelta(days=10)

    assert baton(monkeypatch, database_url, "incidents", "--json")["incidents"] == 3
    recent = baton(monkeypatch, database_url, "incidents", "--since", "2w", "--json")
    assert recent["incidents"] == 2
    assert "uw-bad-number" not in json.dumps(recent)
    future = baton(monkeypatch, database_url, "incidents", "--since", "2999-01-01", "--json")
    assert (future["incidents"], future["groups"]) == (0, [])


def test_incidents_are_grouped_with_their_thread_and_checkpoint(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record_runs(monkeypatch, database_url, tmp_path)
    contract = ROOT / "data" / "samples" / "contract_review" / "03_joint_filing_escalates.txt"
    baton(monkeypatch, database_url, "run", "contract_review", str(contract), "--thread-id", "cr")

    report = baton(monkeypatch, database_url, "incidents", "--json")
    groups = {(g["workflow"], g["agent"], g["status"], g["kind"]): g for g in report["groups"]}
    expected = {
        ("underwriting", "policy_lookup", "failed", "contract_violation"): "uw-bad-number",
        ("underwriting", "intake", "failed", "all_implementations_failed"): "uw-unreadable",
        ("underwriting", "policy_lookup", "escalated", None): NOT_ON_FILE,
        # A chain's evaluator sent the stage's case to a person.
        ("contract_review", "extraction", "escalated", "evaluate_extraction"): "cr",
    }
    assert set(groups) == set(expected)
    assert report["incidents"] == 4
    for key, thread in expected.items():
        group = groups[key]
        assert group["count"] == 1 and group["is_agent"] is True
        (case,) = group["cases"]
        assert case["thread_id"] == thread and case["reason"]
        assert case["trace"] == f"baton trace {thread}"
        assert case["rollback"] == f"baton rollback {thread} --to {key[1]}"
        assert case["checkpoint_id"]

    for key, thread in expected.items():  # the checkpoint `baton history` shows before the step
        steps = baton(monkeypatch, database_url, "history", thread, "--json")["steps"]
        case = groups[key]["cases"][0]
        before = {step["checkpoint_id"] for step in steps if step["node"] == case["node"]}
        assert case["checkpoint_id"] in before, (key, case, steps)

    only = baton(monkeypatch, database_url, "incidents", "underwriting", "--json")
    assert {g["workflow"] for g in only["groups"]} == {"underwriting"}
    assert only["incidents"] == 3

    text = baton(monkeypatch, database_url, "incidents", "underwriting")
    assert "policy_lookup · escalated: 1" in text and NOT_ON_FILE in text
    assert "--to policy_lookup" in text

    # The commands given reproduce the cases: rollback accepts them and re-runs the agent.
    for key in (
        ("underwriting", "policy_lookup", "escalated", None),
        ("contract_review", "extraction", "escalated", "evaluate_extraction"),
    ):
        command = groups[key]["cases"][0]["rollback"].split()
        assert command[:2] == ["baton", "rollback"]
        rerun = baton(monkeypatch, database_url, *command[1:], "--json")
        assert rerun["status"] == "awaiting_review"
    again = baton(monkeypatch, database_url, "incidents", "--json")
    regrouped = {(g["workflow"], g["agent"], g["status"], g["kind"]): g for g in again["groups"]}
    escalated = regrouped[("underwriting", "policy_lookup", "escalated", None)]
    assert escalated["count"] == 2  # the re-run escalated again, newest first
    newest, older = (datetime.fromisoformat(case["at"]) for case in escalated["cases"])
    assert newest > older


def test_node_errors_are_incidents_only_where_the_run_stopped(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded events (a raised node is hard to provoke on the deterministic path): an error a
    later attempt of the same node and step got past is not an incident; one where the run
    stopped is, under its exception; a node that is no agent's has no rollback."""
    store = TraceStore(database_url)
    store.register_thread("t-errors", "underwriting", "SUB-1")
    now = datetime.now(UTC)

    def record(kind: EventKind, node: str, data: dict[str, Any], agent: str | None = None) -> None:
        store.append(
            TraceEvent(thread_id="t-errors", kind=kind, node=node, agent=agent, at=now, data=data)
        )

    record(EventKind.STEP_ERROR, "risk", {"step": 5, "task": "risk:a", "error": "CancelledError"})
    step = {"step": 5, "task": "risk:a", "status": "ok", "latency_ms": 12.0, "version": "1.0.0"}
    record(EventKind.STEP, "risk", {**step, "tokens": {"prompt": 100, "completion": 20}}, "risk")
    record(EventKind.STEP_ERROR, "quote", {"step": 7, "task": "quote:b", "error": "KeyError: 'x'"})
    record(EventKind.STEP_ERROR, "supervisor", {"step": 8, "error": "RuntimeError: routing"})

    report = baton(monkeypatch, database_url, "incidents", "--json")
    groups = {(g["agent"], g["status"], g["kind"]): g for g in report["groups"]}
    assert set(groups) == {("quote", "error", "KeyError"), ("supervisor", "error", "RuntimeError")}
    quote = groups[("quote", "error", "KeyError")]
    assert (
        quote["is_agent"] and quote["cases"][0]["rollback"] == "baton rollback t-errors --to quote"
    )
    assert quote["cases"][0]["checkpoint_id"] is None  # no checkpoint was written for it
    supervisor = groups[("supervisor", "error", "RuntimeError")]
    assert not supervisor["is_agent"] and supervisor["cases"][0]["rollback"] is None

    rows = by_agent(baton(monkeypatch, database_url, "owners", "--json"))
    assert rows[("underwriting", "risk")]["errors"] == {"CancelledError": 1}
    assert rows[("underwriting", "risk")]["tokens"] == {"input": 100, "output": 20, "total": 120}
    assert rows[("underwriting", "quote")]["errors"] == {"KeyError": 1}
    assert rows[("underwriting", "quote")]["runs"] == 0
    assert not any(agent == "supervisor" for _, agent in rows)


@pytest.mark.parametrize("command", [["owners"], ["incidents"], ["incidents", "underwriting"]])
def test_a_since_that_is_no_date_is_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    text = baton(monkeypatch, sqlite_url, *command, "--since", "notadate", code=2)
    assert "--since 'notadate' is neither a date" in text
    refused = baton(monkeypatch, sqlite_url, *command, "--since", "notadate", "--json", code=2)
    assert '"exit_code": 2' in refused


def test_bad_input_is_refused(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "unknown workflow 'nosuch'" in baton(
        monkeypatch, sqlite_url, "incidents", "nosuch", code=2
    )
    assert "not both" in baton(
        monkeypatch, sqlite_url, "owners", "--days", "3", "--since", "7d", code=2
    )
    baton(monkeypatch, sqlite_url, "owners", "--days", "0", code=2)
    assert "neither a date" in baton(
        monkeypatch, sqlite_url, "owners", "--since", "99999999999d", code=2
    )
