"""The request boundary on both servers: a caller chooses the case, never the infrastructure, and
anything its role may not set is refused with a 4xx naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest
from langgraph_sdk.errors import APIStatusError

from checkpoints.ledger import SideEffectLedger
from graphs.kit.review_gate import FIRST_REVIEW_KIND, REVIEW_DECISION_KIND
from tests.conftest import SAMPLES, fresh_postgres_database
from tests.server.conftest import KEYS, Server

pytestmark = pytest.mark.slow

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))
APPROVE = {"resume": {"action": "approve", "reviewer": "rita", "note": "checked"}}


def _to_gate(server: Server, owner: str = "alice") -> str:
    client = server.client(owner)
    thread = str(client.threads.create()["thread_id"])
    client.runs.wait(thread, "underwriting", input=REFERRED)
    return thread


def _refusal(call: Callable[[], object]) -> tuple[int, dict[str, Any]]:
    """The status and body of a refused SDK call."""
    try:
        call()
    except APIStatusError as error:
        return error.status_code, dict(error.body) if isinstance(error.body, dict) else {}
    except httpx.HTTPStatusError as error:
        return error.response.status_code, error.response.json()
    raise AssertionError("the call was not refused")


def _post(server: Server, user: str, path: str, body: object) -> httpx.Response:
    return httpx.post(
        server.url + path, json=body, headers={"x-api-key": KEYS[user][0]}, timeout=60
    )


def _tables(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        ).fetchall()
    return [row[0] for row in rows]


def test_no_caller_chooses_the_database(server: Server) -> None:
    """The reported attack: a run context pointing the ledger, the queue and the policy table at
    a database of the caller's choosing (and the server connecting to any address)."""
    with fresh_postgres_database("baton_attacker") as elsewhere:
        thread = str(server.client("alice").threads.create()["thread_id"])
        for user, body, field in (
            ("alice", {"context": {"database_url": elsewhere}}, "context"),
            ("alice", {"config": {"configurable": {"database_url": elsewhere}}}, "config"),
            ("otto", {"context": {"database_url": elsewhere}}, "context.database_url"),
            (
                "otto",
                {"config": {"configurable": {"database_url": elsewhere}}},
                "config.configurable.database_url",
            ),
        ):
            response = _post(
                server,
                user,
                f"/threads/{thread}/runs/wait",
                {"assistant_id": "underwriting", "input": REFERRED, **body},
            )
            assert response.status_code == 403, (user, body, response.text)
            assert response.json()["field"] == field
        assert _tables(elsewhere) == []  # nothing was written there, nor connected to
    assert server.client("alice").threads.get_state(thread)["values"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook": "http://127.0.0.1:9/hook"}, "webhook"),
        ({"metadata": {"tag": 1}}, "metadata"),
        ({"interrupt_before": ["quote"]}, "interrupt_before"),
        ({"durability": "exit"}, "durability"),
        ({"context": {"models": {"intake": "openai:gpt-4.1-mini"}}}, "context"),
        ({"config": {"recursion_limit": 1}}, "config"),
    ],
)
def test_a_submitter_steers_nothing_but_its_input(
    server: Server, body: dict[str, Any], field: str
) -> None:
    thread = str(server.client("alice").threads.create()["thread_id"])
    response = _post(
        server,
        "alice",
        f"/threads/{thread}/runs/wait",
        {"assistant_id": "underwriting", "input": REFERRED, **body},
    )
    assert response.status_code == 403 and response.json()["field"] == field
    assert field in response.json()["detail"]


def test_an_operator_chooses_models_only_from_the_allow_list(server: Server) -> None:
    thread = str(server.client("otto").threads.create()["thread_id"])
    response = _post(
        server,
        "otto",
        f"/threads/{thread}/runs/wait",
        {
            "assistant_id": "underwriting",
            "input": REFERRED,
            "context": {"models": {"intake": "openai:gpt-4.1-mini"}},
        },
    )
    assert response.status_code == 403
    assert response.json()["field"] == "context.models"
    assert "BATON_MODEL_ALLOWLIST" in response.json()["detail"]


