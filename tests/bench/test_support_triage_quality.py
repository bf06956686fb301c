"""The support triage quality benchmark on a small Banking77 split (12 training and 3 test messages
per intent), trained fresh into a temporary models folder."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from agents.support_triage.intents import DEFAULT_TRAINING_DATA
from bench.split_csv import stratified_split
from bench.support_triage_quality import (
    CLASSIFIERS,
    CURVE,
    Decision,
    main,
    section,
    verdict,
)

PER_INTENT = 15
FIGURES = ("accuracy", "macro_f1", "queue_rate", "auto_accuracy")


@pytest.fixture(scope="module")
def small_split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(train.csv, test.csv, models folder): the first 15 messages of each intent, split 12 / 3."""
    root = tmp_path_factory.mktemp("triage_bench")
    with DEFAULT_TRAINING_DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    taken: dict[str, int] = defaultdict(int)
    subset = []
    for row in rows:
        if taken[row["category"]] < PER_INTENT:
            taken[row["category"]] += 1
            subset.append(row)
    train, test = stratified_split(subset, "category", 0.2, 2026)
    paths = root / "train.csv", root / "test.csv"
    for path, part in zip(paths, (train, test), strict=True):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "category"])
            writer.writeheader()
            writer.writerows({"text": r["text"], "category": r["category"]} for r in part)
    return paths[0], paths[1], root / "models"


@pytest.fixture(scope="module")
def report(small_split: tuple[Path, Path, Path]) -> dict[str, Any]:
    from bench.support_triage_quality import evaluate

    train, test, models = small_split
    return evaluate(train, test, models)


