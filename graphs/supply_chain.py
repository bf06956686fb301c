"""Supply-chain replenishment: an orchestrator over three departments, demand forecasting, then
procurement and logistics in parallel, each a supervisor over its own specialists; procurement
stops large purchase orders and logistics a risky routing at their own gates
(`policies/supply_chain.yaml`); a plan whose orders would land late is re-planned once, then
escalated; approving releases each purchase order once.
"""

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypedDict, cast

from langgraph.graph import END
from langgraph.types import Command
from pydantic import BaseModel, Field, ValidationError

from agents.spec import AgentSpec
from agents.supply_chain import (
    DEMAND_PLANNING,
    FORECASTING_AGENTS,
    LOGISTICS_AGENTS,
    LOGISTICS_TEAM,
    PROCUREMENT_AGENTS,
    PROCUREMENT_TEAM,
    SPECIALISTS,
    skus_to_buy,
)
from agents.supply_chain import WORKFLOW as NAME
from agents.supply_chain.logistics import RoutingSettings
from agents.supply_chain.plan import late_orders, planned_orders, release, value_of
from agents.supply_chain.procurement import SourcingSettings
from agents.supply_chain.status import status_lines
from graphs.kit import (
    Department,
    GateSpec,
    Outcome,
    Settled,
    Workflow,
    add_gate_then_decide,
    build_hierarchy,
    build_supervisor,
    department_agent,
    governed_state,
)
from graphs.kit.contracts import describe_errors
from graphs.kit.policy import (
    POLICY_DIR,
    PolicyError,
    ReviewPolicy,
    load_policy,
    policy_settings,
    raw_settings,
)
from graphs.kit.review_gate import add_review_gate
from graphs.patterns.hierarchy import RERUNS_KEY, hierarchy_state
from graphs.patterns.supervisor import SUPERVISOR, Worker
from schemas.review import Recommendation, ReviewDecision
from schemas.supply_chain import (
    Avoid,
    DemandForecast,
    DemandInput,
    LogisticsInput,
    ProcurementInput,
    PurchasePlan,
    ReplenishmentPlan,
    ReplenishmentRequest,
    RoutingPlan,
)

POLICY_FILE = POLICY_DIR / f"{NAME}.yaml"
RECONCILE = "reconcile"


class PlanningCase(ReplenishmentRequest):
    """The orchestrator's own keys besides the request: offers a re-plan avoids, how many
    re-plans ran, and why the plan is escalated."""

    avoid: list[Avoid] = []
    replans: int = 0
    plan_escalations: list[str] = []


def gate_policy(gate: str, agents: Sequence[AgentSpec[Any, Any]]) -> ReviewPolicy:
    """The workflow's one policy file, narrowed to the rules on `agents`' fields (each gate
    assesses its own department's specialists)."""
    every: list[AgentSpec[Any, Any]] = [*SPECIALISTS, *DEPARTMENT_AGENTS]
    contracts = {spec.name: spec.output_contract for spec in every}
    policy = load_policy(POLICY_FILE, contracts)
    names = {spec.name for spec in agents}
    rules = [rule for rule in policy.rules if (rule.field or "").split(".")[0] in names]
    return policy.model_copy(update={"gate": gate, "rules": rules})


def _decision(final: Mapping[str, Any]) -> tuple[str, str]:
    record = (final.get("review") or {}).get("record") or {}
    decision = record.get("decision") or {}
    return str(decision.get("action") or ""), str(decision.get("reviewer") or "")


def _department_result(
    final: Mapping[str, Any],
    agents: Sequence[AgentSpec[Any, Any]],
    contract: type[BaseModel],
    who: str,
) -> Any:
    """The department's handoff from its final state: its last specialist's value, unless its
    reviewer rejected or referred it, or a specialist did not answer ok (the first that did not
    is named, with its reason)."""
    action, reviewer = _decision(final)
    if action in ("reject", "refer"):
        return Outcome.escalated(f"{who}'s reviewer {reviewer} chose {action}")
    for spec in agents:
        raw = final.get(spec.writes) or {}
        if value_of(raw) is None:
            status = raw.get("status", "missing (it never ran)")
            why = f": {raw['reason']}" if raw.get("reason") else ""
            return Outcome.escalated(f"{who} could not finish: {spec.name} is {status}{why}")
    value = dict(value_of(final.get(agents[-1].writes)) or {})
    if "signed_off_by" in contract.model_fields:
        value["signed_off_by"] = reviewer or None
    return contract.model_validate(value)


