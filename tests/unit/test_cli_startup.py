"""The command line starts lazily: `baton --help` loads typer and little else (not LangGraph,
langchain, SQLAlchemy, pydantic or rich), and `status`, `queue` and `trace` on an underwriting
thread load neither the machine-learning libraries nor another workflow's agents (contract
review's clause rules, support triage). Each command runs in a fresh interpreter, which lists the
modules it loaded as it exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

THREAD = "startup"

PROBE = """
import atexit, sys

LISTING = sys.argv[1]

def _loaded():
    import json

    with open(LISTING, "w", encoding="utf-8") as listing:
        json.dump(sorted(sys.modules), listing)

atexit.register(_loaded)
sys.argv = ["baton", *sys.argv[2:]]
from graphs.cli.app import app

app()
"""
"""`baton ARGS` in this interpreter; at exit, the names of the loaded modules go to a file."""

NEVER = (
    "torch",
    "sklearn",
    "sentence_transformers",
    "agents.contract_review.clause_rules",
    "agents.support_triage",
)
"""Loaded by no command that is about an underwriting thread (or about no workflow)."""

NOT_FOR_HELP = ("langgraph", "langchain_core", "sqlalchemy", "pydantic", "rich")


def _environment(url: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("BATON_DATABASE_URL", "BATON_MODEL", "COLUMNS")
    }
    return environment | {
        "BATON_DATABASE_URL": url,
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
    }


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding underwriting thread `startup`, waiting at its review gate."""
    database = f"sqlite:///{tmp_path_factory.mktemp('startup') / 'baton.db'}"
    sample = SAMPLES / "02_high_risk_referral.json"
    run = ["run", "underwriting", str(sample), "--thread-id", THREAD, "--json"]
    done = subprocess.run(
        [sys.executable, "-c", "from graphs.cli.app import app; app()", *run],
        cwd=ROOT,
        env=_environment(database),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "awaiting_review"
    return database


def _loaded_by(url: str, tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """The modules `baton ARGS` loaded, in a fresh interpreter, and what it printed."""
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *args],
        cwd=ROOT,
        env=_environment(url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return set(json.loads(listing.read_text(encoding="utf-8"))), done.stdout


def _within(loaded: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in loaded
        for package in packages
        if name.split(".")[: len(package.split("."))] == package.split(".")
    )


def test_help_loads_typer_and_not_the_platform(url: str, tmp_path: Path) -> None:
    loaded, shown = _loaded_by(url, tmp_path, "--help")
    assert "Usage: baton" in shown and "status" in shown and "trace" in shown
    assert _within(loaded, NOT_FOR_HELP + NEVER) == []


def test_a_command_help_shows_its_arguments_without_the_platform(url: str, tmp_path: Path) -> None:
    loaded, shown = _loaded_by(url, tmp_path, "run", "--help")
    assert "INPUT" in shown and "--thread-id" in shown and "underwriting" in shown
    # Typer builds a command's parameters with pydantic's type adapters: only that loads.
    platform = tuple(name for name in NOT_FOR_HELP if name != "pydantic")
    assert _within(loaded, platform + NEVER) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("status", THREAD), "awaiting_review"),
        (("queue",), THREAD),
        (("trace", THREAD), "review_gate"),
    ],
    ids=["status", "queue", "trace"],
)
def test_a_thread_command_loads_only_that_workflow(
    url: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    loaded, shown = _loaded_by(url, tmp_path, *args)
    assert says in shown
    assert _within(loaded, NEVER) == []
    others = (
        "contract_review",
        "invoice_review",
        "late_delivery",
        "supply_chain",
        "support_triage",
    )
    assert (
        _within(loaded, tuple(f"{top}.{name}" for top in ("graphs", "agents") for name in others))
        == []
    )
