"""Duplicate detection: the invoice against every invoice already recorded for its vendor (the
history, and each one this workflow paid). A repeat is the same number in another spelling, a
near-same number for the same amount, or the same amount within the owner's window of days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from agents.invoice_review.ap_db import vendor_invoices
from agents.invoice_review.intake import settings_of
from agents.spec import AgentContext
from schemas.invoice_review import DuplicateCandidate, DuplicateReport
from schemas.result import ErrorKind, Outcome


class DuplicateInput(BaseModel):
    """The invoice's vendor, number, date and amount (from intake)."""

    vendor_id: str
    invoice_number: str
    number_key: str
    invoice_date: date
    currency: str
    total: Decimal


def find_duplicates(invoice: DuplicateInput, context: AgentContext) -> DuplicateReport | Outcome:
    """Recorded invoices this one may repeat; `already_paid` when one with the same or a
    near-same number (for the same amount) was paid; `failed` when the invoice table cannot be
    read (never read as "no duplicate")."""
    window = settings_of(context).duplicate_window_days
    try:
        recorded = vendor_invoices(context.database_url, invoice.vendor_id)
    except SQLAlchemyError as error:
        return Outcome.failed(
            f"the invoice table is unavailable ({type(error).__name__})", ErrorKind.UNAVAILABLE
        )
    candidates: list[DuplicateCandidate] = []
    reasons: list[str] = []
    for row in recorded:
        how = _repeat(invoice, row, window)
        ours = context.thread_id and row["thread_id"] == context.thread_id  # a re-run's own payment
        if how is None or row["status"] == "void" or ours:
            continue
        candidates.append(DuplicateCandidate.model_validate({**row, "how": how}))
        when = f"{row['invoice_number']} of {row['invoice_date']} ({row['total']} {row['currency']}, {row['status']})"
        reasons.append(
            {
                "same_number": f"same invoice number as {when}: do not pay it again",
                "near_number": f"near-same number and the same amount as {when}: confirm with "
                "the supplier that it is a different invoice",
                "same_amount_within_days": f"the same amount within {window} days of {when}: "
                "confirm with the supplier that it is a different invoice",
            }[how]
        )
    paid = any(c.how != "same_amount_within_days" and c.status == "paid" for c in candidates)
    return DuplicateReport(
        window_days=window, candidates=candidates, already_paid=paid, reasons=reasons
    )


def _repeat(invoice: DuplicateInput, row: dict[str, Any], window: int) -> str | None:
    if row["number_key"] == invoice.number_key:
        return "same_number"
    same_amount = row["total"] == invoice.total and row["currency"] == invoice.currency
    if same_amount and near_number(row["number_key"], invoice.number_key):
        return "near_number"
    if same_amount and abs((row["invoice_date"] - invoice.invoice_date).days) <= window:
        return "same_amount_within_days"
    return None


def near_number(left: str, right: str) -> bool:
    """Two number keys one slip apart: one holds the other with letters added (a dropped
    prefix, a suffix like `A`), two neighbours swapped, or one letter more, less or changed. A
    digit more or changed is not a slip: it is what a later number of a sequence looks like (a
    monthly fee of the same amount would be flagged every month)."""
    if not left or not right:
        return False
    shorter, longer = sorted((left, right), key=len)
    if len(shorter) >= 3 and shorter in longer:
        added = longer.replace(shorter, "", 1)
        return not any(c.isdigit() for c in added)  # INV10 is not INV1 with a slip
    if abs(len(left) - len(right)) > 1:
        return False
    if len(left) == len(right):
        differ = [i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
        swapped = (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and left[differ[0]] == right[differ[1]]
            and left[differ[1]] == right[differ[0]]
        )
        one_letter = len(differ) == 1 and not (
            left[differ[0]].isdigit() and right[differ[0]].isdigit()
        )
        return one_letter or swapped
    dropped = [i for i in range(len(longer)) if longer[:i] + longer[i + 1 :] == shorter]
    return any(not longer[i].isdigit() for i in dropped)
