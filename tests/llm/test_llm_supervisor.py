"""The LLM supervisor option: the model picks among the ready workers; any other answer is refused
and the rule router routes, visibly."""

from __future__ import annotations

import json

import pytest

from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind
from tests.conftest import load_sample
from tests.llm.model_server import ScriptedModelServer


@pytest.fixture(autouse=True)
def _supervisor_model(model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_MODEL_SUPERVISOR", "openai:scripted-router")


def test_model_choice_among_ready_workers_is_followed(
    model_server: ScriptedModelServer, sqlite_url: str
) -> None:
    model_server.script(  # the model is asked only when there is a choice (two or more ready)
        {"json": {"next": ["risk"]}},  # only one of the three ready workers
        {"json": {"next": ["policy_lookup", "compliance", "quote"]}},
    )
    with open_workflow("underwriting", sqlite_url) as flow:
        report = flow.start(load_sample("01_clean_straight_through"), thread_id="llm-router")
        routes = [e.data for e in flow.traces.events("llm-router", EventKind.ROUTE)]
    assert report.decision is not None and report.decision["outcome"] == "approved"
    assert [r["route"] for r in routes] == [
        ["intake"],
        ["risk"],
        ["policy_lookup", "compliance", "quote"],
        ["review_gate"],
    ]
    assert [r["chooser"] for r in routes] == ["rules"] + ["model openai:scripted-router"] * 2 + [
        "rules"
    ]
    sent = json.dumps([r["messages"] for r in model_server.requests])
    assert "Harbor Light" not in sent and "ready" in sent  # statuses only, never the documents


@pytest.mark.parametrize(
    "answer",
    [
        {"tool_call": {"name": "no_such_worker", "arguments": {}}},
        {"json": {"next": ["quote"]}},  # quote is not ready before risk
        {"json": {"next": ["approve_everything"]}},
        {"status": 500},
    ],
)
def test_an_invalid_choice_falls_back_to_the_rule_router(
    model_server: ScriptedModelServer, sqlite_url: str, answer: dict[str, object]
) -> None:
    model_server.script(answer)
    with open_workflow("underwriting", sqlite_url) as flow:
        report = flow.start(load_sample("01_clean_straight_through"), thread_id="llm-router-bad")
        routes = [e.data for e in flow.traces.events("llm-router-bad", EventKind.ROUTE)]
    assert report.decision is not None and report.decision["outcome"] == "approved"
    second = routes[1]
    assert second["chooser"] == "rules" and second["route"] == [
        "policy_lookup",
        "risk",
        "compliance",
    ]
    assert second["model_choice_rejected"]


def test_a_hung_model_choice_is_cut_off_by_the_node_timeout_and_the_rules_route(
    model_server: ScriptedModelServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_MODEL_TIMEOUT", "0.5")
    model_server.script({"hang": 3})
    with open_workflow("underwriting", sqlite_url) as flow:
        report = flow.start(load_sample("01_clean_straight_through"), thread_id="llm-router-hang")
        routes = [e.data for e in flow.traces.events("llm-router-hang", EventKind.ROUTE)]
    assert report.decision is not None and report.decision["outcome"] == "approved"
    second = routes[1]
    assert second["chooser"] == "rules"
    assert second["route"] == ["policy_lookup", "risk", "compliance"]
    assert second["model_choice_rejected"].startswith("NodeTimeoutError: Node 'supervisor'")
    assert len(model_server.requests) == 1  # the rules sent every ready worker: no choice left
