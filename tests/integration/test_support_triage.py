"""The support triage workflow on SQLite and PostgreSQL, from Python and the command line: a clear
message routed by the soft vote, an unsure vote confirmed by a person, a split (in a majority vote)
settled by the arbiter, a weak ruling and a ballot with no votes waiting in the human queue (`baton queue`) until a reviewer decides (`baton review`), the
note citing only the message, and bad input refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.support_triage.training import train
from checkpoints.ledger import SideEffectLedger
from graphs import support_triage
from graphs.kit.runtime import open_workflow, queued_cases
from schemas.trace import EventKind
from tests.conftest import ROOT
from tests.integration.cli_helpers import baton

WEAK_ROUTE = next(
    rule["less_than"]
    for rule in yaml.safe_load((ROOT / "policies" / "support_triage.yaml").read_text())["rules"]
    if rule["name"] == "weak_route"
)
"""The review gate's weak_route threshold, as the shipped policy sets it."""

SAMPLES = ROOT / "data" / "samples" / "support_triage"


@pytest.fixture(scope="module", autouse=True)
def trained() -> dict[str, Any]:
    """The classifiers trained on the shipped data (cached across runs by the data's hash)."""
    return train()


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _vote_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **changes: Any) -> None:
    """Run with the support lead's vote file changed as given."""
    rules = support_triage.load_vote_rules().model_dump()
    path = tmp_path / "vote.yaml"
    path.write_text(json.dumps({**rules, **changes}), encoding="utf-8")
    monkeypatch.setattr(support_triage, "VOTE_FILE", path)


def _cites_the_message(note: dict[str, Any], text: str) -> None:
    assert note["points"]
    for point in note["points"]:
        assert text[point["start"] : point["end"]] == point["quote"]


def test_a_clear_message_is_routed_by_the_soft_vote(database_url: str) -> None:
    ticket = sample("01_card_arrival_settled")
    with open_workflow("support_triage", database_url) as flow:
        report = flow.start(ticket, thread_id="clear")
        values = flow.graph.get_state(flow.config("clear")).values
        ballots = flow.traces.events("clear", EventKind.BALLOT)
    assert report.status == "completed" and report.decision is not None
    assert report.decision["outcome"] == "routed" and report.decision["decided_by"] == "vote"
    assert (report.decision["intent"], report.decision["queue"]) == ("card_arrival", "Cards")
    ballot = values["ballot"]
    assert ballot["method"] == "soft" and ballot["outcome"] == "weighted"
    assert ballot["winner"] == "card_arrival" == ballot["combined"][0]["label"]
    assert ballot["combined"][0]["probability"] >= WEAK_ROUTE, "confident enough for the gate"
    assert values["choice"]["confidence"] == ballot["combined"][0]["probability"]
    assert "soft vote" in ballot["reason"] and "weights learned" in ballot["reason"]
    assert {v["voter"]: v["status"] for v in ballot["votes"]} == {
        "keyword_voter": "counted",
        "tfidf_voter": "counted",
        "embedding_voter": "counted",
        "encoder_linear_voter": "counted",
        "model_voter": "sat_out",
    }
    traced = [{k: v for k, v in event.data.items() if k != "task"} for event in ballots]
    assert traced == [ballot], "the whole ballot is in the trace"
    assert values.get("arbitration") is None
    _cites_the_message(values["note"]["value"], ticket["text"])
    with open_workflow("support_triage", database_url) as flow:
        traced_text = json.dumps([event.data for event in flow.traces.events("clear")])
    assert ticket["customer_id"] not in traced_text, "who the customer is stays out of the trace"
    assert queued_cases("support_triage", database_url) == []


