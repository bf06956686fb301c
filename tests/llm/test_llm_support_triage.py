"""Support triage with a model configured (a scripted OpenAI-compatible server, through the real
`langchain-openai` client): the model votes as a fifth voter, weighed in the soft vote; a broken
or failing model voter is a failed vote, never counted; the model arbiter settles an unsure soft
vote with its reason, and (in a majority vote) falls back to the calibrated rule when it rules for
a label no voter proposed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.support_triage.training import load_models, train
from agents.support_triage.voters import (
    encoder_linear_votes,
    keyword_votes,
    neighbour_votes,
    tfidf_votes,
)
from graphs import support_triage
from graphs.kit.runtime import open_workflow
from tests.conftest import ROOT
from tests.llm.model_server import ScriptedModelServer

SAMPLES = ROOT / "data" / "samples" / "support_triage"


@pytest.fixture(scope="module", autouse=True)
def trained() -> None:
    train()


@pytest.fixture
def triage_model(model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BATON_MODEL_SUPPORT_TRIAGE", "openai:scripted-triage")
    monkeypatch.setenv("BATON_MODEL_RETRY_INTERVAL", "0")
    monkeypatch.setenv("BATON_MODEL_RETRY_ATTEMPTS", "2")
    return model_server


NOTE = {"json": {"points": [{"point": "The card has not come.", "quote": "waiting on my card"}]}}


def _vote_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **changes: Any) -> None:
    """Run with the support lead's vote file changed as given."""
    rules = support_triage.load_vote_rules().model_dump()
    path = tmp_path / "vote.yaml"
    path.write_text(json.dumps({**rules, **changes}), encoding="utf-8")
    monkeypatch.setattr(support_triage, "VOTE_FILE", path)


