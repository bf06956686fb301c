"""The reviewer inbox's JSON API on real servers (`langgraph dev` on PostgreSQL and on SQLite, and
Aegra on PostgreSQL): the
queue across workflows for a reviewer, a case whole, a decision that completes the run (read back
through `langgraph_sdk`), an amendment checked field by field, a stale packet refused, one's own
case refused, and every route refused to a submitter and to a missing or unknown key — always a
4xx with a message, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import SAMPLES
from tests.server.conftest import KEYS, Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize(
        "server", ["langgraph-dev", "aegra", "langgraph-dev-sqlite"], indirect=True
    ),
]

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))


def _call(
    server: Server, user: str | None, method: str, path: str, body: Any = None
) -> httpx.Response:
    headers = {"x-api-key": KEYS[user][0]} if user else {}
    return httpx.request(
        method, f"{server.url}/inbox/api{path}", json=body, headers=headers, timeout=120
    )


def _waiting(server: Server, user: str = "alice") -> str:
    client = server.client(user)
    thread = str(client.threads.create()["thread_id"])
    client.runs.wait(thread, "underwriting", input=REFERRED)
    return thread


def test_a_reviewer_sees_the_queue_opens_a_case_and_decides_it(server: Server) -> None:
    thread = _waiting(server)
    listed = _call(server, "rita", "GET", "/cases")
    assert listed.status_code == 200, listed.text
    [row] = [case for case in listed.json()["cases"] if case["thread_id"] == thread]
    assert row["workflow"] == "underwriting" and row["started_by"] == "alice"
    assert any(reason.startswith("high_risk") for reason in row["reasons"])
    assert listed.json()["reader"] == {"identity": "rita", "role": "reviewer"}
    filtered = _call(server, "rita", "GET", "/cases?workflow=contract_review").json()["cases"]
    assert thread not in {case["thread_id"] for case in filtered}
    searched = _call(server, "rita", "GET", "/cases?q=pelican").json()["cases"]
    assert thread in {case["thread_id"] for case in searched}

    case = _call(server, "rita", "GET", f"/cases/{thread}")
    assert case.status_code == 200, case.text
    detail = case.json()
    assert detail["may_decide"] is True and detail["status"] == "awaiting_review"
    [gate] = detail["gates"]
    assert {field["name"] for field in gate["amendment"]} == {
        "limit", "deductible", "annual_premium",
    }  # fmt: skip
    assert detail["results"]["risk"]["status"] == "ok"
    assert any(event["kind"] == "gate_fired" for event in detail["history"])

    decided = _call(
        server, "rita", "POST", f"/cases/{thread}/decision",
        {"action": "reject", "note": "too risky", "packet": gate["packet"]["packet_hash"]},
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    state = server.client("alice").threads.get_state(thread)
    assert state["next"] == [] and state["values"]["decision"]["outcome"] == "declined"
    assert state["values"]["decision"]["decided_by"] == "rita"
    gone = _call(server, "rita", "GET", f"/cases/{thread}")
    assert gone.status_code == 404 and "no case waiting" in gone.json()["detail"]
    # An operator sees every case: the recent threads, and a completed case whole.
    assert "recent_threads" not in listed.json()
    operator = _call(server, "otto", "GET", "/cases").json()
    assert thread in {row["thread_id"] for row in operator["recent_threads"]}
    done = _call(server, "otto", "GET", f"/cases/{thread}")
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_an_amendment_is_checked_field_by_field_before_the_run_resumes(server: Server) -> None:
    thread = _waiting(server)
    [gate] = _call(server, "rita", "GET", f"/cases/{thread}").json()["gates"]
    packet = gate["packet"]["packet_hash"]
    bad = _call(
        server, "rita", "POST", f"/cases/{thread}/decision",
        {"action": "amend", "packet": packet, "note": "n",
         "corrections": {"limit": "lots", "colour": "red"}},
    )  # fmt: skip
    assert bad.status_code == 422
    fields = bad.json()["fields"]
    assert set(fields) == {"corrections.limit", "corrections.colour"}
    assert "number" in fields["corrections.limit"] or "float" in fields["corrections.limit"]
    assert "cannot be amended" in fields["corrections.colour"]
    missing = _call(server, "rita", "POST", f"/cases/{thread}/decision", {"action": "approve"})
    assert missing.status_code == 422 and "packet" in missing.json()["fields"]
    still = _call(server, "rita", "GET", f"/cases/{thread}")
    assert still.status_code == 200 and still.json()["status"] == "awaiting_review"


def test_a_stale_packet_and_ones_own_case_are_refused(server: Server) -> None:
    thread = _waiting(server, "otto")  # an operator started it
    [gate] = _call(server, "otto", "GET", f"/cases/{thread}").json()["gates"]
    own = _call(
        server, "otto", "POST", f"/cases/{thread}/decision",
        {"action": "reject", "packet": gate["packet"]["packet_hash"]},
    )  # fmt: skip
    assert own.status_code == 403 and "started this case" in own.json()["detail"]
    assert _call(server, "otto", "GET", f"/cases/{thread}").json()["may_decide"] is False
    stale = _call(
        server, "rita", "POST", f"/cases/{thread}/decision",
        {"action": "reject", "packet": "0" * 64},
    )  # fmt: skip
    assert stale.status_code == 409 and "stale packet" in stale.json()["detail"]
    assert stale.json()["fields"] == {"packet": stale.json()["detail"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/cases"), ("GET", "/cases/t-1"), ("POST", "/cases/t-1/decision")],
)
def test_every_route_refuses_a_submitter_and_a_missing_or_unknown_key(
    server: Server, method: str, path: str
) -> None:
    body = {"action": "approve", "packet": "0" * 64} if method == "POST" else None
    submitter = _call(server, "alice", method, path, body)
    assert submitter.status_code == 403 and "reviewers and operators" in submitter.json()["detail"]
    assert _call(server, None, method, path, body).status_code == 401
    unknown = httpx.request(
        method, f"{server.url}/inbox/api{path}", json=body,
        headers={"x-api-key": "nobody-key"}, timeout=30,
    )  # fmt: skip
    assert unknown.status_code == 401 and "not known" in unknown.json()["detail"]


def test_bad_requests_are_4xx_with_a_message(server: Server) -> None:
    assert _call(server, "rita", "GET", "/cases?workflow=nope").status_code == 400
    assert _call(server, "rita", "GET", "/cases/no-such-thread").status_code == 404
    assert _call(server, "otto", "GET", "/cases/no-such-thread").status_code == 404
    bad_id = _call(server, "rita", "GET", "/cases/%20bad%20id")
    assert bad_id.status_code == 400
    not_json = httpx.post(
        f"{server.url}/inbox/api/cases/t-1/decision", content=b"{nope",
        headers={"x-api-key": KEYS["rita"][0], "content-type": "application/json"}, timeout=30,
    )  # fmt: skip
    assert 400 <= not_json.status_code < 500 and not_json.json()["detail"]


def test_a_second_reviewer_confirms_and_the_first_may_not(server: Server) -> None:
    client = server.client("alice")
    thread = str(client.threads.create()["thread_id"])
    sanctions = json.loads((SAMPLES / "03_sanctions_hit.json").read_text(encoding="utf-8"))
    client.runs.wait(thread, "underwriting", input=sanctions)
    [gate] = _call(server, "rita", "GET", f"/cases/{thread}").json()["gates"]
    first = {"action": "approve", "note": "a false match", "packet": gate["packet"]["packet_hash"]}
    assert _call(server, "rita", "POST", f"/cases/{thread}/decision", first).status_code == 200
    waiting = _call(server, "rita", "GET", f"/cases/{thread}").json()
    assert waiting["may_decide"] is False and "first decision" in waiting["why_not"]
    [again] = waiting["gates"]
    [row] = [
        c
        for c in _call(server, "rita", "GET", "/cases").json()["cases"]
        if c["thread_id"] == thread
    ]
    assert row["packet_hash"] == again["packet"]["packet_hash"] != first["packet"]
    assert "rita" in row["awaiting_second_review"]
    refused = _call(
        server, "rita", "POST", f"/cases/{thread}/decision", {**first, "packet": row["packet_hash"]}
    )
    assert refused.status_code == 403 and "first decision" in refused.json()["detail"]
    confirmed = _call(
        server, "otto", "POST", f"/cases/{thread}/decision",
        {**first, "packet": row["packet_hash"]},
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    assert "1 Ocean Terminal Way" not in confirmed.text  # the run's result comes back redacted
    state = client.threads.get_state(thread)
    assert state["values"]["decision"]["outcome"] == "approved"
