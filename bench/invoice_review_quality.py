"""Invoice review quality on generated invoices with planted anomalies.

`python -m bench.invoice_review_quality [--seed N] [--invoices N] [--json | --markdown]` makes a
world of its own (vendor master, orders, receipts, invoice history: `agents.invoice_review.generator`)
with `--seed` (default `BENCH_SEED`, not the seed of the shipped samples), loads it into a fresh
SQLite database, and runs every invoice through the whole workflow (`open_workflow`, the same
graph, policy and tolerances as `baton run invoice_review`), one thread each, in order, so an
invoice paid early is on record for those after it. About half the invoices are clean; each other
one has one anomaly kind planted, the kinds in turn (an unknown vendor also quotes no PO).

Figures:
- per anomaly kind, precision (of the invoices the assessment named the kind for, the share where
  it was planted) and recall (of the invoices it was planted in, the share the assessment named);
  an invoice whose assessment did not run counts as naming nothing;
- straight through: the share of clean invoices paid by policy with no person involved;
- stopped: the share of invoices with a planted anomaly that were not paid straight through.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from agents.invoice_review.ap_db import seed_reference_data
from agents.invoice_review.generator import (
    BENCH_SEED,
    LAYOUTS,
    SAMPLE_SEED,
    Planted,
    as_json,
    make_world,
    planted_invoices,
    render_document,
    write_world,
)
from graphs.kit.runtime import open_workflow
from schemas.invoice_review import ANOMALY_KINDS

DEFAULT_INVOICES = 400


def measure(seed: int = BENCH_SEED, invoices: int = DEFAULT_INVOICES) -> dict[str, Any]:
    """Run `invoices` generated invoices through the workflow; the scores as a dict."""
    world = make_world(seed, open_orders=invoices + invoices // 10 + 20)
    planted = planted_invoices(world, seed, invoices)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        write_world(world, Path(folder) / "world")
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        seed_reference_data(url, Path(folder) / "world")
        started = time.perf_counter()
        with open_workflow("invoice_review", url) as flow:
            for index, case in enumerate(planted):
                thread = f"bench-{index:05d}"
                as_document = index % 3 == 2
                report = flow.start(_submission(world, case, index, as_document), thread_id=thread)
                values = flow.graph.get_state(flow.config(thread)).values
                assessment = values.get("assessment") or {}
                named = assessment.get("value", {}).get("kinds", []) if assessment else []
                decision = report.decision or {}
                rows.append(
                    {
                        "planted": sorted(case.kinds),
                        "named": sorted(named if assessment.get("status") == "ok" else []),
                        "assessed": assessment.get("status") == "ok",
                        "status": report.status,
                        "straight_through": report.status == "completed"
                        and decision.get("outcome") == "paid"
                        and decision.get("decided_by") == "policy",
                        "note": case.note,
                        "document": as_document,
                        "read_as_sent": _read_as_sent(values, case.invoice),
                    }
                )
        seconds = time.perf_counter() - started
    return score(rows, seed=seed, seconds=seconds, world=world_size(world))


def _submission(world: Any, case: Planted, index: int, as_document: bool) -> dict[str, Any]:
    """The invoice as JSON, or (every third one) as a text document in one of the layouts."""
    invoice = as_json(case.invoice)
    if not as_document:
        return invoice
    known = {v.vendor_id: v.name for v in world.vendors}
    name = known.get(invoice["vendor_id"], "Unlisted Trading Ltd")
    text = render_document(invoice, name, layout=index // 3 % LAYOUTS)
    return {"invoice_id": invoice["invoice_id"], "document": text, "source_name": f"{index}.txt"}


def _read_as_sent(values: dict[str, Any], invoice: dict[str, Any]) -> bool:
    """Intake's facts are the invoice as generated (number, PO, total, every line)."""
    intake = values.get("intake") or {}
    facts = intake.get("value") if intake.get("status") == "ok" else None
    if not facts:
        return False
    lines = [
        (x["sku"], Decimal(str(x["quantity"])), Decimal(str(x["unit_price"])))
        for x in facts["lines"]
    ]
    sent = [(x["sku"], Decimal(x["quantity"]), Decimal(x["unit_price"])) for x in invoice["lines"]]
    return (
        facts["invoice_number"] == invoice["invoice_number"]
        and facts["po_number"] == invoice["po_number"]
        and Decimal(str(facts["total"])) == invoice["total"]
        and lines == sent
    )


def world_size(world: Any) -> dict[str, int]:
    return {
        "vendors": len(world.vendors),
        "orders": len(world.orders),
        "history": len(world.history),
    }


