"""The invoice review workflow through `langgraph_sdk` against both servers: a clean invoice paid
straight through, an invoice from a document read on the server, and an anomaly decided by a
clerk whose identity comes from the API key; paying what was paid already is refused with the
reason and the gate stays open."""

from __future__ import annotations

import json

import httpx
import pytest

from agents.invoice_review.documents import invoice_input
from tests.conftest import ROOT
from tests.server.conftest import Server

INVOICES = ROOT / "data" / "samples" / "invoice_review"

pytestmark = pytest.mark.slow


def _invoice(name: str) -> dict[str, object]:
    return dict(json.loads((INVOICES / f"{name}.json").read_text(encoding="utf-8")))


def test_a_clean_invoice_is_paid_and_a_resent_one_is_never_paid_twice(server: Server) -> None:
    client = server.client("alice")
    thread = client.threads.create()["thread_id"]
    final = client.runs.wait(thread, "invoice_review", input=_invoice("01_clean_straight_through"))
    assert isinstance(final, dict) and final["decision"]["outcome"] == "paid"
    assert final["decision"]["payment"]["payment_id"].startswith("PAY-")

    again = client.threads.create()["thread_id"]
    client.runs.wait(again, "invoice_review", input=_invoice("01_clean_straight_through"))
    waiting = client.threads.get_state(again)
    assert waiting["next"] == ["review_gate"]
    packet = waiting["interrupts"][0]["value"]
    assert packet["recommendation"] == "decline"
    assert "duplicate" in {reason["rule"] for reason in packet["reasons"]}
    approve = {"resume": {"action": "approve", "reviewer": "x", "note": "pay"}}
    with pytest.raises(httpx.HTTPStatusError) as refused:  # 422 saying why
        server.client("rita").runs.wait(again, "invoice_review", command=approve)
    assert refused.value.response.status_code == 422
    assert "never paid twice" in refused.value.response.json()["detail"]
    state = server.client("alice").threads.get_state(again)
    assert state["next"] == ["review_gate"] and not state["values"].get("decision")


def test_a_document_is_read_and_an_anomaly_decided_by_a_clerk(server: Server) -> None:
    client = server.client("alice")
    document = client.threads.create()["thread_id"]
    read = client.runs.wait(
        document,
        "invoice_review",
        input=invoice_input(INVOICES / "12_clean_document.txt"),
    )
    assert isinstance(read, dict) and read["intake"]["value"]["read_from"] == "document"
    assert read["decision"]["outcome"] == "paid"

    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, "invoice_review", input=_invoice("02_price_above_po"))
    assert client.threads.get_state(thread)["next"] == ["review_gate"]
    final = server.client("rita").runs.wait(
        thread,
        "invoice_review",
        command={"resume": {"action": "approve", "reviewer": "Not Rita", "note": "price agreed"}},
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "paid"
    assert final["decision"]["decided_by"] == "rita"
