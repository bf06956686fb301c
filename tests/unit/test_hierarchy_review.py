"""Departments of a hierarchy waiting at their gates at once, in one thread: each is queued and
reported on its own, with its department; a resume names the gate it answers (by department or
by interrupt id) and is refused, naming every waiting gate, when it names none; the refusal and
conflict checks apply to the gate answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkpoints.human_queue import HumanQueue
from graphs.kit.errors import RequestError, ReviewConflict, ReviewRefused
from graphs.kit.review_gate import department_of
from graphs.kit.runtime import WorkflowRun
from tests.unit.toy_hierarchy import open_toy

ANN = {"action": "approve", "reviewer": "Ann"}


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'toy.db'}"


def _waiting(flow: WorkflowRun, thread: str) -> dict[str | None, str]:
    return {gate.department: gate.interrupt_id for gate in flow.report(thread).waiting}


def test_a_department_gate_is_known_by_its_namespace() -> None:
    assert department_of("review_gate:1f2e") is None
    assert department_of("sales:9a8b|review_gate:1f2e") == "sales"
    assert department_of("sales:9a8b|inner:77|review_gate:1f2e") == "sales"
    assert department_of("") is None


def test_two_departments_waiting_are_each_queued_and_reported_with_their_department(
    url: str,
) -> None:
    with open_toy(url) as flow:
        report = flow.start({"topic": "launch"}, thread_id="two")

    assert report.status == "awaiting_review"
    assert [(g.department, g.gate) for g in report.waiting] == [
        ("sales", "review_gate"),
        ("legal", "review_gate"),
    ]
    assert len({g.interrupt_id for g in report.waiting}) == 2
    assert report.packet == report.waiting[0].packet  # the first, as before
    assert report.waiting[1].packet["subject"] == "Sign off the legal draft?"
    shown = report.as_json()
    assert [(g["department"], g["gate"]) for g in shown["waiting"]] == [
        ("sales", "review_gate"),
        ("legal", "review_gate"),
    ]
    assert shown["waiting"][0]["interrupt_id"] == report.waiting[0].interrupt_id
    assert shown["review"] == report.packet

    queue = HumanQueue(url)
    assert sorted((c.thread_id, c.department, c.gate) for c in queue.waiting()) == [
        ("two", "legal", "review_gate"),
        ("two", "sales", "review_gate"),
    ]
    assert [c.subject for c in queue.of_thread("two") if c.department == "legal"] == [
        "Sign off the legal draft?"
    ]
    assert queue.is_waiting("two")


def test_a_resume_naming_no_gate_is_refused_naming_each_waiting_gate(url: str) -> None:
    with open_toy(url) as flow:
        flow.start({"topic": "launch"}, thread_id="which")
        ids = _waiting(flow, "which")
        with pytest.raises(RequestError) as raised:
            flow.resume("which", ANN)
        message = str(raised.value)
        assert "waits at 2 review gates" in message
        for department, interrupt_id in ids.items():
            assert (
                f"department {department}, gate review_gate (interrupt {interrupt_id})" in message
            )
        assert "--department NAME" in message and "--interrupt ID" in message
        with pytest.raises(RequestError, match=r"no review gate .* waits with interrupt"):
            flow.resume("which", ANN, interrupt_id="0" * 32)
        with pytest.raises(RequestError, match=r"department 'nobody' .* is not waiting"):
            flow.resume("which", ANN, department="nobody")
        with pytest.raises(RequestError, match=r"waits with interrupt .* of department 'legal'"):
            flow.resume("which", ANN, department="legal", interrupt_id=ids["sales"])
        assert set(_waiting(flow, "which")) == {"sales", "legal"}  # nothing was answered
    assert len(HumanQueue(url).of_thread("which")) == 2


def test_each_department_is_answered_on_its_own_by_department_or_by_interrupt_id(
    url: str,
) -> None:
    queue = HumanQueue(url)
    with open_toy(url) as flow:
        flow.start({"topic": "launch"}, thread_id="each")
        sales = _waiting(flow, "each")["sales"]

        half = flow.resume("each", ANN, department="legal")
        assert half.status == "awaiting_review"
        assert [(g.department, g.interrupt_id) for g in half.waiting] == [("sales", sales)]
        # The answered department's queue entry alone is gone.
        assert [(c.department, c.gate) for c in queue.of_thread("each")] == [
            ("sales", "review_gate")
        ]
        assert queue.is_waiting("each")

        done = flow.resume("each", {**ANN, "reviewer": "Bo"}, interrupt_id=sales)
        assert done.status == "completed" and done.waiting == []
        state = flow.graph.get_state(flow.config("each")).values
        assert state["sales"]["value"] == {"text": "sales on launch"}
        assert state["legal"]["value"] == {"text": "legal on launch"}
    assert queue.of_thread("each") == [] and not queue.is_waiting("each")


def test_a_department_answered_before_is_answered_again_as_the_workflow_gate_is(
    url: str,
) -> None:
    with open_toy(url) as flow:
        flow.start({"topic": "launch"}, thread_id="again")
        flow.resume("again", ANN, department="legal")
        # Sent again while sales still waits: the same decision changes nothing...
        same = flow.resume("again", ANN, department="legal")
        assert same.status == "awaiting_review" and [g.department for g in same.waiting] == [
            "sales"
        ]
        # ...another is a conflict, naming the department and who answered it.
        with pytest.raises(ReviewConflict, match=r"department 'legal' .* answered by Ann"):
            flow.resume("again", {"action": "reject", "reviewer": "Bo"}, department="legal")
        flow.resume("again", {"action": "reject", "reviewer": "Bo"})  # sales: the only one left
        assert flow.resume("again", ANN, department="legal").status == "completed"
        with pytest.raises(ReviewConflict, match=r"department 'sales' .* answered by Bo"):
            flow.resume("again", ANN, department="sales")
        outcome = flow.graph.get_state(flow.config("again")).values["sales"]
        assert outcome["status"] == "escalated"  # sales's reviewer rejected its draft


def test_the_refusal_check_reads_the_gate_answered(url: str) -> None:
    amend = {"action": "amend", "reviewer": "Ann", "corrections": {"text": "other"}}
    with open_toy(url) as flow:
        flow.start({"topic": "launch"}, thread_id="refused")
        with pytest.raises(ReviewRefused, match="department 'sales' in 'refused' is still open"):
            flow.resume("refused", amend, department="sales")
        sales = next(g for g in flow.report("refused").waiting if g.department == "sales")
        assert len(sales.packet["refused"]) == 1
        # Legal's answer is taken, whatever sales's packet says of refusals.
        after = flow.resume("refused", ANN, department="legal")
        assert [g.department for g in after.waiting] == ["sales"]
        # And sales, asked again under a new interrupt id, is answered by its department.
        assert flow.resume("refused", ANN, department="sales").status == "completed"
