"""The statistics the peers test their hypotheses with.

A hypothesis names a set of shipments M (a supplier's, a carrier's, the rows with impossible
dates, ...). How much of the rise in the overall late rate M explains is the decomposition

    rise = s_p·(Δ_M - Δ_R)  +  (s_p - s_b)·(Lb_M - Lb_R)  +  Δ_R
           rate effect         volume (mix) effect          the rest

where s_b, s_p are M's shares of the baseline's and the period's shipments, Lb the baseline late
rates and Δ the changes of the late rate, of M and of the rest R. `explained` is the first two
terms: M's own late rate rising faster than the rest's, and M's volume growing while it is later
than the rest (a supplier's shipments moving to a carrier that is late for everyone). Its
standard error is the delta method's, with proportions' variances from the Agresti-Coull
adjusted rates (so an empty or all-late cell does not claim certainty); its test is a z-test.
Controlling for another dimension is the same decomposition inside each of its values
(strata), weighted by the stratum's share of the period: an effect that lives in one carrier
vanishes when stratified by carrier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from schemas.late_delivery import DIMENSIONS, LateDeliveryQuestion

Z95 = 1.959963984540054
Mask = npt.NDArray[np.bool_]
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Frame:
    """The question's shipments as columns: the rows whose ship date falls in a window, each
    marked baseline or period, late or not, and whether its lateness is known (both the
    promised and the delivered date given)."""

    period: Mask
    late: Mask
    known: Mask
    columns: dict[str, npt.NDArray[np.object_]]
    """Each dimension's value per row; `data_quality` is the row's first issue, or `clean`."""
    outside: int
    """Shipments in neither window (or with no ship date)."""

    @property
    def rows(self) -> int:
        return int(self.period.size)

    def values(self, dimension: str) -> list[str]:
        return sorted({str(v) for v in self.columns[dimension]})


def frame_of(question: LateDeliveryQuestion) -> Frame:
    """The question's rows, ready to test."""
    limit = question.period.end + timedelta(days=366)
    seen: set[str] = set()
    period, late, known, issues = [], [], [], []
    columns: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    outside = 0
    for s in question.shipments:
        duplicate = s.shipment_id in seen
        seen.add(s.shipment_id)
        in_period = question.period.holds(s.ship_date)
        if not in_period and not question.baseline.holds(s.ship_date):
            outside += 1
            continue
        dates = [d for d in (s.promised_date, s.delivered_date) if d is not None]
        impossible = any(d < EARLIEST or d > limit for d in dates) or any(
            s.ship_date is not None and d < s.ship_date for d in dates
        )
        both = s.promised_date is not None and s.delivered_date is not None
        issues.append(
            "impossible_dates"
            if impossible
            else "duplicates"
            if duplicate
            else "missing_dates"
            if not both
            else "clean"
        )
        period.append(in_period)
        known.append(both)
        late.append(both and s.delivered_date > s.promised_date)  # type: ignore[operator]
        for dimension in DIMENSIONS:
            columns[dimension].append(getattr(s, dimension))
    arrays = {d: np.array(v, dtype=object) for d, v in columns.items()}
    arrays["data_quality"] = np.array(issues, dtype=object)
    return Frame(
        period=np.array(period, dtype=bool),
        late=np.array(late, dtype=bool),
        known=np.array(known, dtype=bool),
        columns=arrays,
        outside=outside,
    )


@dataclass(frozen=True)
class Cell:
    """Late counts of some shipments in the baseline (b) and the period (p)."""

    nb: int
    lb: int
    np_: int
    lp: int

    @property
    def rate_b(self) -> float:
        return self.lb / self.nb if self.nb else 0.0

    @property
    def rate_p(self) -> float:
        return self.lp / self.np_ if self.np_ else 0.0


def cell(frame: Frame, mask: Mask) -> Cell:
    rows = mask & frame.known
    base, per = rows & ~frame.period, rows & frame.period
    return Cell(
        int(base.sum()),
        int((base & frame.late).sum()),
        int(per.sum()),
        int((per & frame.late).sum()),
    )


