"""The statistics the peers test their hypotheses with.

A hypothesis names a set of shipments M (a supplier's, a carrier's, the rows with impossible
dates, ...). How much of the rise in the overall late rate M explains is the decomposition

    rise = s_p·(Δ_M - Δ_R)  +  (s_p - s_b)·(Lb_M - Lb_R)  +  Δ_R
           rate effect         volume (mix) effect          the rest

where s_b, s_p are M's shares of the baseline's and the period's shipments, Lb the baseline late
rates and Δ the changes of the late rate, of M and of the rest R. `explained` is the first two
terms: M's own late rate rising faster than the rest's, and M's volume growing while it is later
than the rest (a supplier's shipments moving to a carrier that is late for everyone). Summed,
they are s_p·D_p - s_b·D_b, D a window's late rate of M less the rest's; the standard error is
the delta method's on that form (the shares binomial, the rates' variances from Agresti-Coull
adjusted rates, so an empty or all-late cell does not claim certainty); its test is a z-test.
Controlling for another dimension is indirect standardisation: M's lateness is measured against
the rest's in the same value (stratum) of that dimension, in each window, and the same two
effects are taken of that excess: a supplier that is late only because its shipments moved to a
slow carrier keeps nothing once the carrier is controlled for.
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
    # explained = s_p·D_p - s_b·D_b, D the set's late rate less the rest's in a window (the two
    # effects of the docstring, summed); with a thin baseline the set is taken as the rest there.
    gap_p = inside.rate_p - rest.rate_p
    gap_b = 0.0 if thin else inside.rate_b - rest.rate_b
    var_gap_p = _var(inside.lp, inside.np_) + _var(rest.lp, rest.np_)
    var_gap_b = 0.0 if thin else _var(inside.lb, inside.nb) + _var(rest.lb, rest.nb)
    estimate = share_p * gap_p - share_b * gap_b
    variance = share_weighted_variance(
        share_p, share_b, gap_p, gap_b, var_gap_p, var_gap_b, total_p, total_b
    )
    return Explained(
        explained=Estimate(estimate, math.sqrt(variance)),
        own=own,
        rest=rest_change,
        share_b=share_b,
        share_p=share_p,
        cell=inside,
        thin=thin,
    )


def share_weighted_variance(
    share_p: float,
    share_b: float,
    gap_p: float,
    gap_b: float,
    var_gap_p: float,
    var_gap_b: float,
    total_p: int,
    total_b: int,
) -> float:
    """The delta-method variance of `share_p·gap_p - share_b·gap_b`, each share a binomial
    proportion of its window's shipments, independent of the gaps."""
    var_share_p = share_p * (1 - share_p) / max(total_p, 1)
    var_share_b = share_b * (1 - share_b) / max(total_b, 1)
    return (
        share_p**2 * var_gap_p
        + share_b**2 * var_gap_b
        + gap_p**2 * var_share_p
        + gap_b**2 * var_share_b
    )


def overall(frame: Frame) -> Estimate:
    """The change of the overall late rate."""
    return change(cell(frame, np.ones(frame.rows, dtype=bool)))


def strata(frame: Frame, dimension: str, min_rows: int = 30) -> list[tuple[str, Mask]]:
    """The values of `dimension` as strata; values with fewer than `min_rows` known shipments in
    either window are pooled into one stratum (`(others)`), left out if it is still that thin.
    Controlling for data quality compares the clean shipments alone."""
    column = frame.columns[dimension]
    if dimension == "data_quality":
        return [("clean", column == "clean")]  # flagged rows are not compared, whatever kind
    kept: list[tuple[str, Mask]] = []
    pooled = np.zeros(frame.rows, dtype=bool)
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
    """The explained rise of the set's shipments that could be compared (see `coverage`)."""
    unstratified: Estimate
    dimension: str
    strata: int
    coverage: float
    """The part of the set's shipments (in the window compared least) in strata where the rest
    has enough shipments to compare them with; below one half, the dimension is nested in the
    set (its values wholly in it or out of it) and stratifying by it says nothing."""

    @property
    def ratio(self) -> float:
        base = self.unstratified.estimate
        return self.within.estimate / base if base > 0 else 0.0


