"""The anomaly assessment: every check's findings gathered by kind, each with the reason a clerk
can act on, and what they point to (pay, hold for a clerk, or reject)."""

from __future__ import annotations

from agents.spec import AgentContext
from schemas.invoice_review import AnomalyAssessment, AnomalyFindings, AssessmentInput


def assess_anomalies(checks: AssessmentInput, _: AgentContext) -> AnomalyAssessment:
    """Gathers the checks' findings by anomaly kind; recommends paying a clean invoice, rejecting
    one already paid or from a blocked vendor, and holding the rest for a clerk."""
    match, vendor, duplicates = checks.matching, checks.vendor_check, checks.duplicates
    findings = AnomalyFindings(
        price_above_po=match.price_above_po,
        quantity_above_received=match.quantity_above_received,
        not_on_po=match.not_on_po,
        arithmetic=checks.intake.arithmetic_errors,
        duplicate=duplicates.reasons,
        bank_details_changed=vendor.bank_details_changed,
        unknown_vendor=vendor.unknown_vendor,
        blocked_vendor=vendor.blocked_vendor,
        no_po=match.no_po,
        currency_mismatch=match.currency_mismatch,
    )
    kinds = findings.kinds()
    if duplicates.already_paid or vendor.status == "blocked":
        recommendation = "reject"
    else:
        recommendation = "hold" if kinds else "pay"
    facts = checks.intake
    summary = (
        f"{facts.invoice_number} from {vendor.name or facts.vendor_id}: {facts.total} "
        f"{facts.currency}; "
        + (f"{len(kinds)} kind(s) of anomaly: {', '.join(kinds)}" if kinds else "no anomaly")
    )
    return AnomalyAssessment(
        findings=findings,
        kinds=kinds,
        recommendation=recommendation,
        summary=summary,
        total=facts.total,
        currency=facts.currency,
    )
