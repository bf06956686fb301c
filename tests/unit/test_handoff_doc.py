"""The handoff map as a document: each edge's JSON Schema and the fields its consumer reads (found
by running the consumer's own input selection), the Mermaid drawing, and `docs/handoffs.md`
kept current."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from typer.testing import CliRunner

from graphs.cli.app import app
from graphs.kit.contract_schema import contract_fields, resolved, sample_of
from graphs.kit.handoff_doc import mermaid, workflow_handoffs
from tests.conftest import ROOT

DOC = ROOT / "docs" / "handoffs.md"


@cache
def _edges(workflow: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(e["from"], e["to"], e["key"]): e for e in workflow_handoffs(workflow)["handoffs"]}


def edge(workflow: str, producer: str, consumer: str, key: str) -> dict[str, Any]:
    return _edges(workflow)[(producer, consumer, key)]


def test_docs_handoffs_md_is_current() -> None:
    result = CliRunner().invoke(app, ["handoffs", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if result.stdout != committed:
        now, before = result.stdout.splitlines(), committed.splitlines()
        line = next(
            (n for n, (a, b) in enumerate(zip(now, before, strict=False), 1) if a != b),
            min(len(now), len(before)) + 1,
        )
        pytest.fail(
            f"docs/handoffs.md is stale: run make docs-handoffs (first difference at line {line})",
            pytrace=False,
        )


@pytest.mark.parametrize(
    ("workflow", "producer", "consumer", "key", "reads"),
    [
        ("underwriting", "risk", "quote", "risk", ["status", "value.band", "value.score"]),
        (
            "underwriting",
            "intake",
            "quote",
            "intake",
            ["status", "value.business_class", "value.requested_limit"],
        ),
        (
            "underwriting",
            "intake",
            "policy_lookup",
            "intake",
            ["status", "value.applicant_name", "value.prior_policy_number"],
        ),
        # read only to test that it is there: taking it out still changes the input built
        (
            "contract_review",
            "extraction",
            "risk",
            "extraction",
            ["status", "value.expiration_date"],
        ),
        ("invoice_review", "matching", "assessment", "matching", ["value.*"]),
        (
            "support_triage",
            "tally, check_ruling",
            "router",
            "choice",
            ["confidence", "decided_by", "label", "settled"],
        ),
        ("underwriting", "input", "policy_lookup", "policy_number", ["*"]),
        ("underwriting", "risk", "review_gate", "risk", ["*"]),  # not an agent: reads it all
    ],
)
def test_the_fields_a_consumer_reads_follow_its_code(
    workflow: str, producer: str, consumer: str, key: str, reads: list[str]
) -> None:
    assert edge(workflow, producer, consumer, key)["reads"] == reads


def test_each_edge_carries_its_contracts_json_schema() -> None:
    risk = edge("underwriting", "risk", "quote", "risk")
    assert risk["schema"]["title"] == "AgentResult[RiskAssessment]"
    fields = contract_fields(risk["schema"], envelope=True)
    assert {"status", "value.score", "value.band"} <= set(fields)
    assert fields["value.score"].schema["type"] in ("integer", "number")
    assert fields["value.score"].required

    documents = edge("underwriting", "input", "intake", "documents")
    assert resolved(documents["schema"])["type"] == "array"
    assert edge("underwriting", "review_gate", "finalize", "review")["schema"]["title"] == (
        "ReviewOutcome"
    )
    described = edge("contract_review", "evaluators", "review_gate", "escalation")
    assert described["contract"] == "escalation: stage, reason, loops"
    assert described["schema"] is None
    assert described["reads"] == ["*"]


def test_a_sample_fits_its_schema_and_is_deterministic() -> None:
    schema = edge("underwriting", "risk", "quote", "risk")["schema"]
    first, again = sample_of(schema), sample_of(schema)
    assert first == again
    assert first["status"] == "ok"
    assert set(first["value"]) >= {"score", "band"}


def test_mermaid_draws_one_arrow_per_producer_and_consumer() -> None:
    edges = [
        {"from": "input", "to": "intake", "key": "documents", "contract": "Sub.documents"},
        {"from": "input", "to": "intake", "key": "submission_id", "contract": "Sub.submission_id"},
        {"from": "intake", "to": "end", "key": "intake", "contract": "AgentResult[Facts]"},
        {"from": "tally, check", "to": "dept/router", "key": "choice", "contract": 'Choice "x"'},
    ]
    assert mermaid(edges) == (
        "flowchart LR\n"
        '    input(["input"])\n'
        '    intake["intake"]\n'
        '    end_["end"]\n'
        '    tally["tally"]\n'
        '    dept_router["dept/router"]\n'
        '    check["check"]\n'
        '    input -->|"Sub: documents, submission_id"| intake\n'
        '    intake -->|"AgentResult[Facts]"| end_\n'
        '    tally -->|"Choice #quot;x#quot;"| dept_router\n'
        '    check -->|"Choice #quot;x#quot;"| dept_router\n'
    )


def test_the_workflow_drawing_is_in_the_export() -> None:
    drawing = workflow_handoffs("underwriting")["mermaid"]
    assert drawing.startswith("flowchart LR\n")
    assert '    risk -->|"AgentResult[RiskAssessment]"| quote\n' in drawing
    assert '    input -->|"UnderwritingSubmission: documents, submission_id"| intake\n' in drawing
    assert drawing == workflow_handoffs("underwriting")["mermaid"]
