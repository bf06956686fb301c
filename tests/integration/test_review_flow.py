"""Interrupt -> `baton review` -> completed, the same thread test on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkpoints.ledger import SideEffectLedger
from graphs.underwriting import DECISION_KIND
from tests.conftest import SAMPLES
from tests.integration.cli_helpers import baton, run_sample


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'baton.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_interrupt_review_completes_and_records_once(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = f"review-{tmp_path.name}"
    sample = str(SAMPLES / "02_high_risk_referral.json")
    stopped = baton(
        monkeypatch, database_url, "run", "underwriting", sample, "--thread-id", thread, "--json"
    )
    assert stopped["status"] == "awaiting_review"
    assert "high_risk" in {r["rule"] for r in stopped["reasons"]}
    assert stopped["review"]["allowed_actions"] == ["approve", "reject", "amend"]

    status = baton(monkeypatch, database_url, "status", thread, "--json")
    assert status["status"] == "awaiting_review"

    done = baton(
        monkeypatch,
        database_url,
        "review",
        thread,
        "--reject",
        "--reviewer",
        "Dana Lee",
        "--note",
        "wiring too old",
        "--json",
    )
    assert done["status"] == "completed"
    assert done["outcome"] == "declined"
    assert done["decision"]["decided_by"] == "Dana Lee"

    # Asking again changes nothing: the gate is closed and the decision stays recorded once.
    baton(monkeypatch, database_url, "review", thread, "--approve", code=2)
    again = baton(
        monkeypatch, database_url, "run", "underwriting", sample, "--thread-id", thread, "--json"
    )
    assert again["status"] == "completed" and again["outcome"] == "declined"
    decisions = SideEffectLedger(database_url).for_thread(thread, DECISION_KIND)
    assert len(decisions) == 1

    gates = baton(monkeypatch, database_url, "status", "--json")["review_gates"]
    assert gates["review_gate"]["decisions"] >= 1


def test_amend_applies_validated_corrections(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = f"amend-{tmp_path.name}"
    run_sample(monkeypatch, database_url, "12_cancelled_prior_policy.json", thread)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"annual_premium": -5}))
    refused = baton(monkeypatch, database_url, "review", thread, "--amend", str(bad), code=2)
    assert "annual_premium" in refused
    assert (
        baton(monkeypatch, database_url, "status", thread, "--json")["status"] == "awaiting_review"
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"annual_premium": 2500, "deductible": 5000}))
    done = baton(
        monkeypatch,
        database_url,
        "review",
        thread,
        "--amend",
        str(good),
        "--reviewer",
        "Sam",
        "--json",
    )
    assert done["outcome"] == "approved"
    assert done["decision"]["quote"]["annual_premium"] == 2500
    assert done["decision"]["quote"]["deductible"] == 5000
