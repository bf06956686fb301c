"""The contract review workflow on its shipped CUAD samples, from Python and from the command line,
on SQLite and PostgreSQL: a clean contract cleared, one that loops back and then passes, one that
escalates to review after the loop cap, a high-risk one stopped for a lawyer, and bad input
refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.contract_review.documents import contract_input
from agents.documents import text_pdf
from checkpoints.ledger import SideEffectLedger
from graphs.contract_review import DECISION_KIND
from graphs.kit.errors import RequestError
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind
from tests.conftest import ROOT
from tests.integration.cli_helpers import baton

CONTRACTS = ROOT / "data" / "samples" / "contract_review"


def sample(name: str) -> dict[str, object]:
    return contract_input(CONTRACTS / f"{name}.txt")


def test_a_low_risk_contract_is_cleared_with_every_verdict_proceeding(database_url: str) -> None:
    with open_workflow("contract_review", database_url) as flow:
        report = flow.start(sample("01_services_agreement_low_risk"), thread_id="clean")
        values = flow.graph.get_state(flow.config("clean")).values
    assert report.status == "completed" and report.decision is not None
    assert report.decision["outcome"] == "cleared" and report.decision["band"] == "low"
    assert [v["verdict"]["kind"] for v in values["verdicts"]] == ["proceed"] * 4
    facts = values["extraction"]["value"]
    content = values["content"]
    for party in facts["parties"]:
        span = party["span"]
        assert content[span["start"] : span["end"]] == span["text"]
    assert len(values["clause_analysis"]["value"]["findings"]) == 41


def test_a_failed_check_loops_back_with_feedback_and_the_second_attempt_passes(
    database_url: str,
) -> None:
    with open_workflow("contract_review", database_url) as flow:
        report = flow.start(sample("02_content_license_loops_back"), thread_id="loop")
        values = flow.graph.get_state(flow.config("loop")).values
        loops = flow.traces.events("loop", EventKind.LOOP_BACK)
    assert report.status == "completed"
    first, second = values["verdicts"][:2]
    assert first["verdict"]["kind"] == "loop_back" and first["stage"] == "extraction"
    assert "is not after agreement_date 2007-02-19" in first["verdict"]["feedback"][0]
    assert second["verdict"]["kind"] == "proceed" and second["loop"] == 1
    assert values["extraction"]["value"]["expiration_date"]["on"] > "2007-02-19"
    assert values["loops"] == {"extraction": 1} and values["feedback"]["extraction"] == []
    assert [event.data["to"] for event in loops] == ["extraction"]


def test_the_loop_cap_escalates_to_review_and_a_reviewer_decides_once(database_url: str) -> None:
    with open_workflow("contract_review", database_url) as flow:
        report = flow.start(sample("03_joint_filing_escalates"), thread_id="esc")
        assert report.status == "awaiting_review" and report.packet is not None
        reasons = {rule["rule"]: rule["detail"] for rule in report.packet["reasons"]}
        assert "after 2 loop(s)" in reasons["escalated"]
        assert flow.traces.events("esc", EventKind.ESCALATION)
        decided = flow.resume("esc", {"action": "reject", "reviewer": "Lee", "note": "no parties"})
        with pytest.raises(RequestError, match=r"already answered by Lee \(reject\)"):
            flow.resume("esc", {"action": "approve", "reviewer": "Kim"})
    assert decided.decision is not None and decided.decision["outcome"] == "rejected"
    assert len(SideEffectLedger(database_url).for_thread("esc", DECISION_KIND)) == 1


def test_a_high_risk_contract_stops_for_a_lawyer(database_url: str) -> None:
    with open_workflow("contract_review", database_url) as flow:
        report = flow.start(sample("04_distribution_amendment_high_risk"), thread_id="high")
        assert report.status == "awaiting_review" and report.packet is not None
        assert [rule["rule"] for rule in report.packet["reasons"]] == ["high_risk"]
        assert report.packet["recommendation"] == "decline"
        decided = flow.resume("high", {"action": "approve", "reviewer": "Ada"})
    assert decided.decision is not None
    assert decided.decision["outcome"] == "cleared_by_reviewer"
    assert decided.decision["decided_by"] == "Ada" and decided.decision["band"] == "high"


def test_the_cli_reads_a_contract_file_and_a_pdf(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    path = CONTRACTS / "01_services_agreement_low_risk.txt"
    out = baton(monkeypatch, database_url, "run", "contract_review", str(path), "--json")
    assert out["status"] == "completed" and out["outcome"] == "cleared"

    pdf = tmp_path / "services.pdf"
    pdf.write_bytes(text_pdf(path.read_text(encoding="utf-8")))
    out = baton(monkeypatch, database_url, "run", "contract_review", str(pdf), "--json")
    assert out["status"] == "completed"


def test_bad_contract_input_exits_2_saying_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    short = tmp_path / "short.txt"
    short.write_text("This Agreement is between A and B.", encoding="utf-8")
    out = baton(monkeypatch, database_url, "run", "contract_review", str(short), code=2)
    assert "content" in out and "at least 200 characters" in out

    odd = tmp_path / "contract.docx"
    odd.write_bytes(b"PK\x03\x04")
    out = baton(monkeypatch, database_url, "run", "contract_review", str(odd), code=2)
    assert "from .txt or .pdf" in out

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    out = baton(monkeypatch, database_url, "run", "contract_review", str(broken), code=2)
    assert "broken.pdf" in out


def test_rollback_replays_a_stage_of_the_chain_and_what_follows(sqlite_url: str) -> None:
    with open_workflow("contract_review", sqlite_url) as flow:
        first = flow.start(sample("01_services_agreement_low_risk"), thread_id="replay")
        again = flow.rollback("replay", "risk")
        steps = [event.node for event in flow.traces.events("replay", EventKind.STEP)]
    assert first.decision is not None and again.decision is not None
    assert again.status == "completed" and again.decision["outcome"] == "cleared"
    assert steps.count("extraction") == 1 and steps.count("clause_analysis") == 1
    assert steps.count("risk") == 2 and steps.count("summary") == 2
    assert again.decision["supersedes"] == first.decision["decision_key"]


def test_an_amended_risk_band_is_in_the_decisions_reasons(database_url: str) -> None:
    with open_workflow("contract_review", database_url) as flow:
        flow.start(sample("04_distribution_amendment_high_risk"), thread_id="band")
        decided = flow.resume(
            "band",
            {"action": "amend", "reviewer": "Ada", "corrections": {"band": "medium"}},
        )
    assert decided.decision is not None and decided.decision["band"] == "medium"
    assert "amended by Ada: band → 'medium'" in decided.decision["reasons"]


def test_a_rollback_with_corrected_text_is_checked_against_that_text(database_url: str) -> None:
    """The evaluator judges the spans against the text the stage read (the correction), not the
    original document: a corrected contract can pass."""
    original = sample("01_services_agreement_low_risk")
    with open_workflow("contract_review", database_url) as flow:
        assert flow.start(original, thread_id="fixed").status == "completed"
        corrected = {
            "contract_id": original["contract_id"],
            "content": "CORRECTED COPY (page 1 was missing from the scan)\n\n"
            + original["content"],
        }
        report = flow.rollback("fixed", "extraction", corrected, by="Ops", reason="rescanned")
    assert report.status == "awaiting_review"  # a corrected case always stops for a person
    assert report.packet is not None
    assert {rule["rule"] for rule in report.packet["reasons"]} == {"operator_correction"}
