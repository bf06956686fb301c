"""Intake: the invoice read (from its fields, or from the text of its document) and checked for
arithmetic: each printed line amount against quantity x unit price, and the lines plus the tax
against the total, within the owner's rounding tolerance."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from agents.spec import AgentContext
from agents.structured import validation_errors
from schemas.invoice_review import (
    InvoiceFacts,
    InvoiceLine,
    InvoiceReviewSettings,
    InvoiceSubmission,
    RemitTo,
    invoice_number_key,
)
from schemas.result import ErrorKind, Outcome

CENT = Decimal("0.01")


def settings_of(context: AgentContext) -> InvoiceReviewSettings:
    """The owner's tolerances (checked when the graph was built, so valid here)."""
    return InvoiceReviewSettings.model_validate(context.settings)


def read_invoice(invoice: InvoiceSubmission, context: AgentContext) -> InvoiceFacts | Outcome:
    """The invoice's facts from its fields, or from its document's labels and line table;
    `failed` (unreadable input) naming what a document does not say readably, so a model reads it
    when one is configured, and a clerk when not."""
    if invoice.document is None:
        fields: dict[str, Any] = invoice.model_dump(exclude={"document", "source_name"})
        return checked_facts(fields, "fields", context)
    fields, missing = parse_invoice_text(invoice.document)
    if missing:
        source = invoice.source_name or "the invoice document"
        return Outcome.failed(
            f"{source} does not say (or not readably): {', '.join(missing)}: a clerk reads it",
            ErrorKind.UNREADABLE_INPUT,
        )
    return checked_facts(fields, "document", context)


def checked_facts(
    fields: dict[str, Any], read_from: str, context: AgentContext
) -> InvoiceFacts | Outcome:
    """The invoice facts from the fields read, with the arithmetic checked: the printed line
    amounts, and the lines plus the tax against the total (within the owner's tolerance);
    `escalated` naming a value that breaks the contract."""
    lines: list[InvoiceLine] = []
    for number, line in enumerate(fields["lines"], start=1):
        try:
            lines.append(InvoiceLine.model_validate(line))
        except ValidationError as error:
            return Outcome.escalated(
                f"line {number} breaks the contract: {validation_errors(error)}"
            )
    exact = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    rounded = sum((_money(line.quantity * line.unit_price) for line in lines), Decimal(0))
    tolerance = settings_of(context).arithmetic_tolerance
    # An invoice rounds each line or only the sum: either way it adds up.
    lines_total = min(
        (exact, rounded), key=lambda total: abs(total + fields["tax"] - fields["total"])
    )
    errors = [
        f"line {number} ({line.sku}): printed amount {line.amount} is not "
        f"{line.quantity} x {line.unit_price} = {_money(line.quantity * line.unit_price)}"
        for number, line in enumerate(lines, start=1)
        if line.amount is not None
        and abs(line.amount - line.quantity * line.unit_price) > tolerance
    ]
    expected = lines_total + fields["tax"]
    if abs(expected - fields["total"]) > tolerance:
        errors.append(
            f"the lines ({_money(lines_total)}) plus tax ({fields['tax']}) make "
            f"{_money(expected)}, but the invoice's total is {fields['total']} "
            f"(off by {_money(fields['total'] - expected)})"
        )
    try:
        return InvoiceFacts.model_validate(
            {
                **fields,
                "number_key": invoice_number_key(fields["invoice_number"]),
                "read_from": read_from,
                "lines_total": _money(lines_total),
                "arithmetic_errors": errors,
            }
        )
    except ValidationError as error:
        return Outcome.escalated(
            f"the document's values break the invoice contract: {validation_errors(error)}"
        )


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)  # as invoices round: 24.445 is 24.45


_LABELS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern.replace(" ", "[ \t]*"), re.IGNORECASE | re.MULTILINE)
    for name, pattern in {  # a space in a pattern is any run of blanks on the line
        "vendor_id": r"^ (?:vendor|supplier) (?:id|no\.?|number|#) [:#]? (\S+)",
        "vendor_name": r"^ (?:supplier|vendor|from) : (.*\S)",
        "invoice_number": r"^ invoice (?:number|no\.?|#|num\.?) [:#]? (\S[^\n]{0,63}?) $",
        "invoice_date": r"^ (?:invoice )?date(?: of issue)? : (.*\S)",
        "po_number": r"^ (?:p\.?o\.?|purchase order) (?:number|no\.?|#)? [:#] (\S+)",
        "currency": r"^ currency : ([A-Za-z]{3})\b",
        "tax": r"^ (?:tax|vat|gst|sales tax)\b[^:\n]*: (.*\S)",
        "total": r"^ (?:total(?: due)?|amount due|invoice total|grand total) : (.*\S)",
        "bank_name": r"^ (?:remit to|bank(?: name)?|pay to) : (.*\S)",
        "bank_account": r"^ (?:account(?: (?:no\.?|number))?|iban|bank account) : "
        r"([A-Za-z0-9][A-Za-z0-9\x20.-]*[A-Za-z0-9]) $",
    }.items()
}
_NO_PO = {"none", "n/a", "na", "-", "—", "nil"}
_TABLE_HEAD = re.compile(r"^\s*(?:line\s+)?(?:sku|item|product|part)\b", re.IGNORECASE)
_TABLE_END = re.compile(r"^\s*(?:sub\s*-?total|tax|vat|gst|total|amount\s*due)\b", re.IGNORECASE)
_CURRENCY_TOKEN = re.compile(r"[A-Z]{3}|[$€£¥]")
MAX_ROW_CHARS = 1_000
"""A longer line is not a row of an invoice's line table (and is not parsed as one)."""
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip


