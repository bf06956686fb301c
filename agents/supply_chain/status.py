"""What `baton status` shows of a supply-chain plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.supply_chain.plan import value_of


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    """The plan, its departments' results, and the orders released."""
    lines = {"plan": str(state.get("plan_id")), "need by": str(state.get("need_by"))}
    for department in ("forecasting", "procurement", "logistics"):
        raw = state.get(department) or {}
        value = value_of(raw)
        if department == "procurement" and value:
            lines[department] = (
                f"{len(value['orders'])} orders, {value['total_value']} {value['currency']}, "
                f"fill rate {value['fill_rate']:.0%}"
            )
        elif department == "logistics" and value:
            lines[department] = f"highest late risk {value['highest_late_risk']:.0%}"
        elif department == "forecasting" and value:
            lines[department] = ", ".join(f"{s['sku']}: {s['model']}" for s in value["skus"])
        else:
            lines[department] = str(raw.get("status", "waiting")) + (
                f" ({raw['reason']})" if raw.get("reason") else ""
            )
    if state.get("replans"):
        lines["re-plans"] = str(state["replans"])
    decision = state.get("decision") or {}
    if decision:
        lines["outcome"] = f"{decision.get('outcome')}: {len(decision.get('orders', []))} orders"
        for department, reviewer in (decision.get("signed_off") or {}).items():
            lines[f"{department} signed off by"] = reviewer
    return lines