def test_a_reviewers_seal_cannot_be_replayed_by_the_case_owner(server: Server) -> None:
    """The reported attack: the owner read the reviewer's sealed principal from its own case and
    replayed it to approve another of its cases."""
    answered, target = _to_gate(server), _to_gate(server)
    server.client("rita").runs.wait(answered, "underwriting", command=APPROVE)
    alice = server.client("alice")
    seen = json.dumps(alice.runs.list(answered), default=str)
    assert '"baton_seal": "' + "0" * 64 + '"' in seen or "baton_seal" not in seen
    rita_user = {"identity": "rita", "role": "reviewer", "baton_seal": "x" * 64}
    status, body = _refusal(
        lambda: alice.runs.wait(
            target,
            "underwriting",
            command=APPROVE,
            config={"configurable": {"langgraph_auth_user": rita_user}},
        )
    )
    assert status == 403 and body.get("field") in ("config", "command")
    assert alice.threads.get_state(target)["next"] == ["review_gate"]
    assert SideEffectLedger(server.database_url).for_thread(target, REVIEW_DECISION_KIND) == []


def test_a_submitter_gets_nothing_of_another_submitters_case(server: Server) -> None:
    thread = _to_gate(server)
    bob = server.client("bob")
    for call in (
        lambda: bob.runs.wait(thread, "underwriting", input=None),
        lambda: bob.runs.wait(thread, "underwriting", input=REFERRED),
        lambda: bob.runs.wait(thread, "underwriting", command=APPROVE),
        lambda: bob.runs.list(thread),
    ):
        status, body = _refusal(call)
        assert status in (403, 404)
        assert "Pelican" not in json.dumps(body) and "SUB-1002" not in json.dumps(body)


def test_a_reviewer_sees_the_waiting_cases_and_nothing_more(server: Server) -> None:
    waiting = _to_gate(server)
    done = str(server.client("alice").threads.create()["thread_id"])
    server.client("alice").runs.wait(
        done,
        "underwriting",
        input=json.loads((SAMPLES / "01_clean_straight_through.json").read_text()),
    )
    rita = server.client("rita")
    found = rita.threads.search(limit=100, status="idle")
    assert all(item["status"] == "interrupted" for item in found)
    assert done not in {item["thread_id"] for item in found}
    status, _ = _refusal(lambda: rita.threads.get_state(done))
    assert status == 404
    if server.name == "langgraph-dev":  # Aegra lets a thread's owner alone read it
        assert rita.threads.get_state(waiting)["next"] == ["review_gate"]


def test_the_second_of_two_reviewers_is_told_of_the_conflict(server: Server) -> None:
    thread = _to_gate(server)
    server.client("rita").runs.wait(thread, "underwriting", command=APPROVE)
    reject = {"resume": {"action": "reject", "reviewer": "late"}}
    for late in (server.client("rita"), server.client("otto")):
        status, body = _refusal(partial(late.runs.wait, thread, "underwriting", command=reject))
        assert status == 409 and "not waiting for review" in body["detail"]
    decisions = SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert [row["payload"]["decision"]["action"] for row in decisions] == ["approve"]


