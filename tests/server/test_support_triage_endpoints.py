"""The support triage workflow through `langgraph_sdk` against both servers: a clear message routed
by the soft vote; a message nobody can classify waits in the human queue (listed by `baton queue`
from Baton's database) until a reviewer, identified by their API key, amends its intent."""

from __future__ import annotations

import json

import pytest

from agents.support_triage.training import train
from graphs.kit.runtime import queued_cases
from tests.conftest import ROOT
from tests.server.conftest import Server

SAMPLES = ROOT / "data" / "samples" / "support_triage"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def trained() -> None:
    train()


def _ticket(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_a_clear_message_is_routed_by_the_soft_vote(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    final = client.runs.wait(thread, "support_triage", input=_ticket("01_card_arrival_settled"))
    assert isinstance(final, dict)
    assert final["decision"]["outcome"] == "routed"
    assert (final["decision"]["intent"], final["decision"]["team"]) == ("card_arrival", "cards")
    assert final["ballot"]["outcome"] == "weighted" and final["ballot"]["method"] == "soft"
    assert final["decision"]["decided_by"] == "vote"


def test_an_unclassifiable_message_waits_in_the_queue_for_a_reviewer(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "support_triage", input=_ticket("03_unclear_goes_to_queue"))
    waiting = client.threads.get_state(thread)
    assert waiting["next"] == ["review_gate"]
    packet = waiting["interrupts"][0]["value"]
    assert "escalated" in {reason["rule"] for reason in packet["reasons"]}
    # The gate queues the case in Baton's database, so `baton queue` lists it.
    waiting_threads = [case.thread_id for case in queued_cases(None, server.database_url)]
    assert thread in waiting_threads

    final = server.client("rita").runs.wait(
        thread,
        "support_triage",
        command={
            "resume": {
                "action": "amend",
                "reviewer": "Not Rita",
                "corrections": {"intent": "card_not_working"},
            }
        },
    )
    assert isinstance(final, dict)
    assert final["decision"]["outcome"] == "routed_by_reviewer"
    assert final["decision"]["decided_by"] == "rita"
    assert final["decision"]["intent"] == "card_not_working"
    assert thread not in [case.thread_id for case in queued_cases(None, server.database_url)]