def test_an_unsure_soft_vote_is_routed_provisionally_and_confirmed_by_a_person(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = sample("02_unsure_vote_confirmed_by_a_person")
    with open_workflow("support_triage", sqlite_url) as flow:
        report = flow.start(ticket, thread_id="unsure")
        values = flow.graph.get_state(flow.config("unsure")).values
    ballot = values["ballot"]
    assert ballot["outcome"] == "weighted" and values.get("arbitration") is None
    labels = {v["voter"]: v["label"] for v in ballot["votes"] if v["status"] == "counted"}
    assert len(set(labels.values())) == 2, "the voters disagree; the weights decide"
    assert 0.5 <= ballot["combined"][0]["probability"] < WEAK_ROUTE
    assert report.status == "awaiting_review" and report.packet is not None
    assert [rule["rule"] for rule in report.packet["reasons"]] == ["weak_route"]
    assert report.packet["evidence"]["ballot"]["combined"] == ballot["combined"]
    shown = baton(
        monkeypatch,
        sqlite_url,
        "run",
        "support_triage",
        str(SAMPLES / "02_unsure_vote_confirmed_by_a_person.json"),
    )
    best = ballot["combined"][0]
    assert f"Soft vote (weighted): {best['label']} {best['probability']:.2f}" in shown


def test_a_split_majority_is_settled_by_the_arbiter_and_its_weak_route_confirmed_by_a_person(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _vote_rules(monkeypatch, tmp_path, decision="majority")
    ticket = sample("02_unsure_vote_confirmed_by_a_person")
    with open_workflow("support_triage", database_url) as flow:
        report = flow.start(ticket, thread_id="split")
        values = flow.graph.get_state(flow.config("split")).values
        rulings = flow.traces.events("split", EventKind.RULING)
        assert values["ballot"]["outcome"] in ("no_majority", "no_quorum")
        assert values["ballot"]["method"] == "majority" and values["ballot"]["combined"] == []
        ruling = values["arbitration"]["value"]
        assert values["arbitration"]["implementation"] == "calibrated_average"
        assert ruling["confidence"] >= support_triage.load_vote_rules().arbiter_min_confidence
        assert "average calibrated probability" in ruling["reason"]
        assert values["choice"]["decided_by"] == "arbiter" and values["choice"]["settled"]
        assert rulings and rulings[0].data["verdict"] == "settled"
        # The support lead's gate still asks a person to confirm a ruling.
        assert report.status == "awaiting_review" and report.packet is not None
        assert [rule["rule"] for rule in report.packet["reasons"]] == [
            "weak_route",
            "arbiter_ruling",
        ]
        assert report.packet["recommendation"] == "approve"
        evidence = report.packet["evidence"]
        assert evidence["ballot"] == values["ballot"], "the reviewer sees every vote"
        assert evidence["arbitration"]["value"] == ruling
        assert f"Suggested: {ruling['label']} → " in report.packet["subject"]
        decided = flow.resume("split", {"action": "approve", "reviewer": "Ada"})
    assert decided.decision is not None
    assert decided.decision["outcome"] == "routed_by_reviewer"
    assert decided.decision["intent"] == ruling["label"]
    with open_workflow("support_triage", database_url) as flow:
        note = flow.graph.get_state(flow.config("split")).values["note"]["value"]
    assert "decided by a reviewer" in note["headline"]


def test_a_weak_ruling_waits_in_the_queue_until_a_reviewer_amends_the_intent(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A soft vote less sure than 0.9 goes to the arbiter, whose ruling is below 0.99.
    _vote_rules(monkeypatch, tmp_path, soft_vote_min_confidence=0.9, arbiter_min_confidence=0.99)
    ticket = sample("02_unsure_vote_confirmed_by_a_person")
    with open_workflow("support_triage", database_url) as flow:
        report = flow.start(ticket, thread_id="weak")
        assert report.status == "awaiting_review" and report.packet is not None
        values = flow.graph.get_state(flow.config("weak")).values
        assert values["ballot"]["outcome"] == "not_confident"
        assert "below the vote's threshold of 0.90" in values["ballot"]["reason"]
        reasons = {rule["rule"]: rule["detail"] for rule in report.packet["reasons"]}
        assert "below the threshold of 0.99" in reasons["escalated"]
        provisional = report.packet["evidence"]["router"]["value"]
        assert provisional["provisional"] is True
        assert report.packet["amendable_fields"] == ["intent"]

    queued = baton(monkeypatch, database_url, "queue", "support_triage", "--json")["queue"]
    assert [case["thread_id"] for case in queued] == ["weak"]
    assert "arbiter" in queued[0]["reasons"][0]

    corrections = tmp_path / "intent.json"
    corrections.write_text(json.dumps({"intent": "transaction_charged_twice"}), encoding="utf-8")
    decided = baton(
        monkeypatch,
        database_url,
        "review",
        "weak",
        "--amend",
        str(corrections),
        "--reviewer",
        "Ada",
        "--json",
    )
    assert decided["status"] == "completed"
    decision = decided["decision"]
    assert decision["outcome"] == "routed_by_reviewer" and decision["decided_by"] == "Ada"
    assert (decision["intent"], decision["team"]) == ("transaction_charged_twice", "payments")
    assert baton(monkeypatch, database_url, "queue", "--json")["queue"] == []
    with open_workflow("support_triage", database_url) as flow:
        note = flow.graph.get_state(flow.config("weak")).values["note"]["value"]
    assert "transaction charged twice" in note["headline"] and "a reviewer" in note["headline"]
    _cites_the_message(note, ticket["text"])


def test_with_every_classifier_failing_the_case_waits_and_approval_is_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_MODELS_DIR", str(tmp_path / "no-models"))
    ticket = sample("01_card_arrival_settled")
    with open_workflow("support_triage", sqlite_url) as flow:
        report = flow.start(ticket, thread_id="blind")
        values = flow.graph.get_state(flow.config("blind")).values
    assert report.status == "awaiting_review"
    assert values["ballot"]["outcome"] == "no_votes"
    assert values["routing"]["status"] == "empty"
    lines = {v["voter"]: v for v in values["ballot"]["votes"]}
    assert lines["tfidf_voter"]["status"] == "failed"
    assert "baton train support_triage" in lines["tfidf_voter"]["reason"]
    assert report.packet is not None and report.packet["recommendation"] == "none"

    refused = baton(
        monkeypatch, sqlite_url, "review", "blind", "--approve", "--reviewer", "Ada", code=2
    )
    assert "no suggested intent to approve" in refused
    assert [case.thread_id for case in queued_cases("support_triage", sqlite_url)] == ["blind"]

    rejected = baton(
        monkeypatch, sqlite_url, "review", "blind", "--reject", "--reviewer", "Ada", "--json"
    )
    assert rejected["decision"]["outcome"] == "rejected" and rejected["decision"]["team"] is None
    assert len(SideEffectLedger(sqlite_url).for_thread("blind", "triage_decision")) == 1
    assert queued_cases(database_url=sqlite_url) == []


def test_the_queue_lists_waiting_cases_oldest_first_with_why(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _vote_rules(monkeypatch, tmp_path, min_vote_confidence=1.0)  # every vote abstains
    for thread in ("first", "second", "third"):
        baton(
            monkeypatch,
            sqlite_url,
            "run",
            "support_triage",
            str(SAMPLES / "02_unsure_vote_confirmed_by_a_person.json"),
            "--thread-id",
            thread,
            "--json",
        )
    listed = baton(monkeypatch, sqlite_url, "queue", "--json")["queue"]
    assert [case["thread_id"] for case in listed] == ["first", "second", "third"]
    assert all(case["workflow"] == "support_triage" for case in listed)
    assert "no voter gave a vote that counts" in listed[0]["reasons"][0]
    table = baton(monkeypatch, sqlite_url, "queue", "support_triage")
    assert "first" in table and "why it waits" in table
    assert "No case is waiting" in baton(monkeypatch, sqlite_url, "queue", "underwriting")
    bad = baton(monkeypatch, sqlite_url, "queue", "nonsense", code=2)
    assert "unknown workflow 'nonsense'" in bad


def test_bad_tickets_are_refused_naming_the_field(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ticket_id": "T-9", "text": "   "}), encoding="utf-8")
    output = baton(monkeypatch, sqlite_url, "run", "support_triage", str(bad), code=2)
    assert "text" in output and "blank" in output
    bad.write_text(json.dumps({"ticket_id": "T-9", "text": "hi", "channel": "fax"}), "utf-8")
    output = baton(monkeypatch, sqlite_url, "run", "support_triage", str(bad), code=2)
    assert "channel" in output


def test_baton_train_reports_the_cached_models(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = baton(monkeypatch, sqlite_url, "train", "support_triage", "--json")
    assert report["cached"] is True and report["rows"] == 10003 and report["intents"] == 77
    missing = baton(
        monkeypatch,
        sqlite_url,
        "train",
        "support_triage",
        "--data",
        str(tmp_path / "x.csv"),
        code=2,
    )
    assert "x.csv" in missing
    nothing = baton(monkeypatch, sqlite_url, "train", "underwriting", code=2)
    assert "nothing to train" in nothing


def test_rollback_replays_an_agent_and_what_follows_without_what_came_before(
    database_url: str,
) -> None:
    with open_workflow("support_triage", database_url) as flow:
        first = flow.start(sample("03_unclear_goes_to_queue"), thread_id="again")
        assert first.status == "awaiting_review"
        again = flow.rollback("again", "arbiter")
        steps = [event.node for event in flow.traces.events("again", EventKind.STEP)]
        history = [step.node for step in flow.steps("again")]
        values = flow.graph.get_state(flow.config("again")).values
    assert again.status == "awaiting_review"
    assert steps.count("receive") == 1 and steps.count("tfidf_voter") == 1
    assert steps.count("arbiter") == 2 and steps.count("check_ruling") == 2
    assert history.count("arbiter") == 1, "the replaced run is not on the thread's branch"
    assert values["arbitration"]["status"] == "ok"
    assert [case.thread_id for case in queued_cases("support_triage", database_url)] == ["again"]


def test_a_rollback_that_settles_a_waiting_case_takes_it_off_the_queue(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = support_triage.VOTE_FILE
    # Neither the vote nor the arbiter may settle anything.
    _vote_rules(monkeypatch, tmp_path, soft_vote_min_confidence=1.0, arbiter_min_confidence=1.0)
    with open_workflow("support_triage", sqlite_url) as flow:
        assert flow.start(sample("01_card_arrival_settled"), "settle").status == "awaiting_review"
    assert [case.thread_id for case in queued_cases(database_url=sqlite_url)] == ["settle"]

    monkeypatch.setattr(support_triage, "VOTE_FILE", shipped)
    with open_workflow("support_triage", sqlite_url) as flow:
        settled = flow.rollback("settle", "keyword_voter")
    assert settled.status == "completed" and settled.decision is not None
    assert settled.decision["decided_by"] == "vote"
    assert queued_cases(database_url=sqlite_url) == []


def test_a_message_unlike_every_training_message_is_not_guessed_by_the_encoders(
    sqlite_url: str, trained: dict[str, Any]
) -> None:
    floor = trained["familiarity_floor"]
    assert 0.3 < floor < 0.9, "learned from held-out training messages' nearest similarities"
    ticket = sample("03_unclear_goes_to_queue")  # a greeting: no intent of Banking77's fits it
    with open_workflow("support_triage", sqlite_url) as flow:
        report = flow.start(ticket, thread_id="unlike")
        values = flow.graph.get_state(flow.config("unlike")).values
    votes = {vote["voter"]: vote for vote in values["ballot"]["votes"]}
    for voter in ("embedding_voter", "encoder_linear_voter"):
        assert votes[voter]["status"] == "abstained"
        assert "unlike every training message" in votes[voter]["reason"]
        stated = re.search(r"below the (\d\.\d\d) that", votes[voter]["reason"])
        assert stated is not None and abs(float(stated[1]) - floor) < 0.0051  # both rounded
    assert votes["tfidf_voter"]["status"] == "counted", "a voter without the measure still votes"
    assert report.status == "awaiting_review"
    assert [case.thread_id for case in queued_cases("support_triage", sqlite_url)] == ["unlike"]

    familiar = dict(ticket, text="My new card has still not arrived, where is it?")
    with open_workflow("support_triage", sqlite_url) as flow:
        flow.start(familiar, thread_id="familiar")
        values = flow.graph.get_state(flow.config("familiar")).values
    statuses = {vote["voter"]: vote["status"] for vote in values["ballot"]["votes"]}
    assert statuses["embedding_voter"] == statuses["encoder_linear_voter"] == "counted"