def parse_invoice_text(text: str) -> tuple[dict[str, Any], list[str]]:
    """The invoice fields a document's text states by label (`Invoice number: …`, `Total due:
    …`) and in its line table (SKU, description, quantity, unit price, amount), and the required
    facts it does not state readably."""
    found: dict[str, Any] = {}
    missing: list[str] = []
    for name, pattern in _LABELS.items():
        match = pattern.search(text)
        found[name] = match.group(1).strip() if match else None
    po = found["po_number"]
    found["po_number"] = None if po is None or po.lower().strip(".") in _NO_PO else po
    found["currency"] = found["currency"].upper() if found["currency"] else None
    found["invoice_date"] = _date(found["invoice_date"])
    printed_tax = found["tax"] is not None
    for name in ("tax", "total"):
        found[name] = _amount(found[name])
    lines = _lines(text)
    found["lines"] = lines or None
    account, bank = found.pop("bank_account"), found.pop("bank_name")
    found["remit_to"] = {"bank_name": bank, "bank_account": account} if account and bank else None
    for name in ("vendor_id", "invoice_number", "invoice_date", "currency", "lines", "total"):
        if found[name] is None:
            missing.append(name.replace("_", " "))
    if found["remit_to"] is None:
        missing.append("remit-to bank name and account")
    if found["tax"] is None and printed_tax:
        missing.append("a readable tax amount")
    elif found["tax"] is None:  # an invoice that prints no tax line charges none
        found["tax"] = Decimal(0) if found["total"] is not None else None
    if found["remit_to"] is not None:
        try:
            RemitTo.model_validate(found["remit_to"])
        except ValidationError:
            missing.append("a readable bank account")
    return found, missing


def _lines(text: str) -> list[dict[str, Any]]:
    """The rows of the line table: after its header line, up to the subtotal, tax or total. A
    header naming an amount column says each row ends with three numbers, else two."""
    rows: list[dict[str, Any]] = []
    header: str | None = None
    for line in text.splitlines():
        if header is None:
            header = line if _TABLE_HEAD.match(line) else None
            continue
        if _TABLE_END.match(line):
            break
        if len(line) > MAX_ROW_CHARS:
            continue
        with_amount = bool(re.search(r"amount|line\s*total|\bext", header, re.IGNORECASE))
        row = _columns(line) or _tokens(line, with_amount)
        if row is not None:
            rows.append(row)
    return rows


def _columns(line: str) -> dict[str, Any] | None:
    """A table row whose columns are set apart by two or more spaces or a tab: SKU,
    description, quantity, unit price and optionally the amount."""
    parts = re.split(r"\s{2,}|\t", line.strip())
    if parts and re.fullmatch(r"\d+[.)]", parts[0]) and len(parts) > 4:
        parts = parts[1:]  # a line number
    if len(parts) not in (4, 5):
        return None
    numbers = [_amount(part) for part in parts[2:]]
    if any(number is None for number in numbers):
        return None
    return _row(parts[0], parts[1], *numbers)


def _tokens(line: str, with_amount: bool) -> dict[str, Any] | None:
    """A row read word by word: the SKU first (after a line number like `1.`), then the
    description, then the quantity, the unit price and (`with_amount`) the amount, each maybe
    after a currency; linear in the line's length, whatever it holds."""
    words = line.split()
    if words and re.fullmatch(r"\d+[.)]", words[0]):
        words = words[1:]
    wanted = 3 if with_amount else 2
    numbers: list[Decimal] = []
    end = len(words)
    while end > 1 and len(numbers) < wanted:
        word = words[end - 1]
        value = None if _CURRENCY_TOKEN.fullmatch(word) else _amount(word)
        if value is None and not _CURRENCY_TOKEN.fullmatch(word):
            return None
        if value is not None:
            numbers.insert(0, value)
        end -= 1
    if len(numbers) < wanted or end < 1:
        return None
    return _row(words[0], " ".join(words[1:end]), *numbers)


def _row(
    sku: str,
    description: str,
    quantity: Decimal | None,
    unit_price: Decimal | None,
    amount: Decimal | None = None,
) -> dict[str, Any] | None:
    if quantity is None or unit_price is None or quantity <= 0 or " " in sku.strip():
        return None
    return {
        "sku": sku.strip(),
        "description": description.strip()[:500],
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": amount,
    }


def _amount(raw: str | None) -> Decimal | None:
    """The first amount printed in `raw` (`1,234.50`, `EUR 1,234.50 (net 30)`, `1234,50`) as a
    Decimal, else None (also for one of more than 15 digits: no invoice is that large)."""
    found = re.search(r"-?\d[\d.,]*", raw or "")
    if (
        found is None
        or found.group().startswith("-")
        or sum(c.isdigit() for c in found.group()) > 15
    ):
        return None  # a negative amount is no invoice's: a credit note is not read here
    text = found.group().rstrip(".,")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+|\d+,(?:\d{2}|\d{4})", text):  # 1.234,50 1234,50
        text = text.replace(".", "").replace(",", ".")
    text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _date(raw: str | None) -> date | None:
    """An ISO date, or a day with the month in words (`3 November 2026`, `Nov 3, 2026`); a
    numeric day/month order that could be read two ways is not guessed."""
    if not raw:
        return None
    text = raw.strip().rstrip(".")
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").date()
    except ValueError:
        pass
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((_MONTHS[w.lower()] for w in words if w.lower() in _MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    if month is None or len(numbers) != 2:
        return None
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def facts_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """The intake facts (JSON) when intake answered ok, else {}."""
    result = state.get("intake")
    if not isinstance(result, dict) or result.get("status") != "ok":
        return {}
    value = result.get("value")
    return dict(value) if isinstance(value, dict) else {}
