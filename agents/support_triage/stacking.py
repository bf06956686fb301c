"""The soft vote's weights: how much each voter's calibrated probabilities count, learned on
held-out folds of the training data only.

Each voter's answers on messages it was not trained on (cross-validation folds; the keyword rules
are not trained, so their answers on the training data are held out already) are turned into the
candidates the voter would give at run time (`candidates_of`: the top label's probability
calibrated, the runners-up sharing what is left). The soft vote adds the counted voters'
candidates, each voter weighted, and divides by the weights of the voters that counted. The
weights are the ones under which the soft vote gives the right intent the highest likelihood on
the held-out answers (the mean log of the probability it gives the right intent; ties to the
more often right): a stacking of the voters by the log loss, a proper scoring rule. Counting
only how often the vote is right would move the weights on a few messages that sit on the edge
between two intents, and it overweighed the keyword rules, whose answers on the training data
are not quite held out (they were written reading it: 78% right there, 76% on messages set
aside). And the combined top probability is calibrated once more (isotonic, on the same held-out
answers), so the vote's confidence says how often such answers are right: the number the review
gate's threshold is set against.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.support_triage.calibration import Calibration, scale_runners_up
from schemas.ballot import Candidate, Vote

TOP_CANDIDATES = 5
"""How many candidates a voter gives (and the soft vote keeps)."""
WEIGHT_STEP = 0.05
"""The grid the weights are searched on (they sum to 1)."""


def candidates_of(raw: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Rows of raw scores (one per message, summing to at most 1) as the voter's candidates: the
    top label's probability calibrated, the next `TOP_CANDIDATES - 1` scaled to share what is
    left, every other label 0. A row of NaN (the voter abstained) stays NaN."""
    out = np.zeros_like(raw, dtype=np.float64)
    for row, scores in enumerate(raw):
        if np.isnan(scores).any():
            out[row] = np.nan
            continue
        order = np.argsort(-scores, kind="stable")[:TOP_CANDIDATES]
        top = float(scores[order[0]])
        confidence = min(max(calibration(top), 0.0), 1.0)
        out[row, order[0]] = confidence
        out[row, order[1:]] = scale_runners_up(top, confidence, scores[order[1:]])
    return out


