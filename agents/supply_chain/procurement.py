"""The procurement department's specialists: what to buy per SKU (forecast plus safety stock,
less what is on hand), and from whom, by landed cost, reliability and capacity. The split across
suppliers is a mixed-integer programme per SKU solved by HiGHS (`scipy.optimize.milp`): no order
goes beyond a supplier's capacity or to a supplier for a SKU it does not offer."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from pydantic import BaseModel, Field
from scipy.optimize import Bounds, LinearConstraint, milp

from agents.spec import AgentContext
from schemas.result import ErrorKind, Outcome
from schemas.supply_chain import (
    Lane,
    PurchaseOrderDraft,
    PurchasePlan,
    Requirement,
    Requirements,
    RequirementsInput,
    Shortfall,
    SourcingInput,
    SupplierOffer,
)

CENT = Decimal("0.01")
SOLVER = "HiGHS mixed-integer programme (scipy.optimize.milp)"


class SourcingSettings(BaseModel):
    """The supply-chain lead's sourcing settings (`settings:` in policies/supply_chain.yaml)."""

    order_fixed_cost: float = Field(default=250.0, ge=0)
    """The cost of placing one more purchase order: what a split must save to be worth it."""
    unreliability_cost_share: float = Field(default=0.5, ge=0, le=10)
    """The expected cost of a late delivery, as a share of the unit price, per unit of
    unreliability (1 - on-time rate)."""


def requirements(need: RequirementsInput, _: AgentContext) -> Requirements:
    """Units to buy per SKU: the forecast over the horizon, plus safety stock (its weeks of the
    forecast's average week), less what is on hand; never below zero."""
    forecasts = {f.sku: f for f in need.forecast.skus}
    lines = []
    for stock in need.skus:
        forecast = forecasts.get(stock.sku)
        total = forecast.total if forecast else 0.0
        weekly = total / need.forecast.horizon_weeks
        safety = math.ceil(stock.safety_stock_weeks * weekly)
        demand = math.ceil(total)
        lines.append(
            Requirement(
                sku=stock.sku,
                forecast_units=demand,
                safety_stock_units=safety,
                on_hand=stock.on_hand,
                net_units=max(0, demand + safety - stock.on_hand),
            )
        )
    return Requirements(lines=lines)


def freight_in_time(
    offer: SupplierOffer, lanes: list[Lane], order_date: date, need_by: date
) -> Decimal | None:
    """The freight per unit of the cheapest lane from the offer's country that lands its goods
    by need_by (order date, plus its lead time, plus the lane's transit); where none does, of
    the fastest (an expedite that is still late). None when no lane leaves its country."""
    from_country = [lane for lane in lanes if lane.origin_country == offer.country]
    if not from_country:
        return None
    ready = order_date + timedelta(days=offer.lead_time_days)
    in_time = [
        lane for lane in from_country if ready + timedelta(days=lane.transit_days) <= need_by
    ]
    if in_time:
        return min(lane.cost_per_unit for lane in in_time)
    fastest = min(from_country, key=lambda lane: (lane.transit_days, lane.cost_per_unit))
    return fastest.cost_per_unit


def _po_number(plan_id: str, supplier_id: str, sku: str) -> str:
    number = f"{plan_id}/{supplier_id}/{sku}"
    if len(number) <= 64:
        return number
    return f"{plan_id[:40]}/{hashlib.sha256(number.encode()).hexdigest()[:16]}"


def split_order(
    units: int,
    offers: list[SupplierOffer],
    unit_costs: list[float],
    capacities: list[int],
    order_fixed_cost: float,
) -> tuple[list[int], int]:
    """Units per offer and units short, at the least total cost: each offer's unit cost times its
    units, plus the fixed cost of each order placed; no offer beyond its capacity. Units short
    cost more than any offer, so they are left only where capacity runs out."""
    k = len(offers)
    short_cost = 10.0 * max(unit_costs, default=1.0) + order_fixed_cost + 1.0
    # Variables: units x_i (integer), order placed y_i (binary), units short s.
    c = np.array([*unit_costs, *([order_fixed_cost] * k), short_cost])
    demand = np.zeros((1, 2 * k + 1))
    demand[0, :k], demand[0, 2 * k] = 1, 1
    link = np.zeros((k, 2 * k + 1))
    for i, capacity in enumerate(capacities):
        link[i, i], link[i, k + i] = 1, -capacity  # x_i <= capacity_i * y_i
    constraints = [
        LinearConstraint(demand, units, units),
        LinearConstraint(link, -np.inf, 0),
    ]
    bounds = Bounds([0] * (2 * k + 1), [*capacities, *([1] * k), units])
    integrality = np.array([1] * (2 * k) + [0])
    result = milp(c, constraints=constraints, bounds=bounds, integrality=integrality)
    if not result.success:
        raise RuntimeError(f"the order split could not be solved: {result.message}")
    x = [round(float(v)) for v in result.x[:k]]
    return x, units - sum(x)