def _gate_subject(department: str) -> Callable[[Mapping[str, Any]], str]:
    def subject(state: Mapping[str, Any]) -> str:
        return f"{department.title()} for plan {state.get('plan_id')}: sign it off?"

    return subject


def _all_answered(agents: Sequence[AgentSpec[Any, Any]]) -> Callable[[Mapping[str, Any]], Any]:
    """A department gate's recommendation: approve what its specialists all answered ok; no
    recommendation where one did not (the reviewer decides on the evidence)."""

    def recommend(state: Mapping[str, Any]) -> Recommendation:
        answered = all(value_of(state.get(spec.writes)) is not None for spec in agents)
        return "approve" if answered else "none"

    return recommend


def _department_graph(
    name: str,
    agents: Sequence[AgentSpec[Any, Any]],
    input_contract: type[BaseModel],
    gate: str | None,
) -> Any:
    state = governed_state(f"{name.title()}State", input_contract, agents)
    first, second = agents
    workers = [Worker(first), Worker(second, after=(first.name,))]
    builder = build_supervisor(state, workers, then=gate or "handoff")
    if gate is None:
        builder.add_node("handoff", lambda _: {})
        builder.add_edge("handoff", END)
    else:
        add_review_gate(
            builder,
            GateSpec(
                workflow=NAME,
                agents=agents,
                subject=_gate_subject(name),
                recommend=_all_answered(agents),
                reads=("plan_id",),
                name=gate,
                policy=gate_policy(gate, agents),
            ),
        )
        builder.add_edge(gate, END)
    return builder.compile(name=name)


def _procurement_input(state: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "order_date", "need_by", "currency", "skus", "suppliers", "lanes")
    return {
        **{k: state.get(k) for k in keys},
        "avoid": state.get("avoid") or [],
        "forecast": value_of(state.get("forecasting")),
    }


def _logistics_input(state: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "order_date", "need_by", "suppliers", "lanes")
    return {**{k: state.get(k) for k in keys}, "skus_in_demand": skus_to_buy(state)}


FORECASTING = Department(
    name="forecasting",
    graph=lambda: _department_graph("forecasting", FORECASTING_AGENTS, DemandInput, None),
    input_contract=DemandInput,
    output_contract=DemandForecast,
    output=lambda final: _department_result(
        final, FORECASTING_AGENTS, DemandForecast, "forecasting"
    ),
    owner=DEMAND_PLANNING,
    agents=FORECASTING_AGENTS,
    description="Forecasts each SKU's weekly demand over the horizon, by the model that did best "
    "on held-back weeks.",
)
PROCUREMENT = Department(
    name="procurement",
    graph=lambda: _department_graph(
        "procurement", PROCUREMENT_AGENTS, ProcurementInput, "procurement_review"
    ),
    input_contract=ProcurementInput,
    output_contract=PurchasePlan,
    output=lambda final: _department_result(final, PROCUREMENT_AGENTS, PurchasePlan, "procurement"),
    owner=PROCUREMENT_TEAM,
    agents=PROCUREMENT_AGENTS,
    reads=(*(k for k in ProcurementInput.model_fields if k != "forecast"), "forecasting"),
    select_input=_procurement_input,
    after=("forecasting",),
    description="Drafts purchase orders covering the forecast and safety stock, by landed cost, "
    "reliability and capacity; a large order stops for sign-off.",
)
LOGISTICS = Department(
    name="logistics",
    graph=lambda: _department_graph(
        "logistics", LOGISTICS_AGENTS, LogisticsInput, "logistics_review"
    ),
    input_contract=LogisticsInput,
    output_contract=RoutingPlan,
    output=lambda final: _department_result(final, LOGISTICS_AGENTS, RoutingPlan, "logistics"),
    owner=LOGISTICS_TEAM,
    agents=LOGISTICS_AGENTS,
    reads=(
        "plan_id",
        "order_date",
        "need_by",
        "suppliers",
        "lanes",
        "skus",
        "currency",
        "forecasting",
    ),
    select_input=_logistics_input,
    after=("forecasting",),
    description="Routes every supplier offer by mode, lane and carrier with its arrival and late "
    "risk; a routing likely to miss need_by stops for sign-off.",
)
DEPARTMENTS = (FORECASTING, PROCUREMENT, LOGISTICS)
DEPARTMENT_AGENTS = tuple(department_agent(d, NAME) for d in DEPARTMENTS)
PlanState = hierarchy_state("PlanState", PlanningCase, DEPARTMENT_AGENTS)


