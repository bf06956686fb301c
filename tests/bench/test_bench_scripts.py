"""The quality benchmarks run as documented both ways: `python -m bench.X` and
`python bench/X.py` (the file from anywhere): `--help` answers without running them. (Every
benchmark module imports `bench` the same way; these are the quality benchmarks the docs
show.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPTS = ("contract_review_quality", "contract_clause_model", "support_triage_quality")


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_runs_as_a_file_and_as_a_module(name: str, tmp_path: object) -> None:
    for command, cwd in (
        ([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--help"], tmp_path),
        ([sys.executable, "-m", f"bench.{name}", "--help"], ROOT),
    ):
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=cwd, timeout=120, check=False
        )
        assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-2000:]}"
        assert "usage:" in done.stdout
