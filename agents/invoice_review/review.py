"""How the AP clerk's gate presents an invoice and which decisions it refuses: an invoice paid
already, an unknown or blocked vendor, or one whose checks did not all answer is never paid, and
paying over an anomaly or after an operator's correction needs a note saying why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.invoice_review import ASSESSMENT, DUPLICATES, INTAKE, VENDOR_CHECK
from agents.spec import ok_value
from schemas.review import Recommendation, ReviewAction, ReviewDecision


def subject(state: Mapping[str, Any]) -> str:
    """What the clerk decides, in one line."""
    if (facts := ok_value(state, INTAKE)) is None:
        return f"Pay invoice {state.get('invoice_id')} (not read)?"
    billed = f"{facts.invoice_number} from {facts.vendor_id}, {facts.total} {facts.currency}"
    return f"Pay invoice {state.get('invoice_id')} ({billed})?"


def recommend(results: Mapping[str, Any]) -> Recommendation:
    """`approve` an invoice with no anomaly, `decline` one paid already or from a blocked
    vendor, no recommendation on the rest."""
    assessment = ok_value(results, ASSESSMENT)
    advice = assessment.recommendation if assessment else "hold"
    return "approve" if advice == "pay" else "decline" if advice == "reject" else "none"


def refuse(state: Mapping[str, Any], decision: ReviewDecision) -> str | None:
    """Why the clerk's decision cannot be taken (None when it can); see the module docstring."""
    if decision.action in (ReviewAction.REJECT, ReviewAction.REFER):
        return None
    assessment, vendor = ok_value(state, ASSESSMENT), ok_value(state, VENDOR_CHECK)
    duplicates = ok_value(state, DUPLICATES)
    if assessment is None or vendor is None or duplicates is None:
        return "paying needs every check's answer, and some are missing: reject or refer it"
    if duplicates.already_paid:
        return f"{'; '.join(duplicates.reasons)}: an invoice is never paid twice; reject it"
    if vendor.status != "active":
        problem = (vendor.unknown_vendor or vendor.blocked_vendor)[0]
        return f"{problem}: reject or refer the invoice"
    noted = bool((decision.note or "").strip())
    if assessment.kinds and not noted:
        return f"paying over {', '.join(assessment.kinds)} needs a note saying why (--note)"
    corrected = sorted(state.get("overrides") or {})
    if corrected and not noted:
        return (
            f"paying after an operator corrected the input of {', '.join(corrected)} needs a "
            "note saying why (--note)"
        )
    return None
