"""Every underwriting sample runs to its expected status and outcome on the LLM path too, with a
scripted model that reads the application faithfully."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphs.kit.runtime import WorkflowRun, open_workflow
from tests.conftest import load_sample
from tests.integration.test_samples import EXPECTED
from tests.llm.answers import faithful_answer
from tests.llm.model_server import ScriptedModelServer

# The broker's email has no labels: a faithful model reads it, quoting the email's words. No
# deterministic reader confirms those values, so the case stops for a person.
EMAIL_ANSWER = {
    "applicant_name": "Lighthouse Coffee Roasters LLC",
    "state": "ME",
    "business_class": "bakery cafe",
    "years_in_business": 9,
    "annual_revenue": 1400000,
    "construction_type": "masonry",
    "year_built": 2004,
    "sprinklered": True,
    "requested_limit": 1500000,
    "effective_date": "2027-01-15",
    "evidence": [
        {"field": "applicant_name", "quote": "Lighthouse Coffee Roasters LLC"},
        {"field": "state", "quote": "Bar Harbor, ME 04609"},
        {"field": "business_class", "quote": "a bakery cafe"},
        {"field": "years_in_business", "quote": "9 years in business"},
        {"field": "annual_revenue", "quote": "annual revenue is about $1.4 million"},
        {"field": "construction_type", "quote": "The building is masonry"},
        {"field": "year_built", "quote": "built in 2004"},
        {"field": "sprinklered", "quote": "fully sprinklered"},
        {"field": "requested_limit", "quote": "limit of $1.5 million"},
        {"field": "effective_date", "quote": "effective January 15, 2027"},
    ],
}
LLM_PATH_RULES = {"13_free_text_email": {"model_unconfirmed"}}


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowRun]:
    url = f"sqlite:///{tmp_path_factory.mktemp('llm-samples') / 'baton.db'}"
    with open_workflow("underwriting", url) as flow:
        yield flow


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_on_the_llm_path(
    workflow: WorkflowRun,
    model_server: ScriptedModelServer,
    monkeypatch: pytest.MonkeyPatch,
    sample: str,
) -> None:
    monkeypatch.setenv("BATON_MODEL_INTAKE", "openai:scripted-faithful")
    submission = load_sample(sample)
    answer = EMAIL_ANSWER if sample == "13_free_text_email" else faithful_answer(submission)
    model_server.script({"json": answer})
    status, outcome, rules = EXPECTED[sample]
    rules = LLM_PATH_RULES.get(sample, rules)
    report = workflow.start(submission, thread_id=f"llm-{sample}")
    assert report.status == status
    if status == "completed":
        assert report.decision is not None and report.decision["outcome"] == outcome
    else:
        assert report.packet is not None
        assert rules <= {r["rule"] for r in report.packet["reasons"]}
    intake = workflow.graph.get_state(workflow.config(f"llm-{sample}")).values["intake"]
    assert intake["implementation"] in (
        "llm_reader",
        None,
    )  # None: the application had no facts at all
