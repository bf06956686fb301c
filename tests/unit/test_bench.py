"""The scoped-context benchmark measures what it says (sizes, not times), run as a user runs it."""

from __future__ import annotations

import json

from tests.conftest import ROOT, SAMPLES, python_module

REPORT = ROOT / "docs" / "benchmarks.md"
TWO_SAMPLES = [SAMPLES / "01_clean_straight_through.json", SAMPLES / "02_high_risk_referral.json"]


def _scoped_context(*args: str) -> str:
    """`python -m bench.scoped_context ARGS`: its output."""
    done = python_module("bench.scoped_context", *args, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scoped_slices_are_smaller_than_the_full_state_for_every_agent() -> None:
    measurement = json.loads(_scoped_context(*map(str, TWO_SAMPLES), "--json"))
    assert measurement["samples"] == 2
    assert set(measurement["agents"]) == {"intake", "policy_lookup", "risk", "compliance", "quote"}
    for totals in measurement["agents"].values():
        assert totals["steps"] == 2 and 0 < totals["scoped"] < totals["full"]
    prompt = measurement["intake_prompt"]
    assert 0 < prompt["scoped"] < prompt["full"]
    text = _scoped_context(*map(str, TWO_SAMPLES))
    assert "| **all agents** | 10 |" in text and "reduction" in text


def test_the_published_scoped_context_figures_are_current() -> None:
    """docs/benchmarks.md must show what the benchmark measures today (sizes are reproducible)."""
    rows = [line for line in _scoped_context().splitlines() if line.startswith("|")]
    assert rows
    published = REPORT.read_text(encoding="utf-8").splitlines()
    stale = [row for row in rows if row not in published]
    assert stale == [], f"docs/benchmarks.md is stale (run `make bench`): {stale}"
