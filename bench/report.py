"""`make bench`: every benchmark, written to `docs/benchmarks.md` with the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    contract_review_quality,
    crash_recovery,
    governance_overhead,
    history_latency,
    invoice_review_quality,
    late_delivery,
    sanctions_variants,
    scoped_context,
    server_throughput,
    supply_chain,
    support_triage_quality,
    throughput,
)
from bench.samples import POSTGRES_ADMIN_URL
from bench.scoped_context import REPORT, SAMPLES
from bench.split_csv import DEFAULT_SEED, DEFAULT_TEST_SHARE
from checkpoints.provisioning import postgres_available


def machine() -> str:
    postgres = (
        "PostgreSQL on 127.0.0.1"
        if postgres_available(POSTGRES_ADMIN_URL)
        else "no PostgreSQL (its rows are left out)"
    )
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores, {postgres}. Sizes do not depend "
        "on the machine; times do."
    )


CUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "cuad"
"""The shared CUAD dev set (111 contracts with expert labels), beside the checkout."""


def contract_review_section() -> str:
    """The contract review quality on the shared CUAD dev set (left out when it is not here)."""
    contracts, labels = CUAD / "contracts", CUAD / "master_clauses.csv"
    if not labels.exists():
        return f"## Contract review quality\n\nNot measured: {labels} is not on this machine.\n"
    return contract_review_quality.section(contract_review_quality.measure(contracts, labels))


BANKING77 = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"
"""The shared Banking77 training set (10,003 labelled messages), beside the checkout."""


def support_triage_section() -> str:
    """Support triage quality on a held-out split of the shared Banking77 set (stratified, seed
    2026, test share 0.2, as `make bench-triage`; left out when the set is not here). Trains on
    the training part unless the configured models folder has it cached."""
    source = BANKING77 / "train.csv"
    if not source.exists():
        return f"## Support triage quality\n\nNot measured: {source} is not on this machine.\n"
    with tempfile.TemporaryDirectory(prefix="banking77_split_") as folder:
        train, test = support_triage_quality.write_split(source, Path(folder))
        split = {
            "source": "../shared/data/banking77/train.csv",
            "seed": DEFAULT_SEED,
            "test_share": DEFAULT_TEST_SHARE,
        }
        result = support_triage_quality.evaluate(train, test, split=split)
    return support_triage_quality.section(result)


def main() -> int:
    sections = []
    for name, build in (
        (
            "scoped context",
            lambda: scoped_context.report(scoped_context.measure(sorted(SAMPLES.glob("*.json")))),
        ),
        ("governance overhead", lambda: governance_overhead.section(governance_overhead.measure())),
        ("throughput", lambda: throughput.section(throughput.measure())),
        (
            "throughput through the server",
            lambda: server_throughput.section(server_throughput.measure()),
        ),
        ("history latency", lambda: history_latency.section(history_latency.measure())),
        ("crash recovery", lambda: crash_recovery.section(crash_recovery.measure())),
        ("sanctions screening", lambda: sanctions_variants.section(sanctions_variants.score())),
        ("contract review quality", contract_review_section),
        ("support triage quality", support_triage_section),
        (
            "invoice review quality",
            lambda: invoice_review_quality.section(invoice_review_quality.measure()),
        ),
        ("supply-chain hierarchy", lambda: supply_chain.section(supply_chain.measure())),
        ("late-delivery mesh", lambda: late_delivery.section(late_delivery.measure())),
    ):
        sys.stderr.write(f"measuring {name}…\n")
        sections.append(build())
    text = "\n".join(["# Benchmarks", "", machine(), "", *sections])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