def _var(late: int, n: int) -> float:
    """Variance of a proportion, from the Agresti-Coull adjusted rate."""
    adjusted = (late + 2) / (n + 4)
    return adjusted * (1 - adjusted) / (n + 4)


def p_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class Estimate:
    """A number in late-rate points with its standard error, 95% interval and z-test."""

    estimate: float
    se: float

    @property
    def ci(self) -> tuple[float, float]:
        return self.estimate - Z95 * self.se, self.estimate + Z95 * self.se

    @property
    def p_value(self) -> float:
        return p_two_sided(self.estimate / self.se) if self.se > 0 else 1.0


def change(c: Cell) -> Estimate:
    """The change of the late rate, period minus baseline (a two-proportion z-test)."""
    return Estimate(c.rate_p - c.rate_b, math.sqrt(_var(c.lp, c.np_) + _var(c.lb, c.nb)))


@dataclass(frozen=True)
class Explained:
    """What a set of shipments explains of the rise: the rate and volume effects, together."""

    explained: Estimate
    own: Estimate
    """The change of the set's own late rate."""
    rest: Estimate
    """The change of the late rate of every other shipment."""
    share_b: float
    share_p: float
    cell: Cell
    thin: bool
    """Too few of the set's shipments in a window to trust its baseline (the rest's is used)."""


def explained(frame: Frame, mask: Mask, among: Mask | None = None, min_rows: int = 30) -> Explained:
    """What `mask`'s shipments explain of the rise of the late rate of `among` (all rows by
    default): the decomposition in the module's docstring, with its delta-method error."""
    among = np.ones(frame.rows, dtype=bool) if among is None else among
    inside, rest = cell(frame, mask & among), cell(frame, ~mask & among)
    total_b, total_p = inside.nb + rest.nb, inside.np_ + rest.np_
    share_b = inside.nb / total_b if total_b else 0.0
    share_p = inside.np_ / total_p if total_p else 0.0
    thin = inside.nb < min_rows
    rate_b = rest.rate_b if thin else inside.rate_b
    var_b = _var(rest.lb, rest.nb) if thin else _var(inside.lb, inside.nb)
    own = Estimate(inside.rate_p - rate_b, math.sqrt(_var(inside.lp, inside.np_) + var_b))
    rest_change = change(rest)
    gap = rate_b - rest.rate_b
    shift = share_p - share_b
    rate_effect = share_p * (own.estimate - rest_change.estimate)
    mix_effect = shift * gap
    var_rate = share_p**2 * (own.se**2 + rest_change.se**2)
    var_shift = (share_p * (1 - share_p) / max(total_p, 1)) + (
        share_b * (1 - share_b) / max(total_b, 1)
    )
    var_mix = gap**2 * var_shift + shift**2 * (var_b + _var(rest.lb, rest.nb))
    return Explained(
        explained=Estimate(rate_effect + mix_effect, math.sqrt(var_rate + var_mix)),
        own=own,
        rest=rest_change,
        share_b=share_b,
        share_p=share_p,
        cell=inside,
        thin=thin,
    )


def overall(frame: Frame) -> Estimate:
    """The change of the overall late rate."""
    return change(cell(frame, np.ones(frame.rows, dtype=bool)))


def strata(frame: Frame, dimension: str, min_rows: int = 30) -> list[tuple[str, Mask]]:
    """The values of `dimension` as strata; values with fewer than `min_rows` known shipments in
    either window are pooled into one stratum (`(others)`), left out if it is still that thin."""
    kept: list[tuple[str, Mask]] = []
    pooled = np.zeros(frame.rows, dtype=bool)
    column = frame.columns[dimension]
    for value in frame.values(dimension):
        mask = column == value
        c = cell(frame, mask)
        if min(c.nb, c.np_) >= min_rows:
            kept.append((value, mask))
        else:
            pooled |= mask
    c = cell(frame, pooled)
    if min(c.nb, c.np_) >= min_rows:
        kept.append(("(others)", pooled))
    return kept