class ReconcileSlice(TypedDict, total=False):
    """What the orchestrator reconciles: the two departments' plans and the re-plans so far."""

    procurement: dict[str, Any] | None
    logistics: dict[str, Any] | None
    need_by: str
    avoid: list[dict[str, Any]]
    replans: int


class PlanSettings(BaseModel):
    """The orchestrator's settings in the policy file (`settings:`)."""

    max_replans: int = Field(default=1, ge=0, le=5)
    """How many times procurement is asked to re-plan orders that would land late."""
    plan_late_risk_limit: float = Field(default=0.3, ge=0, le=1)
    """An order of the plan whose late risk is at or above this escalates the plan to the
    supply-chain lead, unless logistics' reviewer signed its routing off."""


def plan_settings() -> PlanSettings:
    """The orchestrator's settings, checked (PolicyError naming the setting and its line)."""
    raw = raw_settings(POLICY_FILE)
    return policy_settings(NAME, PlanSettings, POLICY_FILE) if raw else PlanSettings()


def reconcile(state: dict[str, Any]) -> Command[Any]:
    """Join the purchase orders with their routes. Orders that would land after need_by send the
    plan back to procurement (avoiding those offers) up to `max_replans` times; after that they
    escalate the plan to the supply-chain lead, as do orders likely to land late (late risk at
    or above `plan_late_risk_limit`) that logistics' reviewer did not sign off."""
    purchases, routing = value_of(state.get("procurement")), value_of(state.get("logistics"))
    if purchases is None or routing is None:
        return Command(goto="review_gate")  # the gate's built-in rules say which did not finish
    orders = planned_orders(
        PurchasePlan.model_validate(purchases), RoutingPlan.model_validate(routing)
    )
    late = late_orders(orders)
    replans, settings = int(state.get("replans") or 0), plan_settings()
    if late and replans < settings.max_replans:
        avoid = [*(state.get("avoid") or []), *(a.model_dump() for a in late)]
        return Command(
            goto=SUPERVISOR,
            update={"procurement": None, "avoid": avoid, "replans": replans + 1, RERUNS_KEY: {}},
        )
    escalations = (
        [
            f"{len(late)} purchase order(s) would land after need_by {state.get('need_by')} "
            f"after {replans} re-plan(s): "
            + "; ".join(f"{a.supplier_id}/{a.sku} {a.reason}" for a in late)
        ]
        if late
        else []
    )
    risky = [
        o for o in orders if not o.late and (o.late_risk or 0) >= settings.plan_late_risk_limit
    ]
    if risky and not routing.get("signed_off_by"):
        escalations.append(
            f"{len(risky)} purchase order(s) are likely to land after need_by (late risk at or "
            f"above {settings.plan_late_risk_limit:.0%}): "
            + "; ".join(f"{o.po_number} by {o.lane_id} {o.late_risk:.0%}" for o in risky)
        )
    return Command(goto="review_gate", update={"plan_escalations": escalations})


def _subject(state: Mapping[str, Any]) -> str:
    return f"Release replenishment plan {state.get('plan_id')}?"


def _recommend(state: Mapping[str, Any]) -> Recommendation:
    ready = all(value_of(state.get(d.name)) is not None for d in DEPARTMENTS)
    return "approve" if ready and not state.get("plan_escalations") else "none"


