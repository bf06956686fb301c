"""The soft vote: the vote pattern weighing calibrated probabilities instead of counting labels
(`graphs.patterns.vote.SoftVote`), and the weights learned on held-out answers
(`agents.support_triage.stacking`): weighted votes settle, an unsure one goes to the arbiter, a
weight is learned for the voter that earns it, and a voter that abstains is left out of the
average rather than read as a zero."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from agents.support_triage.calibration import Calibration
from agents.support_triage.stacking import Stacker, candidates_of, combine, fit_stacker
from graphs.patterns.vote import Arbiter, SoftVote, build_vote
from schemas.ballot import Candidate, Vote
from tests.unit.test_vote import ARBITER, VOTERS, ToyState, _run

IDENTITY = Calibration((0.0, 1.0), (0.0, 1.0))


def _weighted(weights: dict[str, float]) -> Any:
    """A soft vote averaging each voter's candidates with these weights (no calibration)."""

    def weigh(votes: Sequence[Vote]) -> list[Candidate]:
        return Stacker(weights, IDENTITY, 0.0).weigh(votes)

    return weigh


def _soft_toy(weights: dict[str, float], threshold: float = 0.6) -> Any:
    return _toy_with(SoftVote(_weighted(weights), min_confidence=threshold, describe="toy weights"))


def _toy_with(soft: SoftVote) -> Any:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END

    builder = build_vote(
        ToyState,
        VOTERS,
        then="route",
        escalate_to="human",
        arbiter=Arbiter(ARBITER, min_confidence=0.6),
        soft=soft,
    )
    builder.add_node("route", lambda state: {"outcome": f"routed {state['choice']['label']}"})
    builder.add_node("human", lambda state: {"outcome": "queued"})
    builder.add_edge("route", END)
    builder.add_edge("human", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_a_weighted_minority_beats_a_majority_it_outweighs() -> None:
    # Two voters say x; the one that counts most says y, surely.
    state, events = _run(
        _soft_toy({"a": 0.1, "b": 0.1, "c": 0.8}),
        {"a": ["x", 0.6], "b": ["x", 0.6], "c": ["y", 0.95]},
    )
    ballot = state["ballot"]
    assert ballot["method"] == "soft" and ballot["outcome"] == "weighted"
    assert ballot["winner"] == "y" and ballot["counts"] == {"x": 2, "y": 1}
    combined = {c["label"]: c["probability"] for c in ballot["combined"]}
    # Each toy voter's runner-up is zzz, so y has only c's weighted 0.95.
    assert combined["y"] == pytest.approx(0.8 * 0.95)
    assert combined["x"] == pytest.approx(0.1 * 0.6 * 2)
    assert state["choice"]["decided_by"] == "vote" and state["choice"]["settled"]
    assert state["choice"]["confidence"] == pytest.approx(combined["y"])
    assert "by toy weights" in ballot["reason"] and state["outcome"] == "routed y"
    assert state.get("arbitration") is None
    assert [d for name, d in events if name == "baton.ballot"] == [ballot]


def test_an_unsure_soft_vote_goes_to_the_arbiter_and_a_person_sees_its_best_label() -> None:
    weights = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    state, _ = _run(
        _soft_toy(weights, threshold=0.9),
        {"a": ["x", 0.7], "b": ["x", 0.6], "c": ["y", 0.9]},
        ruling_confidence=0.3,
    )
    ballot = state["ballot"]
    assert ballot["outcome"] == "not_confident" and ballot["winner"] is None
    assert "below the vote's threshold of 0.90" in ballot["reason"]
    assert state["arbitration"]["status"] == "ok", "the arbiter was asked"
    assert state["outcome"] == "queued" and state["choice"]["settled"] is False


def test_an_abstaining_voter_is_left_out_of_the_average_not_read_as_zero() -> None:
    state, _ = _run(
        _soft_toy({"a": 0.5, "b": 0.25, "c": 0.25}),
        {"a": "empty", "b": ["x", 0.8], "c": ["x", 0.8]},
    )
    assert state["ballot"]["cast"] == 2
    assert state["ballot"]["combined"][0] == {"label": "x", "probability": pytest.approx(0.8)}
    assert state["outcome"] == "routed x"


def _broken(votes: Sequence[Vote]) -> list[Candidate]:
    raise OSError("models.joblib is truncated")


def _inventive(votes: Sequence[Vote]) -> list[Candidate]:
    return [Candidate(label="nobody_said_this", probability=0.99)]


@pytest.mark.parametrize(
    ("weigh", "why"),
    [
        (_broken, "OSError: models.joblib is truncated"),
        (lambda votes: [], "it answered no candidate"),
        (_inventive, "labels no counted vote named: ['nobody_said_this']"),
        (
            lambda votes: [
                Candidate(label="x", probability=0.2),
                Candidate(label="y", probability=0.7),
            ],
            "did not put the most probable label first",
        ),
    ],
)
def test_a_soft_vote_that_cannot_weigh_goes_to_the_arbiter_and_never_fails_the_run(
    weigh: Any, why: str
) -> None:
    graph = _toy_with(SoftVote(weigh, min_confidence=0.5))
    state, _ = _run(graph, {"a": ["x", 0.6], "b": ["y", 0.7], "c": ["y", 0.9]})
    ballot = state["ballot"]
    assert ballot["outcome"] == "not_confident" and ballot["combined"] == []
    assert why in ballot["reason"]
    assert state["arbitration"]["status"] == "ok", "the arbiter still rules"
    assert state["outcome"] == "routed y"


def test_a_soft_vote_threshold_outside_0_1_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="soft vote's min_confidence must be within"):
        build_vote(
            ToyState,
            VOTERS,
            then="route",
            escalate_to="human",
            soft=SoftVote(_weighted({}), min_confidence=1.5),
        )


