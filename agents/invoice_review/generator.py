"""Synthetic accounts-payable data, reproducible from a seed: the reference tables the invoice
checks read (vendor master, purchase orders, goods receipts, the invoice history), and new
invoices with planted anomalies of every kind, each labelled with what was planted.

    python -m agents.invoice_review.generator                # the shipped data and samples
    python -m agents.invoice_review.generator --seed 7 --reference /tmp/world --samples ''

The shipped reference data (`data/invoice_review/`) and samples (`data/samples/invoice_review/`)
are made with `SAMPLE_SEED`; the quality benchmark makes its own world and invoices with
`BENCH_SEED`, so it never scores on what the samples show. Clean invoices carry what makes a
check work for its living: prices a little above the order's but within tolerance, partial
deliveries billed as received, bank details written another way, monthly fees of the same
amount a month apart, invoice numbers a few apart.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from agents.documents import text_pdf
from agents.invoice_review.ap_db import REFERENCE_DIR
from schemas.invoice_review import ANOMALY_KINDS

SAMPLE_SEED = 1206
BENCH_SEED = 2027
SAMPLES_DIR = REFERENCE_DIR.parents[0] / "samples" / "invoice_review"
CENT = Decimal("0.01")
_WORDS = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
    "Adatum",
    "Proseware",
    "Wingtip",
    "Fourth",
    "Coffee",
    "Lucerne",
    "Margie",
    "Humongous",
    "Alpine",
    "Blue",
    "Yonder",
    "Trey",
    "Woodgrove",
    "Relecloud",
    "Coho",
    "Wide",
    "World",
    "Graphic",
    "Datum",
    "Vanarsdel",
    "Nod",
    "Baltic",
    "Meridian",
    "Harbor",
    "Granite",
    "Summit",
    "Cedar",
]
_TRADES = ("Fasteners", "Packaging", "Logistics", "Chemicals", "Office Supply", "Electrics",
           "Tooling", "Facilities", "Printing", "Components")  # fmt: skip
_BANKS = {
    "EUR": ("Banque Exemple", "Beispielbank AG", "Banco Ejemplo"),
    "USD": ("First Example Bank", "Example Trust Co."),
    "GBP": ("Example Bank plc", "Sample Building Society"),
}
_TAX = {"EUR": Decimal("0.19"), "USD": Decimal("0.07"), "GBP": Decimal("0.20")}
_ITEMS = ("bolt", "bracket", "carton", "pallet wrap", "cable", "switch", "filter", "label roll",
          "gasket", "toner", "drill bit", "valve", "relay", "tape", "sealant")  # fmt: skip


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Vendor:
    vendor_id: str
    name: str
    status: str
    currency: str
    bank_name: str
    bank_account: str
    number_format: str
    next_number: int
    monthly_fee: bool = False


@dataclass
class Order:
    po_number: str
    vendor_id: str
    currency: str
    order_date: date
    lines: list[dict[str, Any]]
    received: dict[str, Decimal]
    received_date: date


@dataclass
class World:
    """A vendor master, orders with their receipts, and the invoices already recorded."""

    seed: int
    vendors: list[Vendor] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    """Recorded invoices (paid), each with its lines, its order and its vendor."""
    open_orders: list[Order] = field(default_factory=list)
    """Orders received and not yet invoiced: what new invoices bill."""

    def vendor(self, vendor_id: str) -> Vendor:
        return next(v for v in self.vendors if v.vendor_id == vendor_id)


def make_world(seed: int, *, vendors: int = 30, history: int = 240, open_orders: int = 80) -> World:
    """A world from `seed`: the same seed always makes the same world."""
    rng = random.Random(seed)
    world = World(seed=seed)
    names = rng.sample(_WORDS, k=min(vendors, len(_WORDS)))
    for index in range(vendors):
        currency = rng.choice(("EUR", "EUR", "USD", "GBP"))
        world.vendors.append(
            Vendor(
                vendor_id=f"V-{1001 + index}",
                name=f"{names[index % len(names)]} {rng.choice(_TRADES)} Ltd",
                status="blocked" if index % 12 == 11 else "active",
                currency=currency,
                bank_name=rng.choice(_BANKS[currency]),
                bank_account=_account(rng, currency),
                number_format=rng.choice(("INV-{:05d}", "{:d}", "{prefix}-2026-{:04d}", "INV{:d}")),
                next_number=rng.randint(100, 9000),
                monthly_fee=index % 7 == 3,
            )
        )
    catalogue = {v.vendor_id: _catalogue(rng, v) for v in world.vendors}
    po_counter = iter(range(40001, 99999))
    regular = [v for v in world.vendors if not v.monthly_fee]
    for _ in range(history):
        vendor = rng.choice(regular)
        order = _order(rng, vendor, catalogue[vendor.vendor_id], next(po_counter), early=True)
        world.orders.append(order)
        world.history.append(_history_invoice(rng, world, vendor, order))
    for vendor in (v for v in world.vendors if v.monthly_fee):
        for month in range(1, 11):  # a fee of the same amount every month
            order = _order(rng, vendor, catalogue[vendor.vendor_id], next(po_counter), early=True)
            order.order_date, order.received_date = date(2026, month, 1), date(2026, month, 3)
            world.orders.append(order)
            world.history.append(_history_invoice(rng, world, vendor, order))
    active = [v for v in world.vendors if v.status == "active" and not v.monthly_fee]
    blocked = [v for v in world.vendors if v.status == "blocked"]
    fees = [v for v in world.vendors if v.status == "active" and v.monthly_fee]
    for index in range(open_orders):
        if index < len(fees):  # this month's fee: one order each
            vendor = fees[index]
        else:
            vendor = (
                blocked[index % len(blocked)]
                if index % 20 == 19 and blocked
                else rng.choice(active)
            )
        order = _order(rng, vendor, catalogue[vendor.vendor_id], next(po_counter), early=False)
        world.orders.append(order)
        world.open_orders.append(order)
    return world


def _account(rng: random.Random, currency: str) -> str:
    if currency == "USD":
        return f"{rng.randint(10**8, 10**9 - 1)} {rng.randint(10**9, 10**10 - 1)}"
    country = "GB" if currency == "GBP" else rng.choice(("DE", "FR", "ES", "NL"))
    digits = "".join(str(rng.randint(0, 9)) for _ in range(20))
    return f"{country}{rng.randint(10, 99)} " + " ".join(digits[i : i + 4] for i in range(0, 20, 4))


def _catalogue(rng: random.Random, vendor: Vendor) -> list[dict[str, Any]]:
    prefix = "".join(w[0] for w in vendor.name.split()[:2]).upper()
    items = rng.sample(_ITEMS, k=6)
    return [
        {
            "sku": f"{prefix}-{rng.randint(100, 999)}-{i}",
            "description": f"{item} {rng.choice(('standard', 'heavy duty', 'small', 'large'))}",
            "unit_price": Decimal(rng.choice((rng.randint(100, 999), rng.randint(1000, 40000))))
            / 100,
        }
        for i, item in enumerate(items)
    ]


def _order(
    rng: random.Random, vendor: Vendor, catalogue: list[dict[str, Any]], number: int, early: bool
) -> Order:
    start, span = (date(2026, 1, 5), 280) if early else (date(2026, 10, 1), 30)
    if vendor.monthly_fee and not early:
        start, span = date(2026, 11, 1), 0
    ordered = start + timedelta(days=rng.randint(0, span))
    items = catalogue[:1] if vendor.monthly_fee else rng.sample(catalogue, k=rng.randint(1, 4))
    lines = []
    for line_no, item in enumerate(items, start=1):
        sizes = (1, 2, 4, 5, 10) if item["unit_price"] > 50 else (5, 10, 20, 40, 100, 250)
        quantity = Decimal(1) if vendor.monthly_fee else Decimal(rng.choice(sizes))
        lines.append({**item, "line_no": line_no, "quantity": quantity})
    partial = not early and not vendor.monthly_fee and rng.random() < 0.25
    received = {
        line["sku"]: (line["quantity"] * Decimal("0.6")).to_integral_value()
        if partial and i == 0
        else line["quantity"]
        for i, line in enumerate(lines)
    }
    return Order(
        po_number=f"PO-{number}",
        vendor_id=vendor.vendor_id,
        currency=vendor.currency,
        order_date=ordered,
        lines=lines,
        received=received,
        received_date=ordered + timedelta(days=rng.randint(2, 12)),
    )


def _number(vendor: Vendor, rng: random.Random) -> str:
    vendor.next_number += rng.randint(1, 40)
    prefix = "".join(w[0] for w in vendor.name.split()[:2]).upper()
    return vendor.number_format.format(vendor.next_number, prefix=prefix)


def _invoice_lines(order: Order) -> list[dict[str, Any]]:
    """The order's received quantities at its prices."""
    return [
        {
            "sku": line["sku"],
            "description": line["description"],
            "quantity": order.received[line["sku"]],
            "unit_price": line["unit_price"],
        }
        for line in order.lines
        if order.received.get(line["sku"])
    ]


