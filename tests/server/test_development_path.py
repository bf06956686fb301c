"""The README's development path (`BATON_AUTH=off langgraph dev`) finishes a case that stops for
review, through `langgraph_sdk`: the one local developer starts and reviews its cases, and the
body's reviewer name is the one recorded."""

from __future__ import annotations

import json

import pytest
from langgraph_sdk import get_sync_client

from checkpoints.ledger import SideEffectLedger
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.server.dev import dev_server
from tests.conftest import SAMPLES, fresh_postgres_database

pytestmark = pytest.mark.slow


def test_a_developer_finishes_a_case_that_stops_for_review() -> None:
    referred = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))
    with fresh_postgres_database("baton_dev_path") as url, dev_server(url) as api:
        client = get_sync_client(url=api)
        thread = str(client.threads.create()["thread_id"])
        client.runs.wait(thread, "underwriting", input=referred)
        assert client.threads.get_state(thread)["next"] == ["review_gate"]
        client.runs.wait(
            thread,
            "underwriting",
            command={"resume": {"action": "reject", "reviewer": "Dana Lee", "note": "too risky"}},
        )
        state = client.threads.get_state(thread)
        assert state["next"] == [] and state["values"]["decision"]["outcome"] == "declined"
        decisions = SideEffectLedger(url).for_thread(thread, REVIEW_DECISION_KIND)
        assert [d["payload"]["decision"]["reviewer"] for d in decisions] == ["Dana Lee"]
