"""The invoice review workflow on SQLite and PostgreSQL, from Python and the command line: every
shipped sample to its anomaly, a clean invoice paid straight through once, a re-submission never
paid twice (whatever thread approves it), a clerk's decision, a document read from text and
PDF, rollback, the queue and the trace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.invoice_review.ap_db import vendor_invoices
from agents.invoice_review.documents import invoice_input
from graphs.kit.runtime import open_workflow, queued_cases
from schemas.trace import EventKind
from tests.conftest import ROOT
from tests.integration.cli_helpers import baton

SAMPLES = ROOT / "data" / "samples" / "invoice_review"
EXPECTED = {
    "01_clean_straight_through": ("completed", set()),
    "02_price_above_po": ("awaiting_review", {"price_above_po"}),
    "03_quantity_above_received": ("awaiting_review", {"quantity_above_received"}),
    "04_arithmetic": ("awaiting_review", {"arithmetic"}),
    "05_duplicate_of_paid": ("awaiting_review", {"duplicate", "quantity_above_received"}),
    "06_bank_details_changed": ("awaiting_review", {"bank_details_changed"}),
    "07_no_po": ("awaiting_review", {"no_po"}),
    "08_currency_mismatch": ("awaiting_review", {"currency_mismatch"}),
    "09_unknown_vendor": ("awaiting_review", {"unknown_vendor", "no_po"}),
    "10_blocked_vendor": ("awaiting_review", {"blocked_vendor"}),
    "11_not_on_po": ("awaiting_review", {"not_on_po"}),
}


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _kinds(flow: Any, thread: str) -> set[str]:
    values = flow.graph.get_state(flow.config(thread)).values
    return set(values["assessment"]["value"]["kinds"])


def test_every_shipped_sample_has_an_expectation() -> None:
    shipped = {path.stem for path in SAMPLES.glob("*.json")}
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_finds_its_planted_anomaly(sqlite_url: str, name: str) -> None:
    status, kinds = EXPECTED[name]
    with open_workflow("invoice_review", sqlite_url) as flow:
        report = flow.start(sample(name), thread_id="t")
        assert report.status == status
        assert _kinds(flow, "t") == kinds
    if kinds:
        assert report.packet is not None
        fired = {reason["rule"] for reason in report.packet["reasons"]}
        assert kinds <= fired


def test_a_clean_invoice_is_paid_straight_through_once(database_url: str) -> None:
    invoice = sample("01_clean_straight_through")
    with open_workflow("invoice_review", database_url) as flow:
        first = flow.start(invoice, thread_id="first")
        again = flow.start({**invoice, "invoice_id": "AP-RESENT"}, thread_id="again")
        refused = pytest.raises(ValueError, match="never paid twice")
        with refused:
            flow.resume("again", {"action": "approve", "reviewer": "Ann", "note": "pay it"})
        rejected = flow.resume("again", {"action": "reject", "reviewer": "Ann"})
    assert first.decision is not None and first.decision["outcome"] == "paid"
    payment = first.decision["payment"]
    assert payment["amount"] == invoice["total"] or float(payment["amount"]) == invoice["total"]
    assert payment["pay_to"].startswith("…")
    assert again.status == "awaiting_review" and again.packet is not None
    assert again.packet["recommendation"] == "decline"
    assert rejected.decision is not None and rejected.decision["outcome"] == "rejected"
    paid = [row for row in vendor_invoices(database_url, invoice["vendor_id"]) if row["thread_id"]]
    assert [(row["invoice_number"], row["thread_id"]) for row in paid] == [
        (invoice["invoice_number"], "first")
    ]


def test_a_respelt_number_approved_in_two_threads_at_once_is_paid_once(sqlite_url: str) -> None:
    """Two submissions of one invoice, its number spelt two ways, both waiting for a clerk before
    either is paid (the duplicate check saw nothing paid yet): the first approval pays, the
    second is recorded as not paid."""
    invoice = {**sample("02_price_above_po")}
    respelt = {**invoice, "invoice_id": "AP-X2", "invoice_number": f" {invoice['invoice_number']}."}
    approve = {"action": "approve", "reviewer": "Ann", "note": "buyer agreed the price"}
    with open_workflow("invoice_review", sqlite_url) as flow:
        flow.start(invoice, thread_id="one")
        flow.start(respelt, thread_id="two")
        paid = flow.resume("one", approve)
        second = flow.resume("two", approve)
    assert paid.decision is not None and paid.decision["outcome"] == "paid"
    assert second.decision is not None and second.decision["outcome"] == "not_paid"
    assert second.decision["payment"] is None
    assert any("never paid twice" in reason for reason in second.decision["reasons"])


def test_paying_over_an_anomaly_needs_a_note_and_bank_changes_need_four_eyes(
    sqlite_url: str,
) -> None:
    with open_workflow("invoice_review", sqlite_url) as flow:
        flow.start(sample("06_bank_details_changed"), thread_id="bank")
        with pytest.raises(ValueError, match="needs a note"):
            flow.resume("bank", {"action": "approve", "reviewer": "Ann"})
        first = flow.resume(
            "bank", {"action": "approve", "reviewer": "Ann", "note": "called the vendor"}
        )
        assert first.status == "awaiting_review"
        waiting = [c for c in queued_cases("invoice_review", sqlite_url) if c.thread_id == "bank"]
        assert waiting[0].awaiting_second_review is not None
        assert waiting[0].awaiting_second_review.startswith("Ann chose approve")
        with pytest.raises(ValueError):
            flow.resume("bank", {"action": "approve", "reviewer": "Ann", "note": "again"})
        done = flow.resume("bank", {"action": "approve", "reviewer": "Bo", "note": "agreed"})
    assert done.decision is not None and done.decision["outcome"] == "paid"
    assert (
        done.decision["payment"]["pay_to"] != ""
        and "confirmed by a second reviewer, Bo" in (done.decision["reasons"])
    )


def test_an_unknown_or_blocked_vendor_is_never_paid(sqlite_url: str) -> None:
    with open_workflow("invoice_review", sqlite_url) as flow:
        for name in ("09_unknown_vendor", "10_blocked_vendor"):
            flow.start(sample(name), thread_id=name)
            with pytest.raises(ValueError, match="reject or refer"):
                flow.resume(name, {"action": "approve", "reviewer": "Ann", "note": "pay"})
            referred = flow.resume(name, {"action": "refer", "reviewer": "Ann"})
            assert referred.decision is not None and referred.decision["outcome"] == "referred"


@pytest.mark.parametrize("suffix", [".txt", ".pdf"])
def test_an_invoice_document_is_read_and_checked(sqlite_url: str, suffix: str) -> None:
    path = next(SAMPLES.glob(f"*_clean_document{suffix}"))
    with open_workflow("invoice_review", sqlite_url) as flow:
        report = flow.start(invoice_input(path), thread_id="doc")
        facts = flow.graph.get_state(flow.config("doc")).values["intake"]["value"]
        traced = json.dumps([event.model_dump(mode="json") for event in flow.traces.events("doc")])
    account = facts["remit_to"]["bank_account"]
    assert account not in traced and account.replace(" ", "") not in traced.replace(" ", "")
    assert report.status == "completed" and report.decision is not None
    assert report.decision["outcome"] == "paid"
    assert facts["read_from"] == "document" and len(facts["lines"]) >= 1


def test_a_document_that_does_not_say_what_is_needed_waits_for_a_clerk(sqlite_url: str) -> None:
    text = "INVOICE\nInvoice number: 77\nTotal due: 100.00\n"
    with open_workflow("invoice_review", sqlite_url) as flow:
        report = flow.start({"invoice_id": "AP-D1", "document": text}, thread_id="vague")
    assert report.status == "awaiting_review" and report.packet is not None
    reasons = " ".join(r["detail"] for r in report.packet["reasons"])
    assert "vendor id" in reasons and "invoice date" in reasons


def test_the_cli_runs_reviews_queues_traces_and_rolls_back_an_invoice(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    path = str(SAMPLES / "02_price_above_po.json")
    started = baton(
        monkeypatch, sqlite_url, "run", "invoice_review", path, "--thread-id", "p1", "--json"
    )
    assert started["status"] == "awaiting_review"
    queue = baton(monkeypatch, sqlite_url, "queue", "--json")
    assert [case["thread_id"] for case in queue["queue"]] == ["p1"]
    assert [c.thread_id for c in queued_cases("invoice_review", sqlite_url)] == ["p1"]
    rolled = baton(monkeypatch, sqlite_url, "rollback", "p1", "--to", "duplicates", "--json")
    assert rolled["status"] == "awaiting_review"
    out = baton(monkeypatch, sqlite_url, "review", "p1", "--approve", "--reviewer", "Ann", code=2)
    assert "needs a note" in out
    done = baton(
        monkeypatch, sqlite_url, "review", "p1", "--approve", "--reviewer", "Ann",
        "--note", "price agreed", "--json",
    )  # fmt: skip
    assert done["decision"]["outcome"] == "paid"
    trace = baton(monkeypatch, sqlite_url, "trace", "p1", "--json")
    kinds = {event["kind"] for event in trace["events"]}
    assert {EventKind.ROLLBACK, EventKind.SIDE_EFFECT} <= kinds
    handoffs = baton(monkeypatch, sqlite_url, "handoffs", "invoice_review", "--json")
    assert {"from": "assessment", "to": "review_gate"} in [
        {"from": e["from"], "to": e["to"]} for e in handoffs["handoffs"]
    ]


def test_bad_input_is_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    invoice = sample("01_clean_straight_through")
    del invoice["po_number"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**invoice, "total": "NaN"}), encoding="utf-8")
    out = baton(monkeypatch, sqlite_url, "run", "invoice_review", str(broken), code=2)
    assert "total" in out
    broken.write_text(json.dumps(invoice), encoding="utf-8")
    out = baton(monkeypatch, sqlite_url, "run", "invoice_review", str(broken), code=2)
    assert "po_number" in out
    both = tmp_path / "both.json"
    both.write_text(json.dumps({**sample("01_clean_straight_through"), "document": "x"}))
    out = baton(monkeypatch, sqlite_url, "run", "invoice_review", str(both), code=2)
    assert "not both" in out


def test_the_same_goods_billed_again_under_a_new_number_and_date_stop(sqlite_url: str) -> None:
    """No number or date check would see it: the three-way match counts what was paid for."""
    invoice = sample("01_clean_straight_through")
    rebilled = {**invoice, "invoice_id": "AP-AGAIN", "invoice_number": "INV-99001",
                "invoice_date": "2026-12-03"}  # fmt: skip
    with open_workflow("invoice_review", sqlite_url) as flow:
        assert flow.start(invoice, thread_id="paid").status == "completed"
        again = flow.start(rebilled, thread_id="again")
        assert again.status == "awaiting_review"
        assert _kinds(flow, "again") == {"quantity_above_received"}
    assert again.packet is not None
    reason = next(r for r in again.packet["reasons"] if r["rule"] == "quantity_above_received")
    assert "invoiced already" in reason["detail"]


def test_a_near_same_number_of_a_paid_invoice_is_never_paid(sqlite_url: str) -> None:
    invoice = sample("01_clean_straight_through")
    near = {**invoice, "invoice_id": "AP-NEAR", "invoice_number": invoice["invoice_number"] + "A"}
    approve = {"action": "approve", "reviewer": "Ann", "note": "the supplier confirmed it"}
    with open_workflow("invoice_review", sqlite_url) as flow:
        flow.start(invoice, thread_id="paid")
        flow.start(near, thread_id="near")
        with pytest.raises(ValueError, match="never paid twice"):
            flow.resume("near", approve)


def test_a_corrected_check_needs_a_note_and_a_second_clerk(sqlite_url: str) -> None:
    """An operator who re-runs the vendor check with the master's account cannot then pay the
    changed bank details alone."""
    invoice = sample("06_bank_details_changed")
    with open_workflow("invoice_review", sqlite_url) as flow:
        flow.start(invoice, thread_id="bank")
        master = flow.graph.get_state(flow.config("bank")).values
        assert master["vendor_check"]["value"]["bank_details_changed"]
        corrected = {"vendor_id": invoice["vendor_id"], "remit_to": invoice["remit_to"]}
        corrected["remit_to"] = {**invoice["remit_to"], "bank_account": _master_account(invoice)}
        rolled = flow.rollback("bank", "vendor_check", corrected, by="mallory")
        assert rolled.status == "awaiting_review"
        with pytest.raises(ValueError, match="operator corrected the input of vendor_check"):
            flow.resume("bank", {"action": "approve", "reviewer": "mallory"})
        first = flow.resume("bank", {"action": "approve", "reviewer": "mallory", "note": "ok"})
        assert first.status == "awaiting_review"  # a second, different clerk must confirm
        done = flow.resume("bank", {"action": "reject", "reviewer": "Bo"})
    assert done.decision is not None and done.decision["outcome"] == "rejected"


def _master_account(invoice: dict[str, Any]) -> str:
    import csv

    from agents.invoice_review.ap_db import REFERENCE_DIR

    with (REFERENCE_DIR / "vendors.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["vendor_id"] == invoice["vendor_id"])
    return row["bank_account"]


def test_a_rolled_back_paid_case_is_not_paid_again_and_a_rejection_says_the_payment_stands(
    sqlite_url: str,
) -> None:
    invoice = sample("01_clean_straight_through")
    with open_workflow("invoice_review", sqlite_url) as flow:
        paid = flow.start(invoice, thread_id="c1")
        assert paid.decision is not None and paid.decision["outcome"] == "paid"
        payment = paid.decision["payment"]["payment_id"]
        renumbered = {**invoice, "invoice_number": "INV-77777"}
        again = flow.rollback("c1", "intake", renumbered, by="otto")
        assert again.status == "awaiting_review"
        approved = flow.resume("c1", {"action": "approve", "reviewer": "Ann", "note": "fixed"})
        assert approved.status == "awaiting_review"  # four eyes after a correction
        approved = flow.resume("c1", {"action": "approve", "reviewer": "Bo", "note": "agreed"})
        assert approved.decision is not None and approved.decision["outcome"] == "not_paid"
        assert any(payment in reason for reason in approved.decision["reasons"])
        flow.rollback("c1", "duplicates", by="otto")
        rejected = flow.resume("c1", {"action": "reject", "reviewer": "Ann"})
    assert rejected.decision is not None and rejected.decision["outcome"] == "rejected"
    assert any(payment in r and "stands" in r for r in rejected.decision["reasons"])
    paid_rows = [r for r in vendor_invoices(sqlite_url, invoice["vendor_id"]) if r["thread_id"]]
    assert [r["payment_id"] for r in paid_rows] == [payment]
