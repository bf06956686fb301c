"""Synthetic replenishment requests, reproducible from a seed: SKUs whose weekly demand has a
level, a trend, yearly seasonality and noise; for each SKU an offshore, a nearshore and a domestic
supplier with the usual trade-offs; and the lanes from each country.

    python -m agents.supply_chain.generator                 # the shipped samples
    python -m agents.supply_chain.generator --seed 7 --skus 40 --out /tmp/plan.json

Assumptions (documented in docs/supply_chain.md):
- Demand: level 80-600 units a week, a trend of -0.2% to +0.5% a week, a yearly season (amplitude
  10-40% of the level, peak in a random week), Gaussian noise with a coefficient of variation of
  8-18%; 130 weeks of history end the week before the order date.
- Suppliers: offshore (CN or VN) is cheapest (price p) with the longest lead time (12-20 days) and
  on-time rate 0.86-0.94; nearshore (MX) costs 1.12-1.25 p, 7-12 days, 0.91-0.96; domestic (US)
  costs 1.35-1.55 p, 3-7 days, 0.95-0.99. Weekly capacity, as multiples of the SKU's mean week:
  offshore 1.2-2.0, nearshore 0.6-1.0, domestic 0.4-0.8.
- Lanes to the warehouse (US): ocean from Asia (26-32 days, cheap, on time 0.78-0.86), air from Asia
  (4-5 days, eight times the ocean cost, 0.94-0.96), rail and truck from MX, truck in the US.
- Money in USD; the order date is a Monday (2026-11-30 for the samples).

The samples tweak the world to show each path: a clean plan; a split order (the cheapest supplier
of one SKU lacks capacity); a purchase order above the policy's limit; both departments waiting
(a large order, and a SKU whose only supplier is unreliable and can land it only by air at the
last day); and a plan that cannot make `need_by` (five days away) and escalates.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from schemas.supply_chain import iso_week

SAMPLE_SEED = 1206
BENCH_SEED = 2028
ORDER_DATE = date(2026, 11, 30)
HISTORY_WEEKS = 130
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples" / "supply_chain"
SCENARIOS = ("clean", "split_order", "large_po", "both_wait", "cannot_meet_need_by")
CARRIERS = {
    ("CN", "ocean"): "Pacific Crescent Lines",
    ("CN", "air"): "Jade Air Cargo",
    ("VN", "ocean"): "Mekong Ocean Freight",
    ("VN", "air"): "Lotus Air Freight",
    ("MX", "rail"): "Sierra Madre Rail",
    ("MX", "truck"): "Norte Trucking",
    ("US", "truck"): "Interstate Haulers",
}


@dataclass(frozen=True)
class DemandProfile:
    """How a SKU's weekly demand is made."""

    level: float
    trend: float
    """Growth per week, as a share of the level."""
    amplitude: float
    peak_week: int
    noise_cv: float

    def mean(self, index: int, week_of_year: int) -> float:
        season = 1 + self.amplitude * math.cos(2 * math.pi * (week_of_year - self.peak_week) / 52)
        return max(0.0, self.level * (1 + self.trend * index) * season)


def demand_profile(rng: np.random.Generator) -> DemandProfile:
    return DemandProfile(
        level=float(rng.uniform(80, 600)),
        trend=float(rng.uniform(-0.002, 0.005)),
        amplitude=float(rng.uniform(0.1, 0.4)),
        peak_week=int(rng.integers(1, 53)),
        noise_cv=float(rng.uniform(0.08, 0.18)),
    )


def weekly_demand(
    rng: np.random.Generator, profile: DemandProfile, weeks: int, first: date
) -> list[tuple[str, float]]:
    """`weeks` weeks of demand from the week of `first`: (ISO week, units)."""
    rows = []
    for i in range(weeks):
        day = first + timedelta(weeks=i)
        mean = profile.mean(i, day.isocalendar()[1])
        units = max(0.0, round(float(rng.normal(mean, profile.noise_cv * profile.level))))
        rows.append((iso_week(day), units))
    return rows


def _lanes(rng: np.random.Generator) -> list[dict[str, Any]]:
    lanes = []
    for country in ("CN", "VN"):
        ocean = round(float(rng.uniform(0.35, 0.5)), 2)
        lanes.append(
            _lane(country, "ocean", int(rng.integers(26, 33)), ocean, rng.uniform(0.78, 0.86))
        )
        lanes.append(
            _lane(country, "air", int(rng.integers(4, 6)), ocean * 8, rng.uniform(0.94, 0.96))
        )
    lanes.append(
        _lane(
            "MX", "rail", int(rng.integers(7, 10)), rng.uniform(0.7, 0.9), rng.uniform(0.88, 0.92)
        )
    )
    lanes.append(
        _lane(
            "MX", "truck", int(rng.integers(4, 6)), rng.uniform(1.1, 1.4), rng.uniform(0.92, 0.95)
        )
    )
    lanes.append(
        _lane(
            "US", "truck", int(rng.integers(2, 4)), rng.uniform(0.5, 0.7), rng.uniform(0.96, 0.98)
        )
    )
    return lanes


def _lane(country: str, mode: str, transit: int, cost: float, on_time: float) -> dict[str, Any]:
    return {
        "lane_id": f"{country}-{mode.upper()}",
        "origin_country": country,
        "mode": mode,
        "carrier": CARRIERS[(country, mode)],
        "transit_days": transit,
        "cost_per_unit": f"{cost:.2f}",
        "on_time_rate": round(float(on_time), 3),
    }