@dataclass(frozen=True)
class Stratified:
    """A set's explained rise controlling for a dimension, against the unstratified one."""

    within: Estimate
    """Scaled up to the whole set when some strata could not compare (see `coverage`)."""
    unstratified: Estimate
    dimension: str
    strata: int
    coverage: float
    """The part of the set's shipments in strata that hold enough of the set and of the rest
    in both windows to compare them; below one half, the dimension is nested in the set (every
    value of it wholly in or out) and stratifying by it says nothing."""

    @property
    def ratio(self) -> float:
        base = self.unstratified.estimate
        return self.within.estimate / base if base > 0 else 0.0


def stratified(frame: Frame, mask: Mask, dimension: str, min_rows: int = 30) -> Stratified:
    """`mask`'s explained rise inside each value of `dimension`, weighted by the value's share of
    the period's shipments. Strata where the set or the rest is too thin to compare are left
    out, and the estimate is scaled up by the part of the set the others hold."""
    layers = strata(frame, dimension, min_rows)
    period_known = frame.period & frame.known
    weights = [float((period_known & m).sum()) for _, m in layers]
    total = sum(weights) or 1.0
    estimate, variance, covered = 0.0, 0.0, 0
    mine = int((mask & frame.known).sum()) or 1
    for (_, layer), weight in zip(layers, weights, strict=True):
        inside, rest = cell(frame, mask & layer), cell(frame, ~mask & layer)
        if min(inside.nb, inside.np_, rest.nb, rest.np_) < min_rows:
            continue
        covered += int((mask & layer & frame.known).sum())
        inner = explained(frame, mask, among=layer, min_rows=min_rows).explained
        estimate += weight / total * inner.estimate
        variance += (weight / total) ** 2 * inner.se**2
    coverage = covered / mine
    scale = 1 / coverage if coverage > 0 else 0.0
    return Stratified(
        within=Estimate(estimate * scale, math.sqrt(variance) * scale),
        unstratified=explained(frame, mask, min_rows=min_rows).explained,
        dimension=dimension,
        strata=len(layers),
        coverage=coverage,
    )


@dataclass
class Candidate:
    """A value of a dimension and what it explains."""

    dimension: str
    value: str
    result: Explained
    share: float
    """Its part of the overall rise."""
    p_limit: float
    significant: bool = field(default=False)


def candidates(
    frame: Frame,
    dimension: str,
    values: Iterable[str] | None = None,
    *,
    alpha: float,
    min_share: float,
    min_rows: int,
) -> list[Candidate]:
    """Every value of `dimension` (data-quality issues for `data_quality`) with at least
    `min_rows` shipments in the period, ranked by what it explains; `significant` when its
    explained rise passes the z-test at `alpha` over the number of values (Bonferroni) and is at
    least `min_share` of the overall rise (which must itself be a significant rise)."""
    rise = overall(frame)
    rising = rise.estimate > 0 and rise.p_value < alpha
    column = frame.columns[dimension]
    chosen = [v for v in (values or frame.values(dimension)) if v != "clean"]
    found: list[Candidate] = []
    for value in chosen:
        mask = column == value
        if int((mask & frame.period & frame.known).sum()) < min_rows:
            continue
        result = explained(frame, mask, min_rows=min_rows)
        share = result.explained.estimate / rise.estimate if rise.estimate > 0 else 0.0
        found.append(Candidate(dimension, value, result, share, alpha / max(len(chosen), 1)))
    for c in found:
        e = c.result.explained
        c.significant = rising and e.estimate > 0 and e.p_value < c.p_limit and c.share >= min_share
    return sorted(found, key=lambda c: (-c.result.explained.estimate, c.value))


def mask_of(frame: Frame, dimension: str, value: str) -> Mask:
    mask: Mask = frame.columns[dimension] == value
    return mask


def rounded(values: Sequence[float], digits: int = 4) -> list[float]:
    return [round(v, digits) for v in values]


def as_points(x: float) -> str:
    """A late-rate difference in points: +5.2 points."""
    return f"{x * 100:+.1f} points"


def describe_cell(c: Cell) -> dict[str, Any]:
    return {"baseline": f"{c.lb}/{c.nb}", "period": f"{c.lp}/{c.np_}"}
