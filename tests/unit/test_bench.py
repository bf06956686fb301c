"""The scoped-context benchmark measures what it says (sizes, not times)."""

from __future__ import annotations

from bench.scoped_context import REPORT, SAMPLES, measure, report


def test_scoped_slices_are_smaller_than_the_full_state_for_every_agent() -> None:
    measurement = measure(
        [SAMPLES / "01_clean_straight_through.json", SAMPLES / "02_high_risk_referral.json"]
    )
    assert measurement.samples == 2
    assert set(measurement.agents) == {"intake", "policy_lookup", "risk", "compliance", "quote"}
    for totals in measurement.agents.values():
        assert totals.steps == 2 and 0 < totals.scoped < totals.full
    assert 0 < measurement.intake_prompt.scoped < measurement.intake_prompt.full
    text = report(measurement)
    assert "| **all agents** | 10 |" in text and "reduction" in text


def test_the_published_scoped_context_figures_are_current() -> None:
    """docs/benchmarks.md must show what the benchmark measures today (sizes are reproducible)."""
    rows = [
        line
        for line in report(measure(sorted(SAMPLES.glob("*.json")))).splitlines()
        if line.startswith("|")
    ]
    published = REPORT.read_text(encoding="utf-8").splitlines()
    stale = [row for row in rows if row not in published]
    assert stale == [], f"docs/benchmarks.md is stale (run `make bench`): {stale}"
