"""The supply-chain graph's shape (`tests/snapshots/supply_chain.mmd`) and its handoff map at
every level are pinned: a change to either is deliberate. Only a department's output contract
crosses upward; what crosses downward is its input contract."""

from __future__ import annotations

from graphs.supply_chain import DEPARTMENTS, WORKFLOW
from tests.unit.pinned import handoff_edges, mermaid_body, snapshot

graph = WORKFLOW.graph

HANDOFFS = [
    ("input", "forecasting", "horizon_weeks", "ReplenishmentRequest.horizon_weeks"),
    ("input", "forecasting", "order_date", "ReplenishmentRequest.order_date"),
    ("input", "forecasting", "order_history", "ReplenishmentRequest.order_history"),
    ("input", "forecasting", "plan_id", "ReplenishmentRequest.plan_id"),
    ("input", "forecasting", "skus", "ReplenishmentRequest.skus"),
    ("rollback", "forecasting", "department_reruns", "department reruns"),
    ("input", "procurement", "currency", "ReplenishmentRequest.currency"),
    ("input", "procurement", "lanes", "ReplenishmentRequest.lanes"),
    ("input", "procurement", "need_by", "ReplenishmentRequest.need_by"),
    ("input", "procurement", "order_date", "ReplenishmentRequest.order_date"),
    ("input", "procurement", "plan_id", "ReplenishmentRequest.plan_id"),
    ("input", "procurement", "skus", "ReplenishmentRequest.skus"),
    ("input", "procurement", "suppliers", "ReplenishmentRequest.suppliers"),
    ("forecasting", "procurement", "forecasting", "AgentResult[DemandForecast]"),
    ("reconcile", "procurement", "avoid", "list[Avoid]"),
    ("rollback", "procurement", "department_reruns", "department reruns"),
    ("input", "logistics", "currency", "ReplenishmentRequest.currency"),
    ("input", "logistics", "lanes", "ReplenishmentRequest.lanes"),
    ("input", "logistics", "need_by", "ReplenishmentRequest.need_by"),
    ("input", "logistics", "order_date", "ReplenishmentRequest.order_date"),
    ("input", "logistics", "plan_id", "ReplenishmentRequest.plan_id"),
    ("input", "logistics", "skus", "ReplenishmentRequest.skus"),
    ("input", "logistics", "suppliers", "ReplenishmentRequest.suppliers"),
    ("forecasting", "logistics", "forecasting", "AgentResult[DemandForecast]"),
    ("rollback", "logistics", "department_reruns", "department reruns"),
    ("input", "reconcile", "need_by", "ReplenishmentRequest.need_by"),
    ("logistics", "reconcile", "logistics", "AgentResult[RoutingPlan]"),
    ("procurement", "reconcile", "procurement", "AgentResult[PurchasePlan]"),
    ("input", "review_gate", "plan_id", "ReplenishmentRequest.plan_id"),
    ("forecasting", "review_gate", "forecasting", "AgentResult[DemandForecast]"),
    ("logistics", "review_gate", "logistics", "AgentResult[RoutingPlan]"),
    ("procurement", "review_gate", "procurement", "AgentResult[PurchasePlan]"),
    ("reconcile", "review_gate", "plan_escalations", "list[str]"),
    ("input", "finalize", "currency", "ReplenishmentRequest.currency"),
    ("input", "finalize", "plan_id", "ReplenishmentRequest.plan_id"),
    ("reconcile", "finalize", "replans", "int"),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
    (
        "forecasting/input",
        "forecasting/demand_series",
        "horizon_weeks",
        "DemandInput.horizon_weeks",
    ),
    ("forecasting/input", "forecasting/demand_series", "order_date", "DemandInput.order_date"),
    (
        "forecasting/input",
        "forecasting/demand_series",
        "order_history",
        "DemandInput.order_history",
    ),
    ("forecasting/input", "forecasting/demand_series", "plan_id", "DemandInput.plan_id"),
    ("forecasting/input", "forecasting/demand_series", "skus", "DemandInput.skus"),
    (
        "forecasting/demand_series",
        "forecasting/forecaster",
        "demand_series",
        "AgentResult[DemandSeries]",
    ),
    ("procurement/input", "procurement/requirements", "forecast", "ProcurementInput.forecast"),
    ("procurement/input", "procurement/requirements", "skus", "ProcurementInput.skus"),
    ("procurement/input", "procurement/sourcing", "avoid", "ProcurementInput.avoid"),
    ("procurement/input", "procurement/sourcing", "currency", "ProcurementInput.currency"),
    ("procurement/input", "procurement/sourcing", "lanes", "ProcurementInput.lanes"),
    ("procurement/input", "procurement/sourcing", "need_by", "ProcurementInput.need_by"),
    ("procurement/input", "procurement/sourcing", "order_date", "ProcurementInput.order_date"),
    ("procurement/input", "procurement/sourcing", "plan_id", "ProcurementInput.plan_id"),
    ("procurement/input", "procurement/sourcing", "suppliers", "ProcurementInput.suppliers"),
    (
        "procurement/requirements",
        "procurement/sourcing",
        "requirements",
        "AgentResult[Requirements]",
    ),
    ("procurement/input", "procurement/procurement_review", "plan_id", "ProcurementInput.plan_id"),
    (
        "procurement/requirements",
        "procurement/procurement_review",
        "requirements",
        "AgentResult[Requirements]",
    ),
    (
        "procurement/sourcing",
        "procurement/procurement_review",
        "sourcing",
        "AgentResult[PurchasePlan]",
    ),
    ("logistics/input", "logistics/lane_options", "lanes", "LogisticsInput.lanes"),
    ("logistics/input", "logistics/lane_options", "need_by", "LogisticsInput.need_by"),
    ("logistics/input", "logistics/lane_options", "order_date", "LogisticsInput.order_date"),
    ("logistics/input", "logistics/lane_options", "plan_id", "LogisticsInput.plan_id"),
    (
        "logistics/input",
        "logistics/lane_options",
        "skus_in_demand",
        "LogisticsInput.skus_in_demand",
    ),
    ("logistics/input", "logistics/lane_options", "suppliers", "LogisticsInput.suppliers"),
    ("logistics/lane_options", "logistics/routing", "lane_options", "AgentResult[LaneOptions]"),
    ("logistics/input", "logistics/logistics_review", "plan_id", "LogisticsInput.plan_id"),
    (
        "logistics/lane_options",
        "logistics/logistics_review",
        "lane_options",
        "AgentResult[LaneOptions]",
    ),
    ("logistics/routing", "logistics/logistics_review", "routing", "AgentResult[RoutingPlan]"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(graph) == snapshot("supply_chain", mermaid_body(graph))


def test_each_department_drawing_is_pinned() -> None:
    for department in DEPARTMENTS:
        drawn = mermaid_body(department.compiled())
        assert drawn == snapshot(f"departments/supply_chain.{department.name}", drawn)


def test_handoff_map_is_pinned_at_every_level() -> None:
    assert handoff_edges("supply_chain") == HANDOFFS


def test_only_a_departments_output_contract_crosses_upward() -> None:
    upward = {
        (e[0], e[3]) for e in HANDOFFS if e[0] in {d.name for d in DEPARTMENTS} and "/" not in e[1]
    }
    assert upward == {
        ("forecasting", "AgentResult[DemandForecast]"),
        ("procurement", "AgentResult[PurchasePlan]"),
        ("logistics", "AgentResult[RoutingPlan]"),
    }
    assert all("/" in e[1] for e in HANDOFFS if "/" in e[0])  # inner results stay inside


def test_studio_graph_has_no_checkpointer_and_takes_the_request_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert schema["title"] == "ReplenishmentRequest"
    assert set(schema["required"]) >= {"plan_id", "need_by", "horizon_weeks", "skus"}