def _totals(lines: list[dict[str, Any]], currency: str) -> tuple[Decimal, Decimal]:
    subtotal = sum((_money(x["quantity"] * x["unit_price"]) for x in lines), Decimal(0))
    tax = _money(subtotal * _TAX[currency])
    return tax, subtotal + tax


def _history_invoice(
    rng: random.Random, world: World, vendor: Vendor, order: Order
) -> dict[str, Any]:
    lines = _invoice_lines(order)
    tax, total = _totals(lines, vendor.currency)
    return {
        "invoice_id": f"AP-H{len(world.history) + 1:05d}",
        "vendor_id": vendor.vendor_id,
        "invoice_number": _number(vendor, rng),
        "invoice_date": order.received_date + timedelta(days=rng.randint(1, 10)),
        "po_number": order.po_number,
        "currency": vendor.currency,
        "lines": lines,
        "tax": tax,
        "total": total,
        "status": "paid",
    }


def write_world(world: World, directory: Path) -> None:
    """The world's reference tables as the CSV files `ap_db.seed_reference_data` loads."""
    directory.mkdir(parents=True, exist_ok=True)
    _csv(directory / "vendors.csv", [
        {k: getattr(v, k) for k in ("vendor_id", "name", "status", "currency", "bank_name", "bank_account")}
        for v in world.vendors
    ])  # fmt: skip
    _csv(directory / "purchase_orders.csv", [
        {"po_number": o.po_number, "line_no": x["line_no"], "vendor_id": o.vendor_id,
         "currency": o.currency, "order_date": o.order_date, "sku": x["sku"],
         "description": x["description"], "quantity": x["quantity"], "unit_price": x["unit_price"]}
        for o in world.orders for x in o.lines
    ])  # fmt: skip
    _csv(directory / "receipts.csv", [
        {"receipt_id": f"GR-{o.po_number[3:]}-{i}", "po_number": o.po_number, "sku": sku,
         "quantity": quantity, "received_date": o.received_date}
        for o in world.orders for i, (sku, quantity) in enumerate(o.received.items(), start=1)
        if quantity > 0
    ])  # fmt: skip
    _csv(directory / "invoice_lines.csv", [
        {"invoice_id": h["invoice_id"], "sku": x["sku"], "quantity": x["quantity"]}
        for h in world.history for x in h["lines"]
    ])  # fmt: skip
    _csv(directory / "invoices.csv", [
        {k: h[k] for k in ("invoice_id", "vendor_id", "invoice_number", "invoice_date",
                           "po_number", "currency", "total", "status")}
        for h in world.history
    ])  # fmt: skip


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass(frozen=True)
class Planted:
    """A new invoice and the anomaly kinds planted in it (none: a clean one)."""

    invoice: dict[str, Any]
    kinds: frozenset[str]
    note: str


