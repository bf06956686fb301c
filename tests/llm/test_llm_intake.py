"""LLM intake through the real langchain-openai client and the scripted model server: structured
output, one bounded retry with the errors fed back, then the next implementation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from graphs.kit.runtime import WorkflowRun, open_workflow
from schemas.trace import EventKind
from tests.conftest import load_sample
from tests.llm.model_server import ScriptedModelServer

GOOD = {
    "applicant_name": "Harbor Light Bakery LLC",
    "state": "ME",
    "business_class": "Bakery",
    "years_in_business": 12,
    "annual_revenue": 1250000,
    "construction_type": "masonry",
    "year_built": 1998,
    "sprinklered": True,
    "requested_limit": 2000000,
    "prior_policy_number": "BTN-2021-004512",
    "effective_date": "2027-01-01",
    "evidence": [
        {"field": "applicant_name", "quote": "Harbor Light Bakery LLC"},
        {"field": "state", "quote": "State: ME"},
        {"field": "business_class", "quote": "Business Class: Bakery"},
        {"field": "years_in_business", "quote": "Years in Business: 12"},
        {"field": "annual_revenue", "quote": "$1,250,000"},
        {"field": "construction_type", "quote": "Construction Type: Masonry"},
        {"field": "year_built", "quote": "Year Built: 1998"},
        {"field": "sprinklered", "quote": "Sprinklered: Yes"},
        {"field": "requested_limit", "quote": "Requested Limit: $2,000,000"},
        {"field": "prior_policy_number", "quote": "BTN-2021-004512"},
        {"field": "effective_date", "quote": "Effective Date: 2027-01-01"},
    ],
}


@pytest.fixture
def workflow(
    model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> Iterator[WorkflowRun]:
    monkeypatch.setenv("BATON_MODEL_INTAKE", "openai:scripted-intake")
    with open_workflow("underwriting", sqlite_url) as flow:
        yield flow


def intake_of(flow: WorkflowRun, thread: str) -> dict[str, Any]:
    result: dict[str, Any] = flow.graph.get_state(flow.config(thread)).values["intake"]
    return result


def test_model_reads_the_application_and_sees_only_it(
    workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    model_server.script({"json": GOOD})
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-ok")
    assert report.status == "completed" and report.decision is not None
    assert report.decision["outcome"] == "approved"
    intake = intake_of(workflow, "llm-ok")
    assert (intake["implementation"], intake["value"]["extraction"]) == ("llm_reader", "llm")
    assert intake["value"]["business_class"] == "bakery"
    sent = json.dumps(model_server.requests[0]["messages"])
    assert "Harbor Light Bakery LLC" in sent
    assert (
        "LOSS RUN REPORT" not in sent and "Casco Bay Insurance Brokers" not in sent
    )  # its slice only
    steps = [e for e in workflow.traces.events("llm-ok", EventKind.STEP) if e.node == "intake"]
    assert steps[0].data["tokens"]["prompt"] > 0 and steps[0].data["model"] == ["scripted-intake"]


def test_a_broken_answer_gets_one_retry_with_the_errors(
    workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    model_server.script({"json": {**GOOD, "year_built": "nineteen ninety-eight"}}, {"json": GOOD})
    workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-retry")
    assert intake_of(workflow, "llm-retry")["implementation"] == "llm_reader"
    assert len(model_server.requests) == 2
    assert "breaks the schema" in json.dumps(model_server.requests[1]["messages"])
    assert "year_built" in json.dumps(model_server.requests[1]["messages"])


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ([{"raw": "{not json"}, {"json": {**GOOD, "state": "Atlantis"}}], "contract_violation"),
        ([{"status": 500}], "implementation_error"),
    ],
)
def test_after_that_the_next_implementation_runs_visibly(
    workflow: WorkflowRun, model_server: ScriptedModelServer, steps: list[dict[str, Any]], kind: str
) -> None:
    model_server.script(*steps)
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id=f"llm-{kind}")
    assert report.decision is not None and report.decision["outcome"] == "approved"
    intake = intake_of(workflow, f"llm-{kind}")
    assert intake["implementation"] == "label_parser" and intake["fallbacks"][0].startswith(
        "llm_reader:"
    )
    hops = workflow.traces.events(f"llm-{kind}", EventKind.FALLBACK)
    assert [(h.data["from"], h.data["to"], h.data["error_kind"]) for h in hops] == [
        ("llm_reader", "label_parser", kind)
    ]


def test_a_value_the_document_does_not_support_is_dropped_and_stops_the_case(
    workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    invented = {
        **GOOD,
        "sprinklered": True,
        "evidence": [e for e in GOOD["evidence"] if e["field"] != "sprinklered"]
        + [{"field": "sprinklered", "quote": "fully sprinklered per the broker"}],
    }
    model_server.script({"json": invented})
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-invented")
    assert report.status == "awaiting_review"
    facts = intake_of(workflow, "llm-invented")["value"]
    assert any(
        v.startswith("sprinklered:") for v in facts["unreadable_values"]
    )  # the model's value is dropped
    assert (
        facts["sprinklered"] is True
    )  # ... and the form's own "Sprinklered: Yes" is used, flagged
    assert any(flag.startswith("sprinklered: the model left out") for flag in facts["model_flags"])


def test_without_a_model_the_llm_implementation_is_skipped(
    model_server: ScriptedModelServer, sqlite_url: str
) -> None:
    with open_workflow("underwriting", sqlite_url) as flow:
        flow.start(load_sample("01_clean_straight_through"), thread_id="no-model")
        attempts = [
            e.data["implementation"]
            for e in flow.traces.events("no-model", EventKind.ATTEMPT)
            if e.agent == "intake"
        ]
        assert attempts == ["label_parser"]
    assert model_server.requests == []


def test_a_transient_failure_is_retried_by_the_graph_then_succeeds(
    workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    model_server.script({"status": 429, "retry_after": 1}, {"status": 503}, {"json": GOOD})
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-transient")
    assert report.decision is not None and report.decision["outcome"] == "approved"
    intake = intake_of(workflow, "llm-transient")
    assert intake["implementation"] == "llm_reader" and intake["fallbacks"] == []
    assert len(model_server.requests) == 3
    attempts = [
        e.data["verdict"]
        for e in workflow.traces.events("llm-transient", EventKind.ATTEMPT)
        if e.agent == "intake"
    ]
    assert attempts == ["retry", "retry", "ok"]
    step = next(
        e for e in workflow.traces.events("llm-transient", EventKind.STEP) if e.node == "intake"
    )
    assert step.data["retries"] == 2


@pytest.fixture
def impatient_workflow(
    model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> Iterator[WorkflowRun]:
    """The workflow with a half-second model timeout (the graph reads it when it is built)."""
    monkeypatch.setenv("BATON_MODEL_INTAKE", "openai:scripted-intake")
    monkeypatch.setenv("BATON_MODEL_TIMEOUT", "0.5")
    with open_workflow("underwriting", sqlite_url) as flow:
        yield flow


@pytest.mark.parametrize(
    ("step", "cause"),
    [
        ({"status": 429, "retry_after": 1}, "OpenAIRateLimitError"),
        ({"status": 500}, "OpenAIAPIError"),
        ({"hang": 3}, "NodeTimeoutError"),  # LangGraph's node timeout, not the client's
    ],
)
def test_when_retries_run_out_the_next_implementation_runs(
    impatient_workflow: WorkflowRun,
    model_server: ScriptedModelServer,
    step: dict[str, Any],
    cause: str,
) -> None:
    workflow = impatient_workflow
    model_server.script(step, step, step)
    thread = f"llm-exhausted-{step.get('status', 'hang')}"
    report = workflow.start(load_sample("01_clean_straight_through"), thread_id=thread)
    assert report.decision is not None and report.decision["outcome"] == "approved"
    intake = intake_of(workflow, thread)
    assert intake["implementation"] == "label_parser"
    assert intake["fallbacks"][0].startswith(f"llm_reader: {cause}")
    assert "retries exhausted" in intake["fallbacks"][0]
    assert len(model_server.requests) == 3  # three attempts of the node
    hops = workflow.traces.events(thread, EventKind.FALLBACK)
    assert [(h.data["from"], h.data["to"]) for h in hops] == [("llm_reader", "label_parser")]
    steps = [e for e in workflow.traces.events(thread, EventKind.STEP) if e.agent == "intake"]
    assert len(steps) == 1 and steps[0].data["status"] == "ok"


def test_a_hung_model_is_cancelled_by_the_node_timeout_and_retried(
    impatient_workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    model_server.script({"hang": 3}, {"json": GOOD})
    thread = "llm-hang-then-ok"
    report = impatient_workflow.start(load_sample("01_clean_straight_through"), thread_id=thread)
    assert report.decision is not None and report.decision["outcome"] == "approved"
    intake = intake_of(impatient_workflow, thread)
    assert intake["implementation"] == "llm_reader" and intake["fallbacks"] == []
    step = next(
        e for e in impatient_workflow.traces.events(thread, EventKind.STEP) if e.node == "intake"
    )
    assert step.data["retries"] == 1
    errors = [
        e.data
        for e in impatient_workflow.traces.events(thread, EventKind.STEP_ERROR)
        if e.node == "intake"
    ]
    assert len(errors) == 1 and errors[0]["error"].startswith("CancelledError: ")
    attempts = [
        e.data["verdict"]
        for e in impatient_workflow.traces.events(thread, EventKind.ATTEMPT)
        if e.agent == "intake"
    ]
    assert attempts == ["cancelled", "ok"]
    assert len(model_server.requests) == 2


def test_hops_name_the_model(workflow: WorkflowRun, model_server: ScriptedModelServer) -> None:
    model_server.script({"raw": "no"}, {"raw": "still no"})
    workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-model-named")
    hop = workflow.traces.events("llm-model-named", EventKind.FALLBACK)[0]
    assert hop.data["model"] == "openai:scripted-intake" and hop.data["from"] == "llm_reader"


def test_tokens_of_rejected_answers_are_counted(
    workflow: WorkflowRun, model_server: ScriptedModelServer
) -> None:
    model_server.script(
        {"json": {**GOOD, "state": "Atlantis"}}, {"json": {**GOOD, "year_built": "old"}}
    )
    workflow.start(load_sample("01_clean_straight_through"), thread_id="llm-tokens")
    step = next(
        e for e in workflow.traces.events("llm-tokens", EventKind.STEP) if e.node == "intake"
    )
    assert step.data["implementation"] == "label_parser"
    assert step.data["model"] == ["scripted-intake"] and step.data["tokens"]["prompt"] > 0
    assert len(model_server.requests) == 2
    second = model_server.requests[1]["messages"]
    assert second[-1]["role"] == "tool" and "state" in second[-1]["content"]  # the error fed back
