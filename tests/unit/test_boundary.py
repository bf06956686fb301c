"""The request boundary's rules, without a server (the server suite drives it for real)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from checkpoints.human_queue import HumanQueue
from graphs.kit.inputs import InputRejected, check_json_text, check_thread_id
from graphs.server.boundary import (
    ROUTES,
    Refusal,
    RequestBoundary,
    refused_fields,
    route_for,
    search_body,
)
from tests.conftest import load_sample

SUBMISSION = load_sample("02_high_risk_referral")


def _refused(role: str, route: str, body: Any) -> Refusal:
    with pytest.raises(Refusal) as raised:
        refused_fields(role, route, body, "someone")
    return raised.value


def test_every_route_name_is_unique_and_unlisted_routes_are_for_operators() -> None:
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    assert route_for("POST", "/threads/t-1/runs/wait")[0] is not None
    assert route_for("POST", "/threads/t-1/runs/wait")[1] == "t-1"
    assert route_for("DELETE", "/store/items")[0] is None  # operators only


@pytest.mark.parametrize(
    ("role", "body", "status", "field"),
    [
        ("submitter", {"context": {"database_url": "postgresql://x"}}, 403, "context"),
        ("operator", {"context": {"database_url": "postgresql://x"}}, 403, "context.database_url"),
        ("operator", {"context": {"colour": "red"}}, 422, "context.colour"),
        ("operator", {"context": {"models": {"intake": "openai:x"}}}, 403, "context.models"),
        ("submitter", {"webhook": "http://10.0.0.1/"}, 403, "webhook"),
        ("submitter", {"if_not_exists": "create"}, 403, "if_not_exists"),
        ("submitter", {"command": {"resume": {}}}, 403, "command"),
        ("reviewer", {"input": None, "command": {"goto": "x", "resume": {}}}, 403, "command"),
        (
            "operator",
            {"config": {"configurable": {"langgraph_auth_user": {}}}},
            403,
            "config.configurable.langgraph_auth_user",
        ),
    ],
)
def test_run_fields_a_role_may_not_set_are_refused_by_name(
    role: str, body: dict[str, Any], status: int, field: str
) -> None:
    refusal = _refused(
        role, "runs.create", {"assistant_id": "underwriting", "input": SUBMISSION, **body}
    )
    assert (refusal.status, refusal.field) == (status, field)


def test_an_operator_chooses_an_allowed_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_MODEL_ALLOWLIST", "openai:gpt-4.1-mini, openai:gpt-4.1")
    body = {"input": SUBMISSION, "context": {"models": {"intake": "openai:gpt-4.1"}}}
    refused_fields("operator", "runs.create", body)
    refusal = _refused("submitter", "runs.create", body)
    assert refusal.field == "context"


def test_an_input_is_checked_against_its_workflows_contract() -> None:
    refusal = _refused(
        "submitter",
        "runs.create",
        {"assistant_id": "underwriting", "input": {**SUBMISSION, "x": 1}},
    )
    assert (refusal.status, refusal.field) == (422, "input.x")
    nul = {**SUBMISSION, "broker": "a\x00b"}
    refusal = _refused("submitter", "runs.create", {"assistant_id": "underwriting", "input": nul})
    assert (refusal.status, refusal.field) == (422, "input.broker")


def test_an_assistant_cannot_carry_infrastructure_either() -> None:
    refusal = _refused(
        "operator",
        "assistants.create",
        {"graph_id": "underwriting", "context": {"database_url": "x"}},
    )
    assert refusal.field == "context.database_url"


def test_a_reviewers_search_lists_the_waiting_cases_only() -> None:
    assert search_body("reviewer", {"status": "idle"})["status"] == "interrupted"
    assert search_body("submitter", {"status": "idle"})["status"] == "idle"


def test_thread_ids_and_json_text_are_checked_at_the_edge() -> None:
    assert check_thread_id("0b3f-4c2a:case_1.2") == "0b3f-4c2a:case_1.2"
    for bad in ("", "x" * 65, "-lead", "a b", "a/b", "é"):
        with pytest.raises(InputRejected):
            check_thread_id(bad)
    with pytest.raises(InputRejected, match=r"a\.b\[1\]: control character U\+0007"):
        check_json_text({"a": {"b": ["ok", "bell\x07"]}}, where="")
    with pytest.raises(InputRejected, match="nested more than 64"):
        check_json_text("[" * 70 + "]" * 70, where="", parse=True)
    assert check_json_text({"page": "one\x0ctwo\ttab\r\n"}, where="") is not None


def test_seals_are_masked_in_what_non_operators_read() -> None:
    sent: list[dict[str, Any]] = []
    seal = "a" * 64

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": f'{{"baton_seal": "{seal}"}}'.encode()})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    boundary = RequestBoundary(app)
    boundary._holder = staticmethod(lambda headers: ("alice", "submitter"))  # type: ignore[method-assign]
    scope = {"type": "http", "method": "GET", "path": "/assistants/x", "headers": []}
    asyncio.run(boundary(scope, receive, send))
    assert seal.encode() not in sent[-1]["body"] and b'"baton_seal": "000' in sent[-1]["body"]


def _through_boundary(scope: dict[str, Any], body: bytes = b"") -> tuple[int, bool]:
    """(status, whether the inner app was reached) for one request through the boundary."""
    reached = False
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached
        reached = True
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(RequestBoundary(app)(scope, receive, send))
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 0)
    return status, reached


@pytest.fixture
def keys(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import json

    path = tmp_path / "keys.json"
    holders = {
        hashlib.sha256(b"k-alice").hexdigest(): {"identity": "alice", "role": "submitter"},
        hashlib.sha256(b"k-rita").hexdigest(): {"identity": "rita", "role": "reviewer"},
    }
    path.write_text(json.dumps(holders))
    monkeypatch.setenv("BATON_API_KEYS_FILE", str(path))
    monkeypatch.delenv("BATON_AUTH", raising=False)


def _http(method: str, path: str, *headers: tuple[bytes, bytes], query: bytes = b"") -> Any:
    return {"type": "http", "method": method, "path": path, "headers": list(headers),
            "query_string": query}  # fmt: skip


def test_a_second_key_header_head_requests_and_sockets_do_not_slip_past(keys: None) -> None:
    body = b'{"assistant_id": "underwriting", "context": {"database_url": "postgresql://x"}}'
    two = _http(
        "POST", "/threads/t1/runs/wait", (b"x-api-key", b"nope"), (b"x-api-key", b"k-alice")
    )
    assert _through_boundary(two, body) == (400, False)
    head = _http("HEAD", "/threads/t1/state", (b"x-api-key", b"k-rita"))
    assert _through_boundary(head)[1] is False  # checked as a GET: not a waiting case
    odd = _http("GET", "/threads/t1", (b"x-api-key", b"\xff\xfe"))
    assert _through_boundary(odd)[0] == 200  # no holder: the server's own auth answers (401)
    cancel = _http(
        "GET", "/threads/t1/runs/r1/join", (b"x-api-key", b"k-alice"),
        query=b"cancel_on_disconnect=true",
    )  # fmt: skip
    assert _through_boundary(cancel) == (403, False)

    closed: list[dict[str, Any]] = []

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a reviewer's socket reached the server")

    async def connect() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def record(message: dict[str, Any]) -> None:
        closed.append(message)

    socket = {"type": "websocket", "path": "/threads/t1/stream/events",
              "headers": [(b"x-api-key", b"k-rita"), (b"x-baton-binding", b"t1;resume;n")]}  # fmt: skip
    asyncio.run(RequestBoundary(never)(socket, connect, record))
    assert closed == [{"type": "websocket.close", "code": 1008}]


def test_non_operators_never_preempt_someones_run_and_assistants_choose_no_model() -> None:
    refusal = _refused(
        "reviewer", "runs.create", {"command": {"resume": {}}, "multitask_strategy": "rollback"}
    )
    assert refusal.field == "multitask_strategy"
    refusal = _refused(
        "operator",
        "assistants.create",
        {"graph_id": "underwriting", "context": {"models": {"intake": None}}},
    )
    assert refusal.field == "context.models"
    refusal = _refused("operator", "runs.create", {"config": "x"})
    assert refusal.status == 422


def test_a_reviewer_answers_one_of_several_waiting_gates_by_its_interrupt_id(
    keys: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Departments of a hierarchy wait at once in one thread: each is answered with
    `{"resume": {interrupt_id: decision}}`, checked as the decision it carries, one per request;
    the thread stays open to its reviewers while any of its gates waits."""
    sales, legal = "a" * 32, "b" * 32
    decision = {"action": "approve", "reviewer": "Rita"}
    refused_fields("reviewer", "runs.create", {"command": {"resume": {sales: decision}}})
    refusal = _refused("reviewer", "runs.create", {"command": {"resume": {sales: {"x": 1}}}})
    assert (refusal.status, refusal.field) == (422, f"command.resume.{sales}.action")
    both = {"command": {"resume": {sales: decision, legal: decision}}}
    refusal = _refused("reviewer", "runs.create", both)
    assert (refusal.status, refusal.field) == (422, "command.resume")
    assert "one review gate per request" in refusal.detail
    assert _refused("reviewer", "runs.create", {"command": {"resume": {}}}).status == 422

    url = f"sqlite:///{tmp_path / 'queue.db'}"
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    queue = HumanQueue(url)
    case = {"workflow": "toy", "thread_id": "t1", "gate": "review_gate", "subject": "Sign?",
            "reasons": ["always"], "recommendation": "approve"}  # fmt: skip
    queue.enqueue({**case, "department": "sales"})
    queue.enqueue({**case, "department": "legal"})
    answer = json.dumps({"assistant_id": "toy", "command": {"resume": {sales: decision}}})
    post = _http("POST", "/threads/t1/runs", (b"x-api-key", b"k-rita"))
    assert _through_boundary(post, answer.encode()) == (200, True)
    queue.dequeue("t1", "review_gate", department="sales")  # sales answered: legal waits
    assert _through_boundary(post, answer.encode()) == (200, True)
    read = _http("GET", "/threads/t1/state", (b"x-api-key", b"k-rita"))
    assert _through_boundary(read) == (200, True)
    queue.dequeue("t1", "review_gate", department="legal")
    assert _through_boundary(post, answer.encode()) == (409, False)
    assert _through_boundary(read) == (404, False)
