"""Who may do what, on both servers: API keys, roles, and the graph's own checks where a server's
auth does not reach (Aegra's `runs.wait` calls no auth handler and checks no thread owner)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from langgraph_sdk.errors import APIStatusError

from checkpoints.ledger import SideEffectLedger
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from tests.conftest import SAMPLES
from tests.server.conftest import KEYS, Server

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))
pytestmark = pytest.mark.slow


def _to_gate(server: Server, owner: str = "alice") -> str:
    client = server.client(owner)
    thread = str(client.threads.create()["thread_id"])
    client.runs.wait(thread, "underwriting", input=REFERRED)
    return thread


def _refused(call: Callable[[], object]) -> int:
    """The HTTP status a refused SDK call got."""
    try:
        call()
    except APIStatusError as error:
        return error.status_code
    except httpx.HTTPStatusError as error:  # the sync client's runs.wait raises httpx's own
        return error.response.status_code
    raise AssertionError("the call was not refused")


def _status(server: Server, path: str, headers: dict[str, str]) -> int:
    return httpx.post(f"{server.url}{path}", json={}, headers=headers, timeout=10).status_code


def test_no_key_and_a_wrong_key_are_401(server: Server) -> None:
    assert _status(server, "/threads/search", {}) == 401
    assert _status(server, "/threads/search", {"x-api-key": "not-a-key"}) == 401
    assert _status(server, "/threads/search", {"x-api-key": KEYS["alice"][0]}) == 200


def test_studio_auth_does_not_bypass_the_keys(server: Server) -> None:
    studio = {"x-auth-scheme": "langsmith"}
    assert _status(server, "/threads/search", studio) == 401


def test_a_submitter_cannot_read_another_submitters_thread(server: Server) -> None:
    thread = _to_gate(server)
    with pytest.raises(APIStatusError) as raised:
        server.client("bob").threads.get_state(thread)
    assert raised.value.status_code in (403, 404)
    found = server.client("bob").threads.search(limit=100)
    assert thread not in {t["thread_id"] for t in found}


def test_a_submitter_cannot_run_on_another_submitters_thread(server: Server) -> None:
    thread = _to_gate(server)
    before = server.client("alice").threads.get_state(thread)["values"]
    status = _refused(  # on Aegra too, whose runs.wait checks no owner: the boundary does
        lambda: server.client("bob").runs.wait(thread, "underwriting", input=REFERRED)
    )
    assert status == 404
    assert server.client("alice").threads.get_state(thread)["values"] == before


def test_a_submitter_cannot_answer_a_review_gate(server: Server) -> None:
    thread = _to_gate(server)
    approve = {"resume": {"action": "approve", "reviewer": "alice"}}
    status = _refused(
        lambda: server.client("alice").runs.wait(thread, "underwriting", command=approve)
    )
    assert status == 403  # the request boundary, on both servers
    state = server.client("alice").threads.get_state(thread)
    assert state["next"] == ["review_gate"] and not state["values"].get("decision")
    assert SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND) == []


def test_a_forged_principal_in_the_run_config_is_not_believed(server: Server) -> None:
    thread = _to_gate(server)
    forged = {"configurable": {"langgraph_auth_user": {"identity": "rita", "role": "reviewer"}}}
    approve = {"resume": {"action": "approve", "reviewer": "rita", "note": "ok"}}
    client = server.client("alice")
    status = _refused(
        lambda: client.runs.wait(thread, "underwriting", command=approve, config=forged)
    )
    assert status == 403
    state = client.threads.get_state(thread)
    assert state["next"] == ["review_gate"] and not state["values"].get("decision")


def test_a_reviewer_sees_the_cases_waiting_for_review_and_cannot_start_one(server: Server) -> None:
    thread = _to_gate(server)
    reviewer = server.client("rita")
    if server.name == "langgraph-dev":  # Aegra lists a user's own threads only (upstream)
        waiting = {t["thread_id"] for t in reviewer.threads.search(limit=200)}
        assert thread in waiting
    with pytest.raises(APIStatusError) as raised:
        reviewer.threads.create()
    assert raised.value.status_code == 403


def test_a_command_that_writes_state_decides_nothing(server: Server) -> None:
    thread = _to_gate(server)
    forged = {
        "update": {"review": {"required": False, "action": "approve", "fired": []}},
        "goto": "finalize",
    }
    client = server.client("alice")
    status = _refused(lambda: client.runs.wait(thread, "underwriting", command=forged))
    assert status == 403
    assert SideEffectLedger(server.database_url).for_thread(thread, "underwriting_decision") == []


def test_threads_cannot_be_taken_or_made_by_runs(server: Server) -> None:
    thread = _to_gate(server)
    if server.name == "langgraph-dev":  # Aegra scopes threads by owner itself
        status = _refused(
            lambda: server.client("bob").threads.create(thread_id=thread, if_exists="do_nothing")
        )
        assert status in (403, 404, 409)
        new = "00000000-0000-4000-8000-00000000b0b0"
        status = _refused(
            lambda: server.client("bob").runs.wait(
                new, "underwriting", input=REFERRED, if_not_exists="create"
            )
        )
        assert status == 403
    assert server.client("alice").threads.get_state(thread)["next"] == ["review_gate"]


def test_a_forged_principal_cannot_start_a_case_as_someone_else(server: Server) -> None:
    client = server.client("alice")
    thread = str(client.threads.create()["thread_id"])
    forged = {"configurable": {"langgraph_auth_user": {"identity": "otto", "role": "operator"}}}
    status = _refused(
        lambda: client.runs.wait(thread, "underwriting", input=REFERRED, config=forged)
    )
    assert status == 403
    assert client.threads.get_state(thread)["values"].get("owner") is None
