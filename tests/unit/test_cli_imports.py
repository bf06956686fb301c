"""Every command-line module imports on its own, first, in a fresh interpreter: the command
modules register themselves on the app, and none may depend on another having been imported
before it (a circular import shows only in that order)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

MODULES = sorted(
    f"graphs.cli.{path.stem}"
    for path in (ROOT / "graphs" / "cli").glob("*.py")
    if path.stem != "__init__"
)


@pytest.mark.parametrize("module", MODULES)
def test_a_cli_module_imports_first(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
