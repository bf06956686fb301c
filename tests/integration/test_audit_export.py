"""`baton audit export`: every event of the trace store as JSON Lines, with every person's action
(review decisions, rollbacks, input corrections, prunes, policy changes in force) saying who,
when and why, sensitive fields redacted, and the window and workflow filters honoured."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from checkpoints.trace_store import TraceStore, trace_events
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind, TraceEvent
from tests.conftest import load_sample
from tests.integration.cli_helpers import baton, run_sample
from tests.integration.test_packet_binding import RISKIER


def _export(monkeypatch: pytest.MonkeyPatch, url: str, folder: Path, *args: str) -> list[Any]:
    path = folder / "audit.jsonl"
    out = baton(monkeypatch, url, "audit", "export", "--output", str(path), *args)
    assert "exported" in out
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _history(monkeypatch: pytest.MonkeyPatch, url: str, folder: Path) -> None:
    """Two cases: one reviewed after a rollback with a corrected input, then pruned; one whose
    gate ran under a changed policy and was reviewed."""
    run_sample(monkeypatch, url, "02_high_risk_referral.json", "audited")
    corrected = folder / "risk.json"
    corrected.write_text(json.dumps(RISKIER))
    baton(
        monkeypatch, url, "rollback", "audited", "--to", "risk", "--input", str(corrected),
        "--by", "Ops Olga", "--reason", "broker sent the right construction",
    )  # fmt: skip
    baton(
        monkeypatch, url, "review", "audited", "--reject", "--reviewer", "Dana Lee",
        "--note", "too many losses",
    )  # fmt: skip
    baton(
        monkeypatch, url, "prune", "--older-than", "0", "--by", "Ops Olga",
        "--reason", "retention policy RP-7",
    )  # fmt: skip

    import graphs.kit.policy as policy

    changed = folder / "policies"
    shutil.copytree(policy.POLICY_DIR, changed)
    text = (changed / "underwriting.yaml").read_text(encoding="utf-8")
    marked = text.replace("  - name: high_risk\n", "  - name: high_risk\n    shadow: true\n", 1)
    (changed / "underwriting.yaml").write_text(marked, encoding="utf-8")
    monkeypatch.setattr(policy, "POLICY_DIR", changed)
    with open_workflow("underwriting", url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="audited-2")
        flow.resume("audited-2", {"action": "approve", "reviewer": "Sam Roe", "note": "known"})


def test_every_event_is_exported_and_every_persons_action_says_who_when_and_why(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    _history(monkeypatch, database_url, tmp_path)
    records = _export(monkeypatch, database_url, tmp_path)
    with TraceStore(database_url).engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(trace_events)).scalar_one()
    assert len(records) == stored  # nothing the trace store has is lost
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)

    actions = [r for r in records if r["human_action"]]
    said = [(r["thread_id"], r["human_action"], r["who"], r["why"]) for r in actions]
    assert ("audited", "input correction", "Ops Olga", "broker sent the right construction") in said
    assert ("audited", "review decision: reject", "Dana Lee", "too many losses") in said
    assert ("audited", "prune", "Ops Olga", "retention policy RP-7") in said
    assert ("audited-2", "review decision: approve", "Sam Roe", "known") in said
    changes = [r for r in actions if r["human_action"] == "policy change in force"]
    assert [r["thread_id"] for r in changes] == ["audited", "audited-2"]
    first, second = (r["data"] for r in changes)
    assert second["previous"] == first["version"] != second["version"]
    shadowed = {rule["name"] for rule in second["policy"]["rules"] if rule["shadow"]}
    assert shadowed == {"high_risk"}
    assert changes[1]["who"] == second["policy"]["owner"]
    assert all(r["at"] and r["workflow"] == "underwriting" for r in records)
    assert all(r["identified_by"] for r in actions if r["kind"] != "review_refused")

    only = _export(monkeypatch, database_url, tmp_path, "--actions-only")
    assert [r["seq"] for r in only] == [r["seq"] for r in actions]


def test_the_export_redacts_sensitive_fields_and_honours_its_window_and_workflow(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "recent")
    baton(monkeypatch, database_url, "review", "recent", "--reject", "--reviewer", "Dana Lee")
    store = TraceStore(database_url)
    store.append(
        TraceEvent(
            thread_id="recent",
            kind=EventKind.STATE_CHANGE,
            at=datetime.now(UTC),
            data={"by": "otto", "via": "a state update", "values": {"fein": "12-3456789"}},
        )
    )
    old = datetime.now(UTC) - timedelta(days=40)
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", "old")
    with store.engine.begin() as conn:
        conn.execute(update(trace_events).where(trace_events.c.thread_id == "old").values(at=old))

    everything = _export(monkeypatch, database_url, tmp_path)
    assert "12-3456789" not in json.dumps(everything)
    [change] = [r for r in everything if r["kind"] == "state_change"]
    assert change["who"] == "otto" and change["data"]["values"]["fein"] != "12-3456789"

    recent = _export(monkeypatch, database_url, tmp_path, "--since", "30d")
    assert {r["thread_id"] for r in recent} == {"recent"}
    assert len(recent) == len(everything) - sum(r["thread_id"] == "old" for r in everything)
    dated = _export(monkeypatch, database_url, tmp_path, "--since", old.date().isoformat())
    assert len(dated) == len(everything)
    assert _export(monkeypatch, database_url, tmp_path, "--workflow", "contract_review") == []

    out = baton(monkeypatch, database_url, "audit", "export", "--since", "last week", code=2)
    assert "--since 'last week'" in out
    local = (old - timedelta(hours=1)).astimezone(timezone(timedelta(hours=5))).isoformat()
    assert len(_export(monkeypatch, database_url, tmp_path, "--since", local)) == len(everything)
    out = baton(monkeypatch, database_url, "audit", "export", "--workflow", "nope", code=2)
    assert "nope" in out