def combine(held_out: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted average of the voters' candidate rows, over the voters that answered each
    message (a row with no answer at all is 0)."""
    total = None
    mass = None
    for name, rows in held_out.items():
        weight = weights.get(name, 0.0)
        present = ~np.isnan(rows).any(axis=1)
        part = np.where(present[:, None], rows, 0.0) * weight
        total = part if total is None else total + part
        share = present * weight
        mass = share if mass is None else mass + share
    assert total is not None and mass is not None
    return np.divide(total, mass[:, None], out=np.zeros_like(total), where=mass[:, None] > 0)


@dataclass(frozen=True)
class Stacker:
    """The learned soft vote: a weight per voter, and the calibration of the combined answer."""

    weights: dict[str, float]
    calibration: Calibration
    default_weight: float
    """The weight of a voter that was not part of the training (the chat-model voter)."""

    def weight(self, voter: str) -> float:
        return self.weights.get(voter, self.default_weight)

    def weigh(self, votes: Sequence[Vote]) -> list[Candidate]:
        """The counted votes combined: every candidate's weighted average probability, best
        first (ties by name), the top one calibrated and the runners-up scaled to share what is
        left, as a voter's candidates are."""
        sums: dict[str, float] = {}
        mass = 0.0
        for vote in votes:
            weight = self.weight(vote.voter)
            if weight <= 0 or not vote.candidates:
                continue
            mass += weight
            for candidate in vote.candidates:
                sums[candidate.label] = (
                    sums.get(candidate.label, 0.0) + weight * candidate.probability
                )
        if mass <= 0:  # only voters the stacking gave no weight: plain average
            return self.plain(votes)
        ranked = sorted(sums, key=lambda label: (-sums[label], label))[:TOP_CANDIDATES]
        raw = [min(sums[label] / mass, 1.0) for label in ranked]
        return self._calibrated(ranked, raw)

    def plain(self, votes: Sequence[Vote]) -> list[Candidate]:
        sums: dict[str, float] = {}
        counted = [vote for vote in votes if vote.candidates]
        for vote in counted:
            for candidate in vote.candidates:
                sums[candidate.label] = sums.get(candidate.label, 0.0) + candidate.probability
        ranked = sorted(sums, key=lambda label: (-sums[label], label))[:TOP_CANDIDATES]
        return self._calibrated(ranked, [min(sums[label] / len(counted), 1.0) for label in ranked])

    def _calibrated(self, ranked: list[str], raw: list[float]) -> list[Candidate]:
        if not ranked:
            return []
        confidence = min(max(self.calibration(raw[0]), 0.0), 1.0)
        shares = scale_runners_up(raw[0], confidence, np.asarray(raw[1:]))
        return [Candidate(label=ranked[0], probability=confidence)] + [
            Candidate(label=label, probability=float(share))
            for label, share in zip(ranked[1:], shares, strict=True)
            if share > 0
        ]


def fit_stacker(
    held_out: Mapping[str, np.ndarray], labels: np.ndarray
) -> tuple[Stacker, dict[str, Any]]:
    """The weights (on a grid of step `WEIGHT_STEP`, summing to 1) under which the soft vote
    gives the right intent the highest mean log-likelihood on the held-out answers (ties to the
    more often right), and the calibration of the combined top probability. Returns the stacker and, on
    the held-out answers, the soft vote's accuracy and its `lever_curve` (the review gate's
    threshold chosen there, never on a test set)."""
    # A voter that answered none of the messages (the keyword rules, on a team's own intents
    # that no rule names) has no say in the likelihood: it is given no weight, not whatever
    # weight the grid happened to reach first.
    names = [name for name in held_out if (~np.isnan(held_out[name]).any(axis=1)).any()]
    steps = round(1 / WEIGHT_STEP)
    rows = np.arange(len(labels))
    # What `combine` computes, vectorised over the grid: the weighted sum of the answers, and
    # the weights of the voters that answered each message (the sum's argmax is the average's).
    answers = np.stack([np.nan_to_num(held_out[name], nan=0.0) for name in names])
    present = np.stack([~np.isnan(held_out[name]).any(axis=1) for name in names]).astype(float)
    right_answer = answers[:, rows, labels]
    best: tuple[float, float, tuple[float, ...]] | None = None
    for split in itertools.product(range(steps + 1), repeat=len(names) - 1):
        if sum(split) > steps:
            continue
        weights_grid = np.asarray((*split, steps - sum(split)), dtype=float) / steps
        total = np.tensordot(weights_grid, answers, axes=1)
        mass = weights_grid @ present
        right = float((total.argmax(axis=1) == labels).mean())
        chance = np.divide(
            weights_grid @ right_answer, mass, out=np.zeros_like(mass), where=mass > 0
        )
        likelihood = float(np.log(np.clip(chance, 1e-4, None)).mean())
        if best is None or (likelihood, right) > best[:2]:
            best = (likelihood, right, tuple(float(value) for value in weights_grid))
    assert best is not None
    found = dict(zip(names, best[2], strict=True))
    weights = {name: round(found.get(name, 0.0), 4) for name in held_out}
    combined = combine(held_out, weights)
    top = combined.argmax(axis=1)
    raw = combined[rows, top]
    correct = top == labels
    answered = combined.sum(axis=1) > 0
    calibration = Calibration.fit(raw[answered].tolist(), correct[answered].tolist())
    positive = [value for value in weights.values() if value > 0]
    stacker = Stacker(
        weights=weights,
        calibration=calibration,
        default_weight=float(np.mean(positive)) if positive else 1.0,
    )
    confidence = np.asarray([calibration(value) for value in raw]) * answered
    stacker_curve = lever_curve(confidence, correct)
    return stacker, {
        "soft vote (held-out folds)": round(float(correct.mean()), 4),
        "lever": stacker_curve,
    }


LEVER_GRID = tuple(round(0.5 + step / 100, 2) for step in range(50))
"""The thresholds the lever is read at."""
MAX_QUEUE = 0.15
"""The queue share the suggested threshold stays within."""


def lever_curve(confidence: np.ndarray, correct: np.ndarray) -> dict[str, object]:
    """Queue share and accuracy on what is routed alone at each threshold of `LEVER_GRID` (a
    message is queued when its confidence is below it), and the suggested threshold: the one
    routing most right alone with at most `MAX_QUEUE` queued (the lowest such, on a tie)."""
    points = []
    for threshold in LEVER_GRID:
        kept = confidence >= threshold
        points.append(
            {
                "threshold": threshold,
                "queue_rate": round(float(1 - kept.mean()), 4),
                "auto_accuracy": round(float(correct[kept].mean()), 4) if kept.any() else None,
            }
        )
    within = [point for point in points if float(str(point["queue_rate"])) <= MAX_QUEUE]
    suggested = max(
        within,
        key=lambda point: (point["auto_accuracy"] or 0.0, -float(str(point["threshold"]))),
        default=None,
    )
    return {"suggested": suggested, "curve": points}
