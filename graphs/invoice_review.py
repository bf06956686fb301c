"""Invoice review: intake, then a three-way match, duplicate detection and vendor checks in
parallel, then an anomaly assessment; an AP clerk decides what the policy stops
(`policies/invoice_review.yaml`, which also holds the tolerances), and an approved invoice is
paid once, whatever is re-submitted.
"""

from collections.abc import Mapping
from typing import Any

from agents.invoice_review import AGENTS, ASSESSMENT, INTAKE, VENDOR_CHECK
from agents.invoice_review import WORKFLOW as NAME
from agents.invoice_review.documents import invoice_input
from agents.invoice_review.payments import pay, payment_before
from agents.invoice_review.review import recommend, refuse, subject
from agents.invoice_review.status import status_lines
from graphs.kit import (
    GateSpec,
    Settled,
    Worker,
    Workflow,
    add_gate_then_decide,
    build_supervisor,
    governed_state,
    ok_value,
    policy_settings,
)
from schemas.invoice_review import InvoiceDecision, InvoiceReviewSettings, InvoiceSubmission

InvoiceState = governed_state("InvoiceState", InvoiceSubmission, AGENTS)
CHECKS = ("matching", "duplicates", "vendor_check")


def _decide(state: Mapping[str, Any], settled: Settled) -> InvoiceDecision:
    """Paid once (when approved), rejected, referred, or not paid because it was paid already."""
    facts, vendor = ok_value(settled.assessed, INTAKE), ok_value(settled.assessed, VENDOR_CHECK)
    assessment = ok_value(settled.assessed, ASSESSMENT)
    outcome = {"rejected": "rejected", "referred": "referred"}.get(settled.outcome, "paid")
    payment, reasons = None, settled.reasons
    if outcome == "paid":
        invoice_id = str(state.get("invoice_id"))
        payment, why = (
            pay(settled.database_url, settled.thread_id, invoice_id, facts, vendor)
            if facts is not None and vendor is not None
            else (None, "not paid: the invoice was never read, or its vendor never checked")
        )
        outcome, reasons = ("paid", reasons) if payment else ("not_paid", [*reasons, str(why)])
    elif standing := payment_before(settled.database_url, settled.thread_id):
        reasons = [*reasons, standing]
    return InvoiceDecision(
        **{**settled.record(), "outcome": outcome, "reasons": reasons},
        invoice_id=str(state.get("invoice_id")),
        vendor_id=facts.vendor_id if facts else None,
        invoice_number=facts.invoice_number if facts else None,
        total=facts.total if facts else None,
        currency=facts.currency if facts else None,
        anomalies=assessment.kinds if assessment else [],
        payment=payment,
    )


def build() -> Any:
    """The invoice review workflow, uncompiled."""
    policy_settings(NAME, InvoiceReviewSettings)  # the tolerances are checked here
    workers = (Worker(INTAKE), *(Worker(s, after=("intake",)) for s in AGENTS[1:4]))
    builder = build_supervisor(
        InvoiceState, (*workers, Worker(ASSESSMENT, after=CHECKS)), input_contract=InvoiceSubmission
    )
    gate = GateSpec(
        workflow=NAME,
        agents=AGENTS,
        subject=subject,
        recommend=recommend,
        refuse=refuse,
        reads=("invoice_id",),
    )
    add_gate_then_decide(builder, gate, _decide, reads=("invoice_id",))
    return builder


WORKFLOW = Workflow(
    name=NAME,
    input_contract=InvoiceSubmission,
    agents=AGENTS,
    build=build,
    document_reader=invoice_input,
    summary=status_lines,
)
