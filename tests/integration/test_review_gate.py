"""The review gate refuses invalid resume values with a clear message and stays open."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from langgraph.types import Command

from checkpoints.ledger import SideEffectLedger
from graphs.kit.context import BatonContext
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.kit.runtime import ReviewRefused, open_workflow
from tests.conftest import load_sample


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("approve", "invalid review decision"),
        ({"action": "approve"}, "reviewer: Field required"),
        (
            {"action": "bless", "reviewer": "x"},
            "action: Input should be 'approve', 'reject', 'amend' or 'refer'",
        ),
        ({"action": "amend", "reviewer": "x"}, "amend needs corrections"),
        (
            {"action": "amend", "reviewer": "x", "corrections": {"currency": "EUR"}},
            "cannot be amended",
        ),
        (
            {"action": "amend", "reviewer": "x", "corrections": {"limit": 0, "annual_premium": 10}},
            "limit: Input should be greater than 0",
        ),
        (
            {"action": "approve", "reviewer": "x", "approved_by_ai": True},
            "Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_decision_sent_straight_to_the_graph_is_refused_and_the_gate_stays_open(
    database_url: str, answer: Any, message: str
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="gate")
        config = flow.config("gate")
        flow.graph.invoke(
            Command(resume=answer), config, context=BatonContext(database_url=database_url)
        )
        report = flow.report("gate")
        assert report.status == "awaiting_review"
        assert report.packet is not None and message in report.packet["refused"][-1]
        assert SideEffectLedger(database_url).for_thread("gate", REVIEW_DECISION_KIND) == []

        final = flow.resume("gate", {"action": "approve", "reviewer": "Dana", "note": "ok"})
        assert final.status == "completed" and final.decision is not None
        assert final.decision["outcome"] == "approved" and final.decision["decided_by"] == "Dana"


def test_refused_amendment_through_the_python_api_names_the_field(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("12_cancelled_prior_policy"), thread_id="amend")
        with pytest.raises(ReviewRefused, match="annual_premium"):
            flow.resume(
                "amend", {"action": "amend", "reviewer": "x", "corrections": {"annual_premium": 0}}
            )
        assert flow.report("amend").status == "awaiting_review"


def test_sanctions_hit_is_never_approved_without_a_person(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        report = flow.start(load_sample("03_sanctions_hit"), thread_id="sanctions")
        assert report.status == "awaiting_review"
        assert flow.continue_thread("sanctions").status == "awaiting_review"
        assert flow.graph.get_state(flow.config("sanctions")).values.get("decision") is None


def test_amendment_is_validated_strictly_and_cannot_escape_a_referral(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("12_cancelled_prior_policy"), thread_id="amend-strict")
        with pytest.raises(
            ReviewRefused, match=r"limit: Input should be a valid number \[float_type\]"
        ):
            flow.resume(
                "amend-strict",
                {
                    "action": "amend",
                    "reviewer": "x",
                    "corrections": {"limit": "5000000", "annual_premium": 9000},
                },
            )
        done = flow.resume(
            "amend-strict",
            {
                "action": "amend",
                "reviewer": "x",
                "corrections": {"limit": 50_000_000, "annual_premium": 90_000},
            },
        )
        assert done.decision is not None
        assert done.decision["outcome"] == "referred"
        assert any("limit_above_authority" in reason for reason in done.decision["reasons"])
        assert done.decision["quote"]["limit"] == 50_000_000
        assert "amended by the reviewer" in done.decision["quote"]["breakdown"][-1]


def test_approving_a_case_that_a_refer_rule_also_caught_keeps_it_referred(
    database_url: str,
) -> None:
    sample = load_sample("10_large_limit_referral")
    sample["documents"] = [d for d in sample["documents"] if d["kind"] != "loss_run"]
    with open_workflow("underwriting", database_url) as flow:
        stopped = flow.start(sample, thread_id="refer-and-review")
        assert stopped.packet is not None
        assert {"missing_documents", "limit_above_authority"} <= {
            r["rule"] for r in stopped.packet["reasons"]
        }
        done = flow.resume("refer-and-review", {"action": "approve", "reviewer": "Ana"})
        assert done.decision is not None and done.decision["outcome"] == "referred"
        rejected = flow.start({**sample, "submission_id": "SUB-1010-b"}, thread_id="refer-rejected")
        assert rejected.status == "awaiting_review"
        assert (
            flow.resume("refer-rejected", {"action": "reject", "reviewer": "Ana"}).decision[
                "outcome"
            ]
            == "declined"
        )  # type: ignore[index]


def test_no_recommendation_when_an_agent_failed_and_such_cases_are_left_out_of_agreement(
    database_url: str,
) -> None:
    from graphs.kit.review_gate import agreement_rates

    with open_workflow("underwriting", database_url) as flow:
        stopped = flow.start(load_sample("08_unreadable_application"), thread_id="no-rec")
        assert stopped.packet is not None and stopped.packet["recommendation"] == "none"
        flow.resume("no-rec", {"action": "reject", "reviewer": "Ana"})
        flow.start(load_sample("03_sanctions_hit"), thread_id="rec")
        flow.resume("rec", {"action": "reject", "reviewer": "Ana"})
        stats = agreement_rates(flow.ledger)["underwriting/review_gate"]
        assert stats == {
            "workflow": "underwriting",
            "gate": "review_gate",
            "decisions": 2,
            "compared": 1,
            "agreed": 1,
            "agreement": 1.0,
        }


@pytest.mark.parametrize(
    ("sample", "change", "reason"),
    [
        ("06_no_prior_policy", {"policy_number": "BTN-2021-999999"}, "which is not on file"),
        (
            "01_clean_straight_through",
            {"policy_number": "BTN-2022-007781"},
            "the application names 'BTN-2021-004512'",
        ),
    ],
)
def test_a_prior_policy_that_cannot_be_confirmed_goes_to_a_person(
    database_url: str, sample: str, change: dict[str, Any], reason: str
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        report = flow.start({**load_sample(sample), **change}, thread_id="unconfirmed")
        assert report.status == "awaiting_review"
        lookup = flow.graph.get_state(flow.config("unconfirmed")).values["policy_lookup"]
        assert lookup["status"] == "escalated" and reason in lookup["reason"]


def test_two_reviewers_at_once_one_decision_and_the_other_is_told(postgres_url: str) -> None:
    import threading

    from checkpoints.ledger import SideEffectLedger
    from graphs.kit.errors import RequestError
    from graphs.underwriting import DECISION_KIND

    thread = f"race-{uuid.uuid4().hex[:8]}"
    with open_workflow("underwriting", postgres_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id=thread)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def review(reviewer: str, action: str) -> None:
        with open_workflow("underwriting", postgres_url) as flow:
            barrier.wait(timeout=30)
            try:
                report = flow.resume(thread, {"action": action, "reviewer": reviewer, "note": "ok"})
                outcomes[reviewer] = f"ok:{(report.decision or {}).get('outcome')}"
            except RequestError as error:
                outcomes[reviewer] = f"refused:{error}"

    workers = [
        threading.Thread(target=review, args=("A", "approve")),
        threading.Thread(target=review, args=("B", "reject")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["ok", "refused"], outcomes
    winner = next(name for name, v in outcomes.items() if v.startswith("ok"))
    assert len(SideEffectLedger(postgres_url).for_thread(thread, DECISION_KIND)) == 1
    with open_workflow("underwriting", postgres_url) as flow:
        final = flow.report(thread)
        assert final.decision is not None and final.decision["decided_by"] == winner


@pytest.mark.parametrize(
    ("corrections", "message"),
    [
        ({"annual_premium": float("inf")}, "finite number"),
        ({"deductible": 50_000_000}, "must be below the limit"),
        ({"limit": 25_000_000}, "amend annual_premium together with limit"),
    ],
)
def test_amendments_that_make_no_sense_are_refused(
    database_url: str, corrections: dict[str, Any], message: str
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="amend-sense")
        with pytest.raises(ReviewRefused, match=message):
            flow.resume(
                "amend-sense", {"action": "amend", "reviewer": "x", "corrections": corrections}
            )
        assert flow.report("amend-sense").status == "awaiting_review"


def test_reviewer_agreement_is_kept_per_workflow_not_pooled(database_url: str) -> None:
    from graphs.kit.review_gate import agreement_rates
    from tests.integration.test_contract_review import sample as contract

    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("02_high_risk_referral"), thread_id="pool-uw")
        flow.resume("pool-uw", {"action": "reject", "reviewer": "Dana"})  # agrees: decline
    with open_workflow("contract_review", database_url) as flow:
        flow.start(contract("03_joint_filing_escalates"), thread_id="pool-cr")
        flow.resume("pool-cr", {"action": "approve", "reviewer": "Lee"})
        stats = agreement_rates(flow.ledger)
    assert set(stats) == {"underwriting/review_gate", "contract_review/review_gate"}
    assert stats["underwriting/review_gate"]["decisions"] == 1
    assert stats["contract_review/review_gate"]["decisions"] == 1


@pytest.mark.parametrize(
    ("sample", "refusal"),
    [
        ("08_unreadable_application", "an approval needs the results it rests on"),
        ("11_ineligible_state", "cannot be approved; reject or refer it"),
    ],
)
def test_what_cannot_be_approved_is_refused_and_may_be_rejected(
    database_url: str, sample: str, refusal: str
) -> None:
    thread = f"no-approve-{sample[:2]}"
    with open_workflow("underwriting", database_url) as flow:
        assert flow.start(load_sample(sample), thread_id=thread).status == "awaiting_review"
        with pytest.raises(ReviewRefused, match=refusal):
            flow.resume(thread, {"action": "approve", "reviewer": "Dana"})
        assert flow.report(thread).status == "awaiting_review"
        done = flow.resume(thread, {"action": "reject", "reviewer": "Dana"})
    assert done.decision is not None and done.decision["outcome"] == "declined"


def test_approving_over_a_sanctions_hit_needs_a_note_and_a_second_reviewer(
    database_url: str,
) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="hit-note")
        with pytest.raises(ReviewRefused, match="needs a note saying why it is a false match"):
            flow.resume("hit-note", {"action": "approve", "reviewer": "Dana"})
        first = flow.resume(
            "hit-note",
            {"action": "approve", "reviewer": "Dana", "note": "different company, checked FEIN"},
        )
        assert first.status == "awaiting_review" and first.packet is not None
        waiting = first.packet["awaiting_second_review"]
        assert waiting["first"]["reviewer"] == "Dana"
        assert waiting["why"] == "it approves a case on which sanctions_hit fired"
        assert SideEffectLedger(database_url).for_thread("hit-note", REVIEW_DECISION_KIND) == []
        with pytest.raises(ReviewRefused, match="Dana made the first decision"):
            flow.resume("hit-note", {"action": "approve", "reviewer": " dana "})
        with pytest.raises(ReviewRefused, match="confirms Dana's approve"):
            flow.resume(
                "hit-note",
                {"action": "amend", "reviewer": "Lee", "corrections": {"deductible": 5000}},
            )
        done = flow.resume("hit-note", {"action": "approve", "reviewer": "Lee"})
        trace = flow.traces.events("hit-note")
    assert done.decision is not None and done.decision["outcome"] == "approved"
    assert done.decision["decided_by"] == "Dana"
    assert "reviewer note: different company, checked FEIN" in done.decision["reasons"]
    assert "confirmed by a second reviewer, Lee" in done.decision["reasons"]
    [record] = SideEffectLedger(database_url).for_thread("hit-note", REVIEW_DECISION_KIND)
    assert record["payload"]["confirmed_by"]["reviewer"] == "Lee"
    assert any(
        (e.data.get("awaiting_second_review") or {}).get("first", {}).get("reviewer") == "Dana"
        for e in trace
    )


def test_a_second_reviewer_may_overrule_the_first_by_rejecting(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="overrule")
        flow.resume("overrule", {"action": "approve", "reviewer": "Dana", "note": "false match"})
        done = flow.resume("overrule", {"action": "reject", "reviewer": "Lee", "note": "too close"})
    assert done.decision is not None and done.decision["outcome"] == "declined"
    assert done.decision["decided_by"] == "Lee"
    assert (
        "Dana's approve was not confirmed: Lee chose reject as second reviewer"
        in done.decision["reasons"]
    )


def test_rejecting_or_referring_needs_no_second_reviewer(database_url: str) -> None:
    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="refer-hit")
        done = flow.resume("refer-hit", {"action": "refer", "reviewer": "Dana"})
    assert done.decision is not None and done.decision["outcome"] == "referred"
    assert "referred by Dana" in done.decision["reasons"]


def test_a_reviewer_may_price_a_missing_quote_and_the_gate_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quote agent had no rate for the class: the approval is refused with what may be done,
    and the reviewer's own price (all three terms, checked against `Quote`) lets it through."""
    from agents.underwriting import quote as quote_agent

    table = copy.deepcopy(quote_agent.rating_table())
    table["classes"].pop("bakery")
    monkeypatch.setattr(quote_agent, "rating_table", lambda: table)
    with open_workflow("underwriting", database_url) as flow:
        stopped = flow.start(load_sample("01_clean_straight_through"), thread_id="priced")
        assert stopped.status == "awaiting_review"
        values = flow.graph.get_state(flow.config("priced")).values
        assert values["quote"]["status"] != "ok"
        with pytest.raises(ReviewRefused, match="or price it yourself: --amend with all of limit"):
            flow.resume("priced", {"action": "approve", "reviewer": "Dana"})
        with pytest.raises(ReviewRefused, match="missing: deductible"):
            flow.resume(
                "priced",
                {
                    "action": "amend",
                    "reviewer": "Dana",
                    "corrections": {"limit": 1_000_000, "annual_premium": 4200},
                },
            )
        done = flow.resume(
            "priced",
            {
                "action": "amend",
                "reviewer": "Dana",
                "corrections": {"limit": 1_000_000, "deductible": 5000, "annual_premium": 4200},
            },
        )
    assert done.decision is not None and done.decision["outcome"] == "approved"
    quote = done.decision["quote"]
    assert quote["annual_premium"] == 4200 and quote["rate_per_thousand"] == 4.2
    assert quote["breakdown"][0].startswith("priced by the reviewer: no quote was calculated")