def _in_unit(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def test_json_report_has_the_figures_for_the_vote_and_each_classifier(
    small_split: tuple[Path, Path, Path], report: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test, models = small_split
    assert main([str(train), str(test), "--json", "--models-dir", str(models)]) == 0
    printed = json.loads(capsys.readouterr().out)
    # The second run finds the models the first trained; the figures do not change.
    assert printed["timing"]["training_cached"] is True
    for key in FIGURES:
        assert printed[key] == report[key]
    assert set(printed["classifiers"]) == set(CLASSIFIERS)
    for figures in [printed, *printed["classifiers"].values()]:
        assert all(key in figures and _in_unit(figures[key]) for key in FIGURES)
    assert printed["data"]["test"]["rows"] == 77 * 3
    assert printed["data"]["train"]["rows"] == 77 * 12
    assert printed["data"]["test"]["intents"] == 77
    assert printed["thresholds"]["quorum"] >= 1
    assert any("router.confidence" in rule for rule in printed["thresholds"]["gate_rules"])
    # Decided by majority, arbiter or a person: every message exactly once.
    groups = printed["vote"]["decided_by"]
    assert sum(group["count"] for group in groups.values()) == 77 * 3
    assert groups["queued"]["share"] == printed["queue_rate"]
    assert set(printed["vote"]["voter_status"]) == {
        "keyword_voter",
        "tfidf_voter",
        "embedding_voter",
    }
    # TF-IDF and the neighbours always answer; the keyword rules may abstain.
    assert printed["classifiers"]["tfidf"]["answered"] == 1.0
    assert printed["vote"]["voter_status"]["tfidf_voter"]["counted"] == 1.0


def test_the_curve_queues_more_as_the_threshold_rises(report: dict[str, Any]) -> None:
    thresholds = [point["threshold"] for point in report["curve"]]
    assert thresholds == sorted(thresholds) and set(CURVE) <= set(thresholds)
    configured = report["thresholds"]["arbiter_min_confidence"]
    at_configured = next(p for p in report["curve"] if p["threshold"] == configured)
    assert at_configured["vote"]["queue_rate"] == report["queue_rate"]
    assert at_configured["vote"]["auto_accuracy"] == report["auto_accuracy"]
    for name in ("vote", *CLASSIFIERS):
        rates = [point[name]["queue_rate"] for point in report["curve"]]
        assert rates == sorted(rates), name
        assert all(_in_unit(point[name]["auto_accuracy"]) for point in report["curve"])
    # At threshold 0 a classifier queues only its abstentions.
    first = report["curve"][0]
    for name in CLASSIFIERS:
        answered = report["classifiers"][name]["answered"]
        assert first[name]["queue_rate"] == pytest.approx(1 - answered, abs=1e-4)


def test_the_markdown_section_shows_the_tables(report: dict[str, Any]) -> None:
    text = section(report)
    assert text.startswith("## Support triage quality")
    assert "| vote + arbiter |" in text and "| tfidf alone |" in text
    assert "| decided by | share | accuracy |" in text
    assert "(configured)" in text


def test_decisions_end_as_the_vote_pattern_nodes_end_them(
    small_split: tuple[Path, Path, Path], report: dict[str, Any]
) -> None:
    """The benchmark's path against the workflow's own tally and check_ruling nodes."""
    from agents.spec import AgentContext
    from agents.support_triage.intents import read_labelled_csv
    from agents.support_triage.specs import AGENTS, ARBITER, VOTERS, rule_on_ballot
    from agents.support_triage.training import load_models
    from agents.support_triage.voters import keyword_votes, neighbour_votes, tfidf_votes
    from bench.support_triage_quality import _voter_results, decide
    from graphs.kit.policy import workflow_policy
    from graphs.patterns.vote import Arbiter, _check_ruling, _tally
    from graphs.support_triage import WORKFLOW_NAME, load_vote_rules
    from schemas.ballot import ArbitrationCase, Ballot
    from schemas.result import AgentResult, Status
    from schemas.support_triage import IntentRuling, IntentVote

    train, test, models_dir = small_split
    texts = [m.text for m in read_labelled_csv(test)][:60]
    models = load_models(train, models_dir)
    rules = load_vote_rules()
    policy = workflow_policy(WORKFLOW_NAME, AGENTS)
    context = AgentContext(database_url="memory://")
    columns: list[list[IntentVote | None]] = [
        keyword_votes(texts, models),
        list(tfidf_votes(texts, models)),
        list(neighbour_votes(texts, models)),
    ]
    by_key = {
        spec.writes: _voter_results(column, spec, spec.implementations[0].name)
        for spec, column in zip(VOTERS[:3], columns, strict=True)
    }
    tally = _tally(
        VOTERS[:3], rules.quorum, rules.min_vote_confidence, "router", "arbiter", "router"
    )
    for threshold in (0.0, rules.arbiter_min_confidence, 0.95):
        check = _check_ruling(Arbiter(ARBITER, min_confidence=threshold), "router", "router")
        for index in range(len(texts)):
            results = {key: column[index] for key, column in by_key.items()}
            decision, _ = decide(results, rules, policy, context)
            mine = verdict(decision, threshold)
            command = tally(results, {})
            update = dict(command.update)  # type: ignore[arg-type]
            if command.goto == "arbiter":
                ruling = rule_on_ballot(
                    ArbitrationCase(ballot=Ballot.model_validate(update["ballot"])), context
                )
                assert isinstance(ruling, IntentRuling)
                result = AgentResult[IntentRuling](
                    status=Status.OK, value=ruling, agent="arbiter", version="1.0.0"
                ).model_dump(mode="json")
                update = dict(check({"ballot": update["ballot"], "arbitration": result}, {}).update)  # type: ignore[arg-type]
            choice = update["choice"]
            assert choice["label"] == mine.label
            # The gate may still stop a settled case; a case the vote did not settle always waits.
            if not choice["settled"]:
                assert mine.queued
            else:
                assert mine.queued == (mine.reason == "gate")
                assert mine.decided_by in (choice["decided_by"], "queued")
                assert choice["confidence"] == pytest.approx(decision.confidence)


def test_a_missing_file_is_a_clear_error(
    small_split: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test, models = small_split
    nowhere = train.parent / "nowhere.csv"
    assert main([str(nowhere), str(test), "--json", "--models-dir", str(models)]) == 2
    done = capsys.readouterr()
    assert done.out == "" and str(nowhere) in done.err
    assert main([str(train), str(nowhere), "--models-dir", str(models)]) == 2
    assert str(nowhere) in capsys.readouterr().err


def test_a_settled_case_can_still_be_stopped_by_the_gate() -> None:
    weak = Decision("majority", "card_arrival", 0.2, gate_review=True)
    assert verdict(weak, 0.5).queued and verdict(weak, 0.5).reason == "gate"
    ruling = Decision("no_majority", "card_arrival", 0.6)
    assert verdict(ruling, 0.5).decided_by == "arbiter"
    assert (
        verdict(ruling, 0.7).reason == "weak_ruling"
        and verdict(ruling, 0.7).label == "card_arrival"
    )
    assert verdict(Decision("no_votes", None, None), 0.0).label is None