def planted_invoices(
    world: World, seed: int, count: int, clean_share: float = 0.5
) -> list[Planted]:
    """`count` new invoices, each billing its own open order: about `clean_share` clean, the
    rest with one anomaly kind planted each, the kinds in turn. ValueError when the world has
    fewer open orders than `count`."""
    rng = random.Random(seed * 7919 + 1)
    orders = [o for o in world.open_orders if world.vendor(o.vendor_id).status == "active"]
    if len(orders) < count:
        raise ValueError(f"{count} invoices need {count} open orders; the world has {len(orders)}")
    rng.shuffle(orders)
    made: list[Planted] = []
    for index, order in enumerate(orders[:count]):
        kind = None if rng.random() < clean_share else ANOMALY_KINDS[len(made) % len(ANOMALY_KINDS)]
        made.append(plant(world, order, kind, rng, f"AP-{seed % 10000:04d}-{index + 1:04d}"))
    return made


def plant(
    world: World, order: Order, kind: str | None, rng: random.Random, invoice_id: str
) -> Planted:
    """One invoice billing `order` (an active vendor's), with the anomaly `kind` planted (None:
    clean). A duplicate repeats an invoice of the history instead; a blocked vendor's invoice
    bills one of that vendor's orders."""
    if kind == "duplicate":
        return _duplicate(world, rng, invoice_id)
    if kind == "blocked_vendor":
        blocked = [o for o in world.open_orders if world.vendor(o.vendor_id).status == "blocked"]
        order = rng.choice(blocked) if blocked else order
        kind = kind if blocked else None
    vendor = world.vendor(order.vendor_id)
    invoice: dict[str, Any] = {
        "invoice_id": invoice_id,
        "vendor_id": vendor.vendor_id,
        "invoice_number": _number(vendor, rng),
        "invoice_date": max(
            order.received_date + timedelta(days=rng.randint(1, 8)), date(2026, 11, 2)
        ),
        "po_number": order.po_number,
        "currency": order.currency,
        "lines": _invoice_lines(order),
        "remit_to": {"bank_name": vendor.bank_name, "bank_account": vendor.bank_account},
    }
    kinds = {kind} if kind else set()
    note = _confound(invoice, rng) if kind is None else kind.replace("_", " ")
    if kind == "price_above_po":  # from just over the shipped 2% tolerance to 15%
        line = rng.choice(invoice["lines"])
        line["unit_price"] = _priced(
            line["unit_price"], Decimal(rng.randint(21, 150)) / 10, above=True
        )
    elif kind == "quantity_above_received":
        line = rng.choice(invoice["lines"])
        line["quantity"] += Decimal(rng.choice((1, 1, 2, 5, 10)))
    elif kind == "not_on_po":
        invoice["lines"].append({"sku": "MISC-FREIGHT", "description": "freight surcharge",
                                 "quantity": Decimal(1), "unit_price": Decimal(rng.randint(40, 400))})  # fmt: skip
    elif kind == "bank_details_changed":
        invoice["remit_to"] = {"bank_name": rng.choice(_BANKS[vendor.currency]),
                               "bank_account": _account(rng, vendor.currency)}  # fmt: skip
    elif kind == "unknown_vendor":  # an unknown vendor has no order of ours either
        invoice["vendor_id"], invoice["po_number"] = f"V-{rng.randint(9000, 9999)}", None
        kinds.add("no_po")
    elif kind == "no_po":
        invoice["po_number"] = rng.choice((None, f"PO-{rng.randint(100000, 999999)}"))
    elif kind == "currency_mismatch":
        invoice["currency"] = next(c for c in ("USD", "EUR", "GBP") if c != order.currency)
    invoice["tax"], invoice["total"] = _totals(invoice["lines"], order.currency)
    if kind == "arithmetic":
        slip = Decimal(rng.choice((2, 9, 10, 90, 100, 900))) / rng.choice((1, 10, 100))
        invoice["total"] = abs(invoice["total"] + slip * rng.choice((1, -1)))
    return Planted(invoice=invoice, kinds=frozenset(kinds), note=note)