def test_an_applicant_never_read_cannot_be_approved(database_url: str) -> None:
    """A free-text email naming no business with a legal form: the applicant was never read,
    so never screened, and an approval is refused rather than recorded for 'unknown applicant'."""
    submission = load_sample("13_free_text_email")
    email = submission["documents"][0]
    email["content"] = email["content"].replace("Lighthouse Coffee Roasters LLC", "the roastery")
    with open_workflow("underwriting", database_url) as flow:
        report = flow.start(submission, thread_id="nameless")
        assert report.status == "awaiting_review"
        facts = flow.graph.get_state(flow.config("nameless")).values["intake"].get("value") or {}
        assert not facts.get("applicant_name")
        with pytest.raises(ReviewRefused, match="never read from the documents, so never screened"):
            flow.resume("nameless", {"action": "approve", "reviewer": "Dana", "note": "ok"})


def test_a_first_decision_waiting_for_a_second_holds_when_the_policy_changes(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first decision was taken under a policy asking for four eyes: if the file changes while
    the case waits, the second reviewer's answer is still read as the second (never dropped)."""
    from graphs.kit import review_gate

    with open_workflow("underwriting", database_url) as flow:
        flow.start(load_sample("03_sanctions_hit"), thread_id="changed")
        flow.resume("changed", {"action": "approve", "reviewer": "Dana", "note": "false match"})
    loosened = review_gate.workflow_policy
    monkeypatch.setattr(
        review_gate,
        "workflow_policy",
        lambda *a: loosened(*a).model_copy(update={"second_reviewer": None}),
    )
    with open_workflow("underwriting", database_url) as flow:
        done = flow.resume("changed", {"action": "reject", "reviewer": "Lee", "note": "too close"})
    assert done.decision is not None and done.decision["outcome"] == "declined"
    assert done.decision["decided_by"] == "Lee"
