"""Paying an approved invoice once: the payment is recorded against the vendor and the invoice
number (in any spelling), so whichever thread approves a re-submitted invoice, it is paid once.
It goes to the vendor master's account, never to the invoice's own remit-to details."""

from __future__ import annotations

import hashlib

from agents.invoice_review.ap_db import paid_by_thread, pay_once
from schemas.invoice_review import InvoiceFacts, Payment, VendorReport


def pay(
    database_url: str, thread_id: str, invoice_id: str, facts: InvoiceFacts, vendor: VendorReport
) -> tuple[Payment | None, str | None]:
    """The payment of this invoice (recorded now, or by this thread before), or None and why it
    was not paid: the same invoice was paid already, by another thread or in the history."""
    earlier = [
        row
        for row in paid_by_thread(database_url, thread_id)
        if row["number_key"] != facts.number_key
    ]
    if earlier:
        return None, f"not paid: {earlier_payment(earlier)}; a rollback does not pay a case again"
    digest = hashlib.sha256(f"{facts.vendor_id}|{facts.number_key}".encode()).hexdigest()
    kept = pay_once(
        database_url,
        {
            "invoice_id": invoice_id,
            "vendor_id": facts.vendor_id,
            "invoice_number": facts.invoice_number,
            "invoice_date": facts.invoice_date,
            "po_number": facts.po_number,
            "currency": facts.currency,
            "total": facts.total,
            "thread_id": thread_id,
            "payment_id": f"PAY-{digest[:12].upper()}",
        },
        [line.model_dump() for line in facts.lines],
    )
    if kept["thread_id"] != thread_id:
        by = f"payment {kept['payment_id']}" if kept["payment_id"] else "the invoice history"
        return None, (
            f"not paid: {kept['invoice_number']} of {kept['invoice_date']} ({kept['total']} "
            f"{kept['currency']}, {kept['invoice_id']}) was paid already ({by}); an invoice is "
            "never paid twice"
        )
    return Payment(
        payment_id=kept["payment_id"],
        invoice_id=kept["invoice_id"],
        vendor_id=facts.vendor_id,
        invoice_number=kept["invoice_number"],
        amount=kept["total"],
        currency=kept["currency"],
        pay_to=vendor.bank_on_file or "",
        thread_id=thread_id,
    ), None


def earlier_payment(rows: list[dict[str, object]]) -> str:
    """What a case paid before (for a decision taken after a rollback of a paid case)."""
    return "; ".join(
        f"this case paid {row['invoice_number']} ({row['total']} {row['currency']}) as "
        f"{row['payment_id']}"
        for row in rows
    )


def payment_before(database_url: str, thread_id: str) -> str | None:
    """Why a decision that does not pay must say a payment stands: what this case paid under an
    earlier decision (a rejection after a rollback does not reverse it), or None."""
    rows = paid_by_thread(database_url, thread_id)
    if not rows:
        return None
    return (
        f"{earlier_payment(rows)} under an earlier decision: it stands; recover it if it was wrong"
    )
