"""Contracts of the supply-chain replenishment workflow: the replenishment request, what each
department hands upward (the demand forecast, the purchase plan, the routing plan), the
specialists' handoffs inside the departments, and the released plan. Money is `Decimal` (JSON
strings in state); weeks are ISO weeks (`2026-W07`)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from schemas.decision import DecisionRecord

MIN_HISTORY_WEEKS = 26
"""Half a year of weekly history per SKU: less gives no backtest worth choosing a model by."""

Identifier = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")
]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), max_digits=18, decimal_places=4)]
Rate = Annotated[float, Field(ge=0, le=1)]
"""A share from 0 to 1 (an on-time rate, a probability)."""
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 code (`VN`)."""
Mode = Literal["ocean", "air", "rail", "truck"]

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _iso_week(text: str) -> str:
    match = _ISO_WEEK.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an ISO week: write YYYY-Www, e.g. 2026-W07")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO week: {year} has no week {week}") from None
    return text


IsoWeek = Annotated[str, AfterValidator(_iso_week)]
"""An ISO 8601 week, `YYYY-Www` (week 53 only in the years that have one)."""


def week_start(week: str) -> date:
    """The Monday that starts an ISO week."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def iso_week(day: date) -> str:
    """The ISO week a day falls in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _errors(model: str, problems: list[tuple[tuple[str | int, ...], str, object]]) -> None:
    """Raise the problems found across fields as one ValidationError, each at its own place."""
    if problems:
        raise ValidationError.from_exception_data(
            model,
            [
                InitErrorDetails(
                    type=PydanticCustomError("replenishment_request", message),
                    loc=loc,
                    input=given,
                )
                for loc, message, given in problems
            ],
        )


class SkuStock(BaseModel):
    """A SKU to replenish: what is on hand and how many weeks of demand to keep as safety stock."""

    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    on_hand: int = Field(ge=0, le=10**9)
    safety_stock_weeks: float = Field(ge=0, le=52)


class DemandWeek(BaseModel):
    """Units of a SKU ordered by customers in one ISO week."""

    model_config = ConfigDict(extra="forbid")

    sku: Identifier
    week: IsoWeek
    quantity: float = Field(ge=0, le=1e9)


class SupplierOffer(BaseModel):
    """A supplier's terms for one SKU."""

    model_config = ConfigDict(extra="forbid")

    supplier_id: Identifier
    sku: Identifier
    unit_price: Money = Field(gt=0)
    lead_time_days: int = Field(ge=0, le=365)
    """Days from the order to the goods being ready to ship."""
    on_time_rate: Rate
    capacity_per_week: int = Field(gt=0, le=10**9)
    country: Country


class Lane(BaseModel):
    """A transport lane from a country to the plan's warehouse."""

    model_config = ConfigDict(extra="forbid")

    lane_id: Identifier
    origin_country: Country
    mode: Mode
    carrier: str = Field(min_length=1, max_length=100)
    transit_days: int = Field(ge=0, le=180)
    cost_per_unit: Money
    on_time_rate: Rate


