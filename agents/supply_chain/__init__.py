"""The supply-chain specialists, by department: demand forecasting (the history as series, the
forecaster), procurement (requirements, sourcing) and logistics (lane options, routing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import AgentContext, Owner, rules_agent
from agents.supply_chain.forecasting import demand_series, forecast_demand
from agents.supply_chain.logistics import lane_options, route_offers
from agents.supply_chain.plan import value_of
from agents.supply_chain.procurement import requirements, source
from schemas.supply_chain import RequirementsInput

WORKFLOW = "supply_chain"
DEMAND_PLANNING = Owner(team="Demand Planning", contact="demand-planning@baton.example")
PROCUREMENT_TEAM = Owner(team="Procurement", contact="procurement@baton.example")
LOGISTICS_TEAM = Owner(team="Logistics", contact="logistics@baton.example")
SUPPLY_CHAIN_LEAD = Owner(team="Supply Chain", contact="supply-chain-lead@baton.example")


def _value_of(key: str) -> Any:
    def select(state: Mapping[str, Any]) -> dict[str, Any]:
        return dict(value_of(state.get(key)) or {})

    return select


def _sourcing_input(state: Mapping[str, Any]) -> dict[str, Any]:
    fields = ("plan_id", "order_date", "need_by", "currency", "suppliers", "lanes")
    lines = (value_of(state.get("requirements")) or {}).get("lines")
    return {
        **{k: state.get(k) for k in fields},
        "avoid": state.get("avoid") or [],
        "requirements": lines,
    }


DEMAND_SERIES = rules_agent(demand_series, "demand_series", WORKFLOW, DEMAND_PLANNING)
FORECASTER = rules_agent(
    forecast_demand,
    "forecaster",
    WORKFLOW,
    DEMAND_PLANNING,
    reads=("demand_series",),
    select_input=_value_of("demand_series"),
)
REQUIREMENTS = rules_agent(requirements, "requirements", WORKFLOW, PROCUREMENT_TEAM)
SOURCING = rules_agent(
    source,
    "sourcing",
    WORKFLOW,
    PROCUREMENT_TEAM,
    reads=(
        "requirements",
        "plan_id",
        "order_date",
        "need_by",
        "currency",
        "suppliers",
        "lanes",
        "avoid",
    ),
    select_input=_sourcing_input,
)
LANE_OPTIONS = rules_agent(lane_options, "lane_options", WORKFLOW, LOGISTICS_TEAM)
ROUTING = rules_agent(
    route_offers,
    "routing",
    WORKFLOW,
    LOGISTICS_TEAM,
    reads=("lane_options",),
    select_input=_value_of("lane_options"),
)

FORECASTING_AGENTS = (DEMAND_SERIES, FORECASTER)
PROCUREMENT_AGENTS = (REQUIREMENTS, SOURCING)
LOGISTICS_AGENTS = (LANE_OPTIONS, ROUTING)
SPECIALISTS = (*FORECASTING_AGENTS, *PROCUREMENT_AGENTS, *LOGISTICS_AGENTS)


def skus_to_buy(state: Mapping[str, Any]) -> list[str]:
    """The SKUs with units to buy (the procurement requirements' rule, on the forecast)."""
    forecast = value_of(state.get("forecasting"))
    if forecast is None:
        return []
    need = RequirementsInput.model_validate({"skus": state.get("skus"), "forecast": forecast})
    lines = requirements(need, AgentContext(database_url="")).lines
    return [line.sku for line in lines if line.net_units > 0]
