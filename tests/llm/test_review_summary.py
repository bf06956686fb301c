"""A model-written review summary: shown to the reviewer, marked as generated, made once, and
never in the way of the gate."""

from __future__ import annotations

import pytest

from graphs.kit.runtime import open_workflow
from tests.conftest import load_sample
from tests.integration.cli_helpers import run_sample
from tests.llm.model_server import ScriptedModelServer


def test_summary_is_generated_once_and_marked(
    model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("BATON_MODEL_REVIEW_SUMMARY", "openai:scripted-summary")
    model_server.script({"content": "A 1962 frame restaurant in Florida with three recent claims."})
    with open_workflow("underwriting", sqlite_url) as flow:
        report = flow.start(load_sample("02_high_risk_referral"), thread_id="summary")
        assert report.packet is not None
        summary = report.packet["summary"]
        assert summary["generated"] is True and summary["model"] == "openai:scripted-summary"
        assert summary["text"].startswith("A 1962 frame restaurant")
        assert "not used to decide" in summary["notice"]
        # The model saw the packet (redacted evidence), not the raw documents.
        sent = str(model_server.requests[0]["messages"])
        assert "high_risk" in sent and "COMMERCIAL PROPERTY APPLICATION" not in sent
        # A refused answer re-runs the gate: the summary is not asked for again.
        with pytest.raises(ValueError):
            flow.resume(
                "summary", {"action": "amend", "reviewer": "x", "corrections": {"deductible": -1}}
            )
        final = flow.resume("summary", {"action": "reject", "reviewer": "Dana"})
        assert final.decision is not None and final.decision["outcome"] == "declined"
    assert len(model_server.requests) == 1


def test_summary_failure_never_blocks_the_gate(
    model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("BATON_MODEL_REVIEW_SUMMARY", "openai:scripted-summary")
    model_server.script({"status": 500})
    stopped = run_sample(monkeypatch, sqlite_url, "03_sanctions_hit.json", "summary-down")
    assert stopped["status"] == "awaiting_review"
    assert (
        stopped["review"]["summary"]["text"] is None
        and "500" in stopped["review"]["summary"]["error"]
    )