class ReplenishmentRequest(BaseModel):
    """A replenishment request: what is on hand, what was ordered week by week (at least 26 weeks
    per SKU), which suppliers offer each SKU, and the lanes goods can come by.

    Cross-field rules are checked here, each reported at its own place: every SKU once, history
    only for listed SKUs and at most one row per SKU and week, 26 weeks or more of history per
    SKU, suppliers only for listed SKUs, lane ids unique, `need_by` after `order_date`."""

    model_config = ConfigDict(extra="forbid")

    plan_id: Identifier
    need_by: date
    horizon_weeks: int = Field(ge=1, le=52)
    order_date: date = Field(default_factory=date.today)
    """The day the purchase orders would be placed (today unless given)."""
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    skus: list[SkuStock] = Field(min_length=1, max_length=500)
    order_history: list[DemandWeek] = Field(min_length=1, max_length=200_000)
    suppliers: list[SupplierOffer] = Field(min_length=1, max_length=5_000)
    lanes: list[Lane] = Field(min_length=1, max_length=5_000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        if self.need_by <= self.order_date:
            problems.append(
                (("need_by",), f"need_by must be after order_date {self.order_date}", self.need_by)
            )
        if self.need_by > self.order_date + timedelta(days=730):
            problems.append((("need_by",), "need_by is more than two years away", self.need_by))
        listed: set[str] = set()
        for i, stock in enumerate(self.skus):
            if stock.sku in listed:
                problems.append(
                    (("skus", i, "sku"), f"SKU {stock.sku!r} is listed twice", stock.sku)
                )
            listed.add(stock.sku)
        weeks: dict[str, set[str]] = defaultdict(set)
        order_week = self.order_date - timedelta(days=self.order_date.weekday())
        for i, row in enumerate(self.order_history):
            if week_start(row.week) >= order_week:
                problems.append(
                    (
                        ("order_history", i, "week"),
                        f"week {row.week} is not before the week of order_date "
                        f"{self.order_date}: the history is what was ordered before the plan",
                        row.week,
                    )
                )
            if row.sku not in listed:
                problems.append(
                    (("order_history", i, "sku"), f"history for unknown SKU {row.sku!r}", row.sku)
                )
            elif row.week in weeks[row.sku]:
                problems.append(
                    (
                        ("order_history", i, "week"),
                        f"SKU {row.sku!r} has week {row.week} twice",
                        row.week,
                    )
                )
            weeks[row.sku].add(row.week)
        for stock in self.skus:
            have = len(weeks.get(stock.sku, ()))
            if have < MIN_HISTORY_WEEKS:
                problems.append(
                    (
                        ("order_history",),
                        f"SKU {stock.sku!r} has {have} weeks of history; at least "
                        f"{MIN_HISTORY_WEEKS} are needed to forecast it",
                        stock.sku,
                    )
                )
        offers = Counter((offer.supplier_id, offer.sku) for offer in self.suppliers)
        for i, offer in enumerate(self.suppliers):
            if offer.sku not in listed:
                problems.append(
                    (
                        ("suppliers", i, "sku"),
                        f"supplier {offer.supplier_id!r} offers unknown SKU {offer.sku!r}",
                        offer.sku,
                    )
                )
            elif offers[(offer.supplier_id, offer.sku)] > 1:
                problems.append(
                    (
                        ("suppliers", i),
                        f"supplier {offer.supplier_id!r} offers SKU {offer.sku!r} more than once",
                        offer.supplier_id,
                    )
                )
                offers[(offer.supplier_id, offer.sku)] = 1  # said once
        lanes = Counter(lane.lane_id for lane in self.lanes)
        for i, lane in enumerate(self.lanes):
            if lanes[lane.lane_id] > 1:
                problems.append(
                    (
                        ("lanes", i, "lane_id"),
                        f"lane {lane.lane_id!r} is listed twice",
                        lane.lane_id,
                    )
                )
                lanes[lane.lane_id] = 1
        _errors(type(self).__name__, problems)
        return self


# --- Demand forecasting -----------------------------------------------------------------------


class DemandInput(BaseModel):
    """What the forecasting department takes: the SKUs and their weekly order history."""

    plan_id: Identifier
    horizon_weeks: int = Field(ge=1, le=52)
    order_date: date
    skus: list[SkuStock]
    order_history: list[DemandWeek]


class SkuSeries(BaseModel):
    """One SKU's weekly demand as a regular series (weeks with no row are zero)."""

    sku: Identifier
    first_week: IsoWeek
    values: list[float]
    filled_weeks: int = Field(ge=0)
    """Weeks inside the span that had no row and were taken as zero demand."""
    seasonal_period: int | None
    """52 when there are two years or more to estimate yearly seasonality from, else none."""


class DemandSeries(BaseModel):
    """The demand history as the forecaster takes it."""

    horizon_weeks: int = Field(ge=1, le=52)
    order_date: date
    series: list[SkuSeries]


class ForecastWeek(BaseModel):
    week: IsoWeek
    mean: float = Field(ge=0)
    low: float = Field(ge=0)
    high: float = Field(ge=0)


class SkuForecast(BaseModel):
    """A SKU's forecast over the horizon, the model chosen and why."""

    sku: Identifier
    model: str
    why: str
    backtest_mase: dict[str, float]
    """Each candidate's mean absolute scaled error on the held-back weeks."""
    weeks: list[ForecastWeek]
    total: float = Field(ge=0)
    total_low: float = Field(ge=0)
    total_high: float = Field(ge=0)


class DemandForecast(BaseModel):
    """The forecasting department's handoff: one forecast per SKU over the horizon, with a
    prediction interval (`interval` is its coverage, e.g. 0.8)."""

    horizon_weeks: int = Field(ge=1, le=52)
    interval: float = Field(gt=0, lt=1)
    skus: list[SkuForecast] = Field(min_length=1)


# --- Procurement ----------------------------------------------------------------------------


class Avoid(BaseModel):
    """A supplier not to buy a SKU from on a re-plan, and why (logistics cannot land it in time)."""

    supplier_id: Identifier
    sku: Identifier
    reason: str


class ProcurementInput(BaseModel):
    """What the procurement department takes."""

    plan_id: Identifier
    order_date: date
    need_by: date
    currency: str
    skus: list[SkuStock]
    suppliers: list[SupplierOffer]
    lanes: list[Lane]
    forecast: DemandForecast
    avoid: list[Avoid] = []


class RequirementsInput(BaseModel):
    """What the requirements specialist takes: the SKUs' stock and the forecast."""

    skus: list[SkuStock]
    forecast: DemandForecast


class Requirement(BaseModel):
    """Units to buy for a SKU: forecast demand plus safety stock, less what is on hand."""

    sku: Identifier
    forecast_units: int = Field(ge=0)
    safety_stock_units: int = Field(ge=0)
    on_hand: int = Field(ge=0)
    net_units: int = Field(ge=0)


class SourcingInput(BaseModel):
    """What the sourcing specialist takes: the requirements and the market."""

    plan_id: Identifier
    order_date: date
    need_by: date
    currency: str
    requirements: list[Requirement]
    suppliers: list[SupplierOffer]
    lanes: list[Lane]
    avoid: list[Avoid] = []


class Requirements(BaseModel):
    lines: list[Requirement]


class PurchaseOrderDraft(BaseModel):
    """A purchase order to one supplier for one SKU, within its capacity."""

    po_number: Identifier
    supplier_id: Identifier
    sku: Identifier
    quantity: int = Field(gt=0)
    unit_price: Money
    value: Money
    landed_unit_cost: Money
    """Unit price plus the freight of the cheapest lane that lands it by need_by (else the fastest)."""
    country: Country
    lead_time_days: int = Field(ge=0)


class Shortfall(BaseModel):
    """Units of a SKU no supplier could take."""

    sku: Identifier
    units: int = Field(gt=0)
    reason: str


class PurchasePlan(BaseModel):
    """The procurement department's handoff: purchase-order drafts (split across suppliers where
    one lacks capacity), what could not be bought, and the plan's fill rate."""

    currency: str
    orders: list[PurchaseOrderDraft]
    shortfalls: list[Shortfall] = []
    fill_rate: Rate
    total_value: Money
    largest_po_value: Money
    split_skus: list[Identifier] = []
    solver: str
    avoided: list[Avoid] = []
    signed_off_by: str | None = None
    """Who approved it at procurement's gate (None when the policy let it through)."""


# --- Logistics ----------------------------------------------------------------------------


class LogisticsInput(BaseModel):
    """What the logistics department takes: the offers to route, the lanes and the dates."""

    plan_id: Identifier
    order_date: date
    need_by: date
    skus_in_demand: list[Identifier]
    suppliers: list[SupplierOffer]
    lanes: list[Lane]


class LaneOption(BaseModel):
    """One way to bring a supplier's goods: a lane from its country, when they would arrive, and
    the chance they arrive after `need_by`."""

    supplier_id: Identifier
    sku: Identifier
    lane_id: Identifier
    mode: Mode
    carrier: str
    ship_date: date
    arrival: date
    slack_days: int
    """Days between arrival and `need_by` (negative: late)."""
    late_risk: Rate
    freight_per_unit: Money


class LaneOptions(BaseModel):
    options: list[LaneOption]
    unroutable: list[str] = []
    """Offers (`supplier/sku`) with no lane from the supplier's country."""
    need_by: date


class Route(LaneOption):
    """The lane chosen for an offer."""

    meets_need_by: bool
    why: str


class SkuRisk(BaseModel):
    sku: Identifier
    best_late_risk: Rate
    reason: str


class RoutingPlan(BaseModel):
    """The logistics department's handoff: a route per supplier offer, and the late risk of the
    best way to bring each SKU in demand."""

    routes: list[Route]
    skus_at_risk: list[SkuRisk] = []
    highest_late_risk: Rate
    """Over the SKUs in demand, the late risk of the best route each has: high means even the
    best plan is likely to miss `need_by`."""
    unroutable: list[str] = []
    signed_off_by: str | None = None
    """Who approved it at logistics' gate (None when the policy let it through)."""


# --- The released plan ------------------------------------------------------------------------


class PlannedOrder(BaseModel):
    """A purchase order with the lane that brings it."""

    po_number: Identifier
    supplier_id: Identifier
    sku: Identifier
    quantity: int
    value: Money
    freight: Money
    lane_id: Identifier | None
    mode: Mode | None
    carrier: str | None
    arrival: date | None
    late_risk: Rate | None
    late: bool
    recorded: Literal["ordered", "ordered_before", "ordered_differently", "not_ordered"] = (
        "not_ordered"
    )
    """`ordered`: recorded in the ledger by this decision; `ordered_before`: the same order of the
    same plan was recorded earlier (by this or another thread) and was not sent again;
    `ordered_differently`: an order of this plan to this supplier for this SKU was recorded
    earlier with another quantity or value, and stands (this one was not sent)."""


class ReplenishmentPlan(DecisionRecord):
    """The decision on a replenishment request: the orders released (each recorded once in the
    ledger), or why none were."""

    plan_id: str
    currency: str
    orders: list[PlannedOrder] = []
    total_cost: Decimal = Decimal(0)
    """Purchase value plus freight."""
    fill_rate: float | None = None
    late_orders: list[str] = []
    replans: int = 0
    forecast_models: dict[str, str] = {}
    signed_off: dict[str, str] = {}
    """Department -> the reviewer who approved its part at its gate."""
