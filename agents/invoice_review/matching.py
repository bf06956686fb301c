"""Matching: the three-way match of the invoice against its purchase order and the goods
received on it. Each billed line is compared with the PO line of the same SKU (price, within the
owner's tolerance) and with the quantity received so far on the order, less what invoices
already paid billed of it (so the same goods are never paid twice, whatever the number)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from agents.invoice_review.ap_db import (
    invoiced_quantities,
    purchase_order,
    received_quantities,
)
from agents.invoice_review.intake import settings_of
from agents.spec import AgentContext
from schemas.invoice_review import InvoiceLine, LineMatch, MatchReport
from schemas.result import ErrorKind, Outcome


class MatchingInput(BaseModel):
    """The invoice's vendor, order, currency and lines (from intake)."""

    vendor_id: str
    po_number: str | None
    currency: str
    lines: list[InvoiceLine]


def match_invoice(invoice: MatchingInput, context: AgentContext) -> MatchReport | Outcome:
    """Three-way match; `failed` when the order tables cannot be read (never read as "no PO")."""
    tolerance = settings_of(context).price_tolerance_pct
    report = MatchReport(
        po_number=invoice.po_number,
        po_found=False,
        po_vendor_id=None,
        po_currency=None,
        price_tolerance_pct=tolerance,
        lines=[],
        price_above_po=[],
        quantity_above_received=[],
        not_on_po=[],
        no_po=[],
        currency_mismatch=[],
    )
    if invoice.po_number is None:
        report.no_po.append(
            "the invoice quotes no purchase order: find the order, or get one raised, before paying"
        )
        return report
    try:
        order = purchase_order(context.database_url, invoice.po_number)
        received = received_quantities(context.database_url, invoice.po_number)
        invoiced = invoiced_quantities(context.database_url, invoice.po_number, context.thread_id)
    except SQLAlchemyError as error:
        return Outcome.failed(
            f"the purchase-order tables are unavailable ({type(error).__name__})",
            ErrorKind.UNAVAILABLE,
        )
    if not order:
        report.no_po.append(
            f"purchase order {invoice.po_number} is not on file: check the number with the supplier"
        )
        return report
    head = order[0]
    report.po_found, report.po_vendor_id = True, head["vendor_id"]
    report.po_currency = head["currency"]
    if head["vendor_id"] != invoice.vendor_id:
        report.no_po.append(
            f"purchase order {invoice.po_number} belongs to vendor {head['vendor_id']}, not "
            f"{invoice.vendor_id}"
        )
    if head["currency"] != invoice.currency:
        report.currency_mismatch.append(
            f"billed in {invoice.currency}, but purchase order {invoice.po_number} is in "
            f"{head['currency']}: ask for an invoice in the order's currency"
        )
    ordered = {row["sku"]: row for row in order}
    billed: dict[str, Decimal] = {}
    for number, line in enumerate(invoice.lines, start=1):
        billed[line.sku] = billed.get(line.sku, Decimal(0)) + line.quantity
        _match_line(report, number, line, ordered.get(line.sku), received.get(line.sku))
    for sku, quantity in billed.items():
        got, before = received.get(sku, Decimal(0)), invoiced.get(sku, Decimal(0))
        if sku in ordered and quantity + before > got:
            earlier = f", {_plain(before)} of it invoiced already" if before else ""
            report.quantity_above_received.append(
                f"{sku}: {_plain(quantity)} billed, {_plain(got)} received on "
                f"{invoice.po_number}{earlier}: pay for what was received and not yet paid, or "
                "wait for the goods"
            )
    return report


def _match_line(
    report: MatchReport,
    number: int,
    line: InvoiceLine,
    po_line: dict[str, object] | None,
    received: Decimal | None,
) -> None:
    if po_line is None:
        report.not_on_po.append(
            f"line {number}: {line.sku} is not on purchase order {report.po_number}"
        )
        report.lines.append(
            LineMatch(
                line=number,
                sku=line.sku,
                billed_quantity=line.quantity,
                billed_unit_price=line.unit_price,
                ordered_quantity=None,
                po_unit_price=None,
                received_quantity=received,
                price_over_po_pct=None,
            )
        )
        return
    po_price = Decimal(str(po_line["unit_price"]))
    exact = (
        (line.unit_price - po_price) / po_price * 100
        if po_price > 0
        else (Decimal(0) if line.unit_price == 0 else Decimal(100))
    )
    over = exact.quantize(Decimal("0.01"))
    if exact > report.price_tolerance_pct:  # compared unrounded: 2.003% is above 2%
        report.price_above_po.append(
            f"line {number} ({line.sku}): {line.unit_price} per unit against {po_price} on "
            f"{report.po_number} (+{over}%, tolerance {report.price_tolerance_pct}%): pay the "
            "PO price or get the order amended"
        )
    report.lines.append(
        LineMatch(
            line=number,
            sku=line.sku,
            billed_quantity=line.quantity,
            billed_unit_price=line.unit_price,
            ordered_quantity=Decimal(str(po_line["quantity"])),
            po_unit_price=po_price,
            received_quantity=received,
            price_over_po_pct=over,
        )
    )


def _plain(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"