def _priced(price: Decimal, percent: Decimal, *, above: bool) -> Decimal:
    """`price` raised by about `percent`, to the cent, and strictly above (or at most) the shipped
    2% tolerance once rounded."""
    new = _money(price * (1 + percent / 100))
    while above and (new - price) / price * 100 <= 2:
        new += CENT
    while not above and (new - price) / price * 100 > 2:
        new -= CENT
    return new


def _confound(invoice: dict[str, Any], rng: random.Random) -> str:
    """What a clean invoice may carry that a careless check would flag."""
    roll = rng.random()
    if roll < 0.2:  # up to the shipped 2% tolerance, not beyond
        line = rng.choice(invoice["lines"])
        line["unit_price"] = _priced(
            line["unit_price"], Decimal(rng.randint(2, 20)) / 10, above=False
        )
        return "clean: a price within the tolerance"
    if roll < 0.35:
        account = invoice["remit_to"]["bank_account"]
        invoice["remit_to"]["bank_account"] = account.replace(" ", "").lower()
        return "clean: the account written without spaces"
    return "clean"


def _duplicate(world: World, rng: random.Random, invoice_id: str) -> Planted:
    """A recorded invoice sent again: the same number (perhaps spelt another way), a near-same
    number for the same amount, or a new number for the same amount within days; or the same
    goods billed again weeks later under a new number, which only the three-way match sees."""
    active = {v.vendor_id for v in world.vendors if v.status == "active"}
    past = rng.choice([h for h in world.history if h["vendor_id"] in active])
    vendor = world.vendor(past["vendor_id"])
    how = rng.choice(("same", "respelt", "near", "new_number", "rebilled"))
    number = past["invoice_number"]
    if how == "respelt":
        number = number.replace("-", " ").lower() if "-" in number else f"No. {number}"
    elif how == "near":
        number = f"{number}A"
    elif how in ("new_number", "rebilled"):
        number = _number(vendor, rng)
    invoice = {
        "invoice_id": invoice_id,
        "vendor_id": vendor.vendor_id,
        "invoice_number": number,
        "invoice_date": past["invoice_date"]
        + timedelta(days=rng.randint(0, 6) if how != "rebilled" else rng.randint(20, 60)),
        "po_number": past["po_number"],
        "currency": past["currency"],
        "lines": [dict(line) for line in past["lines"]],
        "tax": past["tax"],
        "total": past["total"],
        "remit_to": {"bank_name": vendor.bank_name, "bank_account": vendor.bank_account},
    }
    # It bills again goods that were paid for: the three-way match sees that too.
    kinds = frozenset(
        {"duplicate", "quantity_above_received"} - ({"duplicate"} if how == "rebilled" else set())
    )
    return Planted(invoice=invoice, kinds=kinds, note=f"duplicate ({how})")


