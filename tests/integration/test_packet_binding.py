"""Decisions bound to the packet they answer: a review decision names the packet's content hash,
and a case that changed since it was shown (a rollback with a corrected input) refuses it with
the new packet, through the command line and through the Python API, and records nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from langgraph.types import Command

from checkpoints.ledger import SideEffectLedger
from graphs.kit.errors import StaleReviewPacket
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.kit.runtime import open_workflow
from schemas.review import ReviewPacket
from tests.conftest import load_sample
from tests.integration.cli_helpers import baton, run_sample
from tests.integration.test_rollback import CLEAN_RISK_INPUT

RISKIER = {
    **CLEAN_RISK_INPUT,
    "construction_type": "frame",
    "year_built": 1950,
    "sprinklered": False,
    "years_in_business": 1,
}
"""A corrected risk input that still stops the case for review, with other evidence."""


def _packet_hash(monkeypatch: pytest.MonkeyPatch, url: str, thread: str) -> str:
    [gate] = baton(monkeypatch, url, "status", thread, "--json")["waiting"]
    packet_hash: str = gate["packet"]["packet_hash"]
    assert len(packet_hash) == 64
    return packet_hash


def _corrected(monkeypatch: pytest.MonkeyPatch, url: str, thread: str, folder: Path) -> None:
    path = folder / "risk-input.json"
    path.write_text(json.dumps(RISKIER))
    report = baton(
        monkeypatch, url, "rollback", thread, "--to", "risk", "--input", str(path),
        "--by", "Ops Olga", "--reason", "broker sent the right construction", "--json",
    )  # fmt: skip
    assert report["status"] == "awaiting_review"


def test_a_decision_on_a_packet_the_case_no_longer_shows_is_refused_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "stale-cli"
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", thread)
    seen = _packet_hash(monkeypatch, database_url, thread)
    _corrected(monkeypatch, database_url, thread, tmp_path)
    now = _packet_hash(monkeypatch, database_url, thread)
    assert now != seen

    out = baton(
        monkeypatch, database_url, "review", thread, "--approve", "--note", "fine",
        "--reviewer", "Dana Lee", "--packet", seen[:12], "--json", code=2,
    )  # fmt: skip
    refused, _ = json.JSONDecoder().raw_decode(out[out.index("{") :])
    assert refused["field"] == "packet" and refused["error"].startswith("stale packet")
    assert seen[:12] in refused["error"] and now[:12] in refused["error"]
    assert refused["packet"]["packet_hash"] == now  # the reviewer sees the new packet
    shown = baton(
        monkeypatch, database_url, "review", thread, "--approve", "--note", "fine",
        "--reviewer", "Dana Lee", "--packet", seen, code=2,
    )  # fmt: skip
    assert "stale packet" in shown and f"--packet {now[:12]}" in shown
    assert SideEffectLedger(database_url).for_thread(thread, REVIEW_DECISION_KIND) == []
    assert baton(monkeypatch, database_url, "status", thread, "--json")["status"] == (
        "awaiting_review"
    )

    done = baton(
        monkeypatch, database_url, "review", thread, "--reject", "--reviewer", "Dana Lee",
        "--packet", now[:12], "--json",
    )  # fmt: skip
    assert done["status"] == "completed" and done["outcome"] == "declined"
    [record] = SideEffectLedger(database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert record["payload"]["decision"]["packet"] == now  # the full hash it was applied to


def test_a_decision_naming_no_packet_is_recorded_with_the_packet_it_was_applied_to(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    thread = "unbound"
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", thread)
    shown = _packet_hash(monkeypatch, database_url, thread)
    baton(monkeypatch, database_url, "review", thread, "--reject", "--reviewer", "Dana Lee")
    [record] = SideEffectLedger(database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert record["payload"]["decision"]["packet"] == shown


def test_the_python_api_refuses_a_stale_packet_and_the_gate_refuses_it_too(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    thread = "stale-api"
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", thread)
    seen = _packet_hash(monkeypatch, database_url, thread)
    _corrected(monkeypatch, database_url, thread, tmp_path)
    decision = {"action": "reject", "reviewer": "Dana Lee", "packet": seen}
    with open_workflow("underwriting", database_url) as flow:
        with pytest.raises(StaleReviewPacket, match="stale packet") as raised:
            flow.resume(thread, decision)
        assert raised.value.packet["packet_hash"] != seen
        # Past the runtime's check (a change between reading and sending): the gate itself
        # refuses it and stays open, asking again with the new packet.
        [gate] = flow.report(thread).waiting
        flow.graph.invoke(Command(resume={gate.interrupt_id: decision}), flow.config(thread))
        [again] = flow.report(thread).waiting
        assert again.packet["refused"][-1].startswith("stale packet")
        assert again.packet["packet_hash"] == gate.packet["packet_hash"]
    assert SideEffectLedger(database_url).for_thread(thread, REVIEW_DECISION_KIND) == []


def _packet(**changes: object) -> ReviewPacket:
    base: dict[str, object] = {
        "workflow": "underwriting",
        "gate": "review_gate",
        "subject": "Bind SUB-1?",
        "recommendation": "approve",
        "reasons": [],
        "evidence": {"risk": {"band": "high"}},
        "allowed_actions": ["approve", "reject"],
    }
    return ReviewPacket.model_validate({**base, **changes})


def test_the_packet_hash_covers_what_is_shown_and_not_the_generated_summary() -> None:
    plain = _packet()
    summarised = _packet(summary={"model": "m", "text": "a summary"})
    assert plain.content_hash() == summarised.content_hash()
    assert plain.content_hash() != _packet(evidence={"risk": {"band": "severe"}}).content_hash()
    assert plain.content_hash() != _packet(subject="Bind SUB-2?").content_hash()
    hashed = _packet(packet_hash=plain.content_hash())
    assert hashed.content_hash() == plain.content_hash()  # the hash is not part of itself


def test_a_change_to_a_sensitive_field_the_packet_shows_redacted_changes_the_packet(
    database_url: str,
) -> None:
    sample = load_sample("02_high_risk_referral")

    def documents(address: str) -> dict[str, object]:
        changed = copy.deepcopy(sample["documents"])
        changed[0]["content"] = changed[0]["content"].replace("400 Bayfront Rd", address)
        return {"submission_id": sample["submission_id"], "documents": changed}

    with open_workflow("underwriting", database_url) as flow:
        flow.start(sample, thread_id="hidden")
        first = flow.rollback("hidden", "intake", documents("111 Bayfront Rd"), by="op")
        second = flow.rollback("hidden", "intake", documents("999 Oakwood Dr "), by="op")
        seen, now = (r.waiting[0].packet["packet_hash"] for r in (first, second))
        # The address is shown redacted, the same length both times: the hash still tells them apart.
        assert json.dumps(first.waiting[0].packet["evidence"]).count("111 Bayfront") == 0
        assert seen != now
        with pytest.raises(StaleReviewPacket):
            flow.resume("hidden", {"action": "reject", "reviewer": "Dana", "packet": seen})


def test_after_a_refused_second_answer_the_queue_still_shows_the_packet_the_gate_asks_with(
    database_url: str,
) -> None:
    from checkpoints.human_queue import HumanQueue
    from graphs.kit.errors import ReviewRefused

    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="four-eyes-queue")
        first = {"action": "approve", "reviewer": "Dana", "note": "false match"}
        flow.resume("four-eyes-queue", first)
        with pytest.raises(ReviewRefused):  # the first reviewer cannot be the second
            flow.resume("four-eyes-queue", first)
        [gate] = flow.report("four-eyes-queue").waiting
        [queued] = HumanQueue(database_url).of_thread("four-eyes-queue")
        assert queued.packet_hash == gate.packet["packet_hash"]
        assert queued.awaiting_second_review and "Dana" in queued.awaiting_second_review
        second = {"action": "approve", "reviewer": "Sam", "packet": queued.packet_hash}
        done = flow.resume("four-eyes-queue", {**second, "note": "false match"})
        assert done.status == "completed"
