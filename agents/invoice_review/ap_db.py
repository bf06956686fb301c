"""The accounts-payable tables the invoice checks read, in the workflow's database: the vendor
master, purchase orders and their lines, goods receipts, and every invoice already recorded
(the history, and each invoice this workflow paid). Created and seeded from `data/invoice_review/`
on first use; `seed_reference_data` loads another folder (a benchmark's world) into an empty
database. Amounts are kept as decimal strings, so they stay exact on every database. The reads,
and the payment (idempotent by its key), are tried again on a lost connection."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from agents.data_files import DataFileError, describe
from checkpoints.database import create_tables, engine_for, retried_on_lost_connection
from schemas.invoice_review import invoice_number_key

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "invoice_review"
metadata = MetaData()

vendors = Table(
    "ap_vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("bank_name", String(200), nullable=False),
    Column("bank_account", String(64), nullable=False),
)
po_lines = Table(
    "ap_po_lines",
    metadata,
    Column("po_number", String(64), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("vendor_id", String(64), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("description", String(500), nullable=False),
    Column("quantity", String(32), nullable=False),
    Column("unit_price", String(32), nullable=False),
)
receipts = Table(
    "ap_receipts",
    metadata,
    Column("receipt_id", String(64), primary_key=True),
    Column("po_number", String(64), nullable=False, index=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(32), nullable=False),
    Column("received_date", Date, nullable=False),
)
invoices = Table(
    "ap_invoices",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(64), nullable=False),
    Column("vendor_id", String(64), nullable=False, index=True),
    Column("invoice_number", String(64), nullable=False),
    Column("number_key", String(64), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("po_number", String(64)),
    Column("currency", String(3), nullable=False),
    Column("total", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("thread_id", String(200)),  # the thread that paid it (None for the history)
    Column("payment_id", String(64)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index(
    "ap_invoices_paid_once",
    invoices.c.vendor_id,
    invoices.c.number_key,
    unique=True,
    sqlite_where=invoices.c.status == "paid",
    postgresql_where=invoices.c.status == "paid",
)  # a void invoice and its re-issue under the same number may both be on record
invoice_lines = Table(
    "ap_invoice_lines",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(64), nullable=False),
    Column("vendor_id", String(64), nullable=False),
    Column("po_number", String(64), index=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(32), nullable=False),
    Column("thread_id", String(200)),  # the thread that paid it (None for the history)
)
"""What each paid invoice billed, line by line: what the three-way match counts as invoiced."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VendorRow(_Row):
    vendor_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    status: str = Field(pattern="^(active|blocked)$")
    currency: str = Field(pattern="^[A-Z]{3}$")
    bank_name: str
    bank_account: str = Field(min_length=4)


class PoLineRow(_Row):
    po_number: str = Field(min_length=1)
    line_no: int = Field(ge=1)
    vendor_id: str
    currency: str = Field(pattern="^[A-Z]{3}$")
    order_date: date
    sku: str
    description: str
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class ReceiptRow(_Row):
    receipt_id: str = Field(min_length=1)
    po_number: str
    sku: str
    quantity: Decimal = Field(gt=0)
    received_date: date


class InvoiceLineRow(_Row):
    invoice_id: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    quantity: Decimal = Field(gt=0)


class InvoiceRow(_Row):
    invoice_id: str = Field(min_length=1)
    vendor_id: str
    invoice_number: str = Field(min_length=1)
    invoice_date: date
    po_number: str | None
    currency: str = Field(pattern="^[A-Z]{3}$")
    total: Decimal = Field(ge=0)
    status: str = Field(pattern="^(paid|open|void)$")


TABLE_FILES: dict[str, tuple[Table, type[_Row]]] = {
    "vendors.csv": (vendors, VendorRow),
    "purchase_orders.csv": (po_lines, PoLineRow),
    "receipts.csv": (receipts, ReceiptRow),
    "invoices.csv": (invoices, InvoiceRow),
    "invoice_lines.csv": (invoice_lines, InvoiceLineRow),
}
"""Each reference file and the table it fills."""

