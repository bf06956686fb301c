"""The hot-path benchmarks run as a user runs them (`python -m bench.X`), on a tiny budget: the
plain LangGraph baseline stops at the same gate as Baton's run (the benchmark checks both), and
each figure comes with its target and whether it is met."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT


def _json(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", *args, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.slow
def test_the_hot_path_compares_both_sides_to_the_gate() -> None:
    row = _json("bench.hot_path", "--rounds", "1", "--batch", "2")
    assert row["baton_ms"] > 0 and row["plain_ms"] > 0
    assert row["ratio"] > 0 and row["met"] == (row["ratio"] <= 1.5)


@pytest.mark.slow
def test_start_up_is_measured_against_its_baselines() -> None:
    rows = _json("bench.startup", "--repeats", "1")
    assert [row["command"] for row in rows] == ["baton --help", "baton status t-1"]
    for row in rows:
        assert row["cpu_s"] > 0 and row["baseline_cpu_s"] > 0
        assert row["met"] == (row["ratio"] <= row["target"])
