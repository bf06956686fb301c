"""The late-delivery investigation through `langgraph_sdk` against both servers, the shipments sent
inline: a late carrier found by consensus and cleared by policy; a supplier hidden behind its
country stops at the review gate with the board and the debate as evidence, and a reviewer,
identified by their API key, amends the finding; a period that ends before it starts is refused
with a 422 naming the field, and nothing runs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from agents.late_delivery.shipments_file import read_shipments
from tests.conftest import ROOT
from tests.server.conftest import Server

SAMPLES = ROOT / "data" / "samples" / "late_delivery"

pytestmark = pytest.mark.slow


def _question(name: str) -> dict[str, Any]:
    """The sample's question with its CSV's rows inline (a server refuses a path)."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    data["shipments"] = read_shipments(SAMPLES / data["shipments"])
    return data


def _planted(name: str) -> tuple[str, str]:
    planted = json.loads((SAMPLES / f"{name}.planted.json").read_text(encoding="utf-8"))
    return planted["planted"]["dimension"], planted["planted"]["value"]


def test_a_late_carrier_is_found_by_consensus_and_cleared(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    final = client.runs.wait(thread, "late_delivery", input=_question("01_carrier_late"))
    assert isinstance(final, dict)
    decision = final["decision"]
    assert (decision["dimension"], decision["value"]) == _planted("01_carrier_late")
    assert decision["dimension"] == "carrier"
    assert decision["outcome"] == "cleared"
    assert final["board"]
    assert final["debate"]["ending"]["rule"] == "consensus"


def test_a_confounded_finding_waits_for_a_reviewer_who_amends_it(server: Server) -> None:
    name = "09_confounded_supplier_behind_country"
    dimension, value = _planted(name)
    assert dimension == "supplier"
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "late_delivery", input=_question(name))
    waiting = client.threads.get_state(thread)
    assert waiting["next"] == ["review_gate"] and waiting["interrupts"]
    evidence = waiting["interrupts"][0]["value"]["evidence"]
    assert evidence["board"] and evidence["debate"]

    corrections = {"dimension": dimension, "value": value}
    amend = {"action": "amend", "reviewer": "Not Rita", "corrections": corrections}
    final = server.client("rita").runs.wait(thread, "late_delivery", command={"resume": amend})
    assert isinstance(final, dict)
    decision = final["decision"]
    assert (decision["dimension"], decision["value"]) == (dimension, value)
    assert decision["outcome"] == "cleared_by_reviewer"
    assert decision["decided_by"] == "rita"


def test_a_period_that_ends_before_it_starts_is_refused(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    broken = {
        **_question("01_carrier_late"),
        "period": {"start": "2025-09-30", "end": "2025-07-01"},
    }
    with pytest.raises(httpx.HTTPStatusError) as raised:  # 422 from the boundary, on both
        client.runs.wait(thread, "late_delivery", input=broken)
    assert raised.value.response.status_code == 422
    body = raised.value.response.json()
    assert body["field"] == "input.period" and "before it starts" in body["detail"]
    assert not client.threads.get_state(thread)["values"].get("decision")
