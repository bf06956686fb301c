"""Vendor checks: the vendor against the vendor master. Remit-to bank details that differ from
the master's are the classic payment-fraud signal (a changed account is verified with the
vendor through the master-data process, never taken from an invoice); an unknown or blocked
vendor is never paid."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from agents.invoice_review.ap_db import find_vendor
from agents.spec import AgentContext
from schemas.invoice_review import RemitTo, VendorReport, account_key, masked_account
from schemas.result import ErrorKind, Outcome


class VendorInput(BaseModel):
    """The invoice's vendor and remit-to details (from intake)."""

    vendor_id: str
    vendor_name: str | None = None
    remit_to: RemitTo


def check_vendor(invoice: VendorInput, context: AgentContext) -> VendorReport | Outcome:
    """The vendor master's view of the vendor and its bank details; `failed` when the master
    cannot be read (never read as "unknown vendor")."""
    try:
        vendor = find_vendor(context.database_url, invoice.vendor_id)
    except SQLAlchemyError as error:
        return Outcome.failed(
            f"the vendor master is unavailable ({type(error).__name__})", ErrorKind.UNAVAILABLE
        )
    on_invoice = masked_account(invoice.remit_to.bank_account)
    if vendor is None:
        return VendorReport(
            vendor_id=invoice.vendor_id,
            known=False,
            name=None,
            status="unknown",
            bank_on_file=None,
            bank_on_invoice=on_invoice,
            bank_matches_master=None,
            blocked_vendor=[],
            bank_details_changed=[],
            unknown_vendor=[
                f"vendor {invoice.vendor_id}"
                + (f" ({invoice.vendor_name})" if invoice.vendor_name else "")
                + " is not in the vendor master: it cannot be paid until the vendor is set up"
            ],
        )
    matches = account_key(vendor["bank_account"]) == account_key(invoice.remit_to.bank_account)
    blocked = (
        [f"vendor {invoice.vendor_id} ({vendor['name']}) is blocked for payment"]
        if vendor["status"] == "blocked"
        else []
    )
    changed = []
    if not matches:
        changed.append(
            f"remit-to account {on_invoice} at {invoice.remit_to.bank_name} is not the vendor "
            f"master's ({masked_account(vendor['bank_account'])} at {vendor['bank_name']}): "
            "call the vendor on the number on file before any change; pay only the master's "
            "account"
        )
    return VendorReport(
        vendor_id=invoice.vendor_id,
        known=True,
        name=vendor["name"],
        status=vendor["status"],
        bank_on_file=masked_account(vendor["bank_account"]),
        bank_on_invoice=on_invoice,
        bank_matches_master=matches,
        unknown_vendor=[],
        blocked_vendor=blocked,
        bank_details_changed=changed,
    )
