"""Calibration: a classifier's raw top score mapped to the share of such answers that were right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """An isotonic map from a raw top score to the probability that the answer is right."""

    raw: tuple[float, ...]
    right: tuple[float, ...]

    @classmethod
    def fit(cls, raw: Sequence[float], correct: Sequence[bool]) -> Calibration:
        """Fitted on held-out answers: `raw` top scores and whether each was right. Never
        certain: the most it says is n / (n + 1) for n answers (the rule of succession), so a
        classifier checked on a few dozen messages cannot claim 1.0."""
        from sklearn.isotonic import IsotonicRegression

        if len(raw) == 0:
            return cls((0.0, 1.0), (0.0, 0.0))
        ceiling = len(raw) / (len(raw) + 1)
        model = IsotonicRegression(y_min=0.0, y_max=ceiling, out_of_bounds="clip")
        model.fit(np.asarray(raw, dtype=float), np.asarray(correct, dtype=float))
        return cls(
            tuple(float(x) for x in model.X_thresholds_),
            tuple(float(y) for y in model.y_thresholds_),
        )

    def __call__(self, raw: float) -> float:
        return float(np.interp(raw, self.raw, self.right))


def scale_runners_up(top_raw: float, confidence: float, rest: np.ndarray) -> np.ndarray:
    """The runners-up's raw scores scaled to share what the calibrated top leaves (1 -
    `confidence`) as they shared what the raw top left, never adding up to more than that (a
    raw top within rounding of 1 leaves a share rounding can make too large), and none above
    the top's own probability (a top calibrated down does not hand its lead to a runner-up: the
    classifier still ranked it first)."""
    left = max(1.0 - confidence, 0.0)
    total = float(rest.sum())
    if total <= 0 or top_raw >= 1:
        return np.zeros_like(rest, dtype=np.float64)
    scale = min(left / (1.0 - top_raw), left / total)
    return np.minimum(rest * scale, confidence)
