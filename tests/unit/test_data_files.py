"""Data files are typed at load: a wrong value is named with its file, key and line, and the
shipped rating table rates the worst accounts instead of crashing on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.data_files import DataFileError, load_yaml
from agents.underwriting.reference_data import DATA_DIR, RatingTable
from graphs.kit.runtime import open_workflow
from tests.conftest import load_sample


def test_a_wrongly_typed_value_is_named_with_its_key_and_line(tmp_path: Path) -> None:
    shipped = (DATA_DIR / "rating_table.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "rating_table.yaml"
    broken.write_text(shipped.replace("1.0e+15", "1.0e15"), encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        load_yaml(broken, RatingTable)
    message = str(raised.value)
    assert "rating_table.yaml" in message and "loss_severity.3.under" in message
    line = next(n for n, text in enumerate(shipped.splitlines(), 1) if "1.0e+15" in text)
    assert f"(line {line})" in message and "'1.0e15'" in message


def test_the_largest_losses_are_rated_not_crashed_on() -> None:
    submission = load_sample("01_clean_straight_through")
    loss_run = next(d for d in submission["documents"] if d["kind"] == "loss_run")
    loss_run["content"] = (
        "LOSS RUN REPORT\nCarrier: Northeast Mutual\nValued as of: 2026-10-31\n\n"
        "Date of Loss | Cause | Paid | Reserved | Status\n"
        "-------------|-------|------|----------|-------\n"
        "2025-03-09 | Fire | 900,000 | 250,000 | Open\n"
    )
    with open_workflow("underwriting", "memory://") as flow:
        report = flow.start(submission, thread_id="large-loss")
        risk = flow.graph.get_state(flow.config("large-loss")).values["risk"]
    assert risk["status"] == "ok", risk
    assert any(f["name"] == "loss_severity" and f["points"] == 35 for f in risk["value"]["factors"])
    assert report.status in ("awaiting_review", "completed")


def test_eligibility_and_the_sanctions_list_are_typed_at_load(tmp_path: Path) -> None:
    from agents.underwriting.reference_data import Eligibility

    shipped = (DATA_DIR / "eligibility.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "eligibility.yaml"
    broken.write_text(shipped.replace("building_age_at_least: 40", "building_age_at_least: forty"))
    with pytest.raises(
        DataFileError,
        match=r"required_documents\.inspection_when\.building_age_at_least \(line \d+\)",
    ):
        load_yaml(broken, Eligibility)