def as_json(invoice: dict[str, Any]) -> dict[str, Any]:
    """An invoice as the JSON a caller sends (amounts as numbers, dates as ISO text)."""
    return json.loads(
        json.dumps(invoice, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))
    )


LAYOUTS = 3
"""How many ways `render_document` can lay an invoice out."""


def render_document(invoice: dict[str, Any], vendor_name: str, layout: int = 0) -> str:
    """The invoice as a text document, the way a supplier's billing system prints one: layout 0
    (labels in full, ISO dates), 1 (European: `Invoice No.`, `3 November 2026`, `1.234,50`, VAT,
    IBAN) or 2 (US: `Invoice #`, `Nov 3, 2026`, `$1,234.50`, numbered lines)."""
    currency, remit = invoice["currency"], invoice["remit_to"]
    day = date.fromisoformat(str(invoice["invoice_date"]))
    european = layout == 1

    def money(value: Any) -> str:
        text = f"{Decimal(str(value)):,.2f}"
        return text.replace(",", "_").replace(".", ",").replace("_", ".") if european else text

    rows = []
    for number, line in enumerate(invoice["lines"], start=1):
        quantity, price = Decimal(str(line["quantity"])), Decimal(str(line["unit_price"]))
        lead = f"{number}.  " if layout == 2 else ""
        rows.append(
            f"{lead}{line['sku']:<16}{line['description']:<28}{quantity.normalize():f}  "
            f"{money(price):>12}  {money(_money(quantity * price)):>12}"
        )
    subtotal = sum(
        (
            _money(Decimal(str(x["quantity"])) * Decimal(str(x["unit_price"])))
            for x in invoice["lines"]
        ),
        Decimal(0),
    )
    po = invoice["po_number"]
    labels = [
        ("INVOICE", "", f"Supplier: {vendor_name}", f"Vendor ID: {invoice['vendor_id']}",
         f"Invoice number: {invoice['invoice_number']}", f"Invoice date: {day.isoformat()}",
         f"PO number: {po or 'none'}", f"Currency: {currency}", "",
         f"{'SKU':<16}{'Description':<28}Qty  Unit price  Amount"),
        (f"{vendor_name}", "Invoice", f"Supplier ID: {invoice['vendor_id']}",
         f"Invoice No.: {invoice['invoice_number']}", f"Date of issue: {day.day} {day:%B %Y}",
         f"Purchase order: {po or 'n/a'}", f"Currency: {currency}", "",
         f"{'Item':<16}{'Description':<28}Qty  Unit price  Amount"),
        (f"From: {vendor_name}", f"Vendor #: {invoice['vendor_id']}",
         f"Invoice #: {invoice['invoice_number']}", f"Date: {day:%b} {day.day}, {day.year}",
         f"P.O. #: {po or 'none'}", f"Currency: {currency}", "",
         f"Line  {'SKU':<16}{'Description':<28}Qty  Unit price  Amount"),
    ][layout % LAYOUTS]  # fmt: skip
    tax_label = ("Tax", "VAT", "Sales tax")[layout % LAYOUTS]
    total_label = ("Total due", "Amount due", "Total")[layout % LAYOUTS]
    bank = ((f"Remit to: {remit['bank_name']}", f"Account: {remit['bank_account']}"),
            (f"Bank: {remit['bank_name']}", f"IBAN: {remit['bank_account']}"),
            (f"Pay to: {remit['bank_name']}", f"Account number: {remit['bank_account']}"))[layout % LAYOUTS]  # fmt: skip
    return "\n".join([
        *labels, *rows, "", f"Subtotal: {currency} {money(subtotal)}",
        f"{tax_label}: {currency} {money(invoice['tax'])}",
        f"{total_label}: {currency} {money(invoice['total'])}", "", *bank, "",
    ])  # fmt: skip


