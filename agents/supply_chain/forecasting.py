"""The forecasting department's specialists: the demand history as regular weekly series, and a
forecast per SKU from statsmodels' exponential smoothing, theta and STL models, the model chosen
by its error on held-back weeks (a rolling backtest), with an 80% prediction interval."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.stl import STLForecast
from statsmodels.tsa.forecasting.theta import ThetaModel

from agents.spec import AgentContext
from schemas.supply_chain import (
    DemandForecast,
    DemandInput,
    DemandSeries,
    ForecastWeek,
    SkuForecast,
    SkuSeries,
    iso_week,
    week_start,
)

YEAR = 52
INTERVAL = 0.8
"""The prediction interval's coverage."""


def demand_series(history: DemandInput, _: AgentContext) -> DemandSeries:
    """Turns the order history into one regular weekly series per SKU, from its first week to
    the last week before the order date; a week with no row is zero demand (and counted)."""
    by_sku: dict[str, dict[str, float]] = defaultdict(dict)
    for row in history.order_history:
        by_sku[row.sku][row.week] = row.quantity
    series = []
    for stock in history.skus:
        weeks = by_sku[stock.sku]
        first, last = min(weeks, key=week_start), max(weeks, key=week_start)
        start, end = week_start(first), week_start(last)
        span = [iso_week(start + timedelta(weeks=i)) for i in range((end - start).days // 7 + 1)]
        values = [float(weeks.get(week, 0.0)) for week in span]
        series.append(
            SkuSeries(
                sku=stock.sku,
                first_week=first,
                values=values,
                filled_weeks=len(span) - len(weeks),
                seasonal_period=YEAR if len(values) >= 2 * YEAR else None,
            )
        )
    return DemandSeries(
        horizon_weeks=history.horizon_weeks, order_date=history.order_date, series=series
    )


@dataclass(frozen=True)
class Fitted:
    mean: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    """The interval's bounds (None when only the mean was asked for: a backtest)."""


Candidate = Callable[[pd.Series, int, int | None, bool], Fitted]


def _ets(trend: bool) -> Candidate:
    def fit(y: pd.Series, h: int, _: int | None, interval: bool) -> Fitted:
        kwargs = {"trend": "add", "damped_trend": True} if trend else {}
        result = ETSModel(y, error="add", **kwargs).fit(disp=False)
        if not interval:
            return Fitted(np.asarray(result.forecast(h)))
        frame = result.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(
            alpha=1 - INTERVAL
        )
        return Fitted(
            frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
        )

    return fit


def _theta(y: pd.Series, h: int, period: int | None, interval: bool) -> Fitted:
    result = ThetaModel(y, period=period or 1, deseasonalize=period is not None).fit()
    mean = result.forecast(h).to_numpy()
    if not interval:
        return Fitted(mean)
    bounds = result.prediction_intervals(h, alpha=1 - INTERVAL)
    return Fitted(mean, bounds["lower"].to_numpy(), bounds["upper"].to_numpy())


def _stl_ets(trend: bool) -> Candidate:
    def fit(y: pd.Series, h: int, period: int | None, interval: bool) -> Fitted:
        kwargs = {"trend": "add", "damped_trend": True} if trend else {}
        model = STLForecast(
            y, ETSModel, model_kwargs={"error": "add", **kwargs}, period=period or YEAR
        )
        result = model.fit(fit_kwargs={"disp": False})
        if not interval:
            return Fitted(np.asarray(result.forecast(h)))
        frame = result.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(
            alpha=1 - INTERVAL
        )
        return Fitted(
            frame["mean"].to_numpy(),
            frame["mean_ci_lower"].to_numpy(),
            frame["mean_ci_upper"].to_numpy(),
        )

    return fit


CANDIDATES: dict[str, tuple[Candidate, bool]] = {
    "ets_simple": (_ets(trend=False), False),
    "ets_damped_trend": (_ets(trend=True), False),
    "theta": (_theta, False),
    "stl_ets_simple": (_stl_ets(trend=False), True),
    "stl_ets_damped_trend": (_stl_ets(trend=True), True),
}
"""The models tried on every SKU: name -> (fit, whether it needs yearly seasonality)."""
DESCRIBED = {
    "ets_simple": "simple exponential smoothing (level only)",
    "ets_damped_trend": "exponential smoothing with a damped trend",
    "theta": "the theta method",
    "stl_ets_simple": "yearly seasonality (STL) with simple smoothing of the rest",
    "stl_ets_damped_trend": "yearly seasonality (STL) with a damped-trend smoothing of the rest",
}


def backtest_weeks(length: int) -> int:
    """How many weeks each backtest fold holds back: eight, or a sixth of the history when that
    is shorter, and at least four."""
    return max(4, min(8, length // 6))


FOLDS = 3
"""Backtest origins per SKU (rolling: each fold holds back the weeks after its origin); one fold
alone picks by noise as often as by skill."""


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, period: int | None) -> float:
    """Mean absolute scaled error: the forecast's mean absolute error over that of the seasonal
    (or, without seasonality, last-value) naive forecast inside the training weeks."""
    lag = period if period and len(train) > period else 1
    scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
    if scale <= 1e-9 * (float(np.mean(np.abs(train))) + 1):
        # A flat history: the naive forecast never errs, so scale by the level (or by one unit)
        # to keep the error finite and comparable.
        scale = max(float(np.mean(np.abs(train))), 1.0)
    return float(np.mean(np.abs(actual - forecast))) / scale


STRONG_SEASONALITY = 0.3
"""The yearly autocorrelation from which only seasonal models are tried: white noise over two
and a half years stays below it (p < 0.01), and a yearly pattern that strong is not noise a
non-seasonal model could win a short backtest by."""


def yearly_autocorrelation(values: list[float], period: int) -> float:
    """The correlation of the series, its linear trend removed, with itself a year earlier."""
    y = np.asarray(values, dtype=float)
    t = np.arange(len(y))
    detrended = y - np.polyval(np.polyfit(t, y, 1), t)
    later, earlier = detrended[period:], detrended[:-period]
    flat = 1e-9 * (float(np.mean(np.abs(y))) + 1)  # what is left of a straight line is rounding
    if len(later) < 3 or np.std(later) <= flat or np.std(earlier) <= flat:
        return 0.0
    return float(np.corrcoef(later, earlier)[0, 1])


def _candidates(period: int | None, strong: bool = False) -> list[str]:
    return [
        name
        for name, (_, seasonal) in CANDIDATES.items()
        if (period or not seasonal) and (seasonal or not strong)
    ]


def _fit(name: str, y: pd.Series, h: int, period: int | None, interval: bool = False) -> Fitted:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter: errors still raise
        return CANDIDATES[name][0](y, h, period, interval)


def backtest_folds(length: int, period: int | None) -> int:
    """How many rolling backtests fit in `length` weeks, each training on at least two years
    (with yearly seasonality) or on twice the held-back weeks and eight more."""
    held = backtest_weeks(length)
    least = 2 * period if period else 2 * held + 8
    return sum(1 for f in range(FOLDS) if length - held * (f + 1) >= least)


def choose_model(values: list[float], period: int | None) -> tuple[str, dict[str, float]]:
    """The candidate with the lowest mean MASE over rolling-origin backtest folds (each holding
    back `backtest_weeks` weeks), and every candidate's mean MASE. Where two years of history
    show a strong yearly season, only seasonal models are candidates."""
    held = backtest_weeks(len(values))
    folds = list(range(backtest_folds(len(values), period)))
    if not folds and period:  # too short for yearly seasonality in every fold: go without it
        return choose_model(values, None)
    strong = period is not None and yearly_autocorrelation(values, period) >= STRONG_SEASONALITY
    errors: dict[str, list[float]] = {}
    for fold in folds or [0]:
        end = len(values) - held * fold
        train, test = np.asarray(values[: end - held]), np.asarray(values[end - held : end])
        for name in _candidates(period, strong):
            try:
                fitted = _fit(name, pd.Series(train), held, period)
            except (ValueError, np.linalg.LinAlgError):
                continue  # a model that cannot fit this series is not a candidate for it
            errors.setdefault(name, []).append(
                mase(test, np.maximum(fitted.mean, 0), train, period)
            )
    complete = {name: e for name, e in errors.items() if len(e) == len(folds or [0])}
    if not complete:
        raise ValueError("no forecasting model could be fitted")
    scores = {name: round(float(np.mean(e)), 4) for name, e in complete.items()}
    return min(scores, key=lambda name: (scores[name], name)), scores


def forecast_sku(series: SkuSeries, horizon: int, start_week: str) -> SkuForecast:
    """The chosen model refitted on the whole history, forecast over the horizon's weeks from
    `start_week` (weeks between the history's end and `start_week` are forecast and dropped)."""
    chosen, scores = choose_model(series.values, series.seasonal_period)
    after_history = week_start(series.first_week) + timedelta(weeks=len(series.values))
    gap = max(0, (week_start(start_week) - after_history).days // 7)
    fitted = _fit(
        chosen, pd.Series(series.values), gap + horizon, series.seasonal_period, interval=True
    )
    assert fitted.low is not None and fitted.high is not None
    first = week_start(start_week)
    weeks = [
        ForecastWeek(
            week=iso_week(first + timedelta(weeks=i)),
            mean=round(max(float(fitted.mean[gap + i]), 0.0), 2),
            low=round(max(float(fitted.low[gap + i]), 0.0), 2),
            high=round(max(float(fitted.high[gap + i]), float(fitted.mean[gap + i]), 0.0), 2),
        )
        for i in range(horizon)
    ]
    runners = ", ".join(
        f"{name} {score:.2f}" for name, score in sorted(scores.items()) if name != chosen
    )
    seasonal_only = all(CANDIDATES[name][1] for name in scores)
    why = (
        ("a strong yearly season, so seasonal models only; " if seasonal_only else "")
        + f"{chosen}, {DESCRIBED[chosen]}: lowest mean MASE {scores[chosen]:.2f} over {FOLDS} "
        f"backtests of {backtest_weeks(len(series.values))} weeks held back"
        + (f" (others: {runners})" if runners else "")
    )
    return SkuForecast(
        sku=series.sku,
        model=chosen,
        why=why,
        backtest_mase=scores,
        weeks=weeks,
        total=round(sum(w.mean for w in weeks), 2),
        total_low=round(sum(w.low for w in weeks), 2),
        total_high=round(sum(w.high for w in weeks), 2),
    )


def forecast_demand(history: DemandSeries, _: AgentContext) -> DemandForecast:
    """Forecasts each SKU's weekly demand over the horizon from the order date's week, with an
    80% prediction interval, by the model (exponential smoothing, theta, STL) that did best on
    the SKU's held-back weeks."""
    start = iso_week(history.order_date)
    return DemandForecast(
        horizon_weeks=history.horizon_weeks,
        interval=INTERVAL,
        skus=[forecast_sku(s, history.horizon_weeks, start) for s in history.series],
    )
