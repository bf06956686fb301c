"""The orchestrator's part of the plan: each purchase order joined with the route logistics chose
for its supplier and SKU, the orders that would land after `need_by` (what a re-plan avoids),
and the release, which records each purchase order once in the ledger."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from checkpoints.ledger import SideEffectLedger
from schemas.supply_chain import (
    Avoid,
    PlannedOrder,
    PurchasePlan,
    Route,
    RoutingPlan,
)

CENT = Decimal("0.01")
PURCHASE_ORDER_KIND = "purchase_order"
"""Ledger kind of a released purchase order."""


def planned_orders(purchases: PurchasePlan, routing: RoutingPlan) -> list[PlannedOrder]:
    """Every purchase order with its route (none when logistics found no lane for it)."""
    routes: dict[tuple[str, str], Route] = {(r.supplier_id, r.sku): r for r in routing.routes}
    planned = []
    for order in purchases.orders:
        route = routes.get((order.supplier_id, order.sku))
        freight = (route.freight_per_unit * order.quantity) if route else Decimal(0)
        planned.append(
            PlannedOrder(
                po_number=order.po_number,
                supplier_id=order.supplier_id,
                sku=order.sku,
                quantity=order.quantity,
                value=order.value,
                freight=freight.quantize(CENT, ROUND_HALF_UP),
                lane_id=route.lane_id if route else None,
                mode=route.mode if route else None,
                carrier=route.carrier if route else None,
                arrival=route.arrival if route else None,
                late_risk=route.late_risk if route else None,
                late=route is None or not route.meets_need_by,
            )
        )
    return planned


def late_orders(orders: list[PlannedOrder]) -> list[Avoid]:
    """The orders that would land after need_by (or cannot be routed), as offers to avoid."""
    return [
        Avoid(
            supplier_id=order.supplier_id,
            sku=order.sku,
            reason=(
                f"lands {order.arrival} by {order.lane_id}, after need_by"
                if order.arrival
                else "no lane from the supplier's country"
            ),
        )
        for order in orders
        if order.late
    ]


def order_key(plan_id: str, supplier_id: str, sku: str) -> str:
    """The ledger key of a plan's order to a supplier for a SKU (JSON, so ids holding `:` or `/`
    never make two orders one key)."""
    return f"{PURCHASE_ORDER_KIND}:{json.dumps([plan_id, supplier_id, sku])}"


def release(
    database_url: str, thread_id: str, plan_id: str, orders: list[PlannedOrder]
) -> list[PlannedOrder]:
    """Record each purchase order once in the ledger, keyed by the plan, the supplier and the
    SKU. An order recorded before (by this thread or another one for the same plan) is not sent
    again: `ordered_before` when it was the same order, `ordered_differently` when the one on
    record has another quantity or value (the record is what was ordered)."""
    ledger = SideEffectLedger(database_url)
    released = []
    for order in orders:
        terms = order.model_dump(mode="json", exclude={"recorded"})
        kept = ledger.record_once(
            order_key(plan_id, order.supplier_id, order.sku),
            thread_id=thread_id,
            kind=PURCHASE_ORDER_KIND,
            payload={"thread_id": thread_id, "plan_id": plan_id, **terms},
        )
        same = all(kept.payload.get(k) == terms[k] for k in ("quantity", "value"))
        if kept.created or (same and kept.payload.get("thread_id") == thread_id):
            recorded = "ordered"
        else:
            recorded = "ordered_before" if same else "ordered_differently"
        released.append(order.model_copy(update={"recorded": recorded}))
    return released


def value_of(raw: Mapping[str, Any] | None) -> Any:
    """An agent result's value (None unless it is ok)."""
    if not raw or raw.get("status") != "ok":
        return None
    return raw.get("value")