def source(need: SourcingInput, context: AgentContext) -> PurchasePlan | Outcome:
    """Chooses suppliers and quantities per SKU by landed cost (unit price plus the freight of
    the cheapest lane from the supplier's country that lands by need_by after its lead time,
    else of the fastest), reliability (an expected lateness cost) and capacity
    (its weekly capacity for each week until need_by), splitting an order across suppliers by an
    optimisation when one lacks capacity; drafts one purchase order per supplier and SKU."""
    settings = SourcingSettings.model_validate(context.settings.get("sourcing", {}))
    freight = {
        (o.supplier_id, o.sku): freight_in_time(o, need.lanes, need.order_date, need.need_by)
        for o in need.suppliers
    }
    avoided = {(a.supplier_id, a.sku) for a in need.avoid}
    offers_by_sku: dict[str, list[SupplierOffer]] = defaultdict(list)
    for offer in need.suppliers:
        offers_by_sku[offer.sku].append(offer)
    weeks = max(1, math.ceil((need.need_by - need.order_date).days / 7))
    orders: list[PurchaseOrderDraft] = []
    shortfalls: list[Shortfall] = []
    split: list[str] = []
    wanted = sum(line.net_units for line in need.requirements)
    for line in need.requirements:
        if line.net_units == 0:
            continue
        routable = [
            o
            for o in offers_by_sku.get(line.sku, [])
            if freight[(o.supplier_id, o.sku)] is not None
        ]
        # A re-plan avoids the offers logistics cannot land in time, unless nothing else offers
        # the SKU: then a late order beats none, and the orchestrator escalates it.
        usable = [o for o in routable if (o.supplier_id, o.sku) not in avoided] or routable
        if not usable:
            shortfalls.append(
                Shortfall(
                    sku=line.sku,
                    units=line.net_units,
                    reason="no supplier offers it with a lane from its country",
                )
            )
            continue
        landed = [o.unit_price + (freight[(o.supplier_id, o.sku)] or Decimal(0)) for o in usable]
        unit_costs = [
            float(cost)
            + settings.unreliability_cost_share * float(o.unit_price) * (1 - o.on_time_rate)
            for o, cost in zip(usable, landed, strict=True)
        ]
        capacities = [o.capacity_per_week * weeks for o in usable]
        try:
            units, short = split_order(
                line.net_units, usable, unit_costs, capacities, settings.order_fixed_cost
            )
        except RuntimeError as error:
            return Outcome.failed(str(error), ErrorKind.IMPLEMENTATION_ERROR)
        placed = [(o, u, c) for o, u, c in zip(usable, units, landed, strict=True) if u > 0]
        if len(placed) > 1:
            split.append(line.sku)
        for offer, quantity, landed_cost in placed:
            orders.append(
                PurchaseOrderDraft(
                    po_number=_po_number(need.plan_id, offer.supplier_id, offer.sku),
                    supplier_id=offer.supplier_id,
                    sku=offer.sku,
                    quantity=quantity,
                    unit_price=offer.unit_price,
                    value=(offer.unit_price * quantity).quantize(CENT, ROUND_HALF_UP),
                    landed_unit_cost=landed_cost,
                    country=offer.country,
                    lead_time_days=offer.lead_time_days,
                )
            )
        if short > 0:
            shortfalls.append(
                Shortfall(
                    sku=line.sku,
                    units=short,
                    reason=f"its suppliers can make {sum(capacities)} units by need_by "
                    f"({weeks} weeks at their weekly capacity); {line.net_units} are needed",
                )
            )
    bought = sum(order.quantity for order in orders)
    return PurchasePlan(
        currency=need.currency,
        orders=orders,
        shortfalls=shortfalls,
        fill_rate=round(bought / wanted, 4) if wanted else 1.0,
        total_value=sum((order.value for order in orders), Decimal(0)),
        largest_po_value=max((order.value for order in orders), default=Decimal(0)),
        split_skus=split,
        solver=SOLVER,
        avoided=need.avoid,
    )