def _refuse(state: Mapping[str, Any], decision: ReviewDecision) -> str | None:
    missing = [d.name for d in DEPARTMENTS if value_of(state.get(d.name)) is None]
    if decision.action.value in ("approve", "amend") and missing:
        return f"there is no plan to release: {', '.join(missing)} did not finish (reject or refer)"
    return None


def _decide(state: Mapping[str, Any], settled: Settled) -> ReplenishmentPlan:
    """Released (each PO recorded once) when approved; otherwise no order is sent."""
    assessed = settled.assessed
    purchases, routing = value_of(assessed.get("procurement")), value_of(assessed.get("logistics"))
    forecast = value_of(assessed.get("forecasting")) or {}
    orders = (
        planned_orders(PurchasePlan.model_validate(purchases), RoutingPlan.model_validate(routing))
        if purchases is not None and routing is not None
        else []
    )
    released = settled.outcome in ("cleared", "cleared_by_reviewer") and bool(orders)
    if released:
        orders = release(settled.database_url, settled.thread_id, str(state.get("plan_id")), orders)
    outcome = "released" if released else settled.outcome
    reasons = settled.reasons + [
        f"{o.po_number}: an order of this plan to {o.supplier_id} for {o.sku} was recorded before "
        "with another quantity or value; it stands, and this one was not sent"
        for o in orders
        if o.recorded == "ordered_differently"
    ]
    return ReplenishmentPlan(
        **{**settled.record(), "outcome": outcome, "reasons": reasons},
        plan_id=str(state.get("plan_id")),
        currency=str(state.get("currency") or "USD"),
        orders=orders,
        total_cost=sum((o.value + o.freight for o in orders), Decimal(0)),
        fill_rate=(purchases or {}).get("fill_rate"),
        late_orders=[o.po_number for o in orders if o.late],
        replans=int(state.get("replans") or 0),
        forecast_models={f["sku"]: f["model"] for f in forecast.get("skus", [])},
        signed_off={
            name: str(part["signed_off_by"])
            for name, part in (("procurement", purchases), ("logistics", routing))
            if part and part.get("signed_off_by")
        },
    )


def build() -> Any:
    """The supply-chain replenishment workflow, uncompiled."""
    settings = raw_settings(POLICY_FILE)  # the owner's settings are checked here, not mid-run
    plan_settings()
    for section, model in (("sourcing", SourcingSettings), ("routing", RoutingSettings)):
        try:
            model.model_validate(settings.get(section) or {})
        except ValidationError as error:
            problems = "; ".join(f"settings.{section}.{p}" for p in describe_errors(error))
            raise PolicyError(f"{POLICY_FILE}: {problems}") from None
    builder = build_hierarchy(
        PlanState, DEPARTMENTS, workflow=NAME, then=RECONCILE, input_contract=ReplenishmentRequest
    )
    builder.add_node(
        RECONCILE,
        cast(Any, reconcile),
        input_schema=ReconcileSlice,
        destinations=(SUPERVISOR, "review_gate"),
    )
    gate = GateSpec(
        workflow=NAME,
        agents=DEPARTMENT_AGENTS,
        subject=_subject,
        recommend=_recommend,
        refuse=_refuse,
        escalations=lambda s: list(s.get("plan_escalations") or []),
        reads=("plan_id", "plan_escalations", *(d.name for d in DEPARTMENTS)),
        policy=gate_policy("review_gate", DEPARTMENT_AGENTS),
    )
    add_gate_then_decide(
        builder, gate, _decide, reads=("plan_id", "currency", "replans"), kind="replenishment_plan"
    )
    return builder


WORKFLOW = Workflow(
    name=NAME,
    input_contract=ReplenishmentRequest,
    agents=DEPARTMENT_AGENTS,
    build=build,
    summary=status_lines,
    state_writers={
        "avoid": (RECONCILE, "list[Avoid]"),
        "replans": (RECONCILE, "int"),
        "plan_escalations": (RECONCILE, "list[str]"),
    },
    departments=DEPARTMENTS,
)
