"""The supply-chain workflow on SQLite and PostgreSQL, from Python and the command line: each
shipped sample to its path (a clean plan released, a split order, a large purchase order stopping
at procurement's gate, both departments waiting at once and answered each on its own, a plan that
cannot make need_by re-planned once then escalated), each purchase order recorded once whatever
thread approves it, rollback into a department, and bad input refused with the field named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from agents.supply_chain.plan import PURCHASE_ORDER_KIND
from checkpoints.ledger import SideEffectLedger
from graphs.kit.errors import RequestError
from graphs.kit.runtime import open_workflow, queued_cases
from schemas.trace import EventKind
from tests.conftest import ROOT
from tests.integration.cli_helpers import baton

SAMPLES = ROOT / "data" / "samples" / "supply_chain"
ANN = {"action": "approve", "reviewer": "Ann Buyer"}
LEE = {"action": "approve", "reviewer": "Lee Shipper"}


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _orders_recorded(url: str, thread: str) -> list[dict[str, Any]]:
    return SideEffectLedger(url).for_thread(thread, PURCHASE_ORDER_KIND)


def _waiting(report: Any) -> dict[str | None, Any]:
    return {gate.department: gate for gate in report.waiting}


def test_a_clean_plan_is_released_and_each_order_recorded_once(database_url: str) -> None:
    with open_workflow("supply_chain", database_url) as flow:
        report = flow.start(sample("01_clean"), thread_id="clean")
        assert report.status == "completed"
        decision = report.decision
        assert decision is not None and decision["outcome"] == "released"
        assert decision["decided_by"] == "policy" and decision["fill_rate"] == 1.0
        assert decision["signed_off"] == {}  # no department's gate stopped it
        assert {o["recorded"] for o in decision["orders"]} == {"ordered"}
        assert all(not o["late"] and o["mode"] for o in decision["orders"])
        assert len(_orders_recorded(database_url, "clean")) == len(decision["orders"])
        assert set(decision["forecast_models"]) == {"SKU-001", "SKU-002", "SKU-003", "SKU-004"}
        again = flow.start(sample("01_clean"), thread_id="clean-again")  # the same plan again
        assert again.decision is not None
        assert {o["recorded"] for o in again.decision["orders"]} == {"ordered_before"}
        assert _orders_recorded(database_url, "clean-again") == []


def test_an_order_too_large_for_one_supplier_is_split_within_capacity(sqlite_url: str) -> None:
    request = sample("02_split_order")
    with open_workflow("supply_chain", sqlite_url) as flow:
        report = flow.start(request, thread_id="split")
        assert report.status == "completed" and report.decision is not None
        state = flow.graph.get_state(flow.config("split")).values
    plan = state["procurement"]["value"]
    assert plan["split_skus"] == ["SKU-002"]
    split = [o for o in plan["orders"] if o["sku"] == "SKU-002"]
    offers = {o["supplier_id"]: o for o in request["suppliers"]}
    assert len(split) == 2
    for order in plan["orders"]:
        offer = offers[order["supplier_id"]]
        assert offer["sku"] == order["sku"]  # never a SKU the supplier does not offer
        assert order["quantity"] <= offer["capacity_per_week"] * 9  # nine weeks to need_by


def test_a_large_order_stops_at_procurements_gate_and_approving_releases_it(
    sqlite_url: str,
) -> None:
    with open_workflow("supply_chain", sqlite_url) as flow:
        report = flow.start(sample("03_large_po"), thread_id="large")
        assert report.status == "awaiting_review"
        (gate,) = report.waiting
        assert (gate.department, gate.gate) == ("procurement", "procurement_review")
        assert [r["rule"] for r in gate.packet["reasons"]] == ["large_purchase_order"]
        assert [(c.thread_id, c.department) for c in queued_cases("supply_chain", sqlite_url)] == [
            ("large", "procurement")
        ]
        assert _orders_recorded(sqlite_url, "large") == []  # nothing ordered before approval
        done = flow.resume("large", ANN)
        assert done.status == "completed" and done.decision is not None
        assert done.decision["outcome"] == "released"
        assert len(_orders_recorded(sqlite_url, "large")) == len(done.decision["orders"])
        assert queued_cases("supply_chain", sqlite_url) == []


def test_both_departments_wait_at_once_and_are_answered_each_on_its_own(
    database_url: str,
) -> None:
    with open_workflow("supply_chain", database_url) as flow:
        report = flow.start(sample("04_both_wait"), thread_id="both")
        waiting = _waiting(report)
        assert set(waiting) == {"procurement", "logistics"}
        assert waiting["logistics"].gate == "logistics_review"
        assert [r["rule"] for r in waiting["logistics"].packet["reasons"]] == ["high_late_risk"]
        queued = {c.department for c in queued_cases("supply_chain", database_url)}
        assert queued == {"procurement", "logistics"}
        with pytest.raises(RequestError, match="procurement") as unnamed:
            flow.resume("both", ANN)
        assert "logistics" in str(unnamed.value)
        half = flow.resume("both", LEE, interrupt_id=waiting["logistics"].interrupt_id)
        assert half.status == "awaiting_review" and set(_waiting(half)) == {"procurement"}
        assert {c.department for c in queued_cases("supply_chain", database_url)} == {"procurement"}
        done = flow.resume("both", ANN, department="procurement")
        assert done.status == "completed" and done.decision is not None
        assert done.decision["outcome"] == "released"
        assert done.decision["signed_off"] == {
            "procurement": "Ann Buyer",
            "logistics": "Lee Shipper",
        }
        state = flow.graph.get_state(flow.config("both")).values
    air = [o for o in done.decision["orders"] if o["sku"] == "SKU-004"]
    assert air and all(o["mode"] == "air" and not o["late"] for o in air)
    assert state["logistics"]["status"] == state["procurement"]["status"] == "ok"


def test_a_department_rejected_escalates_and_nothing_is_ordered(sqlite_url: str) -> None:
    with open_workflow("supply_chain", sqlite_url) as flow:
        flow.start(sample("04_both_wait"), thread_id="no")
        flow.resume("no", LEE, department="logistics")
        top = flow.resume(
            "no", {"action": "reject", "reviewer": "Ann Buyer"}, department="procurement"
        )
        assert top.status == "awaiting_review"
        (gate,) = top.waiting
        assert (gate.department, gate.gate) == (None, "review_gate")
        assert "agent_escalated" in [r["rule"] for r in gate.packet["reasons"]]
        with pytest.raises(Exception, match="no plan to release: procurement did not finish"):
            flow.resume("no", {"action": "approve", "reviewer": "Sam Lead"})
        done = flow.resume("no", {"action": "reject", "reviewer": "Sam Lead"})
        assert done.decision is not None and done.decision["outcome"] == "rejected"
        assert done.decision["orders"] == [] and _orders_recorded(sqlite_url, "no") == []


def test_a_plan_that_cannot_make_need_by_is_replanned_once_then_escalated(
    sqlite_url: str,
) -> None:
    with open_workflow("supply_chain", sqlite_url) as flow:
        report = flow.start(sample("05_cannot_meet_need_by"), thread_id="late")
        assert set(_waiting(report)) == {"procurement", "logistics"}
        report = flow.resume("late", LEE, department="logistics")
        report = flow.resume("late", ANN, department="procurement")
        # Every order lands late: procurement is asked once to re-plan (its gate asks again).
        assert set(_waiting(report)) == {"procurement"}
        report = flow.resume("late", ANN, department="procurement")
        (gate,) = report.waiting
        assert gate.department is None and gate.gate == "review_gate"
        reasons = " ".join(r["detail"] for r in gate.packet["reasons"])
        assert "after need_by 2026-12-05 after 1 re-plan(s)" in reasons
        state = flow.graph.get_state(flow.config("late")).values
        assert state["replans"] == 1 and state["avoid"]
        done = flow.resume("late", {"action": "refer", "reviewer": "Sam Lead", "note": "expedite"})
        assert done.decision is not None and done.decision["outcome"] == "referred"
        assert _orders_recorded(sqlite_url, "late") == []


def test_rollback_into_a_department_reruns_that_specialist_and_what_follows(
    sqlite_url: str,
) -> None:
    with open_workflow("supply_chain", sqlite_url) as flow:
        first = flow.start(sample("01_clean"), thread_id="rb")
        assert first.decision is not None
        before = {e.node for e in flow.traces.events("rb", EventKind.STEP)}
        count = len(flow.traces.events("rb", EventKind.STEP))
        report = flow.rollback("rb", "sourcing", by="Ops", reason="supplier terms changed")
        assert report.status == "completed"
        rerun = [e.node for e in flow.traces.events("rb", EventKind.STEP)][count:]
    assert "sourcing" in rerun and "procurement" in rerun and "finalize" in rerun
    for kept in ("demand_series", "forecaster", "requirements", "lane_options", "routing"):
        assert kept in before and kept not in rerun, kept
    assert "forecasting" not in rerun and "logistics" not in rerun


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["suppliers"][2].update(sku="SKU-999"), "suppliers.2.sku"),
        (lambda r: r["order_history"][5].update(quantity=-3), "order_history.5.quantity"),
        (lambda r: r["order_history"][7].update(week="2025-W54"), "order_history.7.week"),
        (
            lambda r: r.update(
                order_history=[
                    h for h in r["order_history"] if h["sku"] != "SKU-002" or h["week"] > "2026-W30"
                ]
            ),
            "order_history",
        ),
    ],
    ids=["unknown_sku_supplier", "negative_quantity", "not_an_iso_week", "short_history"],
)
def test_bad_input_exits_2_and_names_the_field(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path, change: Any, field: str
) -> None:
    request = copy.deepcopy(sample("01_clean"))
    change(request)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    output = baton(monkeypatch, sqlite_url, "run", "supply_chain", str(path), code=2)
    assert f"{field}:" in output and "ReplenishmentRequest" in output


def test_the_command_line_answers_two_waiting_departments_separately(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    path = str(SAMPLES / "04_both_wait.json")
    started = baton(
        monkeypatch, sqlite_url, "run", "supply_chain", path, "--thread-id", "cli", "--json"
    )
    assert {w["department"] for w in started["waiting"]} == {"procurement", "logistics"}
    logistics = next(w for w in started["waiting"] if w["department"] == "logistics")
    baton(monkeypatch, sqlite_url, "review", "cli", "--approve", "--reviewer", "Ann", code=2)
    half = baton(
        monkeypatch,
        sqlite_url,
        "review",
        "cli",
        "--approve",
        "--reviewer",
        "Lee",
        "--interrupt",
        logistics["interrupt_id"],
        "--json",
    )
    assert [w["department"] for w in half["waiting"]] == ["procurement"]
    done = baton(
        monkeypatch,
        sqlite_url,
        "review",
        "cli",
        "--approve",
        "--reviewer",
        "Ann",
        "--department",
        "procurement",
        "--json",
    )
    assert done["status"] == "completed" and done["outcome"] == "released"


def test_rolling_back_into_logistics_after_a_replan_keeps_the_replan_and_its_cap(
    sqlite_url: str,
) -> None:
    with open_workflow("supply_chain", sqlite_url) as flow:
        flow.start(sample("05_cannot_meet_need_by"), thread_id="rp")
        flow.resume("rp", LEE, department="logistics")
        flow.resume("rp", ANN, department="procurement")
        escalated = flow.resume("rp", ANN, department="procurement")  # after the one re-plan
        assert [(g.department, g.gate) for g in escalated.waiting] == [(None, "review_gate")]
        sourced = [e.node for e in flow.traces.events("rp", EventKind.STEP)].count("sourcing")
        report = flow.rollback("rp", "routing", by="Ops", reason="a new lane")
        # Only logistics' routing runs again; its gate asks again, and only it is queued.
        assert [(g.department, g.gate) for g in report.waiting] == [
            ("logistics", "logistics_review")
        ]
        queued = [(c.department, c.gate) for c in queued_cases("supply_chain", sqlite_url)]
        assert queued == [("logistics", "logistics_review")]
        report = flow.resume("rp", LEE, department="logistics")
        state = flow.graph.get_state(flow.config("rp")).values
        assert state["replans"] == 1 and state["avoid"]  # the re-plan stands: its cap is spent
        assert [(g.department, g.gate) for g in report.waiting] == [(None, "review_gate")]
        steps = [e.node for e in flow.traces.events("rp", EventKind.STEP)]
    assert steps.count("sourcing") == sourced  # procurement was not asked again
    assert steps.count("lane_options") == 1 and steps.count("routing") == 2


def test_an_order_likely_to_land_late_escalates_the_plan(sqlite_url: str) -> None:
    request = sample("01_clean")
    risky = next(o for o in request["suppliers"] if o["supplier_id"] == "S-VN-SKU-001")
    risky |= {"unit_price": "5.00", "on_time_rate": 0.3, "lead_time_days": 56}
    with open_workflow("supply_chain", sqlite_url) as flow:
        report = flow.start(request, thread_id="risky")
        (gate,) = report.waiting
        assert (gate.department, gate.gate) == (None, "review_gate")
        details = " ".join(r["detail"] for r in gate.packet["reasons"])
        assert "likely to land after need_by" in details and "S-VN-SKU-001" in details
        assert _orders_recorded(sqlite_url, "risky") == []


def test_a_request_without_its_optional_fields_runs_on_their_defaults(sqlite_url: str) -> None:
    import asyncio
    from datetime import date, timedelta

    from checkpoints.saver import open_saver
    from graphs.kit.context import BatonContext
    from graphs.supply_chain import WORKFLOW

    request = {k: v for k, v in sample("01_clean").items() if k not in ("order_date", "currency")}
    request["need_by"] = (date.today() + timedelta(days=63)).isoformat()  # whatever today is

    async def run() -> dict[str, Any]:
        async with open_saver(sqlite_url) as saver:
            graph = WORKFLOW.builder().compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "defaults"}}
            context = BatonContext(database_url=sqlite_url)
            await graph.ainvoke(request, config, context=context)
            return dict((await graph.aget_state(config)).values)

    values = asyncio.run(run())
    assert values["order_date"] == date.today().isoformat() and values["currency"] == "USD"
    assert values["forecasting"]["status"] == "ok" and values["procurement"]["status"] == "ok"
