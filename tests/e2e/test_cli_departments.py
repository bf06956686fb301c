"""Departments of a hierarchy waiting at once, through the command line: `baton status` and
`baton queue` show each waiting gate with its department, and `baton review` answers one with
`--department NAME` or `--interrupt ID` (without either, it is refused, naming both)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from graphs.cli import app as cli
from graphs.kit import runtime
from graphs.kit.runtime import WorkflowRun
from tests.integration.cli_helpers import baton
from tests.unit.toy_hierarchy import NAME, open_toy, toy_workflow


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite database holding thread `t`, whose departments sales and legal both wait; the
    command line opens the toy workflow (which is not in the registry) for its threads."""
    database = f"sqlite:///{tmp_path / 'toy.db'}"

    def opening(
        name: str, database_url: str | None = None, **options: Any
    ) -> AbstractContextManager[WorkflowRun]:
        workflow = toy_workflow() if name == NAME else name
        return runtime.open_workflow(workflow, database_url, **options)

    monkeypatch.setattr(cli, "open_workflow", opening)
    with open_toy(database) as flow:
        flow.start({"topic": "launch"}, thread_id="t")
    yield database


def test_status_and_queue_show_every_waiting_gate_with_its_department(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    shown = baton(monkeypatch, url, "status", "t", "--json")
    assert shown["status"] == "awaiting_review"
    assert [(g["department"], g["gate"]) for g in shown["waiting"]] == [
        ("sales", "review_gate"),
        ("legal", "review_gate"),
    ]
    text = baton(monkeypatch, url, "status", "t")
    assert "Waiting at 2 review gates" in text
    for gate in shown["waiting"]:
        assert f"department {gate['department']}, gate review_gate" in text
        assert gate["interrupt_id"] in text
    assert "baton review t --department sales --approve" in text
    assert "baton review t --department legal --approve" in text

    queued = baton(monkeypatch, url, "queue", "--json")["queue"]
    assert sorted((c["thread_id"], c["department"]) for c in queued) == [
        ("t", "legal"),
        ("t", "sales"),
    ]
    table = baton(monkeypatch, url, "queue")
    assert "department" in table and "sales" in table and "legal" in table
    assert "--department NAME" in table


def test_review_names_the_department_or_the_interrupt_it_answers(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    waiting = baton(monkeypatch, url, "status", "t", "--json")["waiting"]
    ids = {gate["department"]: gate["interrupt_id"] for gate in waiting}
    refused = baton(monkeypatch, url, "review", "t", "--approve", "--reviewer", "Ann", code=2)
    assert "waits at 2 review gates" in refused
    assert ids["sales"] in refused and ids["legal"] in refused and "--department" in refused

    half = baton(
        monkeypatch,
        url,
        "review",
        "t",
        "--approve",
        "--reviewer",
        "Ann",
        "--department",
        "legal",
        "--json",
    )
    assert [(g["department"], g["interrupt_id"]) for g in half["waiting"]] == [
        ("sales", ids["sales"])
    ]
    assert [c["department"] for c in baton(monkeypatch, url, "queue", "--json")["queue"]] == [
        "sales"
    ]
    # The only gate left needs no selector, but an interrupt id is taken too.
    done = baton(
        monkeypatch,
        url,
        "review",
        "t",
        "--approve",
        "--reviewer",
        "Bo",
        "--interrupt",
        ids["sales"],
        "--json",
    )
    assert done["status"] == "completed" and "waiting" not in done
    assert baton(monkeypatch, url, "queue", "--json")["queue"] == []
    conflict = baton(
        monkeypatch, url, "review", "t", "--reject", "--reviewer", "Cy", "--department", "sales",
        code=2,
    )  # fmt: skip
    assert "department 'sales'" in conflict and "already answered by Bo" in conflict
