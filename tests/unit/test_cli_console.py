"""The command line's consoles are sized by the environment each command runs in: a process that
runs several commands (a test session, an application embedding the CLI) does not keep the size
it had when it imported the CLI, or when its first command printed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from graphs.cli.app import console, errors
from tests.conftest import ROOT

RESIZED = """
import os
from graphs.cli.app import console, errors
console.print("first command")
os.environ["COLUMNS"], os.environ["LINES"] = "203", "41"
print(console.width, console.height, errors.width, errors.height)
"""


def test_a_console_is_not_kept_at_the_size_the_process_started_with() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RESIZED],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "80", "LINES": "17"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "203 41 203 41"


@pytest.mark.parametrize("printer", [console, errors], ids=["stdout", "stderr"])
def test_a_console_follows_columns_and_lines_as_they_change(
    monkeypatch: pytest.MonkeyPatch, printer: object
) -> None:
    monkeypatch.setenv("COLUMNS", "61")
    monkeypatch.setenv("LINES", "17")
    assert (printer.width, printer.height) == (61, 17)  # type: ignore[attr-defined]
    monkeypatch.setenv("COLUMNS", "203")
    assert printer.width == 203  # type: ignore[attr-defined]
    monkeypatch.setenv("LINES", "41")
    assert printer.height == 41  # type: ignore[attr-defined]