SAMPLES = (
    ("01_clean_straight_through", None),
    ("02_price_above_po", "price_above_po"),
    ("03_quantity_above_received", "quantity_above_received"),
    ("04_arithmetic", "arithmetic"),
    ("05_duplicate_of_paid", "duplicate"),
    ("06_bank_details_changed", "bank_details_changed"),
    ("07_no_po", "no_po"),
    ("08_currency_mismatch", "currency_mismatch"),
    ("09_unknown_vendor", "unknown_vendor"),
    ("10_blocked_vendor", "blocked_vendor"),
    ("11_not_on_po", "not_on_po"),
)
"""The shipped samples: one clean invoice and one per anomaly kind (and a document version of
the clean one, as text and as PDF)."""


def write_samples(world: World, directory: Path) -> list[Path]:
    """The samples (JSON, plus a clean invoice as a text and a PDF document)."""
    rng = random.Random(world.seed + 1)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    orders = [o for o in world.open_orders if world.vendor(o.vendor_id).status == "active"]
    partial = [o for o in orders if any(o.received[x["sku"]] < x["quantity"] for x in o.lines)]
    for index, (name, kind) in enumerate(SAMPLES):
        order = partial[0] if kind == "quantity_above_received" and partial else orders[index]
        planted = plant(world, order, kind, rng, f"AP-S{index + 1:03d}")
        wanted = {None: "clean", "duplicate": "duplicate (respelt)"}.get(kind)
        while wanted and planted.note != wanted:  # the clean sample carries no confounder
            planted = plant(world, order, kind, rng, f"AP-S{index + 1:03d}")
        path = directory / f"{name}.json"
        path.write_text(json.dumps(as_json(planted.invoice), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    document = plant(world, orders[len(SAMPLES)], None, rng, "AP-S012")
    text = render_document(document.invoice, world.vendor(document.invoice["vendor_id"]).name)
    (directory / "12_clean_document.txt").write_text(text, encoding="utf-8")
    (directory / "13_clean_document.pdf").write_bytes(text_pdf(text))
    return [*written, directory / "12_clean_document.txt", directory / "13_clean_document.pdf"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--reference", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--samples", default=str(SAMPLES_DIR), help="'' for none")
    args = parser.parse_args(argv)
    world = make_world(args.seed)
    write_world(world, args.reference)
    print(f"reference data (seed {args.seed}) -> {args.reference}")
    if args.samples:
        for path in write_samples(world, Path(args.samples)):
            print(f"sample -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
