"""Contracts of the invoice review workflow: the supplier invoice, what each check finds, the
anomaly assessment and the payment decision. Money is `Decimal` (JSON strings in state)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.decision import DecisionRecord
from schemas.sensitive import SENSITIVE

Identifier = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")
]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)]
"""A sum of money, to the cent."""
UnitPrice = Annotated[Decimal, Field(ge=0, le=Decimal("1e10"), max_digits=16, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal("1e9"), max_digits=14, decimal_places=3)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 code (`EUR`)."""

AnomalyKind = Literal[
    "price_above_po",
    "quantity_above_received",
    "not_on_po",
    "arithmetic",
    "duplicate",
    "bank_details_changed",
    "unknown_vendor",
    "blocked_vendor",
    "no_po",
    "currency_mismatch",
]
ANOMALY_KINDS: tuple[AnomalyKind, ...] = AnomalyKind.__args__  # type: ignore[attr-defined]

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def invoice_number_key(number: str) -> str:
    """The form two spellings of one invoice number share: compatibility-normalised (full-width
    letters and digits are the ASCII ones), upper case, letters and digits only, no leading
    zeros in a run of digits (`inv-00412` and `INV 412` are both `INV412`)."""
    folded = unicodedata.normalize("NFKC", number).upper()
    return _NOT_ALNUM.sub("", _LEADING_ZEROS.sub("", folded))


def _invoice_number(number: str) -> str:
    if _CONTROL.search(number):
        raise ValueError("an invoice number is one line, without control characters")
    if not invoice_number_key(number):
        raise ValueError(f"{number!r} has no letter or digit (A-Z, 0-9) to tell invoices apart by")
    return number.strip()


def _plausible_date(day: date) -> date:
    latest = date.today() + timedelta(days=366)
    if not date(1990, 1, 1) <= day <= latest:
        raise ValueError(f"{day} is not a plausible invoice date (1990-01-01 to {latest})")
    return day


InvoiceNumber = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_invoice_number)]
"""An invoice number as the supplier prints it: one line, with a letter or a digit."""
InvoiceDate = Annotated[date, AfterValidator(_plausible_date)]
"""An invoice date from 1990 to a year from today."""


def account_key(account: str) -> str:
    """A bank account as compared: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", account.upper())


def masked_account(account: str) -> str:
    """A bank account as shown: its last four characters."""
    key = account_key(account)
    return f"…{key[-4:]}" if len(key) > 4 else "…"


class InvoiceLine(BaseModel):
    """One billed line."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=500)
    quantity: Quantity
    unit_price: UnitPrice
    amount: Amount | None = None
    """The line's amount as printed, when the invoice prints one (checked against quantity x
    unit price)."""


class RemitTo(BaseModel):
    """Where the supplier asks to be paid."""

    model_config = ConfigDict(extra="forbid")

    bank_name: str = Field(min_length=1, max_length=200)
    bank_account: str = Field(
        min_length=4, max_length=64, pattern=r"^[A-Za-z0-9 .-]+$", json_schema_extra=SENSITIVE
    )


INVOICE_FIELDS = (
    "vendor_id",
    "invoice_number",
    "invoice_date",
    "po_number",
    "currency",
    "lines",
    "tax",
    "total",
    "remit_to",
)
"""The invoice's own fields: all given (`po_number` may be null: no PO), or a `document`."""


class InvoiceSubmission(BaseModel):
    """One supplier invoice: its fields as JSON, or the text of the invoice document (a text or
    PDF file) for intake to read. Never both."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: Identifier
    """The accounts-payable system's id for this submission."""
    vendor_id: Identifier | None = None
    invoice_number: InvoiceNumber | None = None
    invoice_date: InvoiceDate | None = None
    po_number: Identifier | None = None
    """The purchase order the invoice quotes; null when it quotes none."""
    currency: Currency | None = None
    lines: list[InvoiceLine] | None = Field(default=None, min_length=1, max_length=500)
    tax: Amount | None = None
    total: Annotated[Amount, Field(gt=0)] | None = None
    remit_to: RemitTo | None = None
    document: str | None = Field(
        default=None, min_length=1, max_length=500_000, json_schema_extra=SENSITIVE
    )
    """The invoice document's text, when the invoice came as a document."""
    source_name: str | None = Field(default=None, max_length=300)
    """The document's file name."""

    @model_validator(mode="after")
    def _fields_or_document(self) -> Self:
        given = [name for name in INVOICE_FIELDS if getattr(self, name) is not None]
        if self.document is not None:
            if given:
                raise ValueError(
                    f"give the invoice's fields or its document, not both (fields given: "
                    f"{', '.join(given)})"
                )
            return self
        missing = [
            name
            for name in INVOICE_FIELDS
            if name not in self.model_fields_set
            or (name != "po_number" and getattr(self, name) is None)
        ]
        if missing:
            raise ValueError(
                f"missing invoice fields: {', '.join(missing)} (po_number is null when the "
                "invoice quotes no purchase order), or give the invoice as a `document`"
            )
        return self