def score(
    rows: list[dict[str, Any]], *, seed: int, seconds: float, world: dict[str, int]
) -> dict[str, Any]:
    """Precision and recall per kind, and the straight-through and stopped shares."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in ANOMALY_KINDS:
        tp = sum(1 for r in rows if kind in r["planted"] and kind in r["named"])
        fp = sum(1 for r in rows if kind not in r["planted"] and kind in r["named"])
        fn = sum(1 for r in rows if kind in r["planted"] and kind not in r["named"])
        kinds[kind] = {
            "planted": tp + fn,
            "named": tp + fp,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
        }
    clean = [r for r in rows if not r["planted"]]
    documents = [r for r in rows if r["document"]]
    anomalous = [r for r in rows if r["planted"]]
    false_alarms = Counter(kind for r in clean for kind in r["named"])
    return {
        "seed": seed,
        "sample_seed": SAMPLE_SEED,
        "invoices": len(rows),
        "clean": len(clean),
        "anomalous": len(anomalous),
        "world": world,
        "kinds": kinds,
        "straight_through": sum(r["straight_through"] for r in clean) / len(clean)
        if clean
        else None,
        "stopped": (
            sum(not r["straight_through"] for r in anomalous) / len(anomalous)
            if anomalous
            else None
        ),
        "not_assessed": sum(not r["assessed"] for r in rows),
        "documents": len(documents),
        "documents_read_as_sent": sum(r["read_as_sent"] for r in documents),
        "false_alarms_on_clean": dict(sorted(false_alarms.items())),
        "seconds": round(seconds, 1),
        "per_invoice_ms": round(seconds / len(rows) * 1000, 1) if rows else None,
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def section(result: dict[str, Any]) -> str:
    """The result as the invoice review section of docs/benchmarks.md (Markdown)."""
    world = result["world"]
    lines = [
        "## Invoice review quality (`bench/invoice_review_quality.py`)",
        "",
        f"{result['invoices']} generated invoices ({result['clean']} clean, "
        f"{result['anomalous']} with a planted anomaly), over a world of {world['vendors']} "
        f"vendors, {world['orders']} purchase orders and {world['history']} recorded invoices, "
        f"all made with seed {result['seed']} (the shipped samples use seed "
        f"{result['sample_seed']}). Each invoice runs through the whole workflow on SQLite, in "
        f"order, with the shipped policy and tolerances; every third one ({result['documents']}) "
        "is sent as a text document, in three layouts (labels in full; European numbers and "
        "dates; US style), for intake to read. Planted anomalies are near the edges: prices "
        "from just over the 2% tolerance, one unit too many, totals a cent or two off, paid "
        "invoices sent again (same number, respelt, near-same, a new number within days, or the "
        "same goods billed weeks later under a new number, which only the three-way match "
        "against what was paid already can see); clean "
        "invoices carry prices up to the tolerance, partial deliveries billed as received, bank "
        "details written another way and monthly fees of one amount.",
        "",
        f"**Straight through: {_pct(result['straight_through'])} of clean invoices paid with no "
        f"person involved; {_pct(result['stopped'])} of invoices with an anomaly stopped.**",
        "",
        "| anomaly | planted | named | precision | recall |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        lines.append(
            f"| {kind} | {row['planted']} | {row['named']} | {_pct(row['precision'])} | "
            f"{_pct(row['recall'])} |"
        )
    alarms = ", ".join(f"{k} {v}" for k, v in result["false_alarms_on_clean"].items()) or "none"
    lines += [
        "",
        f"Anomalies named on clean invoices: {alarms}. Invoices whose assessment did not run: "
        f"{result['not_assessed']}. Documents read to exactly the invoice generated (number, PO, "
        f"total, every line): {result['documents_read_as_sent']} of {result['documents']}. "
        f"Time: {result['seconds']} s "
        f"({result['per_invoice_ms']} ms an invoice, every agent, the gate and the decision "
        "checkpointed).",
        "",
        "What the figures say, and what they do not: the invoices come from the same generator as "
        "the reference data, which plants each anomaly by the rules the checks apply, so they show "
        "the workflow carrying its rules out end to end (reading three document layouts, matching, "
        "the gate, paying once, the invoice history growing as invoices are paid), near the edges "
        "of its tolerances and among confounders. They do not measure it on real "
        "accounts-payable data, where a reader meets layouts it was not written for. Earlier "
        "runs and a review found faults since fixed: a one-digit difference counted as a "
        "near-same invoice number (a monthly fee of one amount from a vendor numbering in "
        "sequence was flagged every month); the match compared billed with received quantities "
        "only, so the same goods billed again under a new number weeks later were paid twice "
        "(now it counts what paid invoices billed of the order, and the set plants such "
        "re-bills).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--invoices", type=int, default=DEFAULT_INVOICES)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true")
    output.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.invoices < 1:
        parser.error("--invoices: at least 1")
    result = measure(args.seed, args.invoices)
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(section(result))
    else:
        sys.stdout.write(section(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
