"""The logistics department's specialists: every lane that can bring each supplier offer, with
its arrival and its chance of arriving after `need_by`, and the route chosen per offer (the
cheapest that lands in time at an acceptable risk, else the safest in time, else the fastest)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from pydantic import BaseModel, Field

from agents.spec import AgentContext
from schemas.supply_chain import (
    LaneOption,
    LaneOptions,
    LogisticsInput,
    Route,
    RoutingPlan,
    SkuRisk,
)


class RoutingSettings(BaseModel):
    """The supply-chain lead's routing settings (`settings:` in policies/supply_chain.yaml)."""

    typical_delay_days: float = Field(default=7.0, gt=0, le=60)
    """How long a slipped shipment is typically late: slack before `need_by` absorbs it."""
    acceptable_route_risk: float = Field(default=0.15, ge=0, le=1)
    """A route whose late risk is at most this is taken on cost; above it, on risk."""


def late_risk(supplier_on_time: float, lane_on_time: float, slack_days: int, delay: float) -> float:
    """The chance the goods arrive after `need_by`: certain when the plan itself lands late;
    otherwise the chance the supplier or the lane slips (1 - the product of their on-time rates),
    thinned by the slack (a slip is typically `delay` days, exponentially distributed)."""
    if slack_days < 0:
        return 1.0
    slip = 1.0 - supplier_on_time * lane_on_time
    return round(slip * math.exp(-slack_days / delay), 4)


def lane_options(shipment: LogisticsInput, context: AgentContext) -> LaneOptions:
    """Every lane from each offer's country for the SKUs in demand: ship date (order date plus
    the supplier's lead time), arrival, slack before need_by, late risk and freight."""
    settings = RoutingSettings.model_validate(context.settings.get("routing", {}))
    by_country = defaultdict(list)
    for lane in shipment.lanes:
        by_country[lane.origin_country].append(lane)
    wanted = set(shipment.skus_in_demand)
    options, unroutable = [], []
    for offer in shipment.suppliers:
        if offer.sku not in wanted:
            continue
        lanes = by_country.get(offer.country, [])
        if not lanes:
            unroutable.append(f"{offer.supplier_id}/{offer.sku}")
        ship = shipment.order_date + timedelta(days=offer.lead_time_days)
        for lane in lanes:
            arrival = ship + timedelta(days=lane.transit_days)
            slack = (shipment.need_by - arrival).days
            options.append(
                LaneOption(
                    supplier_id=offer.supplier_id,
                    sku=offer.sku,
                    lane_id=lane.lane_id,
                    mode=lane.mode,
                    carrier=lane.carrier,
                    ship_date=ship,
                    arrival=arrival,
                    slack_days=slack,
                    late_risk=late_risk(
                        offer.on_time_rate, lane.on_time_rate, slack, settings.typical_delay_days
                    ),
                    freight_per_unit=lane.cost_per_unit,
                )
            )
    return LaneOptions(options=options, unroutable=unroutable, need_by=shipment.need_by)


def _choose(options: list[LaneOption], acceptable: float) -> Route:
    in_time = [o for o in options if o.slack_days >= 0]
    calm = [o for o in in_time if o.late_risk <= acceptable]
    if calm:
        best = min(calm, key=lambda o: (o.freight_per_unit, o.late_risk, o.lane_id))
        why = f"cheapest lane landing by need_by at late risk <= {acceptable:.0%}"
    elif in_time:
        best = min(in_time, key=lambda o: (o.late_risk, o.freight_per_unit, o.lane_id))
        why = f"no lane is in time at late risk <= {acceptable:.0%}: the safest in time"
    else:
        best = min(options, key=lambda o: (o.arrival, o.freight_per_unit, o.lane_id))
        why = f"no lane lands by need_by: the fastest arrives {-best.slack_days} days late"
    return Route(**best.model_dump(), meets_need_by=best.slack_days >= 0, why=why)


def route_offers(options: LaneOptions, context: AgentContext) -> RoutingPlan:
    """Chooses a route per supplier offer (expediting by a faster mode where the cheap lane is
    late or risky) and says, per SKU in demand, how likely even its best route is to be late."""
    settings = RoutingSettings.model_validate(context.settings.get("routing", {}))
    by_offer: dict[tuple[str, str], list[LaneOption]] = defaultdict(list)
    for option in options.options:
        by_offer[(option.supplier_id, option.sku)].append(option)
    routes = [_choose(found, settings.acceptable_route_risk) for found in by_offer.values()]
    best: dict[str, float] = {}
    for route in routes:
        best[route.sku] = min(best.get(route.sku, 1.0), route.late_risk)
    for offer in options.unroutable:
        best.setdefault(offer.split("/", 1)[1], 1.0)
    at_risk = [
        SkuRisk(
            sku=sku,
            best_late_risk=risk,
            reason="no supplier can land it by need_by"
            if risk >= 1.0
            else f"its best route is late with probability {risk:.0%}",
        )
        for sku, risk in sorted(best.items())
        if risk > settings.acceptable_route_risk
    ]
    return RoutingPlan(
        routes=routes,
        skus_at_risk=at_risk,
        highest_late_risk=max(best.values(), default=0.0),
        unroutable=options.unroutable,
    )
