"""The supply-chain specialists: forecasts chosen by backtest with an interval, requirements, an
order split that never exceeds a supplier's capacity, routes with their late risk, and a request
contract that names what is wrong and where."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from agents.spec import AgentContext
from agents.supply_chain.forecasting import (
    CANDIDATES,
    choose_model,
    demand_series,
    forecast_demand,
    mase,
    yearly_autocorrelation,
)
from agents.supply_chain.generator import SAMPLES_DIR, replenishment_request, scenario
from agents.supply_chain.logistics import lane_options, late_risk, route_offers
from agents.supply_chain.procurement import requirements, source, split_order
from schemas.result import Outcome
from schemas.supply_chain import (
    DemandInput,
    LogisticsInput,
    ReplenishmentRequest,
    RequirementsInput,
    SourcingInput,
    SupplierOffer,
)

CONTEXT = AgentContext(database_url="sqlite://")


def _request(**changes: Any) -> dict[str, Any]:
    return {**replenishment_request(5, skus=2), **changes}


def _problems(raw: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        ReplenishmentRequest.model_validate(raw)
    return [(item["loc"], item["msg"]) for item in caught.value.errors()]


def test_the_shipped_samples_are_valid_requests_and_the_generator_is_reproducible() -> None:
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        ReplenishmentRequest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    assert replenishment_request(9) == replenishment_request(9)
    assert replenishment_request(9) != replenishment_request(10)
    written = json.loads((SAMPLES_DIR / "01_clean.json").read_text(encoding="utf-8"))
    assert written == scenario("clean")


def test_a_supplier_for_an_unknown_sku_is_named_with_its_place() -> None:
    raw = _request()
    raw["suppliers"][1]["sku"] = "SKU-404"
    assert _problems(raw) == [
        (
            ("suppliers", 1, "sku"),
            f"supplier {raw['suppliers'][1]['supplier_id']!r} offers unknown SKU 'SKU-404'",
        )
    ]


def test_a_negative_quantity_is_named_with_its_place() -> None:
    raw = _request()
    raw["order_history"][3]["quantity"] = -1
    ((loc, message),) = _problems(raw)
    assert loc == ("order_history", 3, "quantity") and "greater than or equal to 0" in message


@pytest.mark.parametrize("week", ["2025-W54", "2026-53", "2026-W00", "2026-w07", "26-W07"])
def test_a_week_that_is_not_an_iso_week_is_named(week: str) -> None:
    raw = _request()
    raw["order_history"][0]["week"] = week
    ((loc, message),) = _problems(raw)
    assert loc == ("order_history", 0, "week") and "is not an ISO week" in message


def test_week_53_is_a_week_in_the_years_that_have_one() -> None:
    raw = _request()
    raw["order_history"][0]["week"] = "2020-W53"  # 2020 had 53 ISO weeks
    ReplenishmentRequest.model_validate(raw)


def test_history_from_the_order_week_on_is_refused() -> None:
    raw = _request()
    raw["order_history"][4]["week"] = "2026-W49"  # the week of the order date, 2026-11-30
    ((loc, message),) = _problems(raw)
    assert loc == ("order_history", 4, "week") and "not before the week of order_date" in message


def test_fewer_than_26_weeks_of_history_names_the_sku() -> None:
    raw = _request()
    raw["order_history"] = [
        row for row in raw["order_history"] if row["sku"] != "SKU-002" or row["week"] >= "2026-W30"
    ]
    ((loc, message),) = _problems(raw)
    assert loc == ("order_history",)
    assert "'SKU-002' has 19 weeks of history; at least 26 are needed" in message


def test_impossible_plans_are_refused_at_their_field() -> None:
    raw = _request(need_by="2026-11-01")
    assert ("need_by",) in [loc for loc, _ in _problems(raw)]
    raw = _request()
    raw["order_history"].append(dict(raw["order_history"][0]))
    assert [loc for loc, _ in _problems(raw)] == [
        ("order_history", len(raw["order_history"]) - 1, "week")
    ]
    raw = _request()
    raw["skus"].append(dict(raw["skus"][0]))
    assert ("skus", 2, "sku") in [loc for loc, _ in _problems(raw)]
    raw = _request()
    raw["lanes"][1]["mode"] = "teleport"
    assert [loc for loc, _ in _problems(raw)] == [("lanes", 1, "mode")]


def _series(weeks: int, seed: int = 3) -> list[float]:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    return list(
        np.maximum(0, 300 + 1.5 * t + 80 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 15, weeks))
    )


def test_the_model_is_chosen_by_backtest_error_and_says_why() -> None:
    seasonal = _series(156)
    assert yearly_autocorrelation(seasonal, 52) > 0.3
    chosen, scores = choose_model(seasonal, 52)
    assert set(scores) == {"stl_ets_simple", "stl_ets_damped_trend"}  # a strong season
    assert scores[chosen] == min(scores.values())
    noise = list(np.random.default_rng(5).normal(200, 20, 156))
    assert yearly_autocorrelation(noise, 52) < 0.3
    chosen, scores = choose_model(noise, 52)
    assert set(scores) == set(CANDIDATES)  # no season to speak of: every model competes
    _, scores = choose_model(_series(40), None)
    assert not any(name.startswith("stl") for name in scores)


def test_mase_scales_by_the_naive_forecast() -> None:
    train = np.array([1.0, 2.0, 3.0, 4.0])
    assert mase(np.array([5.0, 6.0]), np.array([5.0, 6.0]), train, None) == 0
    assert mase(np.array([5.0]), np.array([6.0]), train, None) == 1.0


def test_forecasts_cover_the_horizon_from_the_order_week_with_an_interval() -> None:
    raw = replenishment_request(4, skus=2)
    raw["order_history"] = [
        r for r in raw["order_history"] if r["week"] not in ("2026-W10", "2026-W11")
    ]
    request = ReplenishmentRequest.model_validate(raw)
    history = DemandInput.model_validate(request.model_dump())
    series = demand_series(history, CONTEXT)
    assert [s.filled_weeks for s in series.series] == [2, 2]  # weeks with no row are zero demand
    forecast = forecast_demand(series, CONTEXT)
    assert forecast.interval == 0.8
    for sku in forecast.skus:
        assert next(w.week for w in sku.weeks) == "2026-W49"  # the order date's week
        assert len(sku.weeks) == request.horizon_weeks
        assert all(w.low <= w.mean <= w.high for w in sku.weeks)
        assert sku.model in sku.why and "MASE" in sku.why


def test_requirements_are_forecast_plus_safety_stock_less_on_hand() -> None:
    forecast = {
        "horizon_weeks": 4,
        "interval": 0.8,
        "skus": [
            {
                "sku": "A",
                "model": "m",
                "why": "w",
                "backtest_mase": {},
                "weeks": [],
                "total": 400,
                "total_low": 0,
                "total_high": 0,
            }
        ],
    }
    need = RequirementsInput.model_validate(
        {"skus": [{"sku": "A", "on_hand": 150, "safety_stock_weeks": 2}], "forecast": forecast}
    )
    (line,) = requirements(need, CONTEXT).lines
    assert (line.forecast_units, line.safety_stock_units, line.net_units) == (400, 200, 450)


def _offer(supplier: str, price: str, capacity: int, country: str = "CN") -> SupplierOffer:
    return SupplierOffer(
        supplier_id=supplier,
        sku="A",
        unit_price=Decimal(price),
        lead_time_days=10,
        on_time_rate=0.9,
        capacity_per_week=capacity,
        country=country,
    )


def test_the_split_never_exceeds_capacity_and_splits_only_when_needed() -> None:
    cheap, dear = _offer("cheap", "10", 100), _offer("dear", "12", 1000)
    units, short = split_order(700, [cheap, dear], [10.0, 12.0], [400, 4000], 250.0)
    assert units == [400, 300] and short == 0  # the cheap one to its capacity, the rest after
    units, short = split_order(300, [cheap, dear], [10.0, 12.0], [400, 4000], 250.0)
    assert units == [300, 0]
    units, short = split_order(30, [cheap, dear], [10.0, 10.5], [20, 4000], 250.0)
    assert units == [0, 30]  # a split saving less than an order's fixed cost is not worth it
    units, short = split_order(5000, [cheap, dear], [10.0, 12.0], [400, 4000], 250.0)
    assert units == [400, 4000] and short == 600


def _sourcing(**changes: Any) -> SourcingInput:
    fields: dict[str, Any] = {
        "plan_id": "P1",
        "order_date": date(2026, 11, 30),
        "need_by": date(2027, 1, 25),  # eight weeks
        "currency": "USD",
        "requirements": [
            {
                "sku": "A",
                "forecast_units": 0,
                "safety_stock_units": 0,
                "on_hand": 0,
                "net_units": 1200,
            }
        ],
        "suppliers": [_offer("cheap", "10", 100), _offer("dear", "12", 1000, "MX")],
        "lanes": [
            {
                "lane_id": "CN-OCEAN",
                "origin_country": "CN",
                "mode": "ocean",
                "carrier": "c",
                "transit_days": 30,
                "cost_per_unit": "0.40",
                "on_time_rate": 0.8,
            },
            {
                "lane_id": "MX-TRUCK",
                "origin_country": "MX",
                "mode": "truck",
                "carrier": "t",
                "transit_days": 5,
                "cost_per_unit": "1.00",
                "on_time_rate": 0.95,
            },
        ],
    }
    return SourcingInput.model_validate({**fields, **changes})


def test_sourcing_splits_within_capacity_and_drafts_one_order_per_supplier() -> None:
    plan = source(_sourcing(), CONTEXT)
    assert not isinstance(plan, Outcome)
    by_supplier = {o.supplier_id: o for o in plan.orders}
    assert by_supplier["cheap"].quantity == 800  # 100 a week for eight weeks
    assert by_supplier["dear"].quantity == 400
    assert plan.split_skus == ["A"] and plan.fill_rate == 1.0
    assert by_supplier["cheap"].value == Decimal("8000.00")
    assert plan.largest_po_value == max(o.value for o in plan.orders)


def test_a_replan_avoids_late_offers_but_keeps_a_late_one_rather_than_none() -> None:
    avoid = [{"supplier_id": "cheap", "sku": "A", "reason": "late"}]
    plan = source(_sourcing(avoid=avoid), CONTEXT)
    assert not isinstance(plan, Outcome)
    assert [o.supplier_id for o in plan.orders] == ["dear"]
    only_cheap = [s for s in _sourcing().suppliers if s.supplier_id == "cheap"]
    plan = source(_sourcing(avoid=avoid, suppliers=only_cheap), CONTEXT)
    assert not isinstance(plan, Outcome)
    assert [o.supplier_id for o in plan.orders] == ["cheap"] and plan.shortfalls[0].units == 400


def test_late_risk_grows_as_slack_shrinks_and_is_certain_when_late() -> None:
    assert late_risk(0.9, 0.9, -1, 7) == 1.0
    assert late_risk(0.9, 0.9, 0, 7) == pytest.approx(0.19)
    assert late_risk(0.9, 0.9, 14, 7) < late_risk(0.9, 0.9, 3, 7) < 0.19


def test_routing_expedites_by_air_when_the_cheap_lane_is_late() -> None:
    raw = scenario("clean")
    raw["need_by"] = "2027-01-04"  # 35 days: ocean from Asia cannot make it after the lead time
    request = ReplenishmentRequest.model_validate(raw)
    shipment = LogisticsInput.model_validate(
        {**request.model_dump(), "skus_in_demand": [s.sku for s in request.skus]}
    )
    plan = route_offers(lane_options(shipment, CONTEXT), CONTEXT)
    asian = [r for r in plan.routes if r.supplier_id.startswith(("S-CN", "S-VN"))]
    assert asian and all(r.mode == "air" and r.meets_need_by for r in asian)
    assert all("ocean" not in r.why for r in asian)


def test_a_flat_history_is_forecast_flat_not_failed() -> None:
    raw = replenishment_request(4, skus=2)
    for row in raw["order_history"]:
        if row["sku"] == "SKU-001":
            row["quantity"] = 100
    request = ReplenishmentRequest.model_validate(raw)
    series = demand_series(DemandInput.model_validate(request.model_dump()), CONTEXT)
    forecast = forecast_demand(series, CONTEXT)
    flat = next(sku for sku in forecast.skus if sku.sku == "SKU-001")
    assert flat.total == pytest.approx(800, rel=0.01)
    assert all(np.isfinite(v) for v in flat.backtest_mase.values())
    assert "strong yearly season" not in flat.why


def test_landed_cost_uses_a_lane_that_lands_in_time() -> None:
    # Offshore is cheapest by price and by ocean, but only air lands it by need_by: nearshore
    # by truck is then the cheaper landed cost.
    need = _sourcing(
        need_by=date(2026, 12, 21),  # three weeks: offshore lead 10 days + ocean 30 is late
        suppliers=[_offer("far", "4.00", 1000), _offer("near", "5.00", 1000, "MX")],
        lanes=[
            {
                "lane_id": "CN-OCEAN",
                "origin_country": "CN",
                "mode": "ocean",
                "carrier": "c",
                "transit_days": 30,
                "cost_per_unit": "0.40",
                "on_time_rate": 0.8,
            },
            {
                "lane_id": "CN-AIR",
                "origin_country": "CN",
                "mode": "air",
                "carrier": "a",
                "transit_days": 4,
                "cost_per_unit": "3.20",
                "on_time_rate": 0.95,
            },
            {
                "lane_id": "MX-TRUCK",
                "origin_country": "MX",
                "mode": "truck",
                "carrier": "t",
                "transit_days": 5,
                "cost_per_unit": "1.00",
                "on_time_rate": 0.95,
            },
        ],
    )
    plan = source(need, CONTEXT)
    assert not isinstance(plan, Outcome)
    assert [o.supplier_id for o in plan.orders] == ["near"]
    assert plan.orders[0].landed_unit_cost == Decimal("6.00")


def test_orders_are_recorded_once_under_keys_no_id_can_confuse(tmp_path: Path) -> None:
    from agents.supply_chain.plan import order_key, release
    from schemas.supply_chain import PlannedOrder

    assert order_key("P", "A:B", "C") != order_key("P", "A", "B:C")
    assert order_key("P:X", "S1", "K") != order_key("P", "X:S1", "K")

    def order(supplier: str, sku: str, quantity: int) -> PlannedOrder:
        return PlannedOrder(
            po_number=f"P/{supplier}/{sku}",
            supplier_id=supplier,
            sku=sku,
            quantity=quantity,
            value=Decimal(quantity),
            freight=Decimal(0),
            lane_id=None,
            mode=None,
            carrier=None,
            arrival=None,
            late_risk=None,
            late=False,
        )

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = release(url, "t1", "P", [order("A:B", "C", 100), order("A", "B:C", 7)])
    assert [o.recorded for o in first] == ["ordered", "ordered"]
    again = release(url, "t1", "P", [order("A:B", "C", 100)])
    assert [o.recorded for o in again] == ["ordered"]  # the same order, the same thread: a retry
    other = release(url, "t2", "P", [order("A:B", "C", 100), order("A", "B:C", 9)])
    assert [o.recorded for o in other] == ["ordered_before", "ordered_differently"]
    changed = release(url, "t1", "P", [order("A", "B:C", 9)])
    assert [o.recorded for o in changed] == ["ordered_differently"]