class InvoiceFacts(BaseModel):
    """The invoice as intake read and checked it."""

    vendor_id: str
    vendor_name: str | None = None
    """The supplier's name as the document prints it (documents only)."""
    invoice_number: InvoiceNumber
    number_key: str
    """`invoice_number_key(invoice_number)`: what duplicate checks compare."""
    invoice_date: InvoiceDate
    po_number: str | None
    currency: Currency
    lines: list[InvoiceLine]
    tax: Amount
    total: Annotated[Amount, Field(gt=0)]
    remit_to: RemitTo
    read_from: Literal["fields", "document", "model"]
    """`model`: a chat model read the document, every value checked against its words."""
    lines_total: Decimal
    """The sum of quantity x unit price over the lines."""
    arithmetic_errors: list[str]
    """Where the lines, the tax and the total do not add up (beyond the policy's tolerance)."""


class LineMatch(BaseModel):
    """One billed line against the purchase order and the goods receipts."""

    line: int
    sku: str
    billed_quantity: Decimal
    billed_unit_price: Decimal
    ordered_quantity: Decimal | None
    po_unit_price: Decimal | None
    received_quantity: Decimal | None
    price_over_po_pct: Decimal | None
    """How far the billed price is above the PO price, in percent (negative: below)."""


class MatchReport(BaseModel):
    """The three-way match: invoice against purchase order and goods receipt."""

    po_number: str | None
    po_found: bool
    po_vendor_id: str | None
    po_currency: str | None
    price_tolerance_pct: Decimal
    lines: list[LineMatch]
    price_above_po: list[str]
    quantity_above_received: list[str]
    not_on_po: list[str]
    no_po: list[str]
    currency_mismatch: list[str]


class DuplicateCandidate(BaseModel):
    """An invoice already recorded that this one may repeat."""

    invoice_id: str
    invoice_number: str
    invoice_date: date
    total: Decimal
    currency: str
    status: str
    how: Literal["same_number", "near_number", "same_amount_within_days"]


class DuplicateReport(BaseModel):
    """Invoices already recorded for the same vendor that this one may repeat."""

    window_days: int
    candidates: list[DuplicateCandidate]
    already_paid: bool
    """An invoice with the same number (`invoice_number_key`) was already paid."""
    reasons: list[str]


class VendorReport(BaseModel):
    """The vendor against the vendor master."""

    vendor_id: str
    known: bool
    name: str | None
    status: Literal["active", "blocked", "unknown"]
    bank_on_file: str | None
    """The master's account, masked (`…1234`)."""
    bank_on_invoice: str
    """The invoice's remit-to account, masked."""
    bank_matches_master: bool | None
    """None when the vendor is not on file."""
    unknown_vendor: list[str]
    blocked_vendor: list[str]
    bank_details_changed: list[str]


class AnomalyFindings(BaseModel):
    """Every anomaly found, by kind, each a reason a clerk can act on (empty: none)."""

    price_above_po: list[str] = []
    quantity_above_received: list[str] = []
    not_on_po: list[str] = []
    arithmetic: list[str] = []
    duplicate: list[str] = []
    bank_details_changed: list[str] = []
    unknown_vendor: list[str] = []
    blocked_vendor: list[str] = []
    no_po: list[str] = []
    currency_mismatch: list[str] = []

    def kinds(self) -> list[AnomalyKind]:
        return [kind for kind in ANOMALY_KINDS if getattr(self, kind)]


class AssessmentInput(BaseModel):
    """What the assessment weighs: every check's report."""

    intake: InvoiceFacts
    matching: MatchReport
    duplicates: DuplicateReport
    vendor_check: VendorReport


class AnomalyAssessment(BaseModel):
    """The anomalies of one invoice and what they point to."""

    findings: AnomalyFindings
    kinds: list[AnomalyKind]
    recommendation: Literal["pay", "hold", "reject"]
    """`pay`: nothing found; `reject`: already paid, or a blocked vendor; `hold`: a clerk judges."""
    summary: str
    total: Decimal
    currency: str


class Payment(BaseModel):
    """A payment recorded once for a vendor's invoice number, whatever thread approved it."""

    payment_id: str
    invoice_id: str
    vendor_id: str
    invoice_number: str
    amount: Decimal
    currency: str
    pay_to: str
    """The vendor master's account (masked): never the invoice's own remit-to details."""
    thread_id: str


class InvoiceDecision(DecisionRecord):
    """What was decided on an invoice: paid once, rejected, referred, or not paid because it was
    paid already."""

    outcome: Literal["paid", "rejected", "referred", "not_paid"]
    invoice_id: str
    vendor_id: str | None = None
    invoice_number: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    anomalies: list[AnomalyKind] = []
    payment: Payment | None = None


class InvoiceReviewSettings(BaseModel):
    """The AP owner's tolerances (`settings:` in `policies/invoice_review.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    price_tolerance_pct: Decimal = Field(ge=0, le=100)
    """How far above the PO price a billed unit price may be, in percent, before it is an anomaly."""
    arithmetic_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0, le=100)
    """How far the lines plus tax may be from the total (rounding), in the invoice's currency."""
    duplicate_window_days: int = Field(ge=0, le=365)
    """Two invoices of one vendor for the same amount this many days apart or less may be one."""