_READY: set[str] = set()
_SEEDING = threading.Lock()
"""The checks run in parallel threads: one of them seeds, the others wait for it."""


def ap_engine(database_url: str) -> Engine:
    """The engine holding the AP tables, created and seeded from `REFERENCE_DIR` on first use
    (idempotent; an already seeded database is left as it is)."""
    if database_url not in _READY:
        with _SEEDING:
            if database_url not in _READY:
                seed_reference_data(database_url, REFERENCE_DIR)
    return engine_for(database_url)


def seed_reference_data(database_url: str, directory: Path) -> bool:
    """Create the AP tables and fill them from the CSV files in `directory` unless the vendor
    master already has rows; True when it seeded. DataFileError naming the file and row on a
    row that breaks its table's rules, or on files that clash (nothing is written then). Safe
    when several processes start on one new database at once: one seeds, the others find it
    seeded."""
    engine = engine_for(database_url)
    create_tables(metadata, engine)
    rows = {name: list(_read(directory / name, model)) for name, (_, model) in TABLE_FILES.items()}
    of_invoice = {row["invoice_id"]: row for row in rows["invoices.csv"]}
    unknown = [
        r["invoice_id"] for r in rows["invoice_lines.csv"] if r["invoice_id"] not in of_invoice
    ]
    if unknown:
        raise DataFileError(
            f"{directory / 'invoice_lines.csv'}: lines of invoices not in invoices.csv: "
            f"{', '.join(sorted(set(unknown))[:5])}"
        )
    rows["invoice_lines.csv"] = [
        {**line, "vendor_id": of_invoice[line["invoice_id"]]["vendor_id"],
         "po_number": of_invoice[line["invoice_id"]]["po_number"]}
        for line in rows["invoice_lines.csv"]
    ]  # fmt: skip
    seeded = False
    try:
        with engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(vendors)).scalar_one() == 0:
                for name, (table, _) in TABLE_FILES.items():
                    if rows[name]:
                        conn.execute(insert(table), [_stored(table, row) for row in rows[name]])
                seeded = True
    except IntegrityError as error:
        if not _has_vendors(engine):  # not a concurrent seeding: the files clash
            raise DataFileError(
                f"{directory}: the reference files clash (a key given twice, or a paid invoice "
                f"number paid twice): {str(error.orig).splitlines()[0]}"
            ) from None
    _READY.add(database_url)
    return seeded


def _has_vendors(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(vendors)).scalar_one())