def _offers(
    rng: np.random.Generator, sku: str, price: float, weekly: float
) -> list[dict[str, Any]]:
    offshore = str(rng.choice(["CN", "VN"]))
    terms = [
        (f"S-{offshore}-{sku}", offshore, 1.0, (12, 21), (0.86, 0.94), (1.2, 2.0)),
        (f"S-MX-{sku}", "MX", rng.uniform(1.12, 1.25), (7, 13), (0.91, 0.96), (0.6, 1.0)),
        (f"S-US-{sku}", "US", rng.uniform(1.35, 1.55), (3, 8), (0.95, 0.99), (0.4, 0.8)),
    ]
    return [
        {
            "supplier_id": supplier,
            "sku": sku,
            "unit_price": f"{price * factor:.2f}",
            "lead_time_days": int(rng.integers(*lead)),
            "on_time_rate": round(float(rng.uniform(*on_time)), 3),
            "capacity_per_week": max(1, int(weekly * rng.uniform(*capacity))),
            "country": country,
        }
        for supplier, country, factor, lead, on_time, capacity in terms
    ]


def replenishment_request(
    seed: int,
    *,
    skus: int = 6,
    plan_id: str | None = None,
    order_date: date = ORDER_DATE,
    need_by_days: int = 63,
    horizon_weeks: int = 8,
    history_weeks: int = HISTORY_WEEKS,
    price_range: tuple[float, float] = (4.0, 30.0),
) -> dict[str, Any]:
    """A replenishment request (the input contract's JSON) for `skus` generated SKUs."""
    rng = np.random.default_rng(seed)
    first = order_date - timedelta(weeks=history_weeks)
    stock, history, suppliers = [], [], []
    for n in range(skus):
        sku = f"SKU-{n + 1:03d}"
        profile = demand_profile(rng)
        rows = weekly_demand(rng, profile, history_weeks, first)
        history += [{"sku": sku, "week": week, "quantity": units} for week, units in rows]
        recent = float(np.mean([units for _, units in rows[-8:]]))
        stock.append(
            {
                "sku": sku,
                "on_hand": int(recent * rng.uniform(1.0, 3.0)),
                "safety_stock_weeks": round(float(rng.uniform(1.0, 3.0)), 1),
            }
        )
        price = float(rng.uniform(*price_range))
        suppliers += _offers(rng, sku, price, recent)
    return {
        "plan_id": plan_id or f"PLAN-{seed}",
        "need_by": (order_date + timedelta(days=need_by_days)).isoformat(),
        "horizon_weeks": horizon_weeks,
        "order_date": order_date.isoformat(),
        "currency": "USD",
        "skus": stock,
        "order_history": history,
        "suppliers": suppliers,
        "lanes": _lanes(rng),
    }


def _sku_offers(request: dict[str, Any], sku: str) -> list[dict[str, Any]]:
    return [offer for offer in request["suppliers"] if offer["sku"] == sku]


def scenario(name: str, seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """A sample request showing one path of the workflow (see the module's docstring)."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r} (scenarios: {', '.join(SCENARIOS)})")
    plan_id = f"PLAN-2026-12-{name.upper().replace('_', '-')}"
    request = replenishment_request(seed, skus=4, plan_id=plan_id)
    if name == "split_order":
        for offer in _sku_offers(request, "SKU-002")[:1]:  # the cheapest cannot make it all
            offer["capacity_per_week"] = max(1, offer["capacity_per_week"] // 4)
    if name in ("large_po", "both_wait"):
        # SKU-003 becomes a high-value SKU: its order comes to about twice the policy's limit.
        recent = [r["quantity"] for r in request["order_history"] if r["sku"] == "SKU-003"][-8:]
        units = max(1.0, sum(recent) / len(recent) * request["horizon_weeks"])
        offers = _sku_offers(request, "SKU-003")
        factor = 500_000 / (units * float(offers[0]["unit_price"]))
        for offer in offers:
            offer["unit_price"] = f"{float(offer['unit_price']) * factor:.2f}"
    if name == "both_wait":
        # SKU-004 has one supplier, unreliable, that can land it only by air on the last day.
        offshore = _sku_offers(request, "SKU-004")[0]
        request["suppliers"] = [o for o in request["suppliers"] if o["sku"] != "SKU-004"]
        air = next(
            lane
            for lane in request["lanes"]
            if lane["origin_country"] == offshore["country"] and lane["mode"] == "air"
        )
        offshore |= {
            "on_time_rate": 0.72,
            "lead_time_days": 63 - air["transit_days"],
            "capacity_per_week": offshore["capacity_per_week"] * 4,
        }
        request["suppliers"].append(offshore)
    if name == "cannot_meet_need_by":
        request["need_by"] = (ORDER_DATE + timedelta(days=5)).isoformat()
    return request


def write_samples(directory: Path = SAMPLES_DIR, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write one sample request per scenario; returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, name in enumerate(SCENARIOS, start=1):
        path = directory / f"{number:02d}_{name}.json"
        path.write_text(json.dumps(scenario(name, seed), indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--skus", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None, help="one request to this file")
    args = parser.parse_args(argv)
    if args.out is None:
        for path in write_samples(seed=args.seed or SAMPLE_SEED):
            print(path)
        return
    request = replenishment_request(args.seed or BENCH_SEED, skus=args.skus)
    args.out.write_text(json.dumps(request, indent=1) + "\n", encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