def _standardised(
    frame: Frame, mask: Mask, layers: list[tuple[str, Mask]], period: bool, min_rows: int
) -> tuple[float, float, int, int]:
    """The set's late rate in one window beyond what its strata predict (each of its shipments
    expected to be late as often as the rest's in its stratum): (excess, its variance, the set's
    shipments compared, all of them). Shipments in a stratum where the rest has fewer than
    `min_rows` known shipments in the window are not compared."""
    window = frame.known & (frame.period if period else ~frame.period)
    mine, total = mask & window, int((mask & window).sum())
    observed, expected, variance, compared = 0, 0.0, 0.0, 0
    for _, layer in layers:
        inside, rest = mine & layer, ~mask & window & layer
        n, n_rest = int(inside.sum()), int(rest.sum())
        if n == 0 or n_rest < min_rows:
            continue
        late_rest = int((rest & frame.late).sum())
        compared += n
        observed += int((inside & frame.late).sum())
        expected += n * late_rest / n_rest
        variance += n**2 * _var(late_rest, n_rest)
    if compared == 0:
        return 0.0, 0.0, 0, total
    rate = observed / compared
    return (
        rate - expected / compared,
        _var(observed, compared) + variance / compared**2,
        compared,
        total,
    )


def stratified(frame: Frame, mask: Mask, dimension: str, min_rows: int = 30) -> Stratified:
    """`mask`'s explained rise controlling for `dimension`, by indirect standardisation: in each
    window, how much later the set's shipments are than the rest's in the same stratum (a value
    of `dimension`); the rate effect is the change of that excess, the volume effect the set's
    growth times its baseline excess. A set whose lateness is its strata's (a supplier on a slow
    carrier) keeps nothing. With fewer than `min_rows` of the set's shipments in the baseline,
    its baseline excess is taken as none (as `explained` takes the rest's baseline)."""
    layers = strata(frame, dimension, min_rows)
    excess_p, var_p, compared_p, total_p = _standardised(frame, mask, layers, True, min_rows)
    excess_b, var_b, compared_b, total_b = _standardised(frame, mask, layers, False, min_rows)
    if total_b < min_rows:
        excess_b, var_b = 0.0, 0.0
    unstratified = explained(frame, mask, min_rows=min_rows)
    share_b, share_p = unstratified.share_b, unstratified.share_p
    n_b = int((frame.known & ~frame.period).sum())
    n_p = int((frame.known & frame.period).sum())
    # share_p·(excess_p - excess_b) + (share_p - share_b)·excess_b, as in `explained`
    estimate = share_p * excess_p - share_b * excess_b
    variance = share_weighted_variance(share_p, share_b, excess_p, excess_b, var_p, var_b, n_p, n_b)
    coverage = compared_p / total_p if total_p else 0.0
    if total_b >= min_rows:
        coverage = min(coverage, compared_b / total_b)
    return Stratified(
        within=Estimate(estimate, math.sqrt(variance)),
        unstratified=unstratified.explained,
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
    least `min_share` of the overall rise (all of it when the overall late rate did not rise:
    the rest fell while it rose)."""
    rise = overall(frame)
    column = frame.columns[dimension]
    chosen = [
        v
        for v in (values or frame.values(dimension))
        if dimension != "data_quality" or v != "clean"
    ]
    found: list[Candidate] = []
    for value in chosen:
        mask = column == value
        if int((mask & frame.period & frame.known).sum()) < min_rows:
            continue
        result = explained(frame, mask, min_rows=min_rows)
        gained = result.explained.estimate
        share = gained / rise.estimate if rise.estimate > 0 else float(gained > 0)
        found.append(Candidate(dimension, value, result, share, alpha / max(len(chosen), 1)))
    for c in found:
        e = c.result.explained
        c.significant = e.estimate > 0 and e.p_value < c.p_limit and c.share >= min_share
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
