"""What a run's command or a state update cannot do, whatever server it comes through: decide on a
review outcome the gate did not record, change the quote the gate assessed, take over a thread,
or let someone review their own case."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from checkpoints.ledger import SideEffectLedger
from graphs.kit.access import AccessRefused, Binding, Role, user_for
from graphs.kit.context import BatonContext
from graphs.kit.errors import RequestError
from graphs.kit.review_gate import UnrecordedOutcome
from graphs.kit.runtime import WorkflowRun, open_workflow
from graphs.underwriting import DECISION_KIND
from tests.conftest import load_sample


def _send(
    flow: WorkflowRun,
    thread: str,
    payload: Any,
    user: dict[str, Any] | None = None,
    context: BatonContext | None = None,
) -> Any:
    """Run the graph with `payload` as a server would, as `user` (a sealed principal) if given: the
    database is then the deployment's (`BATON_DATABASE_URL`, set by the `keys` fixture)."""
    config = flow.config(thread)
    if user is not None:
        config["configurable"] = {**config["configurable"], "langgraph_auth_user": user}
    elif context is None:
        context = BatonContext(database_url=flow.database_url)
    return flow.portal.call(partial(flow.graph.ainvoke, payload, config, context=context))


def _sealed(identity: str, role: Role, thread: str, action: str = "run", **kw: Any) -> Any:
    """`identity`'s principal as the auth layer seals it for one request on `thread`."""
    binding = Binding(thread, action, secrets.token_hex(8))  # type: ignore[arg-type]
    return user_for(identity, role, binding=binding, **kw)


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps({hashlib.sha256(b"k").hexdigest(): {"identity": "ops", "role": "operator"}})
    )
    monkeypatch.setenv("BATON_API_KEYS_FILE", str(path))
    monkeypatch.setenv("BATON_DATABASE_URL", database_url)


def test_a_review_outcome_the_gate_did_not_record_is_never_decided_on(database_url: str) -> None:
    forged = {"required": False, "action": "approve", "fired": []}
    with open_workflow("underwriting", database_url) as flow:
        assert (
            flow.start(load_sample("02_high_risk_referral"), "forged").status == "awaiting_review"
        )
        with pytest.raises(UnrecordedOutcome, match="not the one its review gate last recorded"):
            _send(flow, "forged", Command(update={"review": forged}, goto="finalize"))
        assert flow.report("forged").status != "completed"
    assert SideEffectLedger(database_url).for_thread("forged", DECISION_KIND) == []


