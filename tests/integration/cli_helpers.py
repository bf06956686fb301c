"""Invoking the `baton` command line in-process (Typer's runner) with a database URL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from graphs.cli.app import app


def baton(monkeypatch: pytest.MonkeyPatch, url: str, *args: str, code: int = 0) -> Any:
    """Run `baton ARGS` against `url` (through BATON_DATABASE_URL); return the parsed --json output
    when asked for, else the text. Asserts the exit code."""
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (
        f"baton {' '.join(args)} -> {result.exit_code}\n{result.output}"
    )
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result.output


def run_sample(monkeypatch: pytest.MonkeyPatch, url: str, sample: str, thread: str) -> Any:
    """`baton run underwriting data/samples/underwriting/SAMPLE --thread-id THREAD --json`."""
    from tests.conftest import SAMPLES

    return baton(
        monkeypatch,
        url,
        "run",
        "underwriting",
        str(SAMPLES / sample),
        "--thread-id",
        thread,
        "--json",
    )