def _read(path: Path, model: type[_Row]) -> Iterator[dict[str, Any]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, raw in enumerate(csv.DictReader(handle), start=2):
                cleaned = {k: (v if v != "" else None) for k, v in raw.items()}
                try:
                    yield model.model_validate(cleaned).model_dump()
                except ValidationError as error:
                    raise DataFileError(
                        f"{path}: line {number}: {'; '.join(describe(error))}"
                    ) from None
    except OSError as error:
        raise DataFileError(f"{path}: {error.strerror}") from None


def _stored(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    stored = {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}
    if table is invoices:
        stored["number_key"] = invoice_number_key(row["invoice_number"])
        stored["recorded_at"] = datetime.now(UTC)
    return stored


@retried_on_lost_connection
def find_vendor(database_url: str, vendor_id: str) -> dict[str, Any] | None:
    """The vendor master's row, or None when the vendor is not on file."""
    with ap_engine(database_url).connect() as conn:
        row = conn.execute(select(vendors).where(vendors.c.vendor_id == vendor_id)).mappings()
        found = row.first()
    return dict(found) if found else None


@retried_on_lost_connection
def purchase_order(database_url: str, po_number: str) -> list[dict[str, Any]]:
    """The lines of a purchase order (empty when there is no such order), amounts as Decimal."""
    query = select(po_lines).where(po_lines.c.po_number == po_number).order_by(po_lines.c.line_no)
    with ap_engine(database_url).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        {**row, "quantity": Decimal(row["quantity"]), "unit_price": Decimal(row["unit_price"])}
        for row in rows
    ]


@retried_on_lost_connection
def received_quantities(database_url: str, po_number: str) -> dict[str, Decimal]:
    """The quantity received so far of each SKU of a purchase order."""
    query = select(receipts.c.sku, receipts.c.quantity).where(receipts.c.po_number == po_number)
    received: dict[str, Decimal] = {}
    with ap_engine(database_url).connect() as conn:
        for sku, quantity in conn.execute(query):
            received[sku] = received.get(sku, Decimal(0)) + Decimal(quantity)
    return received


@retried_on_lost_connection
def invoiced_quantities(
    database_url: str, po_number: str, other_than_thread: str = ""
) -> dict[str, Decimal]:
    """The quantity of each SKU of a purchase order billed by invoices already paid (but those
    this thread paid: a re-run of a case does not count its own payment against it)."""
    query = select(invoice_lines.c.sku, invoice_lines.c.quantity).where(
        invoice_lines.c.po_number == po_number
    )
    if other_than_thread:
        query = query.where(
            (invoice_lines.c.thread_id.is_(None)) | (invoice_lines.c.thread_id != other_than_thread)
        )
    invoiced: dict[str, Decimal] = {}
    with ap_engine(database_url).connect() as conn:
        for sku, quantity in conn.execute(query):
            invoiced[sku] = invoiced.get(sku, Decimal(0)) + Decimal(quantity)
    return invoiced


@retried_on_lost_connection
def paid_by_thread(database_url: str, thread_id: str) -> list[dict[str, Any]]:
    """The invoices a thread paid (a case rolled back after it was paid keeps its payment)."""
    query = select(invoices).where(invoices.c.thread_id == thread_id, invoices.c.status == "paid")
    with ap_engine(database_url).connect() as conn:
        rows = conn.execute(query.order_by(invoices.c.row_id)).mappings().all()
    return [{**row, "total": Decimal(row["total"])} for row in rows]


@retried_on_lost_connection
def vendor_invoices(database_url: str, vendor_id: str) -> list[dict[str, Any]]:
    """Every invoice recorded for a vendor, oldest first, totals as Decimal."""
    query = (
        select(invoices)
        .where(invoices.c.vendor_id == vendor_id)
        .order_by(invoices.c.invoice_date, invoices.c.row_id)
    )
    with ap_engine(database_url).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "total": Decimal(row["total"])} for row in rows]


@retried_on_lost_connection
def pay_once(
    database_url: str, invoice: dict[str, Any], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """Record `invoice` (invoice_id, vendor_id, invoice_number, invoice_date, po_number,
    currency, total, thread_id, payment_id) and its `lines` (sku, quantity) as paid, unless an
    invoice with the same vendor and number key is paid already: returns the row kept (this
    one, or the one already there)."""
    key = invoice_number_key(invoice["invoice_number"])
    row = {**invoice, "number_key": key, "status": "paid", "recorded_at": datetime.now(UTC)}
    row["total"] = str(row["total"])
    engine = ap_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(invoices).values(**row))
            billed = [
                {"invoice_id": invoice["invoice_id"], "vendor_id": invoice["vendor_id"],
                 "po_number": invoice["po_number"], "sku": line["sku"],
                 "quantity": str(line["quantity"]), "thread_id": invoice["thread_id"]}
                for line in lines
            ]  # fmt: skip
            if billed:
                conn.execute(insert(invoice_lines), billed)
    except IntegrityError:
        pass  # paid before (by this thread on a re-run, or by another)
    query = select(invoices).where(
        invoices.c.vendor_id == invoice["vendor_id"],
        invoices.c.number_key == key,
        invoices.c.status == "paid",
    )
    with engine.connect() as conn:
        kept = conn.execute(query).mappings().one()
    return {**kept, "total": Decimal(kept["total"])}
