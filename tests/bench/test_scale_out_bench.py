"""The scale-out benchmark, run as a user runs it (`python -m bench.scale_out`), small: Aegra with
one worker process, then two, on one real PostgreSQL database, and a ledger audit with reviewers
racing to answer the same cases. Not one decision lost, none recorded twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, ROOT, postgres_missing, python_module

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_two_workers_lose_no_decision_and_record_none_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = postgres_missing()
    if missing is not None:
        pytest.skip(f"PostgreSQL is missing ({missing})")
    monkeypatch.setenv("BATON_BENCH_POSTGRES_ADMIN_URL", POSTGRES_ADMIN_URL)  # the suite's server
    done = python_module(
        "bench.scale_out",
        "--workers",
        "1",
        "2",
        "--clients",
        "2",
        "--audit-cases",
        "10",
        "--audit-clients",
        "4",
        "--json",
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    assert [(r["workers"], r["clients"]) for r in result["rates"]] == [(1, 2), (2, 2)]
    for rate in result["rates"]:
        assert rate["failed"] == 0 and rate["runs"] == 16 and rate["runs_per_second"] > 0
        assert 0 < rate["p50_ms"] <= rate["p95_ms"]
    [audit] = result["audits"]
    assert audit["workers"] == 2 and audit["cases"] == audit["answered"] == 10
    assert audit["raced"] == 5
    assert audit["expected"] == 20 and audit["found"] == 20, result["failures"]
    assert audit["lost"] == 0 and audit["duplicated"] == 0
    assert audit["review_decisions"] == 10 and audit["underwriting_decisions"] == 10
    assert audit["mismatched"] == 0 and audit["still_waiting"] == 0
    assert audit["failed_to_gate"] == 0 and audit["answers"].get("failed", 0) == 0
    # Each case's recorded decision came back to the reviewer who made it; a raced case's other
    # answer was refused, or ran the gate and got the first one's decision back.
    assert audit["answers"]["ran"] == 10
    assert sum(audit["answers"].values()) == 15

    section = result["section"]
    assert section.startswith("## Scale-out (`bench/scale_out.py`)")
    assert "| workers | clients | runs | runs/s | p50 ms | p95 ms |" in section
    assert "target ≥ 1.5: not measured" in section  # 16 clients were not asked for
    assert "decisions expected 20" in section and "lost 0, duplicated 0" in section


def test_it_runs_as_a_file_from_anywhere(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale_out.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--audit-cases" in done.stdout
