"""What `baton status` shows of an invoice: what was billed, the checks' findings and the
assessment (results that are not `ok` are shown with their status and reason)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import value_or_why


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    facts, why = value_or_why(state, "intake")
    lines["invoice"] = (
        f"{facts['invoice_number']} of {facts['invoice_date']} from {facts['vendor_id']}: "
        f"{facts['total']} {facts['currency']}, PO {facts['po_number'] or '(none)'}"
        if facts is not None
        else f"(intake {why})"
    )
    vendor, why = value_or_why(state, "vendor_check")
    lines["vendor"] = (
        f"{vendor['name'] or vendor['vendor_id']} ({vendor['status']}), pay to "
        f"{vendor['bank_on_file'] or '(no account on file)'}"
        if vendor is not None
        else f"(vendor check {why})"
    )
    payment = (state.get("decision") or {}).get("payment")
    if payment:
        lines["payment"] = (
            f"{payment['payment_id']}: {payment['amount']} {payment['currency']} to "
            f"{payment['pay_to']}"
        )
    assessment, why = value_or_why(state, "assessment")
    if assessment is None:
        lines["anomalies"] = f"(assessment {why})"
        return lines
    findings = assessment["findings"]
    lines["anomalies"] = (
        "; ".join(reason for kind in assessment["kinds"] for reason in findings[kind]) or "none"
    )
    lines["recommendation"] = assessment["recommendation"]
    return lines
