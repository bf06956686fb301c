"""`make bench`: every benchmark, written to `docs/benchmarks.md` with the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    contract_review_quality,
    crash_recovery,
    governance_overhead,
    history_latency,
    scoped_context,
    server_throughput,
    throughput,
)
from bench.databases import postgres_available
from bench.scoped_context import REPORT, SAMPLES


def machine() -> str:
    postgres = (
        "PostgreSQL on 127.0.0.1"
        if postgres_available()
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
        ("contract review quality", contract_review_section),
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
