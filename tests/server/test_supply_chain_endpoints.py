"""The supply-chain hierarchy through `langgraph_sdk` against both servers: a clean plan released
with each purchase order recorded once, and a plan where procurement and logistics wait at once,
each answered on its own by its interrupt id, by a reviewer whose identity comes from the API key."""

from __future__ import annotations

import json

import httpx
import pytest

from agents.supply_chain.plan import PURCHASE_ORDER_KIND
from checkpoints.ledger import SideEffectLedger
from tests.conftest import ROOT
from tests.server.conftest import Server

PLANS = ROOT / "data" / "samples" / "supply_chain"

pytestmark = pytest.mark.slow


def _plan(name: str) -> dict[str, object]:
    return dict(json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8")))


def test_a_clean_plan_is_released_and_each_order_recorded_once(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    final = client.runs.wait(thread, "supply_chain", input=_plan("01_clean"))
    assert isinstance(final, dict) and final["decision"]["outcome"] == "released"
    orders = final["decision"]["orders"]
    assert orders and {o["recorded"] for o in orders} == {"ordered"}
    recorded = SideEffectLedger(server.database_url).for_thread(thread, PURCHASE_ORDER_KIND)
    assert len(recorded) == len(orders)


def test_two_waiting_departments_are_answered_each_by_its_interrupt(server: Server) -> None:
    alice, rita = server.client("alice"), server.client("rita")
    thread = alice.threads.create()["thread_id"]
    alice.runs.wait(thread, "supply_chain", input=_plan("04_both_wait"))
    state = alice.threads.get_state(thread, subgraphs=True)
    assert sorted(state["next"]) == ["logistics", "procurement"]
    by_gate = {i["value"]["gate"]: i["id"] for i in state["interrupts"]}
    if server.name == "langgraph-dev":  # Aegra lets a thread's owner alone read or find it
        (found,) = [t for t in rita.threads.search(limit=100) if t["thread_id"] == thread]
        listed = [i["id"] for task in found["interrupts"].values() for i in task]
        assert sorted(listed) == sorted(by_gate.values())
    assert set(by_gate) == {"procurement_review", "logistics_review"}

    with pytest.raises(httpx.HTTPStatusError) as bare:  # one decision for two gates: refused
        rita.runs.wait(
            thread, "supply_chain", command={"resume": {"action": "approve", "reviewer": "x"}}
        )
    assert bare.value.response.status_code == 422
    detail = bare.value.response.json()["detail"]
    assert "procurement/procurement_review" in detail and "logistics/logistics_review" in detail
    answer = {"action": "approve", "reviewer": "Not Rita", "note": "risk accepted"}
    rita.runs.wait(
        thread, "supply_chain", command={"resume": {by_gate["logistics_review"]: answer}}
    )
    half = alice.threads.get_state(thread)
    assert half["next"] == ["procurement"]
    assert [i["id"] for i in half["interrupts"]] == [by_gate["procurement_review"]]

    final = rita.runs.wait(
        thread, "supply_chain", command={"resume": {by_gate["procurement_review"]: answer}}
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "released"
    state = alice.threads.get_state(thread)
    assert state["values"]["procurement"]["status"] == "ok"
    assert state["values"]["logistics"]["status"] == "ok"
