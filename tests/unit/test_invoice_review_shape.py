"""The invoice review graph's shape (`tests/snapshots/invoice_review.mmd`) and its handoff map
are pinned: a change to either is deliberate."""

from __future__ import annotations

from graphs.invoice_review import WORKFLOW
from graphs.kit.workflows import workflow_names
from tests.unit.pinned import SNAPSHOTS, handoff_edges, mermaid_body, snapshot

graph = WORKFLOW.graph

HANDOFFS = [
    ("input", "intake", "currency", "InvoiceSubmission.currency"),
    ("input", "intake", "document", "InvoiceSubmission.document"),
    ("input", "intake", "invoice_date", "InvoiceSubmission.invoice_date"),
    ("input", "intake", "invoice_id", "InvoiceSubmission.invoice_id"),
    ("input", "intake", "invoice_number", "InvoiceSubmission.invoice_number"),
    ("input", "intake", "lines", "InvoiceSubmission.lines"),
    ("input", "intake", "po_number", "InvoiceSubmission.po_number"),
    ("input", "intake", "remit_to", "InvoiceSubmission.remit_to"),
    ("input", "intake", "source_name", "InvoiceSubmission.source_name"),
    ("input", "intake", "tax", "InvoiceSubmission.tax"),
    ("input", "intake", "total", "InvoiceSubmission.total"),
    ("input", "intake", "vendor_id", "InvoiceSubmission.vendor_id"),
    ("intake", "matching", "intake", "AgentResult[InvoiceFacts]"),
    ("intake", "duplicates", "intake", "AgentResult[InvoiceFacts]"),
    ("intake", "vendor_check", "intake", "AgentResult[InvoiceFacts]"),
    ("duplicates", "assessment", "duplicates", "AgentResult[DuplicateReport]"),
    ("intake", "assessment", "intake", "AgentResult[InvoiceFacts]"),
    ("matching", "assessment", "matching", "AgentResult[MatchReport]"),
    ("vendor_check", "assessment", "vendor_check", "AgentResult[VendorReport]"),
    ("input", "review_gate", "invoice_id", "InvoiceSubmission.invoice_id"),
    ("assessment", "review_gate", "assessment", "AgentResult[AnomalyAssessment]"),
    ("duplicates", "review_gate", "duplicates", "AgentResult[DuplicateReport]"),
    ("intake", "review_gate", "intake", "AgentResult[InvoiceFacts]"),
    ("matching", "review_gate", "matching", "AgentResult[MatchReport]"),
    ("vendor_check", "review_gate", "vendor_check", "AgentResult[VendorReport]"),
    ("input", "finalize", "invoice_id", "InvoiceSubmission.invoice_id"),
    ("review_gate", "finalize", "review", "ReviewOutcome"),
]


def test_mermaid_drawing_is_pinned() -> None:
    assert mermaid_body(graph) == snapshot("invoice_review", mermaid_body(graph))


def test_handoff_map_is_pinned() -> None:
    assert handoff_edges("invoice_review") == HANDOFFS


def test_every_workflow_has_a_pinned_drawing() -> None:
    assert sorted(path.stem for path in SNAPSHOTS.glob("*.mmd")) == workflow_names()


def test_studio_graph_has_no_checkpointer_and_takes_the_invoice_as_input() -> None:
    assert graph.checkpointer is None
    schema = graph.get_input_jsonschema()
    assert schema["required"] == ["invoice_id"]
    assert schema["title"] == "InvoiceSubmission"
