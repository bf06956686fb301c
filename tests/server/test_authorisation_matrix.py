"""The authorisation matrix: every route of the server protocol, every role, own and foreign
threads, on both servers, with the status each gets. The table lives in `docs/deploy.md` (what an
operator reads) and this test checks the servers against it, cell by cell."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ROOT, SAMPLES
from tests.server.conftest import KEYS, Server

pytestmark = pytest.mark.slow

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))
STRAIGHT = json.loads((SAMPLES / "01_clean_straight_through.json").read_text(encoding="utf-8"))
COLUMNS = (
    "submitter, own",
    "submitter, foreign",
    "reviewer, waiting",
    "reviewer, not waiting",
    "operator",
)
TABLE_START = "<!-- authorisation matrix: checked by tests/server/test_authorisation_matrix.py -->"


@dataclass
class Cases:
    """The threads the matrix is tried on."""

    own: str  # alice's case, waiting for review
    foreign: str  # bob's case, waiting for review
    done: str  # alice's case, completed


@dataclass(frozen=True)
class Call:
    route: str
    method: str
    path: str
    """With `{thread}` for the thread the cell is about."""
    body: Callable[[], object] | None = None
    fresh: bool = False
    """Tried on a thread made for the one call (it changes or removes the thread)."""


CALLS: tuple[Call, ...] = (
    Call("threads.create", "POST", "/threads", lambda: {}),
    Call("threads.search", "POST", "/threads/search", lambda: {"limit": 5}),
    Call("threads.read", "GET", "/threads/{thread}"),
    Call("threads.state", "GET", "/threads/{thread}/state"),
    Call("threads.history", "GET", "/threads/{thread}/history"),
    Call(
        "threads.update_state",
        "POST",
        "/threads/{thread}/state",
        lambda: {"values": {"broker": "Changed"}, "as_node": "risk"},
        fresh=True,
    ),
    Call(
        "threads.update", "PATCH", "/threads/{thread}", lambda: {"metadata": {"x": 1}}, fresh=True
    ),
    Call("threads.delete", "DELETE", "/threads/{thread}", fresh=True),
    Call("threads.copy", "POST", "/threads/{thread}/copy", lambda: {}, fresh=True),
    Call(
        "runs.create (input)",
        "POST",
        "/threads/{thread}/runs/wait",
        lambda: {"assistant_id": "underwriting", "input": STRAIGHT},
        fresh=True,
    ),
    Call(
        "runs.create (resume)",
        "POST",
        "/threads/{thread}/runs/wait",
        lambda: {
            "assistant_id": "underwriting",
            # a well-formed answer the gate refuses (it stays open for the next cell)
            "command": {
                "resume": {"action": "amend", "reviewer": "x", "corrections": {"colour": "red"}}
            },
        },
    ),
    Call("runs.read", "GET", "/threads/{thread}/runs"),
    Call(
        "runs.stateless",
        "POST",
        "/runs/wait",
        lambda: {"assistant_id": "underwriting", "input": STRAIGHT},
    ),
    Call(
        "crons.create",
        "POST",
        "/runs/crons",
        lambda: {"assistant_id": "underwriting", "schedule": "0 0 1 1 *"},
    ),
    Call(
        "store.put",
        "PUT",
        "/store/items",
        lambda: {"namespace": ["x"], "key": "k", "value": {"a": 1}},
    ),
    Call("store.search", "POST", "/store/items/search", lambda: {"namespace_prefix": ["x"]}),
    Call(
        "assistants.create",
        "POST",
        "/assistants",
        lambda: {"graph_id": "underwriting", "assistant_id": str(uuid.uuid4())},
    ),
    Call("assistants.search", "POST", "/assistants/search", lambda: {}),
)


def documented() -> dict[str, dict[str, str]]:
    """The table in docs/deploy.md: route → column → expected status (`200`, `403`, … or
    `200, Aegra 404` where the servers differ)."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = text.split(TABLE_START, 1)[1].strip().split("\n\n", 1)[0].splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert tuple(header[1:]) == COLUMNS, header
    rows: dict[str, dict[str, str]] = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = dict(zip(COLUMNS, cells[1:], strict=True))
    return rows


def expected(cell: str, server: str) -> int:
    """The status a cell expects on `server`: `200`, or `200, Aegra 404`."""
    found = re.fullmatch(r"(\d{3})(?:, Aegra (\d{3}))?", cell)
    assert found is not None, cell
    return int(found.group(2)) if server == "aegra" and found.group(2) else int(found.group(1))


def _request(server: Server, user: str, call: Call, thread: str) -> int:
    headers = {"x-api-key": KEYS[user][0]}
    body = call.body() if call.body else None
    response = httpx.request(
        call.method,
        server.url + call.path.format(thread=thread),
        headers=headers,
        json=body,
        timeout=60,
    )
    status = response.status_code
    return 200 if 200 <= status < 300 else status


def _gate(server: Server, owner: str) -> str:
    client = server.client(owner)
    thread = str(client.threads.create()["thread_id"])
    client.runs.wait(thread, "underwriting", input=REFERRED)
    return thread


def _fresh(server: Server, owner: str) -> str:
    return str(server.client(owner).threads.create()["thread_id"])


def _cell(server: Server, cases: Cases, call: Call, column: str) -> int:
    user = {"submitter": "alice", "reviewer": "rita", "operator": "otto"}[column.split(",")[0]]
    if call.fresh:
        owner = "bob" if column == "submitter, foreign" else "alice"
        waiting = column == "reviewer, waiting" or call.route == "threads.update_state"
        thread = _gate(server, owner) if waiting else _fresh(server, owner)
    else:
        thread = {
            "submitter, own": cases.own,
            "submitter, foreign": cases.foreign,
            "reviewer, waiting": cases.own,
            "reviewer, not waiting": cases.done,
            "operator": cases.own,
        }[column]
    return _request(server, user, call, thread)


def test_every_route_answers_every_role_as_documented(server: Server) -> None:
    table = documented()
    assert set(table) == {call.route for call in CALLS}, "docs/deploy.md lists other routes"
    done = _fresh(server, "alice")
    server.client("alice").runs.wait(done, "underwriting", input=STRAIGHT)
    cases = Cases(own=_gate(server, "alice"), foreign=_gate(server, "bob"), done=done)
    observed = {
        call.route: {column: _cell(server, cases, call, column) for column in COLUMNS}
        for call in CALLS
    }
    wrong = {
        (route, column): (expected(table[route][column], server.name), status)
        for route, row in observed.items()
        for column, status in row.items()
        if status != expected(table[route][column], server.name)
    }
    assert not wrong, f"(expected, got) on {server.name}: {wrong}\nobserved: {observed}"