def _ticket(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _run(url: str, ticket: dict[str, Any], thread: str) -> tuple[Any, dict[str, Any]]:
    with open_workflow("support_triage", url) as flow:
        report = flow.start(ticket, thread_id=thread)
        return report, flow.graph.get_state(flow.config(thread)).values


def _lines(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {vote["voter"]: vote for vote in values["ballot"]["votes"]}


def test_the_model_votes_as_a_fifth_voter_with_its_quote_as_evidence(
    triage_model: ScriptedModelServer, sqlite_url: str
) -> None:
    ticket = _ticket("01_card_arrival_settled")
    quote = "still hasn't arrived"
    assert quote in ticket["text"]
    triage_model.script(
        {
            "json": {
                "intent": "card_arrival",
                "confidence": 0.97,
                "quote": quote,
                "alternatives": [],
            }
        },
        {"json": {"points": [{"point": "The card has not come.", "quote": quote}]}},
    )

    report, values = _run(sqlite_url, ticket, "voted")

    model = _lines(values)["model_voter"]
    assert model["status"] == "counted" and model["implementation"] == "llm_classifier"
    assert model["confidence"] == 0.9, "a model's own confidence is capped below certainty"
    assert model["evidence"] == [f'quoted "{quote}"']
    assert values["ballot"]["cast"] == 5 and values["ballot"]["outcome"] == "weighted"
    assert "model_voter card_arrival" in values["ballot"]["reason"], "its vote is weighed"
    assert report.decision["intent"] == "card_arrival"
    request = triage_model.requests[0]
    assert ticket["text"] in json.dumps(request["messages"]), "the message is sent as data"
    assert values["note"]["implementation"] == "llm_note"
    assert values["note"]["value"]["points"][0]["quote"] == quote


def test_a_model_voter_that_answers_nonsense_or_fails_is_never_counted(
    triage_model: ScriptedModelServer, sqlite_url: str
) -> None:
    ticket = _ticket("01_card_arrival_settled")
    nonsense = {"intent": "lost_my_hamster", "confidence": 0.9, "quote": ""}
    triage_model.script({"json": nonsense}, {"json": nonsense}, NOTE)

    report, values = _run(sqlite_url, ticket, "nonsense")

    model = _lines(values)["model_voter"]
    assert model["status"] == "failed" and "broke the schema 2 times" in model["reason"]
    assert values["ballot"]["cast"] == 4 and report.decision["decided_by"] == "vote"

    triage_model.script({"status": 500}, {"status": 500}, NOTE)
    report, values = _run(sqlite_url, ticket, "down")
    model = _lines(values)["model_voter"]
    assert model["status"] == "failed" and "retries exhausted" in model["reason"]
    assert report.decision["intent"] == "card_arrival"


def test_the_model_arbiter_settles_an_unsure_vote_and_says_why(
    triage_model: ScriptedModelServer,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _vote_rules(monkeypatch, tmp_path, soft_vote_min_confidence=0.95)
    ticket = _ticket("02_unsure_vote_confirmed_by_a_person")
    split = _split_candidates(ticket)
    triage_model.script(
        # The model votes for another label, so the soft vote stays unsure.
        {"json": {"intent": "exchange_rate", "confidence": 0.3, "quote": ""}},
        {"json": {"intent": split[0], "confidence": 0.95, "reason": "The customer says so."}},
        {"json": {"points": [{"point": "It has not come.", "quote": "waiting on my card"}]}},
    )

    report, values = _run(sqlite_url, ticket, "ruled")

    assert values["ballot"]["outcome"] == "not_confident"
    arbitration = values["arbitration"]
    assert arbitration["implementation"] == "llm_arbiter"
    assert arbitration["value"]["reason"] == "model ruling: The customer says so."
    assert values["choice"]["decided_by"] == "arbiter" and values["choice"]["label"] == split[0]
    # A model's confidence is not calibrated: the support lead's policy has a person confirm it.
    assert report.status == "awaiting_review" and report.packet is not None
    assert "arbiter_ruling" in [rule["rule"] for rule in report.packet["reasons"]]


def test_a_model_ruling_for_a_label_nobody_proposed_falls_back_to_the_calibrated_rule(
    triage_model: ScriptedModelServer,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _vote_rules(monkeypatch, tmp_path, decision="majority")
    ticket = _ticket("02_unsure_vote_confirmed_by_a_person")
    triage_model.script(
        {"json": {"intent": "exchange_rate", "confidence": 0.3, "quote": ""}},
        {"json": {"intent": "age_limit", "confidence": 0.99, "reason": "Made up."}},
    )

    _, values = _run(sqlite_url, ticket, "invented")

    assert values["ballot"]["outcome"] == "no_majority"
    arbitration = values["arbitration"]
    assert arbitration["implementation"] == "calibrated_average"
    assert arbitration["fallbacks"][0].startswith("llm_arbiter: the model ruled for 'age_limit'")


def _split_candidates(ticket: dict[str, Any]) -> list[str]:
    """The labels the offline voters split over on this ticket."""
    models = load_models()
    votes = [
        keyword_votes([ticket["text"]], models)[0],
        tfidf_votes([ticket["text"]], models)[0],
        neighbour_votes([ticket["text"]], models)[0],
        encoder_linear_votes([ticket["text"]], models)[0],
    ]
    return [vote.label for vote in votes if vote is not None]


def test_the_model_note_keeps_only_points_that_quote_the_message(
    triage_model: ScriptedModelServer, sqlite_url: str
) -> None:
    ticket = _ticket("01_card_arrival_settled")
    invented = {
        "point": "The customer is furious and wants compensation.",
        "quote": "I demand money",
    }
    grounded = {"point": "It was ordered two weeks ago.", "quote": "I ordered it two weeks ago"}
    triage_model.script(
        {"json": {"intent": "card_arrival", "confidence": 0.8, "quote": ""}},
        {"json": {"points": [invented, grounded]}},
    )

    _, values = _run(sqlite_url, ticket, "cited")

    note = values["note"]
    assert note["implementation"] == "llm_note"
    assert [p["point"] for p in note["value"]["points"]] == [grounded["point"]]
    point = note["value"]["points"][0]
    assert ticket["text"][point["start"] : point["end"]] == point["quote"]

    triage_model.script(
        {"json": {"intent": "card_arrival", "confidence": 0.8, "quote": ""}},
        {"json": {"points": [invented]}},
    )
    _, values = _run(sqlite_url, ticket, "uncited")
    assert values["note"]["implementation"] == "cited_points", "the rules write it instead"
    assert values["note"]["fallbacks"] == [
        "llm_note: none of the model's points quotes the message"
    ]
