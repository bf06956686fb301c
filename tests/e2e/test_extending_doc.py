"""docs/extending.md stays true: its four files, written into a copy of the repository as they
stand in the page, make a workflow that the registry finds, mypy accepts, and `baton` runs,
reviews, traces and rolls back; and they are under 100 lines in all."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

DOC = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"`([\w/]+\.(?:py|yaml))`:\n\n```(?:python|yaml)\n(.*?)```", re.S)
LUNCH = {
    "claim_id": "C-1",
    "category": "meals",
    "amount": 42.5,
    "has_receipt": False,
    "description": "team lunch",
}
DINNER = {**LUNCH, "claim_id": "C-2", "amount": 420, "description": "client dinner, alcohol"}


def _files() -> dict[str, str]:
    return dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))


def test_the_walkthrough_is_four_files_under_100_lines() -> None:
    files = _files()
    assert sorted(files) == [
        "agents/expense_claims.py",
        "graphs/expense_claims.py",
        "policies/expense_claims.yaml",
        "schemas/expense_claims.py",
    ]
    assert sum(text.count("\n") for text in files.values()) < 100


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's tracked files with the page's four files written in."""
    copy = tmp_path_factory.mktemp("extended")
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    for name, text in _files().items():
        (copy / name).write_text(text, encoding="utf-8")
    # mypy's cache of the libraries (make test type-checks first): mypy checks each entry against
    # its source's size and hash, so the copy's own files are checked afresh either way.
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", copy / ".mypy_cache")
    return copy


def _run(repo: Path, *args: str, code: int = 0) -> str:
    environment = {
        **os.environ,
        "PYTHONPATH": str(repo),
        "BATON_DATABASE_URL": f"sqlite:///{repo / 'baton.db'}",
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from graphs.cli.app import app; app()", *args],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout


def test_the_workflow_runs_stops_for_review_and_is_decided(repository: Path) -> None:
    (repository / "lunch.json").write_text(json.dumps(LUNCH))
    (repository / "dinner.json").write_text(json.dumps(DINNER))
    cleared = json.loads(_run(repository, "run", "expense_claims", "lunch.json", "--json"))
    assert cleared["status"] == "completed"
    assert cleared["decision"]["outcome"] == "cleared"
    assert cleared["decision"]["claim_id"] == "C-1"

    stopped = json.loads(
        _run(repository, "run", "expense_claims", "dinner.json", "--thread-id", "c2", "--json")
    )
    assert stopped["status"] == "awaiting_review"
    assert {r["rule"] for r in stopped["reasons"]} == {"over_limit", "no_receipt", "purpose"}
    assert stopped["review"]["recommendation"] == "decline"

    rejected = json.loads(
        _run(repository, "review", "c2", "--reject", "--reviewer", "Dana Lee", "--json")
    )
    assert rejected["decision"]["outcome"] == "rejected"
    assert rejected["decision"]["decided_by"] == "Dana Lee"
    assert "c2" in _run(repository, "trace", "c2")

    again = json.loads(_run(repository, "rollback", "c2", "--to", "receipt", "--json"))
    assert again["status"] == "awaiting_review"
    handoffs = json.loads(_run(repository, "handoffs", "expense_claims", "--json"))
    assert {(e["from"], e["to"]) for e in handoffs["handoffs"]} >= {
        ("input", "limit"),
        ("limit", "review_gate"),
    }
    agents = json.loads(_run(repository, "agents", "--json"))["agents"]
    assert {a["agent"] for a in agents if a["workflow"] == "expense_claims"} == {
        "limit",
        "receipt",
        "purpose",
    }


def test_the_walkthrough_type_checks(repository: Path) -> None:
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(repository / ".mypy_cache"),
            *sorted(name for name in _files() if name.endswith(".py")),
        ],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