def test_a_quote_changed_after_the_gate_is_not_what_gets_decided(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        done = flow.start(load_sample("01_clean_straight_through"), thread_id="cheap")
        assert done.decision is not None
        premium = done.decision["quote"]["annual_premium"]
        quote = flow.graph.get_state(flow.config("cheap")).values["quote"]
        cheap = {**quote, "value": {**quote["value"], "annual_premium": 1.0}}
        _send(flow, "cheap", Command(update={"quote": cheap}, goto="finalize"))
        again = flow.report("cheap")
    assert again.decision is not None and again.decision["quote"]["annual_premium"] == premium


def test_a_run_cannot_take_over_someone_elses_thread(database_url: str, keys: None) -> None:
    alice, bob = _sealed("alice", "submitter", "taken"), _sealed("bob", "submitter", "taken")
    with open_workflow("underwriting", database_url) as flow:
        flow.traces.register_thread("taken", "underwriting", "SUB-1002")
        submission = flow.entry.input_model().model_validate(load_sample("02_high_risk_referral"))
        _send(flow, "taken", submission.model_dump(mode="json"), alice)
        assert flow.graph.get_state(flow.config("taken")).values["owner"] == "alice"
        takeover = Command(update={"owner": "bob", "intake": None}, goto="supervisor")
        with pytest.raises(AccessRefused, match="'bob' does not own this case"):
            _send(flow, "taken", takeover, bob)
        assert flow.graph.get_state(flow.config("taken")).values["owner"] == "alice"


def test_no_one_reviews_a_case_they_started(database_url: str, keys: None) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.traces.register_thread("own", "underwriting", "SUB-1002")
        submission = flow.entry.input_model().model_validate(load_sample("02_high_risk_referral"))
        _send(flow, "own", submission.model_dump(mode="json"), _sealed("ops", "operator", "own"))
        approve = Command(resume={"action": "approve", "reviewer": "ops"})
        _send(flow, "own", approve, _sealed("ops", "operator", "own", "resume"))
        report = flow.report("own")
    assert report.status == "awaiting_review" and report.packet is not None
    assert "started this case and may not review it" in report.packet["refused"][-1]


def test_a_seal_copied_from_an_earlier_run_cannot_answer_a_gate(
    database_url: str, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_PRINCIPAL_TTL", "600")
    alice = _sealed("alice", "submitter", "replayed")
    seen_earlier = _sealed(
        "ops", "operator", "replayed", "resume", sealed_at=int(time.time()) - 3600
    )
    with open_workflow("underwriting", database_url) as flow:
        flow.traces.register_thread("replayed", "underwriting", "SUB-1002")
        submission = flow.entry.input_model().model_validate(load_sample("02_high_risk_referral"))
        _send(flow, "replayed", submission.model_dump(mode="json"), alice)
        _send(
            flow, "replayed", Command(resume={"action": "approve", "reviewer": "x"}), seen_earlier
        )
        report = flow.report("replayed")
        assert report.status == "awaiting_review" and report.packet is not None
        assert "outside BATON_PRINCIPAL_TTL (600 s)" in report.packet["refused"][-1]
        _send(
            flow,
            "replayed",
            Command(resume={"action": "approve", "reviewer": "x", "note": "ok"}),
            _sealed("ops", "operator", "replayed", "resume"),
        )
        decided = flow.report("replayed")
        review = flow.graph.get_state(flow.config("replayed")).values["review"]
    assert decided.status == "completed"
    assert review["record"]["decision"]["reviewer"] == "ops"


def test_a_seal_answers_once_and_only_on_its_own_case(
    database_url: str, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reviewer's seal, read out of one case by its owner, approves neither that case again nor
    another of the owner's cases."""
    approve = Command(resume={"action": "approve", "reviewer": "x"})
    with open_workflow("underwriting", database_url) as flow:
        submission = flow.entry.input_model().model_validate(load_sample("02_high_risk_referral"))
        for thread in ("first", "second"):
            flow.traces.register_thread(thread, "underwriting", "SUB-1002")
            _send(
                flow,
                thread,
                submission.model_dump(mode="json"),
                _sealed("alice", "submitter", thread),
            )
        reviewer = _sealed("ops", "operator", "first", "resume")
        _send(
            flow, "first", Command(resume={"action": "approve"}), reviewer
        )  # refused: no reviewer
        assert flow.report("first").status == "awaiting_review"
        _send(flow, "first", approve, reviewer)  # the same seal again
        first = flow.report("first")
        assert first.status == "awaiting_review" and first.packet is not None
        assert "already answered a review gate once" in first.packet["refused"][-1]
        _send(flow, "second", approve, reviewer)  # on another case
        second = flow.report("second")
        assert second.status == "awaiting_review" and second.packet is not None
        assert "issued for another thread" in second.packet["refused"][-1]
    for thread in ("first", "second"):
        assert SideEffectLedger(database_url).for_thread(thread, DECISION_KIND) == []


def test_a_server_run_cannot_choose_the_database_or_the_model(
    database_url: str, keys: None, tmp_path: Path
) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'attacker.db'}"
    with open_workflow("underwriting", database_url) as flow:
        flow.traces.register_thread("steer", "underwriting", "SUB-1002")
        submission = flow.entry.input_model().model_validate(load_sample("02_high_risk_referral"))
        alice = _sealed("alice", "submitter", "steer")
        with pytest.raises(AccessRefused, match=r"context\.database_url"):
            _send(
                flow,
                "steer",
                submission.model_dump(mode="json"),
                alice,
                BatonContext(database_url=elsewhere),
            )
        with pytest.raises(AccessRefused, match=r"context\.models: 'alice' .* may not choose"):
            _send(
                flow,
                "steer",
                submission.model_dump(mode="json"),
                alice,
                BatonContext(models={"intake": "openai:gpt-4.1-mini"}),
            )
    assert not (tmp_path / "attacker.db").exists()


def test_a_second_input_on_a_completed_case_runs_nothing(database_url: str) -> None:
    """Whatever server it comes through (the request boundary refuses it first), the graph
    itself runs no agent on a second input and records no second decision."""
    with open_workflow("underwriting", database_url) as flow:
        done = flow.start(load_sample("01_clean_straight_through"), thread_id="twice")
        assert done.status == "completed"
        other = {**load_sample("01_clean_straight_through"), "submission_id": "SUB-OTHER"}
        with pytest.raises(RequestError, match="already holds another case"):
            _send(flow, "twice", other)
    decisions = SideEffectLedger(database_url).for_thread("twice", DECISION_KIND)
    assert len(decisions) == 1 and decisions[0]["payload"]["submission_id"] != "SUB-OTHER"