def test_the_stacker_learns_to_trust_the_voter_that_is_right_more_often() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 4, size=400)

    def voter(accuracy: float) -> np.ndarray:
        rows = np.full((len(labels), 4), 0.1)
        right = rng.random(len(labels)) < accuracy
        guesses = np.where(right, labels, (labels + 1) % 4)
        rows[np.arange(len(labels)), guesses] = 0.7
        return rows

    held_out = {"good": voter(0.9), "poor": voter(0.4)}
    held_out["poor"][:50] = np.nan  # it abstains on some messages
    stacker, accuracy = fit_stacker(held_out, labels)
    assert stacker.weights["good"] > stacker.weights["poor"]
    assert sum(stacker.weights.values()) == pytest.approx(1.0)
    assert accuracy["soft vote (held-out folds)"] >= 0.85
    # A voter the training never saw (the chat model) gets the mean of the positive weights.
    positive = [w for w in stacker.weights.values() if w > 0]
    assert stacker.weight("model_voter") == pytest.approx(float(np.mean(positive)))
    # The combined confidence is calibrated: it rises with the raw score, and on the held-out
    # answers its mean is the share that were right.
    right = stacker.calibration.right
    assert all(a <= b for a, b in pairwise(right)) and right[-1] < 1.0
    combined = combine(held_out, stacker.weights)
    said = [stacker.calibration(value) for value in combined.max(axis=1)]
    assert float(np.mean(said)) == pytest.approx(accuracy["soft vote (held-out folds)"], abs=0.02)
    # The threshold for the review gate is suggested from those held-out answers.
    suggested = accuracy["lever"]["suggested"]
    assert suggested["queue_rate"] <= 0.15


def test_the_stacker_weighs_by_likelihood_not_by_the_count_of_right_answers() -> None:
    """A voter that is more often right but puts nothing on the right intent when wrong loses
    weight to one that never rules the right intent out: the weights maximise the likelihood of
    the right intent, not the share of right answers (which would move them on borderline
    messages and reward the confidently wrong)."""
    labels = np.zeros(100, dtype=int)
    bold, careful = np.zeros((100, 4)), np.zeros((100, 4))
    bold[:45, 0], careful[:45, 1] = 1.0, 1.0  # 45: bold right, careful wrong
    bold[45:80, 2], careful[45:80, 0] = 1.0, 1.0  # 35: careful right, bold wrong
    # 20 nobody gets right, but careful still gives the right intent a fifth.
    bold[80:, 3], careful[80:, 0], careful[80:, 1] = 1.0, 0.2, 0.8
    held_out = {"bold": bold, "careful": careful}
    stacker, accuracy = fit_stacker(held_out, labels)

    def likelihood(weights: dict[str, float]) -> float:
        chance = combine(held_out, weights)[np.arange(100), labels]
        return float(np.log(np.clip(chance, 1e-4, None)).mean())

    more_often_right = {"bold": 0.55, "careful": 0.45}
    right = combine(held_out, more_often_right).argmax(axis=1) == labels
    assert float(right.mean()) == pytest.approx(0.45)
    assert stacker.weights["bold"] == pytest.approx(0.45)  # the likelihood's best: 45 / 100
    assert accuracy["soft vote (held-out folds)"] == pytest.approx(0.35)
    assert likelihood(stacker.weights) > likelihood(more_often_right)


def test_a_voter_that_answered_no_message_gets_no_weight() -> None:
    """The keyword rules on a team's own intents (no rule names them) abstain on every message:
    the stacker gives them no weight, rather than whatever weight the grid reached first, and
    the voter the training never saw gets the mean of the weights that were earned."""
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 3, size=120)
    good = np.full((len(labels), 3), 0.1)
    good[np.arange(len(labels)), labels] = 0.8
    fair = np.roll(good, 1, axis=0)
    silent = np.full((len(labels), 3), np.nan)
    for order in (("silent", "good", "fair"), ("good", "fair", "silent")):
        held_out = {"good": good, "fair": fair, "silent": silent}
        stacker, _ = fit_stacker({name: held_out[name] for name in order}, labels)
        assert list(stacker.weights) == list(order)
        assert stacker.weights["silent"] == 0.0
        assert stacker.weights["good"] + stacker.weights["fair"] == pytest.approx(1.0)
        earned = [w for w in stacker.weights.values() if w > 0]
        assert stacker.weight("model_voter") == pytest.approx(float(np.mean(earned)))


def test_candidates_keep_the_top_calibrated_and_an_abstention_as_nan() -> None:
    raw = np.array([[0.6, 0.3, 0.1, 0.0, 0.0, 0.0, 0.0], [np.nan] * 7])
    calibration = Calibration((0.0, 1.0), (0.0, 0.5))  # right half as often as it says
    rows = candidates_of(raw, calibration)
    assert rows[0, 0] == pytest.approx(0.3)
    # The runners-up share the 0.7 left, but none outranks the label the voter put first.
    assert rows[0, 1] == pytest.approx(0.3) and rows[0, 2] == pytest.approx(0.1 * 0.7 / 0.4)
    assert rows[0].sum() <= 1.0
    assert np.isnan(rows[1]).all()
    combined = combine(
        {"one": rows, "two": np.array([[0, 1.0, 0, 0, 0, 0, 0], [np.nan] * 7])},
        {"one": 1.0, "two": 1.0},
    )
    assert combined[1].sum() == 0, "a message nobody answered has no candidate"
    assert combined[0].argmax() == 1