def test_of_two_reviewers_answering_at_once_one_decides_and_the_other_is_told(
    server: Server,
) -> None:
    """Both answers may pass the waiting check before either runs: the one whose run comes
    second reaches no gate (the case is decided), and is told so with a 409, not a 200 that
    recorded nothing of it nor a server's own 400."""
    from concurrent.futures import ThreadPoolExecutor

    thread = _to_gate(server)
    answers = {
        "rita": {"resume": {"action": "approve", "reviewer": "rita", "note": "fine"}},
        "otto": {"resume": {"action": "reject", "reviewer": "otto", "note": "no"}},
    }

    def answer(reviewer: str) -> int:
        call = partial(
            server.client(reviewer).runs.wait, thread, "underwriting", command=answers[reviewer]
        )
        try:
            call()
        except APIStatusError as error:
            return error.status_code
        except httpx.HTTPStatusError as error:
            return error.response.status_code
        return 200

    with ThreadPoolExecutor(2) as pool:
        statuses = dict(zip(answers, pool.map(answer, answers), strict=True))
    assert sorted(statuses.values()) == [200, 409], statuses
    decisions = SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert len(decisions) == 1
    winner = next(name for name, status in statuses.items() if status == 200)
    assert decisions[0]["payload"]["decision"]["action"] == answers[winner]["resume"]["action"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: {**s, "surprise": 1}, "input.surprise"),
        (lambda s: {**s, "broker": "Gulf\x00Coast"}, "input.broker"),
        (lambda s: {**s, "broker": "\ud800"}, "input.broker"),
    ],
)
def test_bad_input_is_refused_the_same_way_on_every_server(
    server: Server, change: Callable[[dict[str, Any]], dict[str, Any]], field: str
) -> None:
    thread = str(server.client("alice").threads.create()["thread_id"])
    body = json.dumps({"assistant_id": "underwriting", "input": change(REFERRED)})
    response = httpx.post(
        f"{server.url}/threads/{thread}/runs/wait",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"x-api-key": KEYS["alice"][0], "content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert server.client("alice").threads.get_state(thread)["values"] == {}


def test_thread_ids_are_checked_at_the_edge(server: Server) -> None:
    status, body = _refusal(lambda: server.client("alice").threads.create(thread_id="t" * 120))
    assert status == 422 and body["field"] == "thread_id"
    assert "1 to 64" in body["detail"]


def test_a_completed_case_takes_no_second_input(server: Server) -> None:
    """The reported defect: a second input on a completed thread replaced its submission id and
    documents under the agents' results and recorded a fresh decision for the new id."""
    client = server.client("alice")
    thread = str(client.threads.create()["thread_id"])
    straight = json.loads((SAMPLES / "01_clean_straight_through.json").read_text())
    client.runs.wait(thread, "underwriting", input=straight)
    before = client.threads.get_state(thread)["values"]
    status, body = _refusal(
        lambda: client.runs.wait(
            thread, "underwriting", input={**straight, "submission_id": "SUB-OTHER"}
        )
    )
    assert status == 409 and "already holds a case" in body["detail"]
    assert client.threads.get_state(thread)["values"] == before
    decisions = SideEffectLedger(server.database_url).for_thread(thread, "underwriting_decision")
    assert len(decisions) == 1


def test_no_one_answers_their_own_case_and_is_told_so(server: Server) -> None:
    thread = _to_gate(server, owner="otto")
    status, body = _refusal(
        lambda: server.client("otto").runs.wait(thread, "underwriting", command=APPROVE)
    )
    assert status == 403 and "started this case and may not review it" in body["detail"]
    assert SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND) == []


def test_four_eyes_on_a_server_take_two_keys(server: Server) -> None:
    """The sanctions-hit policy asks for a second reviewer: the first answer is taken (200, the
    case still waiting), the same key again is a 422 saying why, and another key confirms."""
    hit = json.loads((SAMPLES / "03_sanctions_hit.json").read_text(encoding="utf-8"))
    thread = str(server.client("alice").threads.create()["thread_id"])
    server.client("alice").runs.wait(thread, "underwriting", input=hit)
    server.client("rita").runs.wait(thread, "underwriting", command=APPROVE)
    [first] = SideEffectLedger(server.database_url).for_thread(thread, FIRST_REVIEW_KIND)
    assert first["payload"]["first"]["reviewer"] == "rita"
    status, body = _refusal(
        lambda: server.client("rita").runs.wait(thread, "underwriting", command=APPROVE)
    )
    assert status == 422 and "rita made the first decision" in body["detail"]
    server.client("otto").runs.wait(thread, "underwriting", command=APPROVE)
    decision = server.client("alice").threads.get_state(thread)["values"]["decision"]
    assert decision["outcome"] == "approved" and decision["decided_by"] == "rita"
    assert "confirmed by a second reviewer, otto" in decision["reasons"]
